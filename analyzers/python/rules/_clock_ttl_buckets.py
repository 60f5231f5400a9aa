"""An in-process memo expired by a bucket of the wall clock (ARM103).

`functools.lru_cache` has no lifetime. A widespread recipe gives it one with an extra argument
that changes every N seconds, so a new value misses the cache:

    def get_ttl_hash(seconds=3600):
        return round(time.time() / seconds)

    @lru_cache
    def _get_pod(name, ttl_hash=None): ...

    _get_pod(name, ttl_hash=get_ttl_hash())

(also `math.floor(time.time() / seconds)`, `time.time() // seconds`, and a generator yielding
`(time.time() - start) // ttl`). The memo never leaves the process, so this is an in-process TTL on
the wall clock: a backward step keeps serving the stale entry for as long as the step, a forward
one flushes it at once. `time.monotonic()` is the same recipe without the steps.

Reported at the bucket. Only in a file that memoises with `functools` (`lru_cache`, `cache`) and
in a function named for the key it makes (`ttl`, `hash`): a wall-clock bucket elsewhere names a
rate-limit window in Redis, a log batch or a file, which is not this question.
"""
from __future__ import annotations

import re

import libcst as cst

from ..walk import descendants
from ._clock import DURATION, WALL
from ._clock_deadlines import Deadline
from ._clock_helpers import MEDIUM
from ._clock_scope import Scope, last_part

_MEMO = re.compile(r"\blru_cache\b|\bfunctools\.cache\b|^from functools import [^\n]*\bcache\b", re.MULTILINE)
_KEY_MAKER = re.compile(r"ttl|hash", re.IGNORECASE)
_ROUNDING = frozenset({"round", "int", "floor", "ceil"})


def find_ttl_buckets(analysis, ctx, covered: set[int], taken: set[int]) -> list[Deadline]:
    if not _MEMO.search(ctx.text):
        return []
    found: list[Deadline] = []
    for scope in analysis.index.scopes:
        if not (isinstance(scope.node, cst.FunctionDef) and _KEY_MAKER.search(scope.node.name.value)):
            continue
        for value in _handed_back(scope):
            flow = _bucket_flow(analysis, scope, value)
            if flow is None or id(value) in taken or any(id(call) in covered for call in flow.calls):
                continue
            taken.add(id(value))
            covered.update(id(call) for call in flow.calls)
            deadline = Deadline(value, value, flow, scope, confidence=MEDIUM)
            deadline.uses_datetime = any(not (analysis.wall_name(c) or "").startswith("time.") for c in flow.calls)
            found.append(deadline)
    return found


def _handed_back(scope: Scope) -> list[cst.BaseExpression]:
    """What the function returns or yields (not what its nested functions do)."""
    values = []
    for node in descendants(scope.node.body, skip=(cst.FunctionDef, cst.Lambda, cst.ClassDef)):
        if isinstance(node, (cst.Return, cst.Yield)) and node.value is not None and not isinstance(node.value, cst.From):
            values.append(node.value)
    return values


def _bucket_flow(analysis, scope: Scope, value: cst.BaseExpression):
    """`round(time.time() / s)`, `math.floor(...)`, `time.time() // s`, `(time.time() - start) // s`:
    the flow of the clock value divided into buckets, else None."""
    while isinstance(value, cst.Call) and len(value.args) >= 1 and last_part(analysis.qname(value.func) or "") in _ROUNDING:
        value = value.args[0].value
    if not (isinstance(value, cst.BinaryOperation) and isinstance(value.operator, (cst.FloorDivide, cst.Divide))):
        return None
    flow = analysis.flow(scope, value.left)
    if flow is None or flow.kind not in (WALL, DURATION) or not flow.calls:
        return None
    if not all(analysis.wall_name(call) for call in flow.calls):
        return None
    if isinstance(value.operator, cst.Divide) and not _rounded(analysis, value):
        return None
    return flow


def _rounded(analysis, division: cst.BinaryOperation) -> bool:
    """A true division is a bucket only when rounded (`round(time.time() / s)`)."""
    parent = analysis.index.parent_of(division)
    while isinstance(parent, cst.Arg):
        parent = analysis.index.parent_of(parent)
    return isinstance(parent, cst.Call) and last_part(analysis.qname(parent.func) or "") in _ROUNDING
