"""ARM104: a shared sorted set swept by age on this node's clock.

A Redis sorted set whose scores are wall-clock stamps (`zadd(key, {member: time.time()})`)
holds instants written by whichever node added each member. Trimming it by age
(`zremrangebyscore(key, 0, time.time() - expiry)`) on any node drops members by that node's
clock: skew between the writer and the sweeper expires entries early (a live group member, a
queued message, a rate-limit slot) or keeps them too long.

`_clock_sinks._scores` reports the write when a range over the same key text is in the file.
This module reports the sweep itself, so the finding does not depend on the two calls spelling the
key alike (`zadd(group_key, ...)` in one method, `zremrangebyscore(key, ...)` after
`key = self._group_key(group)` in another); a sweep and a `zadd` of one reading to one key in one
function stay one finding, at the `zadd`. Gates: some `zadd` of the module scores members with
this clock (the set holds stamps, not counters or ranks), and the bound is this clock moved back
by an amount. Registries of workers or consumers aged by their last report are ARM301's, and
sets that hold lock or semaphore holders are ARM201's."""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import kwarg, positional
from ._clock import OFFSET, WALL
from ._clock_scope import Scope, call_name, last_part

# Keys or functions that say the set is a liveness registry (ARM301) or a lock's holders (ARM201).
_OTHER_FAMILY = re.compile(
    r"heart_?beat|worker|node|consumer|instance|unack|visib|in_?progress|inflight|processing|claimed|lease|alive|"
    r"ping|lock|semaphore|mutex",
    re.IGNORECASE,
)


def sweep_bound(call: cst.Call) -> cst.BaseExpression | None:
    """The upper bound of `zremrangebyscore(key, min, max)` (positional or `max=`)."""
    named = kwarg(call, "max")
    if named is not None:
        return named.value
    args = positional(call)
    return args[2] if len(args) >= 3 else None


def _moved_back(finder, scope: Scope, bound: cst.BaseExpression):
    """The flow of `time.time() - ttl` (also inside `int(...)`, an f-string such as
    `f"({now - window:f}"`, or a name bound once to one): this clock moved into the past."""
    inner = bound
    if isinstance(inner, cst.FormattedString):
        parts = [p.expression for p in inner.parts if isinstance(p, cst.FormattedStringExpression)]
        if len(parts) != 1:
            return None
        inner = parts[0]
    for _ in range(3):
        if isinstance(inner, cst.Call) and len(inner.args) == 1 and isinstance(inner.func, cst.Name) \
                and inner.func.value in ("int", "float", "str", "round"):
            inner = inner.args[0].value
        elif isinstance(inner, cst.Name):
            defs = scope.defs.get(inner.value, [])
            if len(defs) != 1 or defs[0].value is None or defs[0].augmented:
                return None
            inner = defs[0].value
        else:
            break
    if not (isinstance(inner, cst.BinaryOperation) and isinstance(inner.operator, cst.Subtract)):
        return None
    left = finder.offset(scope, inner.left, (WALL, OFFSET))
    if left is None or finder.analysis.flow(scope, inner.right) is not None:
        return None  # `now - started`: an age, not a cutoff
    return left


def stamps_scores(finder, score_dicts) -> bool:
    """Some `zadd` of the module scores its members with this machine's clock."""
    cached = getattr(finder, "_stamped_scores", None)
    if cached is None:
        cached = False
        for scope in finder.analysis.index.scopes:
            for call in scope.calls:
                if last_part(call_name(finder.analysis.qname, call)) != "zadd":
                    continue
                if any(finder.offset(scope, score, (WALL, OFFSET)) for score in score_dicts(scope, call.args[1:])):
                    cached = True
                    break
            if cached:
                break
        finder._stamped_scores = cached
    return cached


def _scored_here(finder, scope: Scope, sweep: cst.Call, flow, score_dicts) -> bool:
    """The same reading scores a `zadd` to the same key in this function (`stamp = time.time()`,
    trim by `stamp - max_age`, add `{holder: stamp}`): `_scores` reports that pair once."""
    key = finder.ctx.code_for(sweep.args[0].value)
    readings = {id(call) for call in flow.calls}
    for call in scope.calls:
        if last_part(call_name(finder.analysis.qname, call)) != "zadd" or not call.args:
            continue
        if finder.ctx.code_for(call.args[0].value) != key:
            continue
        for score in score_dicts(scope, call.args[1:]):
            scored = finder.offset(scope, score, (WALL, OFFSET))
            if scored is not None and readings & {id(c) for c in scored.calls}:
                return True
    return False


def check_sweep(finder, scope: Scope, call: cst.Call, name: str, detail: str, score_dicts) -> None:
    """`zremrangebyscore(key, 0, time.time() - expiry)` over a set this module stamps."""
    if last_part(name) != "zremrangebyscore" or not call.args:
        return
    bound = sweep_bound(call)
    if bound is None:
        return
    function = scope.node.name.value if isinstance(scope.node, cst.FunctionDef) else ""
    if _OTHER_FAMILY.search(f"{finder.ctx.code_for(call.args[0].value)} {function}"):
        return
    flow = _moved_back(finder, scope, bound)
    if flow is None or not stamps_scores(finder, score_dicts) or _scored_here(finder, scope, call, flow, score_dicts):
        return
    finder.add(flow, bound, "sweep", f"{detail}(key, ..., now - ttl)", at_value=True)
