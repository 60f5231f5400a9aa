"""Registries scored by deadlines: members are added to a sorted set with `now + window` as
their score (`zadd(key, {member: time() + timeout})`, refreshed by each report) and pruned with
`zremrangebyscore(key, 0, now)`. The prune at the clock drops every member that has not
reported for the fixed window: the same silence detector as `zremrangebyscore(key, 0, now - W)`,
with the window moved to the write. Which sets are registries of parties (workers, instances,
containers) rather than caches is decided by the key (rules/_heartbeat._REGISTRY_KEY).
"""
from __future__ import annotations

import libcst as cst

from ._liveness_ages import FunctionFlow, _shifted, module_functions


def scores_deadlines(module: cst.Module, qname) -> bool:
    """Some `zadd` of the module scores its members with a clock reading plus a window."""
    for func, cls in module_functions(module):
        flow = FunctionFlow(func, qname, cls)
        for call in flow.calls:
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "zadd":
                if any(_deadline(flow, arg.value, 0) for arg in call.args[1:]):
                    return True
    return False


def _deadline(flow: FunctionFlow, expr: cst.BaseExpression, depth: int) -> bool:
    if depth > 2:
        return False
    shifted = _shifted(flow, expr)
    if shifted is not None and shifted[2] is cst.Add and flow.is_now(shifted[0]) and not flow.is_now(shifted[1]):
        return True
    bound = flow.bound(expr)
    if bound is not None:
        return _deadline(flow, bound, depth + 1)
    if isinstance(expr, cst.Dict):  # `{member: expiration}`
        return any(isinstance(e, cst.DictElement) and _deadline(flow, e.value, depth + 1) for e in expr.elements)
    return False


def clock_bound(func: cst.FunctionDef, cls: cst.ClassDef | None, qname, bound: cst.BaseExpression) -> bool:
    """The prune's upper bound is the clock itself (`max=int(time())`, through a local)."""
    return FunctionFlow(func, qname, cls).is_now(bound)
