"""ARM103's half of the clock analysis: comparisons that check an in-process deadline, timeout,
lease or TTL against the wall clock, and whether `time.monotonic()` is an exact fix."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from ...model import Edit, Fix
from ._clock import (
    DURATION,
    MONOTONIC_OF,
    OFFSET,
    PROJECT_STAMP,
    WALL,
    ClockAnalysis,
    Flow,
    date_level,
    enclosing_test,
    is_logging_call,
    ordering_pairs,
)
from ._clock_log_throttles import builds_message, rearms_stamp, records_metrics
from ._clock_scope import Scope, last_part
from ._clock_waits import find_silences, find_waits
from ..walk import walk

_NUMERIC_PASS = frozenset({"int", "float", "round", "floor", "ceil"})


@dataclass
class Deadline:
    node: cst.CSTNode  # where to report: the deadline/start assignment's value, or the comparison
    check: cst.Comparison
    flow: Flow
    scope: Scope
    calls: list[cst.Call] = field(default_factory=list)  # readings to rewrite when fixable
    fixable: bool = False
    uses_datetime: bool = False
    confidence: str | None = None  # when the form itself, not the readings, sets it


# Calls that record a measurement (a metrics sample, a start/stop pair appended to a history)
# rather than act on it.
_RECORD_METHODS = frozenset({"observe", "inc", "record", "timing", "histogram", "gauge", "digest_metric", "add_metric"})
# Appending to a field of a record keeps a history (`task.startstops.append(...)`); appending to
# a local list, or to a list named for work to do, collects what the caller acts on next.
_APPENDS = frozenset({"append", "appendleft", "extend"})
_WORK_LIST = re.compile(r"restart|remov|evict|kill|expir|retr|requeue|cancel|close|todo|pending|stale|dead|timed?_?out", re.I)
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})


def _branch_statements(block) -> list | None:
    if isinstance(block, cst.Else):
        block = block.body
    if not isinstance(block, cst.IndentedBlock):
        return list(block.body)
    statements = []
    for line in block.body:
        if isinstance(line, cst.If):
            statements.append(line)
            continue
        if not isinstance(line, cst.SimpleStatementLine):
            return None
        statements.extend(line.body)
    return statements


def _observes(analysis: ClockAnalysis, statement, top=None) -> bool:
    """A statement that only logs or records: a logging call, a metrics/history append, or picking
    which logger method to use (`to_log = logger.info`)."""
    if isinstance(statement, cst.If):
        return _only_logs(analysis, statement, top)
    if builds_message(statement) or records_metrics(statement):
        return True
    if isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Call):
        call = statement.value
        if is_logging_call(analysis.qname, call):
            return True
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in _RECORD_METHODS:
            return True
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in _APPENDS:
            owner = call.func.value
            return isinstance(owner, cst.Attribute) and not _WORK_LIST.search(owner.attr.value)
        return last_part(analysis.qname(call.func) or "") in {"warn", "print"}
    if isinstance(statement, cst.Assign) and isinstance(statement.value, cst.Attribute):
        return statement.value.attr.value in _LOG_METHODS
    return isinstance(statement, cst.Pass)


def _only_logs(analysis: ClockAnalysis, test_owner: cst.CSTNode | None, top=None) -> bool:
    """`if time.time() - t0 > 2: log.warning("slow")`, `if stop - start > 0.005: history.append(...)`:
    the clock only decides what to log or record (RULES.md: measurement is never a deadline)."""
    if not isinstance(test_owner, cst.If):
        return False
    top = top or test_owner
    branches = [test_owner.body]
    orelse = test_owner.orelse
    if orelse is not None:
        branches.append(orelse)
    seen = False
    for branch in branches:
        if isinstance(branch, cst.If):
            if not _only_logs(analysis, branch, top):
                return False
            seen = True
            continue
        statements = _branch_statements(branch)
        if statements is None:
            return False
        # a throttle stamps its clock again after it logged; that alone observes nothing
        kept = [st for st in statements if not rearms_stamp(analysis, st, top)]
        if not all(_observes(analysis, st, top) for st in kept):
            return False
        seen = seen or bool(kept)
    return seen


# Progress bars, spinners and ETAs read the clock to show time to a person; a jump garbles one
# redraw, it decides nothing (RULES.md: wall clock "only for display" is fine). Statistics,
# metrics and dashboards are the same: a step shifts a sample or a flush, no deadline moves.
_DISPLAY = re.compile(
    r"progress|spinner|throbber|(?:^|_)eta(?:_|$)|render|display|redraw|repaint|(?:^|_)draw|meter|ticker"
    r"|dashboard|chart|plot|statistic|(?:^|_)stats?(?:_|$)|metric|telemetry|analytic",
    re.IGNORECASE,
)
# Modules whose folder or file name says they observe (dashboards, diagnostics, analytics, metrics).
_DISPLAY_PATH = re.compile(
    r"(?:^|/)(?:dashboards?|diagnostics|analytics|metrics|telemetry|stats)(?:/|\.py$)"
    r"|(?:^|/)[^/]*(?:_metrics|_stats|_dashboard)\.py$",
    re.IGNORECASE,
)


def _display_only(scope: Scope, path: str = "") -> bool:
    names = []
    if isinstance(scope.node, cst.FunctionDef):
        names.append(scope.node.name.value)
    if isinstance(scope.cls, cst.ClassDef):
        names.append(scope.cls.name.value)
    return any(_DISPLAY.search(name) for name in names) or bool(_DISPLAY_PATH.search(path.replace("\\", "/")))


# A web session is stored outside the process: its stamps must be wall-clock, monotonic time
# would mean nothing to the next request (served by another process).
_SESSION_STORE = re.compile(r"\brequest\.session\b|\bsession\[\s*[\"']|\bsession\.modified\b")


def _names_in(node: cst.CSTNode) -> list[str]:
    names: list[str] = []

    class _Collect(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            names.append(n.value)

    walk(node, _Collect())
    return names


def _keeps_session(ctx, scope: Scope) -> bool:
    return isinstance(scope.node, cst.FunctionDef) and bool(_SESSION_STORE.search(ctx.code_for(scope.node)))


def _classify(left: Flow | None, right: Flow | None) -> Flow | None:
    """The combined flow when a comparison checks a deadline or an elapsed time, else None."""
    if left and right:
        if {left.kind, right.kind} == {WALL, OFFSET}:
            return Flow(OFFSET, left.calls + right.calls, left.roots + right.roots, left.syms | right.syms)
        return None
    one = left or right
    if one is not None and one.kind == DURATION:
        return one
    return None


def _reading_ahead(analysis: ClockAnalysis, scope: Scope, left, right) -> Flow | None:
    """`now + backoff < deadline`: a fresh reading moved ahead by the wait about to start, checked
    against a deadline armed earlier from the same clock. Both sides are offsets, but one is the
    present plus an amount, so the check is the present against the deadline."""
    flows = analysis.flow(scope, left), analysis.flow(scope, right)
    if not all(flow is not None and flow.kind == OFFSET for flow in flows):
        return None
    for ahead, deadline in ((left, flows[1]), (right, flows[0])):
        if not (isinstance(ahead, cst.BinaryOperation) and isinstance(ahead.operator, cst.Add)):
            continue
        parts = analysis.flow(scope, ahead.left), analysis.flow(scope, ahead.right)
        readings = [part for part in parts if part is not None]
        if len(readings) != 1 or readings[0].kind != WALL:
            continue  # not the present plus an amount
        armed = [(kind, root) for kind, root in deadline.roots if kind == OFFSET]
        if not armed or analysis.only_guessed_expiries(deadline):
            continue
        return Flow(OFFSET, readings[0].calls + deadline.calls, armed, readings[0].syms | deadline.syms)
    return None


def _report_nodes(analysis: ClockAnalysis, flow: Flow, comparison: cst.Comparison) -> list[cst.CSTNode]:
    """Every assignment that arms the deadline (a loop re-arms it after each flush or retry, and
    each of those lines needs the monotonic clock), else where the elapsed time starts. When the
    comparison reads the clock itself and the stamp it measures from is set in several places
    (`time() > self.idle_since + self.idle_timeout`), the comparison is where the fix starts."""
    offsets = [value for kind, value in flow.roots if kind == OFFSET]
    if offsets:
        return offsets
    stamps = [value for kind, value in flow.roots if kind == WALL]
    if len(stamps) > 1 and any(_inside(analysis, call, comparison) for call in flow.calls):
        return [comparison]
    here = analysis.index.scope_of.get(id(comparison))
    local = [stamp for stamp in stamps if here is not None and _inside(analysis, stamp, here.node)]
    return local[:1] or stamps[:1] or [comparison]


def _inside(analysis: ClockAnalysis, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
    current = analysis.index.parent_of(node)
    while current is not None:
        if current is ancestor:
            return True
        current = analysis.index.parent_of(current)
    return False


def _polls_until(analysis: ClockAnalysis, scope, comparison: cst.Comparison) -> bool:
    """The comparison is (part of) a `while` loop's condition and reads the clock itself on every
    round (`while time.time() < end_time`): the loop waits for the clock to pass a deadline. A
    loop over stamps kept earlier (`while self.time[-1] - self.time[-2] > dt`) only buckets them,
    and one over calendar dates walks months."""
    if not isinstance(enclosing_test(analysis.index, comparison), cst.While):
        return False
    for left, _op, right in ordering_pairs(comparison):
        for side in (left, right):
            flow = analysis.flow(scope, side)
            if flow is None or date_level(analysis.qname, flow):
                continue  # `while month <= date.today()`: a walk over calendar months
            if any(call is side or _inside(analysis, call, side) for call in flow.calls):
                return True
    return False


def find_deadlines(analysis: ClockAnalysis, ctx, persisted: set[int]) -> list[Deadline]:
    found: dict[int, Deadline] = {}
    for scope in analysis.index.scopes:
        comparisons = scope.comparisons
        if _display_only(scope, getattr(ctx, "path", "")):
            # purging a worker's metrics once it has gone silent still acts on the silence
            for comparison in scope.comparisons:
                find_silences(analysis, scope, comparison, found, _maker(analysis, ctx), _only_logs)
            # a collector's `while time.time() < end_time:` still decides when its loop stops:
            # a clock step makes it run on or end at once, whatever it collects
            comparisons = [c for c in scope.comparisons if _polls_until(analysis, scope, c)]
            if not comparisons:
                continue
        if comparisons and _keeps_session(ctx, scope):
            continue
        for comparison in comparisons:
            for left, _op, right in ordering_pairs(comparison):
                flow = _classify(analysis.flow(scope, left), analysis.flow(scope, right)) or \
                    _reading_ahead(analysis, scope, left, right)
                if flow is None or any(id(call) in persisted for call in flow.calls):
                    continue
                if _one_reading(analysis, scope, comparison, left, right):
                    continue
                if any(analysis.only_guessed_expiries(side) for side in (analysis.flow(scope, left), analysis.flow(scope, right)) if side):
                    continue
                if _only_logs(analysis, enclosing_test(analysis.index, comparison)):
                    continue
                for node in _report_nodes(analysis, flow, comparison):
                    if id(node) in found:
                        continue
                    deadline = Deadline(node, comparison, flow, scope)
                    deadline.uses_datetime = any(
                        not (analysis.wall_name(call) or "").startswith("time.") for call in flow.calls
                    )
                    _plan_fix(analysis, ctx, deadline)
                    found[id(node)] = deadline
            for left, _op, right in ordering_pairs(comparison):
                _ttl_check(analysis, scope, comparison, left, right, found)
            find_silences(analysis, scope, comparison, found, _maker(analysis, ctx), _only_logs)
        for call in scope.calls:
            _remaining_clamp(analysis, ctx, scope, call, persisted, found)
        _refill(analysis, scope, persisted, found)
        find_waits(analysis, scope, persisted, found, _maker(analysis, ctx))
    return [d for d in found.values() if PROJECT_STAMP not in d.flow.syms or _stamp_question(analysis, ctx, d)]


def _stamp_question(analysis: ClockAnalysis, ctx, deadline: Deadline) -> bool:
    """A field stamped in another module: only the ages the held-instant form would keep."""
    from ._clock_stamp_questions import stamp_question

    return stamp_question(analysis, ctx, deadline.scope, deadline.check, deadline.flow.syms)


def _one_reading(analysis: ClockAnalysis, scope: Scope, comparison, left, right) -> bool:
    """`cutoff = now - ttl` then `if cutoff >= now: raise`: both sides come from one reading,
    taken once (not in a loop that takes it again), so the clock cancels out and the check
    compares the amounts. No clock step can change its outcome: it is not a deadline."""
    flows = analysis.flow(scope, left), analysis.flow(scope, right)
    if not all(flows):
        return False
    calls = [{id(call) for call in flow.calls} for flow in flows]
    if not calls[0] or calls[0] != calls[1]:
        return False
    if any(not sym.isidentifier() for flow in flows for sym in flow.syms):
        return False  # kept in `self.x`, a table or a field: an earlier call's reading comes back
    current = analysis.index.parent_of(comparison)
    while current is not None and not isinstance(current, (cst.FunctionDef, cst.Module)):
        if isinstance(current, (cst.For, cst.While)):
            return False  # the same line may read the clock again on the next pass
        current = analysis.index.parent_of(current)
    return True


def _maker(analysis: ClockAnalysis, ctx):
    def make(node, check, flow: Flow, scope: Scope, fix: bool, confidence: str | None = None) -> Deadline:
        deadline = Deadline(node, check, flow, scope, confidence=confidence)
        deadline.uses_datetime = any(not (analysis.wall_name(c) or "").startswith("time.") for c in flow.calls)
        if fix:
            _plan_fix(analysis, ctx, deadline)
        return deadline

    return make


def _refill(analysis: ClockAnalysis, scope: Scope, persisted, found) -> None:
    """`tally += (now - last) * rate` then `if tally > capacity`: a token bucket or budget fed by
    elapsed wall-clock time and then checked. A backward step drains it (callers block for as
    long as the step), a forward one fills it at once."""
    for sym, defs in scope.defs.items():
        for d in defs:
            if not d.augmented or d.value is None or id(d.value) in found:
                continue
            if not isinstance(d.stmt, cst.AugAssign) or not isinstance(d.stmt.operator, (cst.AddAssign, cst.SubtractAssign)):
                continue
            flow = analysis.flow(scope, d.value)
            if flow is None or flow.kind != DURATION or any(id(c) in persisted for c in flow.calls):
                continue
            checks = [c for c in scope.comparisons if sym in _names_in(c) and any(
                isinstance(op, cst.ComparisonTarget) and not isinstance(op.operator, (cst.Is, cst.IsNot, cst.In, cst.NotIn))
                for op in c.comparisons)]
            checks = [c for c in checks if not _only_logs(analysis, enclosing_test(analysis.index, c))]
            if not checks:
                continue
            deadline = Deadline(d.value, checks[0], flow, scope)
            deadline.uses_datetime = any(not (analysis.wall_name(c) or "").startswith("time.") for c in flow.calls)
            found[id(d.value)] = deadline


# A limit whose name says it bounds an age: `time.time() - quote_created < QUOTE_TTL_S`.
_AGE_LIMIT = re.compile(r"ttl|max_?age|expir|lease|valid_for|fresh", re.IGNORECASE)
# Stamps a heartbeat check compares (ARM301's business, not a TTL).
_HEARTBEAT_STAMP = re.compile(r"heart_?beat|ping|pong|last_?seen|seen_at|alive|contact|check_?in", re.IGNORECASE)


def _ttl_check(analysis: ClockAnalysis, scope: Scope, comparison, left, right, found) -> None:
    """`now - stamp < TTL` where the stamp comes from outside the function (a parameter, an
    attribute): the age of a wall-clock stamp checked against a TTL. The stamp's origin is
    unknown, so no rewrite is offered."""
    for age, limit in ((left, right), (right, left)):
        if not (isinstance(age, cst.BinaryOperation) and isinstance(age.operator, cst.Subtract)):
            continue
        stamp = age.right
        if not isinstance(stamp, (cst.Name, cst.Attribute)) or analysis.flow(scope, stamp) is not None:
            continue
        reading = analysis.flow(scope, age.left)
        if reading is None or reading.kind != WALL:
            continue
        limit_name = limit.value if isinstance(limit, cst.Name) else limit.attr.value if isinstance(limit, cst.Attribute) else ""
        stamp_name = stamp.value if isinstance(stamp, cst.Name) else stamp.attr.value
        if not _AGE_LIMIT.search(limit_name) or _HEARTBEAT_STAMP.search(stamp_name):
            continue
        if _only_logs(analysis, enclosing_test(analysis.index, comparison)) or id(comparison) in found:
            continue
        deadline = Deadline(comparison, comparison, reading, scope)
        deadline.uses_datetime = not (analysis.wall_name(reading.calls[0]) or "").startswith("time.")
        found[id(comparison)] = deadline
        return


def _remaining_clamp(analysis: ClockAnalysis, ctx, scope: Scope, call: cst.Call, persisted, found) -> None:
    """`max(0.0, self.deadline - time.time())`: the time left before a wall-clock deadline,
    clamped at zero, is a deadline check even without a comparison operator."""
    if not isinstance(call.func, cst.Name) or call.func.value not in ("max", "min") or len(call.args) != 2:
        return
    for arg in call.args:
        value = arg.value
        if not (isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Subtract)):
            continue
        flow = analysis.flow(scope, value)
        if flow is None or flow.kind != DURATION or any(id(c) in persisted for c in flow.calls):
            continue
        deadline_side = analysis.flow(scope, value.left)
        if deadline_side is None or deadline_side.kind != OFFSET or analysis.only_guessed_expiries(deadline_side):
            continue  # `now - start` is an elapsed time; clamping it decides nothing
        roots = [root for kind, root in deadline_side.roots if kind == OFFSET]
        if not roots:
            # `start + count * interval - time.time()`: the deadline is built in the expression
            # from a stamp read earlier; the fix starts at that reading
            roots = [root for kind, root in deadline_side.roots if kind == WALL][:1]
        for root in roots:
            if id(root) in found:
                continue
            deadline = Deadline(root, call, flow, scope)
            deadline.uses_datetime = any(
                not (analysis.wall_name(c) or "").startswith("time.") for c in flow.calls
            )
            _plan_fix(analysis, ctx, deadline)
            found[id(root)] = deadline


# --- the deterministic fix ----------------------------------------------------------------------
class _Unsafe(Exception):
    pass


def _plan_fix(analysis: ClockAnalysis, ctx, deadline: Deadline) -> None:
    """`time.time()` -> `time.monotonic()` is exact only if every reading in the connected flow
    changes together and no absolute value leaves the function (stored, returned, passed on,
    logged): monotonic time means nothing outside this process."""
    if PROJECT_STAMP in deadline.flow.syms:
        return  # the stamp's writer is another module: rewriting the reading in view breaks it
    try:
        calls, syms = _component(analysis, ctx, deadline.scope, deadline.flow)
    except _Unsafe:
        return
    for call in calls:
        name = analysis.wall_name(call)
        if (
            not analysis.is_direct(call)
            or name not in MONOTONIC_OF
            or not isinstance(call.func, cst.Attribute)
            or call.args
        ):
            return
    deadline.calls = calls
    deadline.fixable = bool(calls)


def _component(analysis: ClockAnalysis, ctx, scope: Scope, flow: Flow):
    calls: dict[int, cst.Call] = {id(c): c for c in flow.calls}
    syms: set[str] = set()
    pending_syms = set(flow.syms)
    pending_calls = list(flow.calls)
    seen_nodes: set[int] = set()

    def absorb(other: Flow | None) -> None:
        if other is None:
            raise _Unsafe
        for call in other.calls:
            if id(call) not in calls:
                calls[id(call)] = call
                pending_calls.append(call)
        pending_syms.update(other.syms - syms)

    while pending_syms or pending_calls:
        while pending_calls:
            call = pending_calls.pop()
            if id(call) not in seen_nodes:
                seen_nodes.add(id(call))
                _contained(analysis, scope, call, absorb, syms_out=pending_syms)
        while pending_syms:
            sym = pending_syms.pop()
            if sym in syms:
                continue
            syms.add(sym)
            if sym.startswith(("self.", "*")) or sym.endswith("[]"):
                raise _Unsafe  # shared state: other code may read the absolute value
            if not analysis.sym_is_pure(scope, sym):
                raise _Unsafe
            pattern = re.compile(rf"\b{re.escape(sym)}\b")
            if any(pattern.search(ctx.code_for(nested)) for nested in scope.nested):
                raise _Unsafe  # a closure reads it: we do not follow values into nested code
            for d in analysis.index.defs_for(scope, sym):
                if d.value is not None and not d.augmented:
                    other = analysis.flow(scope, d.value)
                    if other is not None:
                        absorb(other)
            sym_flow = analysis.sym_flow(scope, sym, frozenset())
            if sym_flow is None:
                raise _Unsafe
            if sym_flow.kind == DURATION:
                continue  # a duration is the same on either clock; it may go anywhere
            for use in analysis.index.uses_for(scope, sym):
                if id(use) not in seen_nodes:
                    seen_nodes.add(id(use))
                    _contained(analysis, scope, use, absorb, syms_out=pending_syms)
    return list(calls.values()), syms


def _contained(analysis: ClockAnalysis, scope: Scope, node: cst.CSTNode, absorb, syms_out: set[str]) -> None:
    """Raise _Unsafe unless the absolute clock value at `node` only meets other readings of the
    same flow (arithmetic, comparisons, assignment to a local name)."""
    index = analysis.index
    current = node
    while True:
        parent = index.parent_of(current)
        if parent is None:
            raise _Unsafe
        if isinstance(parent, cst.BinaryOperation):
            other = parent.right if parent.left is current else parent.left
            other_flow = analysis.flow(scope, other)
            if other_flow is not None:
                absorb(other_flow)
            combined = analysis.flow(scope, parent)
            if combined is None:
                raise _Unsafe
            if combined.kind == DURATION:
                return
            current = parent
            continue
        if isinstance(parent, cst.Arg):
            call = index.parent_of(parent)
            if (
                isinstance(call, cst.Call)
                and len(call.args) == 1
                and last_part(analysis.qname(call.func) or "") in _NUMERIC_PASS
            ):
                current = call
                continue
            raise _Unsafe
        if isinstance(parent, cst.ComparisonTarget):
            parent = index.parent_of(parent)
        if isinstance(parent, cst.Comparison):
            operands = [parent.left, *(t.comparator for t in parent.comparisons)]
            for operand in operands:
                if operand is current:
                    continue
                if isinstance(operand, cst.Name) and operand.value == "None":
                    continue
                absorb(analysis.flow(scope, operand))
            return
        if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is current:
            targets = parent.targets if isinstance(parent, cst.Assign) else [parent]
            for target in targets:
                if not isinstance(target.target, cst.Name):
                    raise _Unsafe
                syms_out.add(target.target.value)
            return
        raise _Unsafe


def build_fix(deadline: Deadline, language: str):
    if not deadline.fixable:
        return None
    calls = list(deadline.calls)

    def make(ctx) -> Fix | None:
        edits = []
        for call in calls:
            attr = call.func.attr
            start, end = ctx.node_span(attr)
            edits.append(Edit(start, end, MONOTONIC_OF["time." + attr.value]))
        if language == "pt-BR":
            text = "Trocar time.time() por time.monotonic() neste prazo interno ao processo"
        else:
            text = "Use time.monotonic() for this in-process deadline"
        return Fix(text, tuple(edits))

    return make
