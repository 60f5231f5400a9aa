"""A cutoff handed to a query named for the gone: `cutoff = time.time() - threshold` then
`backend.fetch_stalled_jobs(cutoff)`.

The comparison with each stamp sits in the callee (often another module, a storage backend
behind an interface), but the decision is made here: this function reads the clock, picks the one
fixed window and asks for the parties silent longer than it, by a name that says what they are
(stalled, dead, stuck, orphaned). The window's own checks are the general form's
(rules/_liveness_ages.fixed_window): no retention or cache window, nothing adaptive or voted on.
"""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import callee_name
from ._liveness_ages import (
    Age,
    Detector,
    FunctionFlow,
    _descendants,
    _marks_gone,
    _required_parameter,
    _shifted,
    fixed_window,
    quorum_in,
)
from ._liveness_stalled import _fails_item

# A callee that selects or handles the silent parties.
# `stale`, `expired` and `lost` also name data out of date (`_base_stale_translations(locales,
# cutoff)`): only the words for work or parties that stopped answering count.
_GONE_QUERY = re.compile(r"(?:^|_)(?:stalled|dead|zombies?|orphan(?:ed|s)?|stuck|timed_?out|hung)(?:_|$)", re.IGNORECASE)
# A finder of items not updated lately (`get_stale_tasks_with_status(session, status, ago)`): a
# detector only when the items it returns are then failed (data out of date is only refreshed).
_STALE_QUERY = re.compile(r"(?:^|_)stale(?:_|$)", re.IGNORECASE)


def find_handed_cutoffs(flow: FunctionFlow) -> list[Detector]:
    out: list[Detector] = []
    if quorum_in(flow.func.body):
        return out
    for call in flow.calls:
        name = callee_name(call)
        if not (_GONE_QUERY.search(name) or (_STALE_QUERY.search(name) and _items_failed(flow, call))):
            continue
        for arg in call.args:
            shifted = _shifted(flow, arg.value)
            if shifted is None or shifted[2] is not cst.Subtract or not flow.is_now(shifted[0]):
                continue
            age = Age(call, arg.value, callee_name(call), "", shifted[1], shifted[3])
            # a window the caller must hand in is the caller's choice (as in the general form)
            if fixed_window(flow, age) and not _required_parameter(flow.func, shifted[1]):
                out.append(Detector(age, "medium", False))
                break
    return out


def _items_failed(flow: FunctionFlow, call: cst.Call) -> bool:
    """`tasks = get_stale_tasks(..., ago)` then `for task in tasks: task.status = TaskStatus.failed`:
    each item returned is moved to a failure state or handed back."""
    parent = flow.parent.get(id(call))
    loops: list[cst.For] = []
    if isinstance(parent, cst.For) and parent.iter is call:
        loops.append(parent)
    elif isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
        for use in flow.uses.get(parent.targets[0].target.value, []):
            loop = flow.parent.get(id(use))
            if isinstance(loop, cst.For) and loop.iter is use:
                loops.append(loop)
    return any(
        _fails_item(flow, loop.body) or any(isinstance(n, cst.Assign) and _marks_gone(n) for n in _descendants(loop.body))
        for loop in loops
    )
