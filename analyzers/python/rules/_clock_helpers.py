"""Readings of the wall clock that do not spell `time.time()`: a function or method of the same
module that returns the wall clock (or a deadline computed from it), a module alias
(`utcnow = datetime.datetime.utcnow`), an injected clock (`self._clock = clock or time.time`,
`self.clock.now()`), and helpers imported from the project whose name says what they return
(`now_ms()`, `utcnow()`, `from app.metrics import time`).

Helper definitions are followed one level: the helper itself must read a clock directly. A
helper known only by its name is reported with medium confidence."""
from __future__ import annotations

import re

import libcst as cst

# Names project helpers give the current time. `monotonic` anywhere in a name rules it out.
HELPER_NAME = re.compile(
    r"^_?(?:get_?)?(?:(?:utc_?)?now|now_?utc)(?:_?(?:ms|millis|ns|us|ts|seconds|secs|sec|s|dt|datetime|timestamp))?$|"
    r"^_?(?:get_?)?(?:current|unix|epoch|wall)_?(?:time|timestamp|ts|millis|ms|seconds)(?:_?(?:ms|millis|ns|s))?$|"
    r"^_?(?:timestamp|time|epoch|unix)_?(?:ms|millis|ns|us|seconds|secs)$|^_?(?:epoch_?millis|millis|time)$"
)
# Libraries whose `now()`/`time()` is not this process's wall clock: the database's clock
# (SQLAlchemy `func.now`), event-loop and trio/anyio monotonic clocks, test freezers.
_NOT_WALL_ROOTS = frozenset(
    {"sqlalchemy", "sqlmodel", "peewee", "pony", "tortoise", "asyncio", "trio", "anyio", "tornado", "twisted",
     "curio", "uvloop", "freezegun", "time_machine", "pandas", "numpy", "timeit"}
)
# A clock object: `self.clock.now()`, `clock.utcnow()`, `self._clock.time()`.
_CLOCK_OBJECT = re.compile(r"(?:^|[._])(?:wall_?)?clock$|(?:^|[._])time_?source$", re.IGNORECASE)
# Twisted's reactor (and the IReactorTime clocks injected in its place) tells time with
# `seconds()`, which is `time.time()` unless a test swaps in `task.Clock`.
_REACTOR = re.compile(r"^_?reactor$", re.IGNORECASE)
_DATETIME_METHODS = frozenset({"now", "utcnow", "today"})
_SECONDS_METHODS = frozenset({"time", "timestamp", "time_ns"})
HIGH, MEDIUM = "high", "medium"


def called_key(call: cst.Call) -> str | None:
    """How a call names its callee, for helper lookup: `f` or `self.f`."""
    func = call.func
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
        return f"self.{func.attr.value}"
    return None


# Clock functions of shared libraries whose options change only the form of the value, never the
# clock: OpenStack's oslo.utils `timeutils.utcnow(with_timezone=True)` (an aware datetime) and
# `timeutils.utcnow_ts(microsecond=True)` (epoch seconds). Called bare they were already known by
# their name; their argument made them look like conversions of a value the caller passed.
_LIBRARY_CLOCKS = {
    "oslo_utils.timeutils.utcnow": ("datetime.datetime.utcnow", frozenset({"with_timezone"})),
    "oslo_utils.timeutils.utcnow_ts": ("time.time", frozenset({"microsecond"})),
    # hivemind's "global (weakly synchronized) time" is `time.time` under another name; DHT
    # records carry `get_dht_time() + ttl` as their expiration, judged by every peer's own clock
    "hivemind.get_dht_time": ("time.time", frozenset()),
    "hivemind.utils.get_dht_time": ("time.time", frozenset()),
    "hivemind.utils.timed_storage.get_dht_time": ("time.time", frozenset()),
}


# oslo.utils age checks read the wall clock inside and answer with a bool:
# `is_older_than(before, seconds)` is `utcnow() - before > seconds`, `is_newer_than(after, seconds)`
# is `after - utcnow() > seconds`. Their value is no instant, so they are not readings a flow
# carries; functions calling them are indexed, and _clock_params_age judges the stamp they age.
AGE_CHECKS = frozenset({"oslo_utils.timeutils.is_older_than", "oslo_utils.timeutils.is_newer_than"})


def age_check(qname, call: cst.Call) -> bool:
    """`timeutils.is_older_than(stamp, seconds)`: this node's clock against a stamp, inside."""
    return qname(call.func) in AGE_CHECKS and len(call.args) == 2 and not any(arg.star for arg in call.args)


