"""Wall-clock data flow shared by ARM103 (in-process deadlines) and ARM104 (persisted expiries).

A value read from the wall clock (`time.time()`, `datetime.now()`, ...) is followed through
assignments, `self.` attributes and arithmetic, and classified:
  WALL      a reading of the clock (`start = time.time()`),
  OFFSET    a reading shifted by an amount: a deadline, expiry or cutoff (`time.time() + 30`),
  DURATION  the difference of two readings (`time.time() - start`): clock-independent.
ARM103 looks at comparisons between those (`time.time() < deadline`, `elapsed > TIMEOUT`);
ARM104 at where an OFFSET is written or sent (see _clock_sinks.py). Both rules read one shared
analysis per file so the same expression is never reported twice.
"""
from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

import libcst as cst

from ..rule import PythonRule
from ._clock_helpers import (
    HIGH,
    MEDIUM,
    called_key,
    EXPIRY_GUESS,
    age_check,
    clock_object_reading,
    guessed_expiry,
    guessed_reading,
    inherited_reading,
    is_clock_reference,
    library_reading,
    param_default,
    returned_values,
)
from ._clock_scope import ITERATED, Scope, ScopeIndex, iterated_table, last_part, string_key, string_value, sym_of
from ._functions import FunctionTracker

WALL, OFFSET, DURATION = "wall", "offset", "duration"

# Frappe exports its date helpers from both modules.
_FRAPPE_UTILS = ("frappe.utils", "frappe.utils.data")
WALL_CLOCK_CALLS = frozenset(
    {
        "time.time",
        "time.time_ns",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "django.utils.timezone.now",
        "arrow.now",
        "arrow.utcnow",
        "pendulum.now",
        # written without an import in snippets and notebooks
        "datetime.now",
        "datetime.utcnow",
        # date-level readings: an expiry date compared with today is the same pitfall a day wide
        "datetime.date.today",
        "date.today",
        # frameworks' own readings of the host clock: Home Assistant's `dt_util.now()`, Frappe's
        # `now_datetime()`/`nowdate()`, Odoo's `fields.Datetime.now()`/`fields.Date.context_today(self)`
        "homeassistant.util.dt.now",
        "homeassistant.util.dt.utcnow",
        "odoo.fields.Datetime.now",
        "odoo.fields.Date.today",
        "odoo.fields.Date.context_today",
    }
) | frozenset(f"{module}.{name}" for module in _FRAPPE_UTILS for name in ("now", "now_datetime", "nowdate", "today"))
# Readings only when called without a value: with one they convert that value.
_CLOCK_WITHOUT_ARGS = frozenset(
    {
        "django.utils.timezone.localdate",
        "django.utils.timezone.localtime",
    }
) | frozenset(  # Frappe: `get_datetime()` is now, `get_datetime(value)` parses the value
    f"{module}.{name}" for module in _FRAPPE_UTILS for name in ("get_datetime", "getdate")
)


_DATE_READINGS = frozenset(
    {
        "datetime.date.today",
        "date.today",
        "django.utils.timezone.localdate",
        "odoo.fields.Date.today",
        "odoo.fields.Date.context_today",
    }
) | frozenset(f"{module}.{name}" for module in _FRAPPE_UTILS for name in ("nowdate", "today", "getdate"))


def date_level(qname, flow: "Flow") -> bool:
    """Every reading behind the value is a calendar date: a skew of seconds rarely moves it."""
    return bool(flow.calls) and all(qname(call.func) in _DATE_READINGS for call in flow.calls)


def reads_wall_clock(qname, call: cst.Call) -> bool:
    name = qname(call.func)
    return name in WALL_CLOCK_CALLS or (name in _CLOCK_WITHOUT_ARGS and not call.args)
# The only rewrites that are exact: same unit, same type, different clock.
MONOTONIC_OF = {"time.time": "monotonic", "time.time_ns": "monotonic_ns"}
CLOCK_TRIGGER = re.compile(
    r"\btime(?:_ns)?\s*\(|(?:\b|_)(?:utc)?now(?:_\w+|date)?\s*\(|\btoday\s*\(|\bget_?date(?:time)?\(\)|\bcontext_today\s*\(|\blocal(?:date|time)\s*\(|(?:_ms|millis|_ts)\s*\(|clock(?:\.\w+)?\s*\(|reactor\.seconds\s*\(|\bget_dht_time\s*\(|"
    # a project helper computing an expiry (see _clock_helpers.guessed_expiry)
    r"(?:expiration|expiry_(?:date|time|datetime|at)|expires_(?:at|on)|expire_(?:at|time)|deadline|valid_until)\s*\("
    # oslo.utils age checks, which read the clock inside (see _clock_helpers.age_check)
    r"|\bis_(?:older|newer)_than\s*\("
)

_PASS_METHODS = frozenset(
    {"timestamp", "replace", "astimezone", "isoformat", "strftime", "total_seconds", "utctimetuple", "timetuple"}
)
# Functions that shift the instant given first: Frappe's date arithmetic, Odoo's `fields.Date.add`.
_SHIFT_FUNCS = frozenset(
    f"{module}.{name}"
    for module in _FRAPPE_UTILS
    for name in ("add_to_date", "add_days", "add_months", "add_years")
) | frozenset(f"odoo.fields.{kind}.{name}" for kind in ("Date", "Datetime") for name in ("add", "subtract"))
_SHIFT_METHODS = frozenset({"add", "shift", "subtract"})
# arrow read an instant's epoch seconds (before 1.0) and its datetime as properties, not methods:
# `arrow.utcnow().datetime` is the same reading.
_ARROW_EPOCHS = frozenset({"timestamp", "int_timestamp", "float_timestamp", "datetime", "naive"})
# The fields of a timedelta: an elapsed time read in seconds or days.
_TIMEDELTA_PARTS = frozenset({"seconds", "days", "microseconds"})
_PASS_FUNCS = frozenset(
    {"int", "float", "round", "floor", "ceil", "fromtimestamp", "utcfromtimestamp", "str", "strptime", "fromisoformat",
     "timegm", "mktime", "Decimal"}
)
# A project's own unit converters (`epoch2datetime(ts)`, `seconds_to_datetime(ts)`,
# `to_timestamp(dt)`) hand back the same instant in another type.
_CONVERTER = re.compile(
    r"^_?(?:(?:epoch|timestamp|ts|seconds|secs|millis|ms|unix)_?(?:2|to_)_?(?:datetime|dt|date|utc)|"
    r"(?:datetime|dt)_?(?:2|to_)_?(?:epoch|timestamp|ts|seconds|millis|ms|unix)|to_?(?:timestamp|epoch|datetime))$",
    re.IGNORECASE,
)
# A reading turned into text (`str(time.time())`, `(now + ttl).strftime(fmt)`) is on its way out
# of the process: into a Redis list, a session, a coordination node, a JSON document. The flow
# carries this marker among its variables; a comparison that meets it again has made a round trip
# through storage, where other processes with other clocks read and write the same value (ARM104).
AS_TEXT = "<as-text>"
# A field another module of the project stamps from this clock (rules/_clock_field_stamps): the
# flow carries this marker so its findings are medium (the writer is out of view) and no fix
# rewrites only the reading in view.
PROJECT_STAMP = "<project-stamp>"
# ... and one a class of the project declares a stored column: rows other nodes stamped (ARM104).
PERSISTED_STAMP = "<persisted-stamp>"
_TEXT_METHODS = frozenset({"isoformat", "strftime"})
_ORDERING = (cst.LessThan, cst.GreaterThan, cst.LessThanEqual, cst.GreaterThanEqual)
_LOG_CALL = re.compile(
    r"^(?:print|warn|pprint)$|(?:^|\.)(?:log|logger|logging|_log|_logger|LOG|LOGGER|log_\w+|\w+_logger|\w+_LOGGER|statsd|metrics|stats|sentry_sdk|warnings)\.\w+$"
)


