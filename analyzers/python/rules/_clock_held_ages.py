"""A reading of this clock checked against an instant held somewhere else.

The named forms follow an instant from the reading that made it. Real code mostly keeps the
instant where this function cannot see it being made: a field of the object (`self.laststart`),
a slot of a record or message (`alarm["timestamp"]`, `job.updated_at`), a parameter, a value
unpacked from a cookie or a loop over a table. When a wall-clock reading meets such an instant in
an ordering comparison, together with an amount of time, the code decides by the wall clock
whether that much time has passed since the instant (or whether an instant plus a window is due):

  now - held > amount          (through scaling, conversions, `.total_seconds()` and locals)
  now > held + amount          held + amount < now          held < now - amount

Any arrangement of one reading and at least two other terms (the held instant and the amount)
is the same question; which term is the instant and which the amount does not matter to the
verdict. An instant kept on this object, in a parameter or in a local is an in-process deadline
(ARM103); one held by another object's field or a record's slot was written by whichever node
stored it (ARM104).

Left out, like the named forms: comparisons whose only effect is logging or metrics, display
code, calendar-date readings and windows counted in days, instants that are file-system stamps,
request or cookie values, liveness stamps (the fixed-timeout rules' question), token claims a
protocol checks (`exp`, `iat`, `nbf`), and thresholds kept on the same record as the instant
(per-entity configuration, also when the amount is built from it: `timedelta(seconds=alert.rearm)`).
Round 18 left out what the blind noise review of round 17 judged false: a cache's freshness (a
name or setting about a cache), stores kept in this process for tests (`inmemory` adapters), a
day written in hours, a stamp this function refreshes itself (`update(last_used_at=now)`: a
write throttle) and stamps of when work was last done (`last_synced_at`, `last_health_check`:
how often to redo it, not an expiry).

Also, with no amount, an instant named for when it lapses (`expires_at`, `valid_until`,
`deadline`, `lock_until`) that the function holds and no code of the file writes (A2).

By default (round 20) only a stamp aged against an amount named for a lifetime (a timeout, a
TTL, a lease, a session's or a token's age) runs: test10 +8 TRUE in five projects for +2 NEAR.
The rest (throttles, cadences and windows; the A2 comparisons) runs only in preview
(Settings.preview): on the tuned splits it finds more TRUE sites than it flags NEAR ones, but its
findings over a million lines of ordinary code stay under the noise bar. Every finding is
medium: the instant's writer is not in view."""
from __future__ import annotations

import re

import libcst as cst

from ..walk import descendants
from ._call_args import callee_name
from ._clock import date_level, enclosing_test, ordering_pairs
from ._clock_deadlines import _SESSION_STORE, Deadline, _display_only, _only_logs
from ._clock_flow_shapes import CLOCKED, RETENTION, reading_in
from ._clock_helpers import MEDIUM
from ._clock_scope import Scope
from ._clock_sinks import Sink, enclosing_query
from ._clock_stored import DAY_GRAINED, DURATION_NAME, token_stamp
from ._stamp_cutoffs import peer_liveness
from ._clock_write_names import LIVENESS_NAME

# Instants this code did not take from any node's clock it could be blamed for.
_FOREIGN = re.compile(r"mtime|ctime|atime|getmtime|getctime|\bstat\b|\.st_\w|request|cookie|header", re.IGNORECASE)
# Claims whose check a protocol defines against the verifier's own clock.
_CLAIMS = frozenset({"exp", "iat", "nbf", "auth_time", "issue_instant", "not_before", "not_on_or_after"})
# Parts of a reading that are calendar fields, not instants.
_CALENDAR = frozenset({"hour", "minute", "second", "day", "month", "year", "weekday", "isoweekday", "date", "time",
                       "microsecond", "tm_hour", "tm_min", "tm_sec", "tm_mday", "tm_wday", "tm_yday"})
# One-argument calls that only convert the value they are given.
_CONVERSIONS = re.compile(r"^(?:int|float|abs|round|Decimal|\w*to_dt\w*|\w*to_datetime|\w*fromtimestamp|parse\w*|"
                          r"normalize\w*|\w*isoparse|fromisoformat|strptime|utc|aware)$")