def library_reading(qname, call: cst.Call) -> tuple[str, str] | None:
    """(clock, confidence) of a shared library's clock function, called with nothing but its
    form option (one keyword of that name, or one positional flag)."""
    entry = _LIBRARY_CLOCKS.get(qname(call.func) or "")
    if entry is None:
        return None
    clock, options = entry
    if len(call.args) > 1:
        return None
    for arg in call.args:
        if arg.star or (arg.keyword is not None and arg.keyword.value not in options):
            return None
    return clock, HIGH


def clock_object_reading(call: cst.Call) -> tuple[str, str] | None:
    """(clock it stands for, confidence) for `<...>.clock.now()`-like calls."""
    func = call.func
    if not isinstance(func, cst.Attribute) or call.args:
        return None
    receiver = func.value
    name = receiver.attr.value if isinstance(receiver, cst.Attribute) else receiver.value if isinstance(receiver, cst.Name) else None
    if name is not None and func.attr.value == "seconds" and (_REACTOR.search(name) or _CLOCK_OBJECT.search(name)):
        return "time.time", HIGH
    if name is None or not _CLOCK_OBJECT.search(name) or "monotonic" in name.lower():
        return None
    if func.attr.value in _DATETIME_METHODS:
        return "datetime.datetime.now", HIGH
    if func.attr.value in _SECONDS_METHODS:
        return "time.time", MEDIUM  # some injected clocks are monotonic
    return None


def guessed_reading(qname: str | None, local_defs: set[str]) -> tuple[str, str] | None:
    """A bare call to an imported (or relatively imported) helper named like a clock reading."""
    if not qname or qname in local_defs:
        return None
    root, _, _ = qname.partition(".")
    last = qname.rsplit(".", 1)[-1]
    if root in _NOT_WALL_ROOTS or "monotonic" in last.lower() or root in ("time", "datetime", "self", "cls"):
        return None
    if not HELPER_NAME.match(last):
        return None
    clock = "datetime.datetime.now" if "now" in last.lower() and not re.search(r"ms|millis|ns|us|ts|sec|stamp", last) else "time.time"
    return clock, MEDIUM


# Imported helpers whose name says they compute an instant when something lapses
# (`get_attempt_expiration(request)`, `compute_expiry_date()`, `token_deadline()`). Their body
# is in another module; almost always it is `now() + lifetime`. Ages and checks (`get_expiry_age`,
# `is_expired`, `check_expiration`) are not instants.
_EXPIRY_HELPER = re.compile(
    r"^_?(?:(?:get|compute|calc|calculate|make|new|build|default|next)_)?(?:\w+_)?"
    r"(?:expiration(?:_(?:date|time|datetime|at))?|expiry_(?:date|time|datetime|at)|expires_(?:at|on)|"
    r"expire_(?:at|time)|deadline|valid_until)$",
    re.IGNORECASE,
)
_NOT_COMPUTED = re.compile(r"^_?(?:is|has|check|validate|verify|parse|read|load|format|clean)_", re.IGNORECASE)
EXPIRY_GUESS = "imported expiry helper"


def guessed_expiry(qname: str | None) -> tuple[str, str] | None:
    """An imported helper named like an expiry it computes: an OFFSET known only by its name."""
    if not qname:
        return None
    root, _, _ = qname.partition(".")
    last = qname.rsplit(".", 1)[-1]
    if root in _NOT_WALL_ROOTS or root in ("time", "datetime", "self", "cls"):
        return None
    if _NOT_COMPUTED.match(last) or not _EXPIRY_HELPER.match(last):
        return None
    return EXPIRY_GUESS, MEDIUM


def returned_values(func: cst.FunctionDef) -> list[cst.BaseExpression | None]:
    """Values of the function's own `return` statements (nested defs excluded)."""
    found: list[cst.BaseExpression | None] = []
    stack: list[cst.CSTNode] = [func.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Return):
            found.append(node.value)
            continue
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, (cst.BaseExpression,)):
            continue  # returns only stand in statements
        stack.extend(node.children)
    return found


def is_clock_reference(qname, node: cst.CSTNode | None, wall_calls) -> str | None:
    """The clock a value names without calling it: `time.time`, `clock or time.time`."""
    if node is None:
        return None
    if isinstance(node, (cst.Name, cst.Attribute)):
        name = qname(node)
        return name if name in wall_calls else None
    if isinstance(node, cst.BooleanOperation):
        return is_clock_reference(qname, node.left, wall_calls) or is_clock_reference(qname, node.right, wall_calls)
    if isinstance(node, cst.IfExp):
        return is_clock_reference(qname, node.body, wall_calls) or is_clock_reference(qname, node.orelse, wall_calls)
    return None


