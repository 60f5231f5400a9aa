"""What a field's name says about a wall-clock value written into it, for ARM104.

An instant some other node later compares with its own clock is the pitfall, whatever the field is
called: a run time or visibility time (`run_at`, `scheduled`, `delay_until_epoch_ms`,
`resume_at`, `publish_date`), a lease start or heartbeat that sweepers age (`locked_at`,
`touched`, `last_heartbeat`), an expiry. A plain history stamp (`created`, `updated`, `sent_at`,
`completed_at`) is only read back for display or ordering by one writer, and stays quiet.

`written_confidence` returns `None` to stay quiet, "" to take the flow's own confidence and
"medium" when the name alone leaves doubt."""
from __future__ import annotations

import re

import libcst as cst

from ._clock import OFFSET, WALL

MEDIUM = "medium"

# When something is due: a queue's run time, a delay, a resume or publication time.
SCHEDULE_NAME = re.compile(
    r"^(?:run|available|scheduled?|execute|process|retry|deliver|resume|publish|fire|wake|visible)"
    r"_(?:at|after|for|time|on|date|ts|epoch\w*|ms)$|"
    r"^scheduled$|^scheduled_\w+$|delay_until|^resume_at|not_before|^next_\w*(?:run|attempt|retry|fire|check|try)\w*$|"
    r"^eta$|^due_at$|(?:^|_)wake_?up_at$",
    re.IGNORECASE,
)
SCHEDULE_SQL = re.compile(
    r"\bscheduled\w*|\brun_at\b|\bresume_at\b|delay_until\w*|\bpublish_(?:at|date)\b|\bdue_at\b|\beta\b|\bnext_\w*(?:run|attempt|retry)\w*",
    re.IGNORECASE,
)
# Stamps whose only use is to be aged by whoever sweeps: a lease's start, a heartbeat.
LIVENESS_NAME = re.compile(
    r"heartbeat|^touched(?:_at)?$|^last_(?:active|seen|ping|beat|touch\w*)(?:_at|_ts|_time)?$|^locked_at$|^lease_(?:start|at)\w*$",
    re.IGNORECASE,
)
# What already happened, kept for history or display; and calendar dates (`payment_date`,
# `renewal_day`), where seconds of skew change nothing.
HISTORY_NAME = re.compile(
    r"(?:^|_)(?:creat|updat|modif|changed|joined|login|sent|paid|complet|finish|done|start|claim|confirm|revok|used|issue)|"
    r"(?:^|_)(?:date|day|on)$|^(?:now|when|time|timestamp|stamp)$",
    re.IGNORECASE,
)


# A record of what already happened: its `run_at` says when a job ran, not when it is due.
HISTORY_RECORD = re.compile(r"complet|histor|(?:^|\.|_)log|archiv|result|finished|done|audit|event", re.IGNORECASE)


def written_confidence(name: str, kind: str, expiry_name: re.Pattern, database: bool, target: str = "") -> str | None:
    """How sure a write of a clock value of flow `kind` into `name` is an ARM104 finding.
    `database`: the write is a row or document (not a message or a cache); `target`: the written
    call's name (`CompletedTask.objects.create`)."""
    if kind == WALL and HISTORY_RECORD.search(target):
        return None
    if kind == OFFSET:
        if expiry_name.search(name) or SCHEDULE_NAME.search(name):
            return ""
        if database and not HISTORY_NAME.search(name):
            return MEDIUM  # a moved instant under a name we cannot read: likely a schedule
        return None
    if kind == WALL:
        if SCHEDULE_NAME.search(name) or (database and LIVENESS_NAME.search(name)):
            return MEDIUM  # the present written as a due time or a stamp to be aged elsewhere
    return None


def plain_instant(value: cst.BaseExpression) -> bool:
    """A value that is an instant and nothing else: not text built around one (`name + " @ " +
    now.strftime(...)`), not a backdated start (`now - grace`, an in-process trick to begin
    already expired). What a name we cannot read receives must look like a due time."""
    for node in _nodes(value):
        if isinstance(node, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
            return False
    inner = value
    while isinstance(inner, cst.Call) and len(inner.args) == 1:
        inner = inner.args[0].value  # int(...), to_epoch(...)
    return not (isinstance(inner, cst.BinaryOperation) and isinstance(inner.operator, cst.Subtract))


def _nodes(node: cst.CSTNode):
    yield node
    for child in node.children:
        yield from _nodes(child)
