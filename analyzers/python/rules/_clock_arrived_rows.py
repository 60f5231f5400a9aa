"""Rows whose stored instant has come by this node's clock, then acted on.

The query forms of _clock_sinks know an expiry or a due time by the column's name (`expires_at`,
`run_at`, `valid_until`). Real schemas name the instant for what it ends or starts: a broadcast's
`finishes_at`, a plan's `trial_end_date`, a port's `autoenable`. What says it is an expiry being
enforced is what the code does with the rows whose instant has come (`column <= now`):

  expired = Broadcast.query.filter(Broadcast.finishes_at <= datetime.now()).all()
  for broadcast in expired:
      broadcast.status = COMPLETED                 # each row's state changed

  owners = session.query(Owner).filter(Owner.trial_end_date <= now)
  for owner in owners:
      app.tasks["expire_trial"].apply_async(...)   # work dispatched per row

  Port.objects.filter(reopen_at__lte=timezone.now()).update(blocked=False)

The stored instant was written by whichever node set it; whether it has come is decided here by
this node's clock, so a skewed worker ends trials or broadcasts early or late (ARM104; the fix is
the database's `now()` in the query).

Left alone: the comparison the other way (`column >= now`: rows still to come, a listing); stamps of
what already happened (`created_at <= now` decides nothing), liveness stamps (the fixed-timeout
rules' question), columns named for a calendar date and not for an end or a timeout (`reminder_date`:
a date a person set, labelled a look-alike in two projects), rows compared with today's date
(`requested_till__lt=date.today()`: a calendar day, which seconds of skew do not move), and a
selection whose rows are only read, returned or displayed."""
from __future__ import annotations

import re

import libcst as cst

from ..walk import descendants
from ._clock import WALL, date_level
from ._clock_scope import Scope, call_name, last_part
from ._clock_stored import chain_writes, chained_calls
from ._clock_write_names import LIVENESS_NAME

# Stamps of what already happened: the present is always after them. Narrower than
# _clock_write_names.HISTORY_NAME, which also takes starts, finishes and dates: here those are the
# due times whose arrival the query asks about.
_PAST = re.compile(
    r"(?:^|_)(?:creat|updat|modif|changed|joined|login|sent|paid|complet|done|confirm|revok|used|issued|"
    r"inserted|added|received|seen|recorded|logged|registered|submitted|published|posted)|^last_|"
    r"^(?:time|timestamp|stamp|ts|when)$",
    re.IGNORECASE,
)
# A calendar date a person sets (`reminder_date`, `date_first_schedulable`), where seconds of skew
# change nothing; a date named for an end or a timeout (`trial_end_date`, `queue_timeout_date`) is
# a deadline some node computed.
_CALENDAR = re.compile(r"(?:^|_)date(?:_|$)", re.IGNORECASE)
_DEADLINE = re.compile(r"(?:^|_)ends?(?:_|$)|timeout|expir|deadline|due", re.IGNORECASE)
# Calls on a row that write it, and calls that hand work on, one per row.
_ROW_WRITES = frozenset({"save", "delete", "update", "update_fields", "soft_delete"})
_DISPATCH = frozenset({"apply_async", "delay", "send_task", "enqueue", "enqueue_call"})
_NESTED = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def arrived(op: cst.BaseCompOp | str, column_left: bool) -> bool:
    """`column <= now` (or `now >= column`, or `column.op("<=")(now)`): rows whose instant has come."""
    before = op in ("<", "<=") if isinstance(op, str) else isinstance(op, (cst.LessThan, cst.LessThanEqual))
    return before if column_left else not before


def arrived_rows(finder, scope: Scope, query: cst.Call, column: str, value: cst.CSTNode, detail: str) -> None:
    """Report `value` when it is a bare reading of this clock that `column` is compared with in
    `query`, and the rows selected are then written or handed on one by one."""
    bare = column.strip('"').rpartition(".")[2]
    if _PAST.search(bare) or LIVENESS_NAME.search(bare) or (_CALENDAR.search(bare) and not _DEADLINE.search(bare)):
        return
    flow = finder.offset(scope, value, (WALL,))
    if flow is None or date_level(finder.analysis.qname, flow) or not _rows_acted_on(finder.analysis, scope, query):
        return  # today's date (`date.today()`): rows due on a calendar day, which seconds of skew do not move
    finder.add(flow, value, "query", detail, at_value=True, call=query)


def _rows_acted_on(analysis, scope: Scope, query: cst.Call) -> bool:
    if chain_writes(analysis, query):
        return True
    outer: cst.CSTNode = query
    for call in chained_calls(analysis, query):
        outer = call
    parent = analysis.index.parent_of(outer)
    loops = []
    if isinstance(parent, cst.For) and parent.iter is outer:
        loops.append(parent)
    elif isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
        name = parent.targets[0].target.value
        loops = [node for node in descendants(scope.node, _NESTED)
                 if isinstance(node, cst.For) and isinstance(node.iter, cst.Name) and node.iter.value == name]
    return any(_loop_writes(analysis, loop) for loop in loops)


def _loop_writes(analysis, loop: cst.For) -> bool:
    """Each row of the loop gets a field assigned or is saved or deleted, or work is dispatched
    for it."""
    if not isinstance(loop.target, cst.Name):
        return False
    row = loop.target.value
    for node in descendants(loop.body, _NESTED):
        if isinstance(node, cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Attribute) and _names(target.target.value, row):
                    return True
        elif isinstance(node, cst.Call):
            last = last_part(call_name(analysis.qname, node))
            if last in _DISPATCH:
                return True
            if last in _ROW_WRITES and isinstance(node.func, cst.Attribute) and _names(node.func.value, row):
                return True
    return False


def _names(node: cst.CSTNode, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name