@dataclass(frozen=True)
class Flow:
    kind: str
    calls: tuple[cst.Call, ...]  # the clock readings the value comes from
    roots: tuple[tuple[str, cst.BaseExpression], ...]  # (kind, assigned value) of clock variables
    syms: frozenset[str]  # variables the value flows through


def _merge(kind: str, *flows: Flow) -> Flow:
    calls: dict[int, cst.Call] = {}
    roots: dict[int, tuple[str, cst.BaseExpression]] = {}
    syms: set[str] = set()
    for flow in flows:
        for call in flow.calls:
            calls[id(call)] = call
        for root in flow.roots:
            roots[id(root[1])] = root
        syms |= flow.syms
    return Flow(kind, tuple(calls.values()), tuple(roots.values()), frozenset(syms))


def _int_index(node: cst.Subscript) -> int | None:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    return int(value.value) if isinstance(value, cst.Integer) and value.value.isdigit() else None


def is_neutral(value: cst.BaseExpression) -> bool:
    """`deadline = None` / `start = 0` before the real assignment: no clock, no harm."""
    if isinstance(value, cst.Name) and value.value in ("None", "False"):
        return True
    if isinstance(value, (cst.Integer, cst.Float)):
        return True
    if isinstance(value, cst.UnaryOperation) and isinstance(value.expression, (cst.Integer, cst.Float)):
        return True
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "float":
        return True  # float("inf")
    return False


def enclosing_test(index: ScopeIndex, node: cst.CSTNode) -> cst.CSTNode | None:
    """The If/While/IfExp/comprehension-if whose condition contains `node`, if any."""
    current = node
    while True:
        parent = index.parent_of(current)
        if parent is None:
            return None
        if isinstance(parent, (cst.If, cst.While)) and parent.test is current:
            return parent
        if isinstance(parent, cst.IfExp) and parent.test is current:
            return parent
        if isinstance(parent, cst.CompIf):
            return parent
        if not isinstance(parent, (cst.BooleanOperation, cst.UnaryOperation, cst.Comparison, cst.ComparisonTarget)):
            return None
        current = parent


