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
    WALL,
    ClockAnalysis,
    Flow,
    enclosing_test,
    is_logging_call,
    ordering_pairs,
)
from ._clock_scope import Scope, last_part

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


def _only_logs(analysis: ClockAnalysis, test_owner: cst.CSTNode | None) -> bool:
    """`if time.time() - t0 > 2: log.warning("slow")`: the clock only decides what to log."""
    if not isinstance(test_owner, cst.If) or test_owner.orelse is not None:
        return False
    body = test_owner.body
    if not isinstance(body, cst.IndentedBlock):
        statements = list(body.body)
    else:
        statements = []
        for line in body.body:
            if not isinstance(line, cst.SimpleStatementLine):
                return False
            statements.extend(line.body)
    for statement in statements:
        if not (isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Call)):
            return False
        if not is_logging_call(analysis.qname, statement.value):
            return False
    return bool(statements)


# Progress bars, spinners and ETAs read the clock to show time to a person; a jump garbles one
# redraw, it decides nothing (RULES.md: wall clock "only for display" is fine).
_DISPLAY = re.compile(r"progress|spinner|throbber|(?:^|_)eta(?:_|$)|render|display|redraw|repaint|(?:^|_)draw|meter|ticker", re.IGNORECASE)


def _display_only(scope: Scope) -> bool:
    names = []
    if isinstance(scope.node, cst.FunctionDef):
        names.append(scope.node.name.value)
    if isinstance(scope.cls, cst.ClassDef):
        names.append(scope.cls.name.value)
    return any(_DISPLAY.search(name) for name in names)


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


def find_deadlines(analysis: ClockAnalysis, ctx, persisted: set[int]) -> list[Deadline]:
    found: dict[int, Deadline] = {}
    for scope in analysis.index.scopes:
        if _display_only(scope):
            continue
        for comparison in scope.comparisons:
            for left, _op, right in ordering_pairs(comparison):
                flow = _classify(analysis.flow(scope, left), analysis.flow(scope, right))
                if flow is None or any(id(call) in persisted for call in flow.calls):
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
        for call in scope.calls:
            _remaining_clamp(analysis, ctx, scope, call, persisted, found)
    return list(found.values())


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
        for kind, root in deadline_side.roots:
            if kind != OFFSET or id(root) in found:
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