_SCALE = (cst.Multiply, cst.Divide, cst.FloorDivide)
# Certificate validity windows are a catalog question of their own (RULES.md is silent).
_CERTIFICATE = re.compile(r"x509|certificate|not_?(?:valid_?)?(?:before|after)", re.IGNORECASE)
# Calendar values: a date field is judged at day grain, where seconds of skew move nothing.
_CALENDAR_NAME = re.compile(r"(?:^|_)(?:date|day)$|birthday|deadline_date|^starts?_|^ends?_|^opens?_|^closes?_",
                            re.IGNORECASE)
# A day written in seconds or hours: a window of days all the same.
_DAY_SECONDS = re.compile(r"\b(?:86400|604800|2592000)\b|\bhours\s*=\s*(?:2[4-9]|[3-9]\d|\d{3,})\b")
# Calls that build a duration from their arguments.
_AMOUNT_CALL = re.compile(r"^(?:timedelta|relativedelta|Duration|duration|seconds|minutes|hours|milliseconds)$")
# A cache's freshness window (RULES.md: cache TTLs are never flagged as detectors).
_CACHE = re.compile(r"cache", re.IGNORECASE)
# Stores kept in this process for tests and local runs.
_IN_MEMORY_PATH = re.compile(r"in_?memory|/fakes?[/_.]|/dummy", re.IGNORECASE)
# A stamp of when this work was last done: the age decides when to redo it (a throttle).
_LAST_DONE = re.compile(r"^last_(?!(?:seen|heartbeat|ping|beat|active|touch))[a-z]+ed(?:_at|_on|_time|_ts)?$|"
                        r"^last_(?:\w+_)?(?:sync|refresh|update|check|run|notify|notification|send|poll|fetch)(?:_at|_on|_time|_ts)?$",
                        re.IGNORECASE)


# A held instant named for when something lapses: an expiry, a deadline, the end of a lease or a
# lock, an end of life, a time something is valid until. Checked against this clock with no
# amount, its name alone says the comparison ends a lifetime (a bare `show_until` or `end` is
# often a date a person set for display).
LAPSE_NAME = re.compile(r"expir|(?:^|_)exp(?:_?time|_at|_ts)?$|deadline|(?:valid|lock(?:ed)?|lease[sd]?|block(?:ed)?)_?until|"
                        r"(?:^|_)eol|lease_?end|not_?after", re.IGNORECASE)


# The amount or the instant is named for a lifetime: a timeout, a TTL, a lease, a session's or a
# token's age. With an instant that is not itself an amount, the age decides whether something
# lapsed, not how often to redo it (throttles, refresh cadences and windows are not named so).
_LIFETIME_NAME = re.compile(r"expir|timeout|ttl|max_?age|lifetime|lease|grace|(?:^|_)age\b|session|valid", re.IGNORECASE)
# Methods that hand back the same instant in another zone or form.
_SAME_INSTANT = frozenset({"replace", "astimezone"})


class _Terms:
    def __init__(self) -> None:
        self.readings: list[tuple[cst.CSTNode, object]] = []  # (node, flow)
        self.terms: list[cst.CSTNode] = []  # values of no flow added or subtracted
        self.literal_amounts = 0
        self.rejected = False
        self.bound: list[cst.CSTNode] = []  # values of locals looked through (their amounts count)
        self.amounts: list[cst.CSTNode] = []  # durations built by a call (`timedelta(...)`)