class ClockAnalysis:
    def __init__(self, qname, index: ScopeIndex) -> None:
        self.qname = qname
        self.index = index
        self._memo: dict[int, Flow | None] = {}
        self.module_values: dict[str, cst.BaseExpression] = {}
        self.module_functions: dict[str, cst.FunctionDef] = {}
        self.class_methods: dict[int, dict[str, cst.FunctionDef]] = {}
        self.class_named: dict[str, int] = {}  # class name -> id(class), for `Cls.method()` calls
        self.imported: frozenset[str] = frozenset()  # local names bound by imports
        self.enclosing: dict[int, list[cst.FunctionDef]] = {}  # id(nested def) -> enclosing defs, innermost first
        # Indirect readings (helpers, aliases, clock objects): id(call) -> (clock, confidence)
        self.readings: dict[int, tuple[str, str]] = {}
        self._summaries: dict[int, tuple[str, str, str, tuple] | None] = {}
        self._fields: dict[str, list[tuple[Scope, cst.BaseExpression]]] | None = None
        self.text = ""  # the file's source, to check that every write of a field was indexed
        self._spelled: dict[str, int] = {}
        self.project = None  # project_index.FileView: clock helpers of the project's other modules

    def forget(self) -> None:
        """Drop memoised flows after more scopes were indexed."""
        self._memo.clear()
        self._summaries.clear()
        self._fields = None

    # --- recognising readings -----------------------------------------------------------------
    def wall_name(self, call: cst.Call) -> str | None:
        name = self.qname(call.func)
        if reads_wall_clock(self.qname, call):
            return name
        hit = self.readings.get(id(call))
        return hit[0] if hit else None

    def is_direct(self, call: cst.Call) -> bool:
        return reads_wall_clock(self.qname, call)

    def confidence(self, flow: Flow) -> str:
        """Medium when every reading behind the value is a guess (a helper known by name), or
        one side is a field stamped in another module."""
        if PROJECT_STAMP in flow.syms:
            return MEDIUM
        if flow.calls and all(self.readings.get(id(c), ("", HIGH))[1] == MEDIUM for c in flow.calls):
            return MEDIUM
        return HIGH

    def _reading(self, call: cst.Call, kind: str, clock: str, confidence: str) -> Flow:
        self.readings[id(call)] = (clock, confidence)
        return Flow(kind, (call,), (), frozenset())

    def _indirect(self, scope: Scope, call: cst.Call) -> Flow | None:
        """A reading through another name (see _clock_helpers)."""
        known = self.project.reading(call) if self.project is not None else None
        if known is not None:  # a helper of another module: certain, or certainly no clock
            return self._reading(call, known.kind, known.clock, known.confidence) if known else None
        key = called_key(call)
        if key is not None and not key.startswith("self."):
            helper = self.module_functions.get(key) or next(
                (n for n in scope.nested if isinstance(n, cst.FunctionDef) and n.name.value == key), None)
            if helper is not None:  # a module function, or a helper nested in this one
                return self._helper(call, helper)
            clock = self._clock_parameter(scope, key)
            if clock:
                return self._reading(call, WALL, clock, HIGH)
            local = self.index.defs_for(scope, key)
            if local:
                for d in local:
                    clock = is_clock_reference(self.qname, d.value, WALL_CLOCK_CALLS)
                    if clock:
                        return self._reading(call, WALL, clock, HIGH)
                return None
            clock = is_clock_reference(self.qname, self.module_values.get(key), WALL_CLOCK_CALLS)
            if clock:
                return self._reading(call, WALL, clock, HIGH)
            if key in self.imported:
                found = library_reading(self.qname, call)  # `from hivemind import get_dht_time`
                if found:
                    return self._reading(call, WALL, *found)
                guess = guessed_reading(self.qname(call.func), set())
                if guess:
                    return self._reading(call, WALL, *guess)
                guess = guessed_expiry(self.qname(call.func))
                if guess:
                    return self._reading(call, OFFSET, *guess)
            return None
        if key is not None:
            method = self.class_methods.get(id(scope.cls), {}).get(key[5:]) if scope.cls is not None else None
            if method is not None:
                return self._helper(call, method)
            if (found := inherited_reading(self, scope, call, key[5:])) is not None:  # class attributes, base classes
                return found
            for d in self.index.defs_for(scope, key):
                clock = is_clock_reference(self.qname, d.value, WALL_CLOCK_CALLS)
                if clock is None and isinstance(d.value, cst.Name) and d.scope is not None:
                    clock = is_clock_reference(self.qname, param_default(d.scope.node, d.value.value), WALL_CLOCK_CALLS)
                if clock:
                    return self._reading(call, WALL, clock, HIGH)
            return None
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in self.class_named:
            # `Transaction._now_secs()`: a static or class method of a class of this module
            method = self.class_methods.get(self.class_named[func.value.value], {}).get(func.attr.value)
            if method is not None:
                return self._helper(call, method)
        found = library_reading(self.qname, call) or clock_object_reading(call)
        if found:
            return self._reading(call, WALL, *found)
        if isinstance(func, cst.Attribute) and not call.args:
            head = func
            while isinstance(head, cst.Attribute):
                head = head.value
            if isinstance(head, cst.Name) and head.value in self.imported:
                guess = guessed_reading(self.qname(func), set())
                if guess:
                    return self._reading(call, WALL, *guess)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in self.imported:
            guess = guessed_expiry(self.qname(func))  # `helpers.get_attempt_expiration(request)`
            if guess:
                return self._reading(call, OFFSET, *guess)
        return None

    def _clock_parameter(self, scope: Scope, name: str) -> str | None:
        """The clock an injectable clock parameter stands for (`time_func=time.time`,
        `utcnow=datetime.utcnow`): its own default, the default of an enclosing function's
        parameter a closure calls, or the default of the caller's parameter handed through
        (`self._attempt(..., utcnow)`)."""
        func = scope.node
        if not isinstance(func, cst.FunctionDef) or self.index.defs_for(scope, name):
            return None
        if name not in scope.params:
            for outer in self.enclosing.get(id(func), ()):
                if any(p.name.value == name for p in _all_params(outer)):
                    return is_clock_reference(self.qname, param_default(outer, name), WALL_CLOCK_CALLS)
            return None
        clock = is_clock_reference(self.qname, param_default(func, name), WALL_CLOCK_CALLS)
        if clock or param_default(func, name) is not None:
            return clock
        params = [p.name.value for p in (*func.params.posonly_params, *func.params.params)]
        if scope.cls is not None:
            params = params[1:]
        position = params.index(name) if name in params else None
        wanted = f"self.{func.name.value}" if scope.cls is not None else func.name.value
        found = None
        for caller in self.index.scopes:
            for call in caller.calls:
                if called_key(call) != wanted or (scope.cls is not None and caller.cls is not scope.cls):
                    continue
                value = _argument(call, name, position)
                if not (isinstance(value, cst.Name) and value.value in caller.params):
                    return None
                clock = is_clock_reference(self.qname, param_default(caller.node, value.value), WALL_CLOCK_CALLS)
                if clock is None:
                    return None
                found = clock
        return found

    def only_guessed_expiries(self, flow: Flow) -> bool:
        """Every reading behind the value is an imported helper known only by its expiry name:
        what it returns may be a stored value, so it is no in-process deadline evidence."""
        return bool(flow.calls) and all(self.readings.get(id(c), ("",))[0] == EXPIRY_GUESS for c in flow.calls)

    def _helper(self, call: cst.Call, helper: cst.FunctionDef) -> Flow | None:
        summary = self.summary(helper)
        if summary is None:
            return None
        kind, clock, confidence, roots = summary
        self.readings[id(call)] = (clock, confidence)
        # the deadline is armed inside the helper: that is where a fix starts
        return Flow(kind, (call,), roots if kind != WALL else (), frozenset())

    def summary(self, helper: cst.FunctionDef) -> tuple[str, str, str, tuple] | None:
        """(kind, clock, confidence) when every value the helper returns is the wall clock, a
        deadline or an elapsed time computed from it (a returned parameter or None aside)."""
        key = id(helper)
        if key in self._summaries:
            return self._summaries[key]
        self._summaries[key] = None  # recursion guard
        scope = next((s for s in self.index.scopes if s.node is helper), None)
        if scope is None:
            return None
        flows: list[tuple[Flow, cst.BaseExpression]] = []
        for value in returned_values(helper):
            if value is None or (isinstance(value, cst.Name) and (value.value == "None" or value.value in scope.params)):
                continue
            flow = self.flow(scope, value)
            if flow is None:
                return None
            flows.append((flow, value))
        kinds = {flow.kind for flow, _ in flows}
        if len(kinds) != 1:
            return None
        merged = _merge(kinds.pop(), *(flow for flow, _ in flows))
        clock = next((self.wall_name(c) for c in merged.calls if self.wall_name(c)), "time.time")
        roots = merged.roots if merged.kind == DURATION else _armed_at(flows)
        result = (merged.kind, clock, self.confidence(merged), roots)
        self._summaries[key] = result
        return result

    # --- flow of an expression ---------------------------------------------------------------
    def flow(self, scope: Scope, expr: cst.CSTNode, visiting: frozenset[str] = frozenset()) -> Flow | None:
        key = id(expr)
        if not visiting and key in self._memo:
            return self._memo[key]
        result = self._flow(scope, expr, visiting)
        if not visiting:
            self._memo[key] = result
        return result

    def _flow(self, scope: Scope, expr, visiting) -> Flow | None:
        if isinstance(expr, cst.Subscript):
            position = _int_index(expr)
            if position is not None:
                found = self.item_flow(scope, expr.value, position, visiting)
                if found is not None:
                    flow, element = found
                    if flow.kind == DURATION or flow.roots:
                        return flow
                    return Flow(flow.kind, flow.calls, ((flow.kind, element),), flow.syms)
        if isinstance(expr, cst.Subscript):
            key = string_key(expr)
            if key is not None:  # one field of a record, not whatever else the container holds
                return self.field_flow(f'["{key}"]', visiting)
        if isinstance(expr, cst.Attribute) and expr.attr.value in _TIMEDELTA_PARTS:
            inner = self.flow(scope, expr.value, visiting)
            if inner is not None and inner.kind == DURATION:
                return inner  # `(now - last).seconds`: a part of the elapsed time is still one
        if isinstance(expr, cst.Attribute) and expr.attr.value in _ARROW_EPOCHS:
            inner = self.flow(scope, expr.value, visiting)
            if inner is not None and inner.kind in (WALL, OFFSET):
                return inner  # arrow before 1.0: `arrow.utcnow().shift(hours=1).timestamp`, a property
        if isinstance(expr, cst.Attribute) and not _on_self(expr):
            return self.field_flow(f".{expr.attr.value}", visiting)
        if isinstance(expr, (cst.Name, cst.Attribute, cst.Subscript)):
            sym = sym_of(expr)
            if sym is None:
                return None
            return self.sym_flow(scope, sym, visiting)
        if isinstance(expr, cst.BooleanOperation):
            # `self.idle_since or datetime.now()`: a stamp set once, on first use
            flows = [f for f in (self.flow(scope, expr.left, visiting), self.flow(scope, expr.right, visiting)) if f]
            if flows and len({f.kind for f in flows}) == 1:
                return _merge(flows[0].kind, *flows)
            return None
        if isinstance(expr, cst.Call):
            if self.is_direct(expr):
                return Flow(WALL, (expr,), (), frozenset())
            indirect = self._indirect(scope, expr)
            if indirect is not None:
                return indirect
            func = expr.func
            if isinstance(func, cst.Attribute):
                attr = func.attr.value
                if attr in _PASS_METHODS or (attr == "encode" and not expr.args[1:]):
                    inner = self.flow(scope, func.value, visiting)  # `.encode()`: the bytes of a text
                    return _as_text(inner) if attr in _TEXT_METHODS or attr == "encode" else inner
                if attr in _SHIFT_METHODS and (expr.args or attr == "add"):
                    base = self.flow(scope, func.value, visiting)  # pendulum `.add(hours=1)`, arrow `.shift(...)`
                    if base is not None and base.kind != DURATION:
                        return _merge(OFFSET, base)
                if attr in ("get", "pop") and expr.args:
                    key = string_value(expr.args[0].value) if isinstance(expr.args[0].value, cst.SimpleString) else None
                    if key is not None:
                        return self.field_flow(f'["{key}"]', visiting)
                    container = sym_of(func.value)
                    if container is not None and not container.endswith("[]"):
                        return self.sym_flow(scope, f"{container}[]", visiting)
            name = self.qname(func) or ""
            if name in _SHIFT_FUNCS and expr.args:
                base = self.flow(scope, expr.args[0].value, visiting)  # Frappe `add_to_date(now_datetime(), hours=1)`
                if base is not None and base.kind != DURATION:
                    return _merge(OFFSET, base)
            if (last_part(name) in _PASS_FUNCS or _CONVERTER.match(last_part(name))) and expr.args:
                inner = self.flow(scope, expr.args[0].value, visiting)
                return _as_text(inner) if last_part(name) == "str" else inner
            if name in ("max", "min") and len(expr.args) == 2:
                # `max(user.expires_at, utcnow() + timedelta(days=30))`: an expiry extended from this
                # clock is still this clock's instant when that side wins
                flows = [f for f in (self.flow(scope, a.value, visiting) for a in expr.args) if f is not None]
                if len(flows) == 1 and flows[0].kind in (WALL, OFFSET):
                    return flows[0]
            return None
        if isinstance(expr, cst.BinaryOperation):
            return self._binary(scope, expr, visiting)
        if isinstance(expr, cst.IfExp):
            flows = [f for f in (self.flow(scope, expr.body, visiting), self.flow(scope, expr.orelse, visiting)) if f]
            if flows and len({f.kind for f in flows}) == 1:
                return _merge(flows[0].kind, *flows)
            return None
        if isinstance(expr, cst.Await):
            return self.flow(scope, expr.expression, visiting)
        return None

    def _binary(self, scope: Scope, expr: cst.BinaryOperation, visiting) -> Flow | None:
        left = self.flow(scope, expr.left, visiting)
        right = self.flow(scope, expr.right, visiting)
        op = expr.operator
        if isinstance(op, cst.Add):
            if left and right:
                return None
            one = left or right
            if one is None:
                return None
            return _merge(DURATION if one.kind == DURATION else OFFSET, one)
        if isinstance(op, cst.Subtract):
            if left and right:
                if left.kind != DURATION and right.kind != DURATION:
                    return _merge(DURATION, left, right)
                return None
            if left is not None:
                return _merge(DURATION if left.kind == DURATION else OFFSET, left)
            if right is not None and right.kind == DURATION:
                return right  # `LIMIT - (now - started)`: the time left, as clock-free as the elapsed time
            return None  # unknown - clock: e.g. a token's `exp` minus now; origin not ours
        if isinstance(op, (cst.Multiply, cst.Divide, cst.FloorDivide)):
            if left and right:
                return None
            one = left or right
            other = expr.right if left else expr.left
            if one is not None and one.kind == OFFSET and _stamp_difference(self, scope, expr.left if left else expr.right, visiting) \
                    and not isinstance(other, (cst.Integer, cst.Float)):
                # `(now - last) * rate`: an instant is never scaled by a rate, so this is the time
                # elapsed since a stamp we cannot see (a token bucket's refill)
                return _merge(DURATION, one)
            return one  # milliseconds of a reading are still a reading
        return None

    def item_flow(self, scope: Scope, node, position: int, visiting: frozenset[str], depth: int = 0):
        """(flow, element) of the `position`-th item of a tuple a value holds: the TTL store that
        keeps `(value, time.time() + ttl)` per key and unpacks it on read."""
        if depth > 3:
            return None
        if isinstance(node, (cst.Tuple, cst.List)):
            elements = node.elements
            if position < len(elements) and not any(isinstance(e, cst.StarredElement) for e in elements):
                element = elements[position].value
                flow = self.flow(scope, element, visiting)
                return (flow, element) if flow is not None else None
            return None
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in ("get", "pop", "setdefault"):
            container = sym_of(node.func.value)
            sym = f"{container}[]" if container is not None and not container.endswith("[]") else None
        elif isinstance(node, cst.Await):
            return self.item_flow(scope, node.expression, position, visiting, depth + 1)
        else:
            sym = sym_of(node) if isinstance(node, (cst.Name, cst.Attribute, cst.Subscript)) else None
        if sym is None or _visit_key(scope, sym) in visiting:
            return None
        inner = visiting | {_visit_key(scope, sym)}
        found = []
        for d in self.index.defs_for(scope, sym):
            if d.value is None or d.augmented:
                continue
            item = self.item_flow(d.scope or scope, d.value, position, inner, depth + 1)
            if item is not None:
                found.append(item)
        if not found or len({flow.kind for flow, _ in found}) != 1:
            return None
        return _merge(found[0][0].kind, *(flow for flow, _ in found)), found[0][1]

    def sym_flow(self, scope: Scope, sym: str, visiting: frozenset[str]) -> Flow | None:
        if _visit_key(scope, sym) in visiting:
            return None
        defs = self.index.defs_for(scope, sym)
        if not defs:
            if sym in scope.params and isinstance(scope.node, cst.FunctionDef):
                return self.param_flow(scope, sym, visiting)
            if sym.startswith("self.") and sym.count(".") == 1 and not _owned(self.text, "." + sym[5:]):
                return self.project_stamp("." + sym[5:], sym)  # a base class in another module stamps it
            outer = self._closure_scope(scope, sym)
            # a closure reads the enclosing function's variable (`first = time.time()` outside,
            # `first + timeout - time.time()` in the nested helper)
            return self.sym_flow(outer, sym, visiting | {sym + "@inner"}) if outer is not None else None
        inner = visiting | {_visit_key(scope, sym)}
        flows: list[tuple[Flow, cst.BaseExpression]] = []
        moved = False
        for d in defs:
            if d.value is None and d.unpacked is not None and d.unpacked[1] == ITERATED:
                table = iterated_table(d.unpacked[0])
                flow = self.sym_flow(d.scope or scope, table[0], inner) if table is not None else None
                if flow is not None:
                    flows.append((flow, None))  # armed where the table's entries were stored
                continue
            if d.value is None and d.unpacked is not None:
                item = self.item_flow(d.scope or scope, d.unpacked[0], d.unpacked[1], inner)
                if item is not None:
                    flows.append(item)
                continue
            if d.augmented and _moves_by(d) and d.value is not None and self.flow(d.scope or scope, d.value, inner) is None:
                moved = True  # `deadline = time.time()` then `deadline += timeout`: armed in two steps
                continue
            if d.augmented or d.value is None or is_neutral(d.value):
                continue
            flow = self.flow(d.scope or scope, d.value, inner)
            if flow is not None:
                flows.append((flow, d.value))
        if not flows:
            return None
        kinds = {flow.kind for flow, _ in flows}
        if moved and kinds == {WALL}:
            kinds = {OFFSET}
        if kinds == {WALL, OFFSET}:
            # `next_try = time.time()` then `next_try = time.time() + backoff`: a deadline that
            # starts out already due. The roots keep their own kinds so only offsets are reported.
            kind = OFFSET
        elif len(kinds) != 1:
            return None
        else:
            kind = kinds.pop()
        merged = _merge(kind, *(flow for flow, _ in flows))
        roots = merged.roots if kind == DURATION else _armed_at(flows)
        return Flow(kind, merged.calls, roots, merged.syms | {sym})

    def _closure_scope(self, scope: Scope, sym: str) -> Scope | None:
        """The indexed enclosing function that binds a free variable of a nested one."""
        if "." in sym or "[" in sym or not isinstance(scope.node, cst.FunctionDef):
            return None
        for outer in self.enclosing.get(id(scope.node), ()):
            found = next((s for s in self.index.scopes if s.node is outer), None)
            if found is None:
                return None
            if sym in found.params:
                return None
            if found.defs.get(sym):
                return found
        return None

    # --- values that cross functions ------------------------------------------------------------
    def field_flow(self, field_name: str, visiting: frozenset[str]) -> Flow | None:
        """A record field read off another object (`task.retry`, `job["run_at"]`) when every write
        of that field in the file is a clock value: the scheduler that stamps `task.retry =
        time.time() + delay` in one method and checks `task.retry < time.time()` in another."""
        sym = "*" + field_name
        if sym in visiting:
            return None
        writes = self._field_writes().get(field_name, [])
        if not writes:
            return self.project_stamp(field_name, sym)
        if field_name not in self._spelled:
            self._spelled[field_name] = _written_in_text(self.text, field_name) if _owned(self.text, field_name) else -1
        if self._spelled[field_name] < 0:
            return self.project_stamp(field_name, sym)  # the record is shaped in another module
        if len(writes) < self._spelled[field_name]:
            return None  # some write is in code we did not index: its value is unknown
        inner = visiting | {sym}
        flows: list[tuple[Flow, cst.BaseExpression]] = []
        for scope, value in writes:
            if is_neutral(value):
                continue
            flow = self.flow(scope, value, inner)
            if flow is None:
                return None
            flows.append((flow, value))
        return self._combine(flows, sym)

    def project_stamp(self, field_name: str, sym: str) -> Flow | None:
        """A field every write of which, across the project, reads this clock (the sweep in one
        module, `player.last_recv_time = time.time()` in another): a stamp with no reading in view."""
        stamps = getattr(self.project.index, "field_stamps", None) if self.project is not None else None
        stamp = stamps.get(field_name[1:]) if stamps and field_name.startswith(".") else None
        if stamp is None:
            return None
        markers = {PROJECT_STAMP, PROJECT_STAMP + field_name[1:]} | ({PERSISTED_STAMP} if stamp.persisted else set())
        return Flow(stamp.kind, (), (), frozenset({sym, *markers}))

    def _field_writes(self) -> dict[str, list[tuple[Scope, cst.BaseExpression]]]:
        if self._fields is None:
            fields: dict[str, list[tuple[Scope, cst.BaseExpression]]] = {}
            for scope in self.index.scopes:
                for target, value in scope.attr_assigns:
                    fields.setdefault("." + target.attr.value, []).append((scope, value))
                for key, value in scope.key_assigns:
                    fields.setdefault(f'["{key}"]', []).append((scope, value))
            self._fields = fields
        return self._fields

    def param_flow(self, scope: Scope, name: str, visiting: frozenset[str]) -> Flow | None:
        """A parameter every caller in the file passes a clock value to: `now = utc_now()` handed
        to the helper method that does the comparison."""
        func = scope.node
        tag = f"{id(func)}:{name}"
        if tag in visiting:
            return None
        params = [p.name.value for p in (*func.params.posonly_params, *func.params.params)]
        if scope.cls is not None:
            params = params[1:]  # self / cls
        position = params.index(name) if name in params else None
        callee = func.name.value
        inner = visiting | {tag}
        flows: list[tuple[Flow, cst.BaseExpression]] = []
        for caller in self.index.scopes:
            for call in caller.calls:
                key = called_key(call)
                wanted = f"self.{callee}" if scope.cls is not None else callee
                if key != wanted or (scope.cls is not None and caller.cls is not scope.cls):
                    continue
                value = _argument(call, name, position)
                if value is None:
                    return None
                flow = self.flow(caller, value, inner)
                if flow is None:
                    return None
                flows.append((flow, value))
        if not flows or len(flows) < _called_in_text(self.text, callee, scope.cls is not None):
            return None
        combined = self._combine(flows, name)
        if combined is None or combined.kind == DURATION:
            return combined
        merged = _merge(combined.kind, *(flow for flow, _ in flows))
        return Flow(combined.kind, merged.calls, merged.roots, merged.syms | {name})

    @staticmethod
    def _combine(flows: list[tuple[Flow, cst.BaseExpression]], sym: str) -> Flow | None:
        if not flows:
            return None
        kinds = {flow.kind for flow, _ in flows}
        if kinds == {WALL, OFFSET}:
            kind = OFFSET
        elif len(kinds) != 1:
            return None
        else:
            kind = kinds.pop()
        merged = _merge(kind, *(flow for flow, _ in flows))
        roots = merged.roots if kind == DURATION else _armed_at(flows)
        return Flow(kind, merged.calls, roots, merged.syms | {sym})

    def sym_is_pure(self, scope: Scope, sym: str) -> bool:
        """Every binding of `sym` is ours (clock-derived or a neutral placeholder)."""
        if sym in scope.params or sym in scope.outer:
            return False
        for d in self.index.defs_for(scope, sym):
            if d.augmented:
                continue
            if d.value is None:
                return False
            if is_neutral(d.value):
                continue
            if self.flow(d.scope or scope, d.value) is None:
                return False
        return True


