"""Held work handed out again: a sweeper that finds items still in a live state past a fixed
window and, for each, runs them once more (`async_execute.delay(item.pk)`, `job.retry()`,
`action._schedule_batch_tasks()`, `transfer.restart()`). Whether the item is failed first or
simply re-dispatched, the sweeper has decided that the worker holding it is gone: a slow worker
and the re-dispatched copy then run the same work side by side.

Only calls inside a loop count (one re-dispatch per aged item), and only verbs that start the
item's work again: a loop that logs, counts or notifies about stale items decides nothing."""
from __future__ import annotations

import re

import libcst as cst

from ..walk import descendants
from ._call_args import callee_name

# Celery's enqueue calls and verbs that start an item's work over.
_RERUN = re.compile(
    r"^(?:delay|apply_async|send_task|enqueue|requeue|re_?queue|retry|restart|resume|reschedule|resubmit|redispatch|"
    r"re_?run|re_?dispatch|re_?execute|re_?start)$"
    r"|^_?(?:re)?schedule_\w*(?:tasks?|jobs?|batch\w*)$"
    r"|^_?(?:restart|resume|retry|requeue|reschedule|resubmit)_\w+$"
)


def redispatched(body: cst.CSTNode) -> bool:
    """Some loop of the function body starts an item's work again."""
    for loop in descendants(body, skip=(cst.FunctionDef, cst.ClassDef)):
        if not isinstance(loop, cst.For):
            continue
        for inner in descendants(loop.body, skip=(cst.FunctionDef, cst.ClassDef)):
            if isinstance(inner, cst.Call) and _RERUN.match(callee_name(inner)):
                return True
    return False
