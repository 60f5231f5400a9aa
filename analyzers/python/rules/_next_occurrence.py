"""The next occurrence of a repeating job, inserted by the run that just finished.

A scheduler that stores each occurrence as a row inserts the next one after a run: the same job
(its fields copied from the current row) at the current time slot plus the period. When the run
is retried (a crash before the old row is deleted, a lease that expired and another worker took
the job), the same occurrence is inserted twice; nothing keys the row on (job, slot).
"""
from __future__ import annotations

import re

import libcst as cst

from ._effects_flow import Flow, Site

_SLOT_KEY = re.compile(
    r"^(?:run_at|next_run(?:_at|_time)?|scheduled_(?:at|for|time)|eta|due_(?:at|date|on)|run_after|not_before"
    r"|execute_at|fire_at|period_start|billing_date|next_billing_date)$"
)


def _attribute_root(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        return node.value.value
    return None


def _slot_root(value: cst.BaseExpression, site: Site, flow: Flow) -> str | None:
    """`prev.run_at + timedelta(...)` (directly or through a name): the row the slot advances from."""
    if isinstance(value, cst.Name) and flow.bound_here(value.value):
        value = flow.value_of(value.value, site.index) or value
    if not isinstance(value, cst.BinaryOperation) or not isinstance(value.operator, cst.Add):
        return None
    return _attribute_root(value.left) or _attribute_root(value.right)


def row_call(site: Site, flow: Flow) -> cst.Call | None:
    """The call that carries the new row's fields: the create itself, or what a saved name was built by."""
    if site.method in ("save", "asave"):
        if site.node.args:
            return None
        receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
        if not receiver.isidentifier() or not flow.bound_here(receiver):
            return None
        bound = flow.value_of(receiver, site.index)
        return bound if isinstance(bound, cst.Call) else None
    if site.method in ("create", "acreate") and (".objects" in site.chain or site.chain[:1].isupper()):
        return site.node
    return None


def next_occurrence(site: Site, flow: Flow) -> str | None:
    """The slot keyword when this call inserts the same job again at its slot plus a period."""
    call = row_call(site, flow)
    if call is None:
        return None
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    for key, value in keywords.items():
        if not _SLOT_KEY.match(key):
            continue
        root = _slot_root(value, site, flow)
        if root is None:
            continue
        # the same job: other fields copied from the row the slot advanced from
        if any(k != key and _attribute_root(v) == root for k, v in keywords.items()):
            return key
    return None