def _visit_key(scope: Scope, sym: str) -> str:
    """What the recursion guard remembers: a local name per function (two methods may both call
    a variable `exp_time`, one reading the table the other fills), attributes and table slots
    per file (their writes are shared by every method)."""
    return sym if "." in sym or "[" in sym else f"{sym}@{id(scope.node)}"


# --- one analysis per file, shared by the clock rules -----------------------------------------
_SHARED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class ClockMarker(FunctionTracker, PythonRule):
    """Base of the clock rules: during the batched pass, note which functions read the wall
    clock (and their classes); only those are indexed afterwards."""

    TRIGGERS = CLOCK_TRIGGER

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._init_functions()
        self._marked_classes: dict[int, cst.ClassDef] = {}
        self._marked: dict[int, cst.FunctionDef] = {}
        self._module_marked = False
        self._module_values: dict[str, cst.BaseExpression] = {}
        self._top_functions: dict[str, cst.FunctionDef] = {}
        self._enclosing: dict[int, list[cst.FunctionDef]] = {}
        # Functions that call something that may read the clock under another name.
        self._candidates: dict[int, cst.FunctionDef] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self._stack:
            self._top_functions[node.name.value] = node
        outer = [frame for frame in reversed(self._stack) if isinstance(frame, cst.FunctionDef)]
        if outer:
            self._enclosing[id(node)] = outer
        super().visit_FunctionDef(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self._stack:  # module constants, e.g. SQL text used by the functions below
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self._module_values[target.target.value] = node.value

    def visit_Call(self, node: cst.Call) -> None:
        if not reads_wall_clock(self.qname, node):
            if self._stack and (_may_read_indirectly(node) or library_reading(self.qname, node)
                                or age_check(self.qname, node)):
                frame = self._innermost_function()
                if frame is not None:
                    self._candidates[id(frame)] = frame
            return
        for frame in reversed(self._stack):
            if isinstance(frame, cst.FunctionDef):
                self._marked[id(frame)] = frame
                owner = self._functions[id(frame)][1]
                if owner is not None:
                    self._marked_classes[id(owner)] = owner
                return
        self._module_marked = True

    def _innermost_function(self) -> cst.FunctionDef | None:
        for frame in reversed(self._stack):
            if isinstance(frame, cst.FunctionDef):
                return frame
        return None

    def shared(self) -> "ClockResults":
        results = _SHARED.get(self.ctx)
        if results is None:
            results = self._analyse()
            _SHARED[self.ctx] = results
        return results

    def _analyse(self) -> "ClockResults":
        from ._clock_deadlines import find_deadlines
        from ._clock_exports import find_exported
        from ._clock_flow import find_flow_sinks
        from ._clock_held_ages import find_held_ages
        from ._clock_slot_expiries import find_slot_expiries
        from ._clock_table_sweeps import find_table_sweeps
        from ._clock_ttl_buckets import find_ttl_buckets
        from ._clock_sinks import find_sinks

        index = ScopeIndex()
        done: set[int] = set()
        for cls_id, cls in self._marked_classes.items():
            for method in self._class_methods.get(cls_id, []):
                done.add(id(method))
                index.add_function(method, cls)
        for func_id, func in self._marked.items():
            if func_id not in done:
                index.add_function(func, self._functions[func_id][1])
        if self._module_marked:
            index.add_module_code(self.ctx.module)
        analysis = ClockAnalysis(self.qname, index)
        analysis.module_values = self._module_values
        analysis.text = self.ctx.text
        analysis.module_functions = {name: f for name, f in self._top_functions.items() if id(f) in done or id(f) in self._marked}
        analysis.imported = frozenset(self.ctx.imports) | _relative_imports(self.ctx.module)
        analysis.enclosing = self._enclosing
        analysis.project = self.ctx.project_view()
        for cls_id, methods in self._class_methods.items():
            analysis.class_methods[cls_id] = {m.name.value: m for m in methods}
        for _func, owner in self._functions.values():
            if owner is not None and owner.name.value not in analysis.imported:
                analysis.class_named.setdefault(owner.name.value, id(owner))
        self._index_callers(index, analysis, done)
        sinks, ages = find_sinks(analysis, self.ctx)
        persisted = {id(call) for sink in sinks if id(sink.node) not in ages for call in sink.flow.calls}
        deadlines = find_deadlines(analysis, self.ctx, persisted)
        judged = {id(deadline.check) for deadline in deadlines}
        sinks = [sink for sink in sinks if id(ages.get(id(sink.node))) not in judged]
        deadlines, returning = _split_round_trips(analysis, deadlines, {id(sink.node) for sink in sinks})
        sinks += returning
        taken = {id(sink.node) for sink in sinks} | {id(deadline.node) for deadline in deadlines}
        sinks += find_exported(analysis, self._top_functions, taken)
        # the general flow runs last and speaks only for readings no named form reported
        covered = {id(call) for found in (*sinks, *deadlines) for call in found.flow.calls}
        sinks += find_flow_sinks(analysis, self.ctx, covered, taken)
        # then readings checked against an instant held where this function cannot see it made:
        # an instant named for when it lapses by default; any held instant aged by an amount only
        # in preview, where cache and throttle look-alikes keep its noise above the bar (README,
        # "Preview forms")
        held_deadlines, held_sinks = find_held_ages(analysis, self.ctx, covered, taken, self.ctx.settings.preview)
        deadlines, sinks = deadlines + held_deadlines, sinks + held_sinks
        # and this object's own tables of instants, swept by its own methods (writer in view)
        deadlines += find_table_sweeps(analysis, getattr(self.ctx, "path", ""), covered, taken)
        # and a memo's key bucketed from this clock (`round(time.time() / ttl)` into an lru_cache)
        deadlines += find_ttl_buckets(analysis, self.ctx, covered, taken)
        # then expiries written into a slot of a record that is then handed on (the finders above
        # added what they reported to `covered` and `taken`)
        sinks += find_slot_expiries(analysis, self.ctx, covered, taken)
        return ClockResults(deadlines, sinks, analysis)


    def _index_callers(self, index: ScopeIndex, analysis: "ClockAnalysis", done: set[int]) -> None:
        """Index the functions that read the clock only through a helper, an alias or a clock
        object (with every method of their class, whose attributes they share)."""
        added = False
        for func_id, func in self._candidates.items():
            if func_id in done:
                continue
            owner = self._functions[func_id][1]
            methods = self._class_methods.get(id(owner), []) if owner is not None else [func]
            for method in methods:
                if id(method) not in done:
                    done.add(id(method))
                    index.add_function(method, owner)
                    added = True
        if added:
            analysis.forget()


def _split_round_trips(analysis: "ClockAnalysis", deadlines: list, taken: set[int]):
    """Comparisons whose stamp was written out as text and read back (a Redis list of
    `str(time.time())`, a lease end serialised with `strftime` into a coordination node) are
    ARM104's: other processes, with other clocks, wrote some of those values."""
    from ._clock_sinks import Sink, enclosing_query

    kept, sinks, seen = [], [], set(taken)
    for deadline in deadlines:
        # a column another module stamps, compared in a query or read off a row: the rows were
        # stamped by every node that wrote them (`Model.updated_at_in_seconds <= time.time() - 60`)
        queried = PROJECT_STAMP in deadline.flow.syms and (
            PERSISTED_STAMP in deadline.flow.syms or enclosing_query(analysis, deadline.check) is not None)
        if not (round_trip(deadline.flow) or queried):
            kept.append(deadline)
            continue
        check = deadline.check
        if id(check) in seen:
            continue
        seen.add(id(check))
        scope = deadline.scope
        stored = _stored_operand(analysis, scope, check)
        detail = cst.Module([]).code_for_node(stored) if stored is not None else "value"
        # a queried column is reported where the reading is taken, where the fix (`func.now()`) goes
        sinks.append(Sink(deadline.node if queried else check, deadline.flow, "stored", detail))
    return kept, sinks


def _stored_operand(analysis: "ClockAnalysis", scope: Scope, node: cst.CSTNode) -> cst.CSTNode | None:
    """The smallest operand of a comparison that holds the value read back from storage."""
    stack = [node]
    while stack:
        current = stack.pop(0)
        if isinstance(current, (cst.Call, cst.Name, cst.Attribute, cst.Subscript)):
            flow = analysis.flow(scope, current)
            kept = flow is not None and (round_trip(flow) or PROJECT_STAMP in flow.syms and not flow.calls)
            if kept and not (isinstance(current, cst.Call) and analysis.is_direct(current)):
                return current
        if isinstance(current, (cst.Comparison, cst.ComparisonTarget, cst.BinaryOperation)):
            stack.extend(current.children)
    return None


def _may_read_indirectly(call: cst.Call) -> bool:
    """Cheap filter for calls `ClockAnalysis._indirect` might resolve."""
    func = call.func
    if isinstance(func, cst.Name):
        return func.value not in _BUILTINS
    if isinstance(func, cst.Attribute):
        if isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
            return True
        receiver = func.value
        name = receiver.attr.value if isinstance(receiver, cst.Attribute) else receiver.value if isinstance(receiver, cst.Name) else ""
        if _EXPIRY_ATTR.search(func.attr.value):
            return True
        return not call.args and bool(_INDIRECT_ATTR.search(func.attr.value) or _INDIRECT_ATTR.search(name))
    return False


_BUILTINS = frozenset(
    {"int", "float", "str", "len", "isinstance", "print", "range", "list", "dict", "set", "tuple", "bool", "min",
     "max", "round", "sorted", "getattr", "setattr", "hasattr", "super", "type", "repr", "enumerate", "zip", "any",
     "all", "sum", "abs", "iter", "next", "open", "format", "id", "hash", "map", "filter", "vars", "callable"}
)
_INDIRECT_ATTR = re.compile(r"now|time|clock|millis|_ms$|_ts$|epoch|^_?reactor$", re.IGNORECASE)
_EXPIRY_ATTR = re.compile(r"expir|deadline|valid_until", re.IGNORECASE)


def _as_text(flow: Flow | None) -> Flow | None:
    if flow is None:
        return None
    return Flow(flow.kind, flow.calls, flow.roots, flow.syms | {AS_TEXT})


def round_trip(flow: Flow) -> bool:
    """The value was written as text and is compared again: it went through storage."""
    return AS_TEXT in flow.syms


def _stamp_difference(analysis: "ClockAnalysis", scope: Scope, node, visiting) -> bool:
    """`now - last` where `last` is a variable or field of unknown origin (not a literal amount)."""
    if not (isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Subtract)):
        return False
    subtrahend = node.right
    if not isinstance(subtrahend, (cst.Name, cst.Attribute, cst.Subscript)):
        return False
    left = analysis.flow(scope, node.left, visiting)
    return left is not None and left.kind == WALL and analysis.flow(scope, subtrahend, visiting) is None