def find_held_ages(analysis, ctx, covered: set[int], taken: set[int], preview: bool = False) -> tuple[list, list]:
    """(ARM103 deadlines, ARM104 sinks) for readings no other form reported: a held instant named
    for when it lapses always, any other held instant aged by an amount only in preview."""
    deadlines: list[Deadline] = []
    sinks: list[Sink] = []
    path = getattr(ctx, "path", "")
    for scope in analysis.index.scopes:
        if _display_only(scope, path) or not scope.comparisons:
            continue
        if _SESSION_STORE.search(ctx.code_for(scope.node)):
            continue  # a web session's stamps are read by the next request's process: wall time by design
        for comparison in scope.comparisons:
            if _only_logs(analysis, enclosing_test(analysis.index, comparison)) or _not_deciding(analysis, comparison):
                continue
            for left, _op, right in ordering_pairs(comparison):
                found = _judge(analysis, ctx, scope, left, right)
                if found is None:
                    continue
                flow, reading, in_process, detail, settled = found
                if not (settled or preview):
                    continue
                if id(reading) in taken or any(id(call) in covered for call in flow.calls):
                    continue
                taken.add(id(reading))
                covered.update(id(call) for call in flow.calls)
                if in_process:
                    deadlines.append(Deadline(reading, comparison, flow, scope, confidence=MEDIUM))
                else:
                    sinks.append(Sink(reading, flow, "aged", detail, MEDIUM))
                break
    return deadlines, sinks


def _judge(analysis, ctx, scope: Scope, left: cst.CSTNode, right: cst.CSTNode):
    sides = []
    for node in (left, right):
        terms = _Terms()
        _collect(analysis, scope, node, terms, 0)
        if terms.rejected:
            return None
        sides.append(terms)
    clocked = [terms for terms in sides if terms.readings]
    if len(clocked) != 1:
        return None  # no reading, or both sides from this clock (the named forms' deadlines)
    clock = clocked[0]
    if len(clock.readings) > 1:
        return None  # two readings of this clock: an elapsed time measured here
    held = [t for terms in sides for t in terms.terms]
    built = [a for terms in sides for a in terms.amounts]
    amounts = sum(terms.literal_amounts for terms in sides) + len(built)
    single = len(held) + amounts < 2
    if not held or (single and not LAPSE_NAME.search(_last_name(held[0]))):
        # One value against the reading: a due time, a provider's period end, an organiser's
        # date. The shape alone also fits display predicates and calendar checks (round 17's
        # held-out check dropped it); only an instant named for a lapse is kept.
        return None
    kinds = [_held_kind(analysis, scope, term) for term in held]
    if not any(kinds):
        return None  # constants only: no instant held anywhere
    texts = " ".join(ctx.code_for(node) for node in (left, right, *sides[0].bound, *sides[1].bound))
    if DAY_GRAINED.search(texts) or _DAY_SECONDS.search(texts) or _CERTIFICATE.search(texts):
        return None  # a window of days: seconds of skew move nothing; certificate validity is its own question
    if any(_excluded(ctx, term) for term in held) or _same_record(held, built) or _written_here(ctx, scope, held):
        return None
    if _CACHE.search(texts + " " + _definitions_text(analysis, ctx, scope, held + built)) or _IN_MEMORY_PATH.search(
            getattr(ctx, "path", "")):
        return None  # a cache's freshness, or a store that never leaves this process (round 18)
    if _throttle(ctx, scope, held):
        return None
    if single and _made_in_file(ctx, held[0]):
        return None  # the file writes the field itself: the flow forms judge it with the writes they see
    node, flow = clock.readings[0]
    if date_level(analysis.qname, flow):
        return None
    if isinstance(scope.node, cst.FunctionDef) and RETENTION.search(scope.node.name.value):
        return None  # a cut-off in a purge: retention, not an expiry
    in_process = "record" not in kinds
    if not in_process and _record_question_elsewhere(analysis, ctx, scope, held, left):
        return None
    reading = reading_in(analysis, scope, node, flow)
    detail = next(ctx.code_for(term) for term, kind in zip(held, kinds) if kind)
    return flow, reading, in_process, detail, not single and _lifetime_age(ctx, held, kinds, built)


def _lifetime_age(ctx, held: list[cst.CSTNode], kinds: list, built: list[cst.CSTNode]) -> bool:
    """The default set's part: a held stamp that is not itself an amount, aged against an amount
    named for a lifetime (`now - run.started_at > run_timeout`, `acquired + lease_duration`). A
    bare lapse-named instant (`now > code.expiry`) stays in preview: on test10 it flagged as
    many NEAR sites (a course's enrollment deadline, a provider's key expiry only logged) as TRUE."""
    stamps = [_last_name(term) for term, kind in zip(held, kinds) if kind]
    words = " ".join([_last_name(term) for term in held] + [ctx.code_for(amount) for amount in built])
    return any(name and not DURATION_NAME.search(name) for name in stamps) and bool(_LIFETIME_NAME.search(words))


