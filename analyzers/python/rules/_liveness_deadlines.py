"""Deadline helpers: a function or method that returns a stamp another process wrote plus a
fixed window (`return self.last_heartbeat_at + timedelta(minutes=5)`), so that its callers
compare the clock with the call (`now > self.valid_until()`). The comparison at the caller is
the age of that stamp, and the general liveness form (rules/_liveness_ages) decides it there.
"""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from ._liveness_ages import LIVE_STAMP, FunctionFlow, _descendants, _shifted, module_functions


@dataclass(frozen=True)
class Deadline:
    stamp: cst.CSTNode
    stamp_name: str
    owner: str
    window: cst.BaseExpression | None


def deadlines_of_module(module: cst.Module, qname) -> dict[str, Deadline]:
    """Name -> the stamp and window of each function returning `stamp + window` (the first
    return that is one; a fallback return on another stamp ages the same party)."""
    out: dict[str, Deadline] = {}
    for func, cls in module_functions(module):
        if func.name.value in out:
            continue
        flow = FunctionFlow(func, qname, cls)
        candidates: list[Deadline] = []
        for node in _descendants(func.body):
            if not isinstance(node, cst.Return) or node.value is None:
                continue
            shifted = _shifted(flow, node.value)
            if shifted is None or shifted[2] is not cst.Add:
                continue
            base, window = shifted[0], shifted[1]
            found = flow.stamp(base) or _record_field(flow, base)
            if found is not None and window is not None and not flow.is_now(window):
                candidates.append(Deadline(found[0], found[1], found[2], window))
        if candidates:  # a heartbeat deadline over a fallback on the start
            out[func.name.value] = next((c for c in candidates if LIVE_STAMP.search(c.stamp_name)), candidates[0])
    return out


def _record_field(flow: FunctionFlow, base: cst.BaseExpression):
    """`self.last_heartbeat_at` of a stored record (a model): even when the record's own method
    stamps it, the deadline is read back by the processes that judge the record."""
    if isinstance(base, cst.Attribute) and isinstance(base.value, cst.Name) and base.value.value == "self" and flow.record_class():
        return base, base.attr.value, flow.cls.name.value
    return None