def _armed_at(flows) -> tuple:
    """Where each binding was armed: a copy of another variable (`expires = max_caching_time`,
    `"run_at": ea`) was armed where that variable was; a value a same-file helper returned
    (`msg_expire = self._message_expiry(m)`) was armed inside the helper."""
    roots: dict[int, tuple[str, cst.BaseExpression]] = {}
    for flow, value in flows:
        copied = value is None or isinstance(value, cst.Name) or (isinstance(value, cst.Call) and flow.calls == (value,))
        for root in flow.roots if copied and flow.roots else ((flow.kind, value),):
            roots.setdefault(id(root[1]), root)
    return tuple(roots.values())


def _moves_by(d) -> bool:
    """`x += amount`: the binding moves what `x` holds ahead, as a deadline is armed. Stepping a
    reading back (`ts -= period` to walk earlier windows) makes no deadline."""
    return isinstance(d.stmt, cst.AugAssign) and isinstance(d.stmt.operator, cst.AddAssign)


def _on_self(node: cst.Attribute) -> bool:
    return isinstance(node.value, cst.Name) and node.value.value in ("self", "cls")


def _all_params(func: cst.FunctionDef):
    params = func.params
    return (*params.posonly_params, *params.params, *params.kwonly_params)


def _argument(call: cst.Call, name: str, position: int | None) -> cst.BaseExpression | None:
    positional = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is not None:
            if arg.keyword.value == name:
                return arg.value
            continue
        if positional == position:
            return arg.value
        positional += 1
    return None