def _collect(analysis, scope: Scope, node: cst.CSTNode, terms: _Terms, depth: int) -> None:
    """The readings and the other additive terms of an arithmetic expression, looking through
    unit scaling, conversions, `.total_seconds()`/`.timestamp()` and locals bound once."""
    if depth > 6 or terms.rejected:
        terms.rejected = True
        return
    if isinstance(node, cst.BinaryOperation):
        if isinstance(node.operator, (cst.Add, cst.Subtract)):
            for side in (node.left, node.right):
                if isinstance(side, (cst.Integer, cst.Float)):
                    terms.literal_amounts += 1
                else:
                    _collect(analysis, scope, side, terms, depth + 1)
            return
        if isinstance(node.operator, _SCALE):
            for side in (node.left, node.right):
                if not isinstance(side, (cst.Integer, cst.Float)):
                    _collect(analysis, scope, side, terms, depth + 1)
            return
        terms.rejected = True
        return
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "abs":
        terms.rejected = True  # a symmetric tolerance: two parties' clocks checked for agreement
        return
    if isinstance(node, cst.UnaryOperation):
        _collect(analysis, scope, node.expression, terms, depth + 1)
        return
    if isinstance(node, (cst.Integer, cst.Float)):
        return
    if isinstance(node, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString, cst.Comparison,
                         cst.BooleanOperation, cst.List, cst.Tuple, cst.Dict, cst.Set, cst.Lambda)):
        terms.rejected = True
        return
    flow = analysis.flow(scope, node)
    if flow is not None:
        if isinstance(node, cst.Attribute) and node.attr.value in _CALENDAR:
            terms.rejected = True
            return
        inner = _bound_arithmetic(analysis, scope, node)
        if inner is not None:
            terms.bound.append(inner)
            _collect(analysis, scope, inner, terms, depth + 1)
            return
        terms.bound.extend(root for _kind, root in flow.roots)
        if isinstance(node, cst.Call) and _converted(node) is not None:
            _collect(analysis, scope, _converted(node), terms, depth + 1)
            return
        if flow.kind not in CLOCKED:
            terms.rejected = True  # an amount measured on this clock
            return
        if isinstance(node, (cst.Attribute, cst.Subscript)):
            terms.rejected = True  # a stamp kept from this clock, not the present: the stored-stamp forms' question
            return
        terms.readings.append((node, flow))
        return
    if isinstance(node, cst.Call):
        inner = _converted(node)
        if inner is not None:
            _collect(analysis, scope, inner, terms, depth + 1)
            return
        if _AMOUNT_CALL.search(callee_name(node)):
            terms.amounts.append(node)  # `timedelta(seconds=x)`: an amount, whatever its arguments
            return
    if isinstance(node, cst.Name):
        inner = _bound_arithmetic(analysis, scope, node)
        if inner is not None:
            terms.bound.append(inner)
            _collect(analysis, scope, inner, terms, depth + 1)
            return
    terms.terms.append(node)


def _converted(call: cst.Call) -> cst.CSTNode | None:
    """`int(x)`, `parse(x)`, `(x).total_seconds()`: the value converted."""
    func = call.func
    if isinstance(func, cst.Attribute) and not call.args and func.attr.value in ("total_seconds", "timestamp"):
        return func.value
    name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else ""
    if len(call.args) == 1 and not call.args[0].star and call.args[0].keyword is None and _CONVERSIONS.match(name):
        return call.args[0].value
    return None


def _bound_arithmetic(analysis, scope: Scope, node: cst.CSTNode) -> cst.CSTNode | None:
    """The one value a local was bound to, when it is arithmetic or a conversion to look into."""
    if not isinstance(node, cst.Name):
        return None
    defs = analysis.index.defs_for(scope, node.value)
    if len(defs) != 1 or defs[0].value is None or defs[0].augmented or node.value in scope.params:
        return None
    value = defs[0].value
    if isinstance(value, (cst.BinaryOperation, cst.UnaryOperation)) or (isinstance(value, cst.Call) and _converted(value)):
        return value
    return None