def param_default(func: cst.CSTNode, name: str) -> cst.BaseExpression | None:
    if not isinstance(func, cst.FunctionDef):
        return None
    params = func.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.name.value == name:
            return param.default
    return None


# --- clocks a class holds for its methods ---------------------------------------------------
# `now = staticmethod(utcnow)` in a mixin, called as `cls.now()` by the models that inherit it.
_WRAPPERS = frozenset({"staticmethod", "partial", "functools.partial"})


def unwrap_alias(node: cst.BaseExpression | None) -> cst.BaseExpression | None:
    """The function a class or module attribute stands for: `staticmethod(f)` and
    `partial(f, key=value)` (keyword arguments only: positional ones change what is called)
    call `f` with no positional argument of the caller's."""
    while isinstance(node, cst.Call) and node.args and node.args[0].keyword is None and node.args[0].star == "":
        name = _dotted(node.func)
        if name not in _WRAPPERS or any(a.keyword is None for a in node.args[1:]):
            return node
        node = node.args[0].value
    return node


def _dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr.value}" if head else None
    return None


def class_attribute(cls: cst.ClassDef, name: str) -> cst.BaseExpression | None:
    """The value a class body assigns to `name` (`now = staticmethod(utcnow)`)."""
    if not isinstance(cls.body, cst.IndentedBlock):
        return None
    found = None
    for stmt in cls.body.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign) and any(
                isinstance(t.target, cst.Name) and t.target.value == name for t in small.targets
            ):
                found = small.value
            elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.target.value == name:
                found = small.value
    return found


def _module_classes(analysis) -> dict[str, cst.ClassDef]:
    """The file's top-level classes, known through the project view (the CLI, the bench and the
    App always build one); without it only the calling class itself is read."""
    module = getattr(analysis.project, "module", None)
    if not isinstance(module, cst.Module):
        return {}
    return {stmt.name.value: stmt for stmt in module.body if isinstance(stmt, cst.ClassDef)}


def inherited_reading(analysis, scope, call: cst.Call, name: str):
    """`cls.now()` / `self._now()` resolved through the class: an attribute of its body that
    names a clock or a clock helper, or a method or attribute of a base class of the module; a
    base imported from another module is looked up in the project index. The nearest definition
    wins, as in Python's attribute lookup (a non-clock override is no reading)."""
    cls = scope.cls
    if cls is None:
        return None
    classes = _module_classes(analysis)
    todo, seen = [cls], set()
    while todo:
        node = todo.pop(0)
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node is not cls:
            method = analysis.class_methods.get(id(node), {}).get(name)
            if method is not None:
                return analysis._helper(call, method)
        value = class_attribute(node, name)
        if value is not None:
            return _alias_reading(analysis, call, value)
        for base in node.bases:
            if base.keyword is not None:
                continue
            if isinstance(base.value, cst.Name) and base.value.value in classes:
                todo.append(classes[base.value.value])
            elif analysis.project is not None:
                qualified = analysis.project.qualified(base.value)
                fact = analysis.project.index.lookup(f"{qualified}.{name}") if qualified else None
                if fact:
                    return analysis._reading(call, fact.kind, fact.clock, fact.confidence)
    return None


def _alias_reading(analysis, call: cst.Call, value: cst.BaseExpression):
    """What calling an attribute that holds `value` reads: the clock it names, or what a call
    of the function it names reads (resolved at module level, where the class body is)."""
    from dataclasses import replace

    from ._clock import WALL_CLOCK_CALLS
    from ._clock_scope import Scope

    target = unwrap_alias(value)
    if not isinstance(target, (cst.Name, cst.Attribute)):
        return None
    clock = is_clock_reference(analysis.qname, target, WALL_CLOCK_CALLS)
    if clock:
        return analysis._reading(call, "wall", clock, HIGH)
    if isinstance(target, cst.Name) and target.value in ("self", "cls"):
        return None
    # an empty scope: the name is looked up among the module's functions, values and imports
    stand_in = cst.Call(func=target)
    flow = analysis._indirect(Scope(cst.Module(body=[]), None), stand_in)
    reading = analysis.readings.pop(id(stand_in), None)
    if flow is None or reading is None:
        return None
    analysis.readings[id(call)] = reading
    return replace(flow, calls=(call,))
