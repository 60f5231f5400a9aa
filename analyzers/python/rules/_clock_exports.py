"""Expiries a module hands to the rest of its package: a public module-level function that returns
`now() + lifetime` (`get_attempt_expiration(request)`, `normalize_time(eta=None, delay=None)`).

The analysis sees one file at a time, so the callers that store the value (an ORM row, a queued
message) are in other modules. The function's name or its parameters say the instant is an
expiry or a run-at time; that, and a return value computed from this machine's wall clock, is the
evidence. It is reported where the value is armed, with medium confidence."""
from __future__ import annotations

import re

import libcst as cst

from ._clock import OFFSET, ClockAnalysis, Flow
from ._clock_helpers import MEDIUM, returned_values
from ._clock_sinks import Sink
from ..walk import walk

# A function whose name says it produces an expiry or a run-at time. `deadline`/`timeout`
# helpers are left out: those are usually in-process waits (ARM103).
_EXPIRY_FUNCTION = re.compile(
    r"expir|valid_until|lease|(?:^|_)eta(?:_|$)|run_at|not_before|"
    # a due time: when a retried or delayed job becomes visible again
    r"next_(?:run|retry|attempt)|retry_at|resume_at|wake_?(?:up_)?at|visible_at|delay_until|scheduled_(?:at|for|time)",
    re.IGNORECASE,
)
# An in-memory cache's or memo's expiry never leaves the process (ARM103's, when checked here).
_IN_PROCESS = re.compile(r"cache|memo", re.IGNORECASE)
# Parameters that make the returned instant a delay or lifetime measured from now.
_LIFETIME_PARAM = re.compile(
    r"^(?:delay|countdown|ttl|expires?|expiry|expiration|eta|lifetime|max_age|valid_for|cool_?off|grace)(?:_\w+)?$",
    re.IGNORECASE,
)


def _parameters(func: cst.FunctionDef) -> list[str]:
    params = func.params
    return [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]


def _normalises_delay(func: cst.FunctionDef) -> bool:
    """`if isinstance(when, timedelta): when = utcnow() + when`: a helper that accepts "in five
    minutes" and hands back the absolute instant, i.e. a run-at or expiry for its callers to keep."""
    params = set(_parameters(func))
    for call in _calls(func):
        if (isinstance(call.func, cst.Name) and call.func.value == "isinstance" and len(call.args) == 2
                and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value in params
                and "timedelta" in cst.Module([]).code_for_node(call.args[1].value)):
            return True
    return False


def _calls(node: cst.CSTNode):
    class _Collect(cst.CSTVisitor):
        def __init__(self) -> None:
            self.found: list[cst.Call] = []

        def visit_Call(self, call: cst.Call) -> None:
            self.found.append(call)

    collector = _Collect()
    walk(node, collector)
    return collector.found


def find_exported(analysis: ClockAnalysis, top_functions: dict[str, cst.FunctionDef], taken: set[int]) -> list[Sink]:
    found: list[Sink] = []
    scopes = {id(scope.node): scope for scope in analysis.index.scopes}
    for name, func in top_functions.items():
        scope = scopes.get(id(func))
        if name.startswith("_") or scope is None:
            continue
        if _IN_PROCESS.search(name):
            continue
        named = bool(_EXPIRY_FUNCTION.search(name)) or _normalises_delay(func)
        if not (named or any(_LIFETIME_PARAM.match(p) for p in _parameters(func))):
            continue
        armed: list[tuple[cst.CSTNode, Flow]] = []
        unknown = False
        for value in returned_values(func):
            if value is None or (isinstance(value, cst.Name) and (
                    value.value == "None" or (value.value in scope.params and value.value not in scope.defs))):
                continue
            flow = analysis.flow(scope, value)
            if flow is None:
                unknown = True  # e.g. a stamp the caller passed in plus the lifetime
                continue
            if flow.kind != OFFSET:
                armed = []
                break  # it also returns the bare clock or an elapsed time: not an expiry helper
            roots = [root for kind, root in flow.roots if kind == OFFSET] or [value]
            armed.extend((root, flow) for root in roots)
        if unknown and not named:
            continue  # only the name can vouch for the branches we cannot follow
        for root, flow in armed:
            if id(root) not in taken:
                taken.add(id(root))
                found.append(Sink(root, flow, "returned", f"{name}()", MEDIUM))  # the callers are unseen
    return found
