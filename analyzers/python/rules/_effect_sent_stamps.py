"""A sent stamp set on an object after the effect: `phone.msg_sms_sent_at = utcnow()` or
`invite.email_sent = True` right after the SMS or email went out. The attribute's name says the
object records that the effect happened; the session that owns the object writes it later, so a
crash between the send and that write leaves the effect unrecorded and a retry repeats it.

Left out: a stamp cleared (`sent = False`, `sent_at = None`), and stamps on `self` of a class
that is no model (an in-memory sender's own flag) unless the same function saves it."""
from __future__ import annotations

import re
from dataclasses import replace

import libcst as cst

from ._effects_flow import Flow, Site, runs_after

_SENT_STAMP = re.compile(
    r"(?i)^(?:is_|was_)?(?:\w+_)?(?:sent|notified|delivered|emailed|mailed|texted)(?:_at|_on|_date|_time|_timestamp)?$"
)
_CLEARED = frozenset({"False", "None"})


# `payment.state = "sent"`, `order.status = "paid"`: the object's state set to what the effect did.
_STATE_FIELD = re.compile(r"(?i)^(?:\w+_)?(?:state|status)$")
_DONE_STATE = re.compile(r"(?i)^(?:sent|paid|delivered|notified|dispatched|transferred|refunded|submitted)$")


def _done_state(target: cst.Attribute, value: cst.BaseExpression) -> bool:
    return (
        bool(_STATE_FIELD.match(target.attr.value)) and isinstance(value, cst.SimpleString)
        and bool(_DONE_STATE.match(str(value.evaluated_value)))
    )


def stamped_after(effect: Site, flow: Flow) -> Site | None:
    """The first sent stamp set after `effect` on a path where both run. An assignment shares
    its index with a `return` right after it (no call between): the stamp runs first."""
    stamps = sent_stamps(flow)
    for stamp in stamps:
        before = replace(flow, exits=[e for e in flow.exits if e[0] < stamp.index])
        if runs_after(effect, stamp, before):
            return stamp
    return None


def sent_stamps(flow: Flow) -> list[Site]:
    """The sent stamps assigned in this function, as sites the ARM402 order checks can place."""
    out = []
    for index, target, value in flow.attr_assigns:
        if not (_SENT_STAMP.match(target.attr.value) or _done_state(target, value)):
            continue
        if isinstance(value, cst.Name) and value.value in _CLEARED:
            continue
        if isinstance(target.value, cst.Name) and target.value.value in ("self", "cls") and not _saved_after(flow, index):
            continue
        path = flow.attr_paths.get(id(target), ())
        out.append(Site(target, index, path, "", target.attr.value))  # type: ignore[arg-type]
    return out


def _saved_after(flow: Flow, index: int) -> bool:
    return any(s.index >= index and s.chain in ("self.save", "self.put", "self.commit") for s in flow.sites)