_COMMENT_LINE = re.compile(r"^[ \t]*#[^\n]*", re.MULTILINE)


def _written_in_text(text: str, field_name: str) -> int:
    """How many writes of a field the source spells (`.retry =`, `["run_at"] =`, `"run_at":`)."""
    if field_name.startswith("."):
        pattern = rf"\.{re.escape(field_name[1:])}\s*(?::[^=\n]*)?=(?!=)"
    else:
        key = re.escape(field_name[2:-2])
        pattern = rf"\[\s*['\"]{key}['\"]\s*\]\s*=(?!=)|['\"]{key}['\"]\s*:"
    # placeholders (`self.retry = None` in a constructor we did not index) hold no clock
    pattern = rf"(?:{pattern})(?!\s*(?:None|False|0|0\.0)\s*(?:[,}}#\n]|$))"
    # a write commented out (`#self.timeo = time.time() + 1.0`) is no write the index missed
    return len(re.findall(pattern, _COMMENT_LINE.sub("", text)))


def _owned(text: str, field_name: str) -> bool:
    """The record is shaped in this file: a class here sets the attribute (`self.retry = ...`,
    a dataclass field), or code here writes the key. Otherwise writes elsewhere in the project
    (`cron_job.calculate_next()` in another module) are unseen."""
    if field_name.startswith("."):
        name = re.escape(field_name[1:])
        pattern = rf"\bself\.{name}\s*(?::[^=\n]*)?=(?!=)|^[ \t]+{name}\s*:\s*[^,=\n]+(?:=[^\n]*)?$"
    else:
        key = re.escape(field_name[2:-2])
        pattern = rf"['\"]{key}['\"]\s*:|\[\s*['\"]{key}['\"]\s*\]\s*=(?!=)"
    return re.search(pattern, text, re.MULTILINE) is not None