def _held_kind(analysis, scope: Scope, term: cst.CSTNode, depth: int = 0) -> str | None:
    """'own' (a field of this object), 'local' (a parameter, an unpacked or looped value, a
    module-level variable), 'record' (a field or slot of another value), or None (a constant)."""
    if isinstance(term, cst.Attribute):
        base = term.value
        if _rooted_at_self(base):
            return "own"
        return "record" if isinstance(base, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)) else None
    if isinstance(term, cst.Subscript):
        return "own" if isinstance(term.value, cst.Attribute) and _rooted_at_self(term.value) else "record"
    if isinstance(term, cst.Call):
        if any(isinstance(arg.value, cst.Integer) for arg in term.args) and all(
                isinstance(arg.value, (cst.Integer, cst.Float, cst.SimpleString)) or arg.keyword for arg in term.args):
            return None  # `datetime(2025, 1, 6, tzinfo=utc)`: a date written in the code
        func = term.func
        if isinstance(func, cst.Attribute) and func.attr.value == "get" and term.args:
            return "record"
        return "record" if isinstance(func, cst.Attribute) and term.args else None
    if isinstance(term, cst.Name) and depth < 3:
        name = term.value
        if name.isupper() or name in ("None", "True", "False"):
            return None  # a module constant: an amount
        if name in scope.params:
            return "local"
        defs = analysis.index.defs_for(scope, name)
        if not defs:
            return "local" if name in scope.outer else None
        if len(defs) == 1 and defs[0].value is not None and token_stamp(analysis.qname, defs[0].value) is not None:
            return "record"  # a timestamp decoded from a token: the issuing node's clock wrote it
        if all(d.value is None or d.unpacked is not None for d in defs):
            return "local"
        bound = [d for d in defs if d.value is not None]
        if bound and all(_held_kind(analysis, d.scope or scope, d.value, depth + 1) for d in bound):
            return "local"
    return None


