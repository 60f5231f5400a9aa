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
    r"^_?(?:get_?)?(?:(?:utc_?)?now|now_?utc)(?:_?(?:ms|millis|ns|us|ts|seconds|secs|s|dt|datetime|timestamp))?$|"
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