def _called_in_text(text: str, callee: str, method: bool) -> int:
    if method:
        return len(re.findall(rf"\.{re.escape(callee)}\s*\(", text))
    return len(re.findall(rf"(?<![\w.]){re.escape(callee)}\s*\(", text)) - len(
        re.findall(rf"\bdef\s+{re.escape(callee)}\s*\(", text)
    )


def _relative_imports(module: cst.Module) -> frozenset[str]:
    """Names bound by `from .x import y` at module level (the import table leaves them out)."""
    names: set[str] = set()
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.ImportFrom) and small.relative and not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        names.add(alias.asname.name.value)
                    elif isinstance(alias.name, cst.Name):
                        names.add(alias.name.value)
    return frozenset(names)


@dataclass
class ClockResults:
    deadlines: list  # _clock_deadlines.Deadline
    sinks: list  # _clock_sinks.Sink
    analysis: "ClockAnalysis"

    def confidence(self, flow: Flow) -> str:
        return self.analysis.confidence(flow)


def is_logging_call(qname, call: cst.Call) -> bool:
    name = qname(call.func) or ""
    return bool(_LOG_CALL.search(name))


def ordering_pairs(comparison: cst.Comparison):
    """(left, operator, right) for each `<`, `>`, `<=`, `>=` link of a (chained) comparison."""
    left = comparison.left
    for target in comparison.comparisons:
        if isinstance(target.operator, _ORDERING):
            yield left, target.operator, target.comparator
        left = target.comparator