def _rooted_at_self(node: cst.CSTNode) -> bool:
    """`self`, `self.conf`, `self.conf.timeout`: state this object keeps."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name) and node.value in ("self", "cls")


def _last_name(term: cst.CSTNode) -> str:
    if isinstance(term, cst.Call) and isinstance(term.func, cst.Attribute) and term.func.attr.value in _SAME_INSTANT:
        term = term.func.value  # `code.expiry_datetime.replace(tzinfo=utc)`: the field's instant
    if isinstance(term, cst.Attribute):
        return term.attr.value
    if isinstance(term, cst.Subscript):
        index = term.slice[0].slice if term.slice else None
        if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
            return str(index.value.evaluated_value or "")
    if isinstance(term, cst.Name):
        return term.value
    if isinstance(term, cst.Call) and term.args and isinstance(term.args[0].value, cst.SimpleString):
        return str(term.args[0].value.evaluated_value or "")
    return ""


def _excluded(ctx, term: cst.CSTNode) -> bool:
    name = _last_name(term)
    return bool(_FOREIGN.search(ctx.code_for(term)) or LIVENESS_NAME.search(name) or name.lower() in _CLAIMS
                or _CALENDAR_NAME.search(name))


def _record_question_elsewhere(analysis, ctx, scope: Scope, held: list[cst.CSTNode], node: cst.CSTNode) -> bool:
    """A loaded record's stamp that the stamp cut-off rules settle otherwise: a service's or an
    agent's update stamp (liveness, ARM301's), or a check whose branches only hand back a label
    (display)."""
    for term in held:
        if isinstance(term, cst.Attribute) and peer_liveness(ctx.code_for(term.value), term.attr.value):
            return True
    test = enclosing_test(analysis.index, node)
    return isinstance(test, cst.If) and _labels_only(test)


def _labels_only(test: cst.If) -> bool:
    """Every branch is `return "<text>"`: the check names a state for a person, nothing acts."""
    branches = [test.body] + ([test.orelse.body] if isinstance(test.orelse, cst.Else) else [])
    for branch in branches:
        statements = list(branch.body) if isinstance(branch, cst.IndentedBlock) else [branch]
        for statement in statements:
            small = statement.body if isinstance(statement, cst.SimpleStatementLine) else None
            if not small or not all(isinstance(s, cst.Return) and isinstance(
                    s.value, (cst.SimpleString, cst.FormattedString)) for s in small):
                return False
    return True


def _written_here(ctx, scope: Scope, held: list[cst.CSTNode]) -> bool:
    """The function itself writes one of the held fields (`job.next_run = now`): its making is in
    view, and the flow and the named forms judge it with the writes they see."""
    written = {ctx.code_for(target) for target, _value in scope.attr_assigns}
    written |= {ctx.code_for(target) for target, _value in scope.slot_assigns}
    return any(ctx.code_for(term) in written for term in held)


def _made_in_file(ctx, term: cst.CSTNode) -> bool:
    """Some code of this file sets the field or key (`lease.expires_at = ...`, `{"expires_at": ...}`,
    `create(expires_at=...)`): where the instant comes from is in view of the other forms."""
    if not isinstance(term, (cst.Attribute, cst.Subscript, cst.Call)):
        return False
    name = re.escape(_last_name(term))
    return bool(name) and re.search(rf"\.{name}\s*(?::[^=\n]*)?=(?!=)|\[\s*['\"]{name}['\"]\s*\]\s*=(?!=)|"
                                    rf"['\"]{name}['\"]\s*:|[(,]\s*{name}\s*=(?!=)", ctx.text) is not None


def _not_deciding(analysis, comparison: cst.Comparison) -> bool:
    """The comparison is a criterion of a query (the query forms judge those), or its answer is
    collected as data (a cell of a row shown to a person) rather than deciding anything."""
    if enclosing_query(analysis, comparison) is not None:
        return True
    current = comparison
    for _ in range(4):
        parent = analysis.index.parent_of(current)
        if isinstance(parent, (cst.Element, cst.DictElement, cst.List, cst.Tuple, cst.Dict, cst.Set)):
            return True
        if parent is None or isinstance(parent, (cst.BaseSmallStatement, cst.BaseCompoundStatement)):
            return False
        current = parent
    return False


def _same_record(held: list[cst.CSTNode], built: list[cst.CSTNode] = ()) -> bool:
    """`check.last_ping + check.grace`, `self.last_run + timedelta(seconds=self.cache_timeout)`:
    the window is the record's own setting (a per-entity threshold, never flagged)."""
    bases = []
    for term in held:
        if isinstance(term, cst.Attribute) and isinstance(term.value, cst.Name) and term.value.value not in ("self", "cls"):
            bases.append(term.value.value)
    if len(bases) != len(set(bases)):
        return True
    for amount in built:
        for arg in amount.args:
            for node in descendants(arg.value):
                if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value in bases:
                    return True
    return False


def _definitions_text(analysis, ctx, scope: Scope, terms: list[cst.CSTNode]) -> str:
    """The code of the locals these terms name (`timeout = settings.FACT_CACHE_TIMEOUT`)."""
    texts = []
    for term in terms:
        for name in (node.value for node in descendants(term) if isinstance(node, cst.Name)):
            for definition in analysis.index.defs_for(scope, name):
                if definition.value is not None:
                    texts.append(ctx.code_for(definition.value))
    return " ".join(texts)


def _throttle(ctx, scope: Scope, held: list[cst.CSTNode]) -> bool:
    """The code refreshes the very stamp it ages (`if now - t.last_used_at > 60:
    ...update(last_used_at=now)`), or the stamp records when this work last ran
    (`last_synced_at`, `last_triggered_at`): how often something is redone, not an expiry."""
    names = {_last_name(term) for term in held if isinstance(term, (cst.Attribute, cst.Subscript))} - {""}
    if any(_LAST_DONE.search(name) for name in names):
        return True
    code = ctx.code_for(scope.node)
    return any(re.search(rf"[(,]\s*{re.escape(name)}\s*=(?!=)|\[\s*['\"]{re.escape(name)}['\"]\s*\]\s*=(?!=)", code)
               for name in names)


__all__ = ["find_held_ages"]
