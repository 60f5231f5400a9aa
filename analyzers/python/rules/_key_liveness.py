"""ARM301 through a store's expiry: liveness that a key's lifetime or a message's idle time decides.

- Beat keys: each member keeps a key with a fixed lifetime alive (`setex(beat_key, 30, ...)`);
  a reader fetches the members' keys (`get`/`mget`/`exists` of a key named for a beat, heartbeat,
  health or liveness) and a member whose key is missing is removed or declared dead. The key's
  lifetime is the fixed silence after which a slow member is evicted.
- Idle claims: Redis Streams `xautoclaim`/`xclaim` take pending messages idle longer than a
  fixed `min_idle_time` from the consumer that holds them: a consumer that is only slow has
  its message run a second time.
Both are reported with medium confidence: the lifetime is set elsewhere (where the key is written
or in configuration)."""
from __future__ import annotations

import re

import libcst as cst

from ._clock_scope import Scope, call_name, expr_names, last_part
from ..walk import walk

BEAT_KEY = re.compile(r"beat|heart_?beat|health|alive|liveness|presence", re.IGNORECASE)
_READS = frozenset({"get", "mget", "exists", "hget", "hmget", "get_many", "get_multi"})
_CLAIMS = frozenset({"xautoclaim", "xclaim"})
# lower-cased text: a claim call, or a key named for a beat built in place (`f"alive:{peer}"`)
TRIGGER = r"autoclaim|xclaim|min_idle|beat_id|beat_key|health_key|alive_key|_encode_beat|(?:beat|health|alive|liveness|presence)[\w-]*[:_-]\{"


def beat_read(expr: cst.CSTNode | None) -> bool:
    while isinstance(expr, cst.Await):
        expr = expr.expression
    if not isinstance(expr, cst.Call) or not isinstance(expr.func, cst.Attribute):
        return False
    if expr.func.attr.value not in _READS or not expr.args:
        return False
    return bool(BEAT_KEY.search(" ".join(_key_text(a.value) for a in expr.args)))


def _key_text(expr: cst.CSTNode) -> str:
    """Names and literal text of a key expression (`f"alive:{peer}"`, `self._beat_key(m)`)."""
    parts = [expr_names(expr)]
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.SimpleString):
            parts.append(node.value)
        elif isinstance(node, cst.FormattedStringText):
            parts.append(node.value)
        stack.extend(node.children)
    return " ".join(parts)


def _frombeat_read(scope: Scope, name: str, depth: int = 0) -> bool:
    """`name` holds what a beat-key read returned, directly or through `zip(members, values)`."""
    if depth > 2:
        return False
    for d in scope.defs.get(name, []):
        if d.value is not None and beat_read(d.value):
            return True
        if isinstance(d.stmt, cst.For):
            source = d.stmt.iter
            names = []
            if isinstance(source, cst.Call) and last_part(expr_names(source.func)) in ("zip", "enumerate"):
                names = [a.value for a in source.args]
            else:
                names = [source]
            for arg in names:
                if beat_read(arg) or (isinstance(arg, cst.Name) and _frombeat_read(scope, arg.value, depth + 1)):
                    return True
    return False


def _missing(scope: Scope, test: cst.BaseExpression) -> bool:
    """`not value`, `value is None`, `not r.exists(beat_key)`."""
    subject = None
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        subject = test.expression
    elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if isinstance(target.operator, (cst.Is, cst.Equal)) and isinstance(target.comparator, (cst.Name, cst.Integer)):
            if getattr(target.comparator, "value", "") in ("None", "0", "False"):
                subject = test.left
    if subject is None:
        return False
    if isinstance(subject, cst.Name):
        return _frombeat_read(scope, subject.value)
    return beat_read(subject)


class _Ifs(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[cst.If] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # a nested function is a scope of its own

    def visit_If(self, node: cst.If) -> None:
        self.found.append(node)


def check_beat_keys(analysis, scope: Scope, found: list, seen: set[int]) -> None:
    if not isinstance(scope.node, cst.FunctionDef):
        return
    from ._heartbeat import QUORUM

    ifs = _Ifs()
    walk(scope.node.body, ifs)
    for node in ifs.found:
        if id(node.test) in seen or not _missing(scope, node.test):
            continue
        if analysis.declares_dead([node.body]) and not QUORUM.search(expr_names(node.body)):
            seen.add(id(node.test))
            found.append((node.test, "medium"))


def _handed_through(scope: Scope, value: cst.BaseExpression) -> bool:
    """A wrapper passing its caller's value on (`kwargs.pop("min_idle_time", None) or 0`), or
    no idle wait at all (`0`): the window, if any, is chosen elsewhere."""
    if isinstance(value, cst.Integer) and value.value == "0":
        return True
    if isinstance(value, cst.Name):
        for d in scope.defs.get(value.value, []):
            if d.value is not None and re.search(r"\bkwargs\b|\bkw\b|\boptions\b", expr_names(d.value)):
                return True
    return False


def _consumer_option(value: cst.BaseExpression) -> bool:
    """`min_idle_time=self.claim_after`: an option the consumer was built with, one window for
    every message it claims (a wrapper forwarding its own parameter is handled above)."""
    from ._heartbeat import ADAPTIVE

    return (
        isinstance(value, cst.Attribute)
        and isinstance(value.value, cst.Name)
        and value.value.value == "self"
        and not ADAPTIVE.search(value.attr.value)
    )


def check_idle_claims(analysis, scope: Scope, call: cst.Call, found: list, seen: set[int]) -> None:
    if id(call) in seen:
        return
    # the idle-time keyword says what the call does whatever a client names it (`autoclaim`)
    idle = next((a for a in call.args if a.keyword is not None and a.keyword.value in ("min_idle_time", "min_idle")), None)
    if last_part(call_name(analysis.qname, call)) not in _CLAIMS and idle is None:
        return
    if idle is None:
        positional = [a for a in call.args if a.keyword is None]
        idle = positional[3] if len(positional) > 3 else None
    if idle is None or _handed_through(scope, idle.value):
        return
    if not (analysis.fixed(scope, idle.value) or _consumer_option(idle.value)):
        return
    seen.add(id(call))
    found.append((idle, "medium"))
