"""ARM301 as a timer: when a peer registers, connects or is asked something, a timer is armed for
a fixed delay (`loop.call_later(TIMEOUT, self._purge, peer)`, `add_timeout(now + TIMEOUT, ...)`),
and its callback purges, evicts or fails the peer unless word arrived first. The delay is the
fixed silence after which a slow peer counts as dead. Reported at the timer with medium
confidence: whether the callback finds the peer silent is decided at run time."""
from __future__ import annotations

import re

import libcst as cst

from ..walk import descendants
from ._clock_scope import Scope, call_name, expr_names, last_part

_TIMERS = frozenset({"call_later", "callLater", "add_timeout", "call_at", "enter_after"})
# What such a callback does: narrower than ARM301's death calls (a timer that stops or closes
# something is a shutdown or an idle timeout, not a verdict on a peer)
_VERDICT_CALLBACK = re.compile(
    r"purge|evict|dead|fail_?over|unregister|deregister|reap|stall|mark_(?:lost|offline|down|failed)|declare_|expire_(?:node|worker|member|peer|engine|agent)",
    re.IGNORECASE,
)
# What the callback does to the party it was armed for (`self.router.removeContact(node)`).
_REMOVAL = re.compile(r"^_?(?:remove|evict|purge|unregister|deregister|drop|forget|mark_dead|mark_down)", re.IGNORECASE)
TRIGGER = r"call_later|calllater|add_timeout|call_at\("


def _callback_name(expr: cst.BaseExpression) -> str:
    if isinstance(expr, cst.Lambda) and isinstance(expr.body, cst.Call):
        return expr_names(expr.body.func)
    return expr_names(expr)


def check_death_timer(analysis, scope: Scope, call: cst.Call, found: list, seen: set[int]) -> None:
    from ._heartbeat import NODEISH, QUORUM, STRONG

    name = last_part(call_name(analysis.qname, call))
    if name not in _TIMERS or id(call) in seen:
        return
    positional = [a.value for a in call.args if a.keyword is None]
    if len(positional) < 2:
        return
    delay, callback = positional[0], positional[1]
    if not _fixed_delay(analysis, scope, delay):
        return
    callback_name = _callback_name(callback)
    if QUORUM.search(callback_name):
        return
    if not _VERDICT_CALLBACK.search(last_part(callback_name) or callback_name):
        cls = scope.cls or _enclosing_class(analysis.ctx.module, call)
        if not _removes_party(cls, callback, positional[2:]):
            return
    where = " ".join([expr_names(call), getattr(scope.node, "name", cst.Name("m")).value, scope.cls.name.value if scope.cls else ""])
    if not (NODEISH.search(where) or STRONG.search(where)):
        return
    seen.add(id(call))
    found.append((call, "medium"))


def _enclosing_class(module: cst.Module, node: cst.CSTNode) -> cst.ClassDef | None:
    """The class whose body (a nested function's too) holds `node`."""
    for cls in descendants(module):
        if isinstance(cls, cst.ClassDef) and any(inner is node for inner in descendants(cls.body, skip=(cst.ClassDef,))):
            return cls
    return None


def _removes_party(cls: cst.ClassDef | None, callback: cst.BaseExpression, handed: list[cst.BaseExpression]) -> bool:
    """`callLater(W, self.timeout, node)` where `def timeout(self, node): ... self.router.removeContact(node)`:
    a method of this class, named for nothing in particular, removes the party it is handed."""
    if not (handed and cls is not None and isinstance(callback, cst.Attribute)):
        return False
    if not (isinstance(callback.value, cst.Name) and callback.value.value == "self"):
        return False
    for method in cls.body.body:
        if isinstance(method, cst.FunctionDef) and method.name.value == callback.attr.value:
            params = [p.name.value for p in method.params.params if p.name.value not in ("self", "cls")]
            return bool(params) and _removal_of(method, params[0])
    return False


def _removal_of(method: cst.FunctionDef, party: str) -> bool:
    for node in descendants(method.body, skip=(cst.FunctionDef, cst.ClassDef)):
        if isinstance(node, cst.Call) and _REMOVAL.search(last_part(expr_names(node.func)) or ""):
            if any(isinstance(a.value, cst.Name) and a.value.value == party for a in node.args):
                return True
    return False


def _fixed_delay(analysis, scope: Scope, delay: cst.BaseExpression) -> bool:
    """`TIMEOUT`, or a deadline `loop.time() + TIMEOUT`."""
    if isinstance(delay, cst.BinaryOperation) and isinstance(delay.operator, cst.Add):
        left, right = analysis.fixed(scope, delay.left), analysis.fixed(scope, delay.right)
        return left != right  # one clock reading, one fixed window
    return analysis.fixed(scope, delay)
