"""What the length of a wait is made of, however the amount travels to the wait.

A pause (`time.sleep(x)`, `cond.wait(timeout=x)`, `poller.poll(x)`, `select(r, w, e, x)`,
`thread.join(x)`, `future.result(x)`) measured with the wall clock stalls on a backward step and
spins on a forward one. The amount is rarely written inside the call: it is held in a local and
clamped there (`pause = max(0, interval - spent)`), passed positionally, or converted
(`.total_seconds()`). This module lists the arguments that are the pause and the expressions the
pause is made of, following locals to the values they were assigned in this function.

It also recognises two spans whose clock-free end this function cannot trace, which only a wait's
length proves to be spans:
- the age of a stamp: `reading - x` inside a wait length (`KEEPALIVE - (now - conn.last_io)`):
  a length is a duration, so `x` is an instant, written by this process (another object, another
  method); a stamp from another party's clock (a file's mtime, a token's `iat`) is left out;
- the time until a deadline: `x - reading` where `x` is `stamp + amount` or is named as a
  deadline or expiry (`deadline - now`, `(ts + self.delay) - now`). The time until a calendar
  instant (`job.next_run - now`) is left out: a schedule is meant to follow the wall clock.
"""
from __future__ import annotations

import re

import libcst as cst

from ._clock import WALL, ClockAnalysis, Flow
from ._clock_scope import Scope

# Calls whose `timeout=` keyword is how long to pause.
WAITS = frozenset({"sleep", "wait", "wait_for", "join", "get", "poll", "select", "acquire", "result"})
# ... and whose positional arguments include the pause: `poll(ms)`, `join(t)`, `result(t)`,
# `acquire(True, t)`. A `get` is left to its keyword: a mapping's `get(key, default)` is written
# the same way as a queue's `get(block, timeout)`; of a `select` only the fourth argument counts
# (`select.select(r, w, e, t)`), since a query builder's `select(columns...)` shares the name.
_POSITIONAL = WAITS - {"get", "select"}
# Wrappers that keep what an amount is: clamps, conversions, timedelta parts.
_CLAMPS = frozenset({"max", "min", "int", "float", "round", "abs"})
_PARTS = frozenset({"total_seconds", "seconds", "days", "microseconds"})
# Stamps from another party's clock (a file system, a signed payload, a request, a server).
FOREIGN = re.compile(
    r"(?:^|_)(?:[mc]time|stat|exp|iat|nbf|claims?|token|payload|headers?|request|response|webhook|signature|created)(?:_|$)"
    r"|^st_|getmtime|event_?time",
    re.IGNORECASE,
)
# Names of amounts: `now - timeout` is a cut-off instant, not the age of a stamp.
_AMOUNT = re.compile(r"timeout|interval|ttl|delay|period|window|duration|limit|max_?age|secs|seconds|grace|backoff|span", re.IGNORECASE)
# Names of instants a wait runs until that are deadlines or expiries rather than calendar times.
_DEADLINE = re.compile(r"deadline|expir|timeout|until|lease|ttl|cancel_?(?:at|time)|give_?up", re.IGNORECASE)


def last_part_of(call: cst.Call) -> str:
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return ""


def pause_arguments(call: cst.Call) -> list[cst.BaseExpression]:
    """The arguments of `call` that say how long it pauses."""
    name = last_part_of(call)
    if name not in WAITS:
        return []
    keyword = [arg.value for arg in call.args if arg.keyword is not None and arg.keyword.value == "timeout"]
    positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
    if keyword:
        return keyword
    if name == "select":
        return positional[3:4]
    return positional if name in _POSITIONAL else []


def length_parts(analysis: ClockAnalysis, scope: Scope, expr: cst.BaseExpression):
    """The expression and the parts it is made of: through clamps, arithmetic, `.total_seconds()`
    and the values this function assigned to the locals it names (each local once)."""
    stack: list[cst.BaseExpression] = [expr]
    followed: set[str] = set()
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in _CLAMPS:
            stack.extend(arg.value for arg in node.args)
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _PARTS:
            stack.append(node.func.value)
        elif isinstance(node, cst.Attribute) and node.attr.value in _PARTS:
            stack.append(node.value)
        elif isinstance(node, cst.BinaryOperation):
            stack.extend((node.left, node.right))
        elif isinstance(node, cst.UnaryOperation):
            stack.append(node.expression)
        elif isinstance(node, cst.Name) and node.value not in followed:
            followed.add(node.value)
            stack.extend(d.value for d in scope.defs.get(node.value, []) if d.value is not None and not d.augmented)


def unseen_span(analysis: ClockAnalysis, scope: Scope, node: cst.BaseExpression) -> Flow | None:
    """The reading behind `reading - stamp` (an age) or `deadline - reading` (a time left) when
    the other end has no traceable clock flow (see the module's docstring)."""
    if not (isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Subtract)):
        return None
    left, right = analysis.flow(scope, node.left), analysis.flow(scope, node.right)
    if left is not None and left.kind == WALL and right is None and _stamp(node.right):
        return left
    if right is not None and right.kind == WALL and left is None and _deadline(scope, node.left):
        return right
    return None


def _names(node: cst.CSTNode) -> list[str]:
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, cst.Attribute):
        return [node.attr.value, *_names(node.value)]
    if isinstance(node, cst.Subscript):
        key = node.slice[0].slice if len(node.slice) == 1 else None
        text = [key.value.value.strip("'\"")] if isinstance(key, cst.Index) and isinstance(key.value, cst.SimpleString) else []
        return text + _names(node.value)
    if isinstance(node, cst.Call):
        return _names(node.func)
    return []


def _stamp(node: cst.BaseExpression) -> bool:
    """An operand that can be a stamp: a name, a field or an item, named neither as an amount
    nor as another party's instant."""
    if not isinstance(node, (cst.Name, cst.Attribute, cst.Subscript)):
        return False
    names = _names(node)
    leaf = names[0] if names else ""
    return bool(names) and not _AMOUNT.search(leaf) and not any(FOREIGN.search(n) for n in names)


def _deadline(scope: Scope, node: cst.BaseExpression) -> bool:
    """`stamp + amount`, a deadline-named value, or a local assigned one of those; a division
    (`expiration_ms / 1000`) changes the unit only."""
    while isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Divide, cst.FloorDivide, cst.Multiply)):
        node = node.left
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return not any(FOREIGN.search(n) for side in (node.left, node.right) for n in _names(side))
    names = _names(node)
    if names and _DEADLINE.search(names[0]) and not any(FOREIGN.search(n) for n in names):
        return True
    if isinstance(node, cst.Name):
        values = [d.value for d in scope.defs.get(node.value, []) if d.value is not None and not d.augmented]
        return bool(values) and all(
            isinstance(v, cst.BinaryOperation) and isinstance(v.operator, cst.Add) for v in values
        )
    return False
