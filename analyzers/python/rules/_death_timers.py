"""ARM301 as a timer: when a peer registers, connects or is asked something, a timer is armed for
a fixed delay (`loop.call_later(TIMEOUT, self._purge, peer)`, `add_timeout(now + TIMEOUT, ...)`),
and its callback purges, evicts or fails the peer unless word arrived first. The delay is the
fixed silence after which a slow peer counts as dead. Reported at the timer with medium
confidence: whether the callback finds the peer silent is decided at run time."""
from __future__ import annotations

import re

import libcst as cst

from ._clock_scope import Scope, call_name, expr_names, last_part

_TIMERS = frozenset({"call_later", "callLater", "add_timeout", "call_at", "enter_after"})
# What such a callback does: narrower than ARM301's death calls (a timer that stops or closes
# something is a shutdown or an idle timeout, not a verdict on a peer)
_VERDICT_CALLBACK = re.compile(
    r"purge|evict|dead|fail_?over|unregister|deregister|reap|stall|mark_(?:lost|offline|down|failed)|declare_|expire_(?:node|worker|member|peer|engine|agent)",
    re.IGNORECASE,
)
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
    if not _VERDICT_CALLBACK.search(last_part(callback_name) or callback_name) or QUORUM.search(callback_name):
        return
    where = " ".join([expr_names(call), getattr(scope.node, "name", cst.Name("m")).value, scope.cls.name.value if scope.cls else ""])
    if not (NODEISH.search(where) or STRONG.search(where)):
        return
    seen.add(id(call))
    found.append((call, "medium"))


def _fixed_delay(analysis, scope: Scope, delay: cst.BaseExpression) -> bool:
    """`TIMEOUT`, or a deadline `loop.time() + TIMEOUT`."""
    if isinstance(delay, cst.BinaryOperation) and isinstance(delay.operator, cst.Add):
        left, right = analysis.fixed(scope, delay.left), analysis.fixed(scope, delay.right)
        return left != right  # one clock reading, one fixed window
    return analysis.fixed(scope, delay)
