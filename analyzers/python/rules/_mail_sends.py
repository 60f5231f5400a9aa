"""Mail sends as mail-queue workers write them, and the record that says they happened.

A Django message object is sent with a bare `.send()` (or `.send(fail_silently=...)`), and the
object usually comes from a helper (`msg = self.email_message()`, `email = row.build_email()`),
so neither the callee nor the receiver's name says "mail". What does: the object was built by a
call named for a message, or the module imports Django's mail API.

The record that makes a retry skip a send is not always an insert or an update: a queue worker
deletes the queue row it sent (`row.delete()`), and a loop over recipients sets the batch's
`sent` flag once after the loop. Those are what `consumes_source` and `outside_loop` tell.
"""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import _chain_of, callee_name, calls_in
from ._effects_flow import Flow, Site

_MAIL_MODULES = re.compile(r"^(?:django\.core\.mail|smtplib|email\.mime|email\.message|anymail|templated_email)")
_MESSAGE_BUILDER = re.compile(r"(?i)(?:e?mail|message|msg)\w*$")
_MESSAGE_NAME = re.compile(r"(?i)^(?:msg|message|e?mail|\w+_(?:msg|message|e?mail))$")


def _imports_mail(flow: Flow) -> bool:
    return any(_MAIL_MODULES.match(full) for full in flow.imports.values())


def mail_send(site: Site, flow: Flow) -> bool:
    """`msg.send()` / `email.send(fail_silently=False)` on a Django-style message object."""
    if site.method != "send" or "." not in site.chain:
        return False
    call = site.node
    if any(arg.keyword is None for arg in call.args):
        return False  # `channel.send(data)`, `socket.send(payload)`, signals: they take what to send
    keywords = {arg.keyword.value for arg in call.args if arg.keyword is not None}
    if keywords - {"fail_silently"}:
        return False
    if "fail_silently" in keywords:
        return True
    receiver = site.chain.rsplit(".", 1)[0]
    if "." in receiver or receiver.endswith(("()", "]")):
        return False
    bound = flow.value_of(receiver, site.index)
    if isinstance(bound, cst.Call) and _MESSAGE_BUILDER.search(callee_name(bound)):
        return True
    return bool(_MESSAGE_NAME.match(receiver)) and _imports_mail(flow)


def _names(node: cst.CSTNode | None) -> set[str]:
    found: set[str] = set()
    if node is None:
        return found
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.add(current.value)
        stack.extend(current.children)
    return found


def effect_sources(effect: Site, flow: Flow) -> set[str]:
    """Names whose rows fed the effect: its receiver (and what the receiver was built from)
    and its arguments, one assignment deep."""
    receiver = effect.chain.rsplit(".", 1)[0].split(".", 1)[0] if "." in effect.chain else ""
    roots = {receiver} if receiver and receiver.isidentifier() else set()
    roots |= _names(cst.Tuple([cst.Element(a.value) for a in effect.node.args])) if effect.node.args else set()
    for name in list(roots):
        bound = flow.value_of(name, effect.index) if flow.bound_here(name) else None
        roots |= _names(bound)
    return roots - {"self", "settings"}


def consumes_source(record: Site, effect: Site, flow: Flow) -> bool:
    """`row.delete()` after sending what `row` held: the queue row is the record of "not yet sent"."""
    if record.method != "delete" or record.node.args or "." not in record.chain:
        return False
    receiver = record.chain.rsplit(".", 1)[0]
    return receiver.isidentifier() and receiver in effect_sources(effect, flow)


def loop_around(site: Site, flow: Flow) -> tuple[int, int] | None:
    """The innermost loop body the call runs in."""
    inner = None
    for start, end in flow.loops:
        if start <= site.index < end and (inner is None or start >= inner[0]):
            inner = (start, end)
    return inner


def outside_loop(record: Site, effect: Site, flow: Flow) -> bool:
    """The effect repeats per item of a loop the record is not in: a record before the loop
    (a batch marked "sending") says nothing about which items were already done."""
    loop = loop_around(effect, flow)
    return loop is not None and not (loop[0] <= record.index < loop[1])


# What a sender sets right after a send to say it happened (`self.sent = now()`,
# `notice.email_sent = True`, `row.delivered_at = ...`).
_SENT_MARK = re.compile(r"(?i)^(?:is_|was_)?(?:\w+_)?(?:sent|notified|delivered|emailed|mailed)(?:_at|_on|_date|_time)?$")
_LOG_LINE = re.compile(r"^(?:print$|_?(?:log|logger|logging|LOG|LOGGER|\w+_logger)\.\w+$)")
_SEND_VERB = re.compile(r"(?i)^_?(?:send|notify|deliver|dispatch|mail|email)(?:_\w+)?$")


def marked_sent(site: Site, flow: Flow) -> bool:
    """`super().send(request=request)` followed at once by `self.sent = timezone.now()`: whatever
    the callee is, the code itself says the call sent something and the next line records it."""
    if site.outer:
        return False
    if not _SEND_VERB.match(site.method):
        return _REPORT_VERB.match(site.method) is not None and flagged_sent_after(site, flow)
    nested = {s.index for s in flow.sites if site.index in s.outer}
    for index, target, value in flow.attr_assigns:
        if index <= site.index:
            continue
        if not _SENT_MARK.match(target.attr.value):
            return flagged_sent_after(site, flow)
        value_calls = {id(n) for n in calls_in(value)}
        between = [s for s in flow.sites if site.index < s.index < index and s.index not in nested]
        # a log line saying the mail went out (`logging.debug(f"Notified {user.email}")`) is no other work
        logs = {s.index for s in between if _LOG_LINE.search(s.chain)}
        return all(id(s.node) in value_calls or s.index in logs or logs & set(s.outer) for s in between)
    return flagged_sent_after(site, flow)


# A flag whose name carries the sent word anywhere (`has_been_sent_followup`, `alert_sented`,
# `chaser_email_sent_on`), or a method named for it (`update_last_sent()`, `mark_as_notified()`).
_SENT_WORD = re.compile(r"(?i)(?:^|_)(?:sent|sented|notified|delivered|emailed|mailed)(?:_|$)")
# Verbs that hand something to another system when a sent flag follows them (`report_event(payload)`
# then `task.alert_sented = True`); without the flag they are ordinary in-process names.
_REPORT_VERB = re.compile(r"(?i)^_?(?:report|alert|publish|push)_\w+$")
# Calls between the send and its flag that tell the flag is someone else's: another send.
_OTHER_SEND = re.compile(r"(?i)^_?(?:send|notify|deliver|dispatch|mail|email|report|alert|publish|push)(?:_\w+)?$")
_NEAR_CALLS = 4


def flagged_sent_after(site: Site, flow: Flow) -> bool:
    """A send-named call, then, on the path it runs on and before any other send, a flag named
    for the sending (`submission.has_been_sent_followup = True`) or a method named for it
    (`notification.update_last_sent()`): the code says the call sent something and what
    follows records it. Logging and lookups may sit between them, other assignments may not."""
    nested = {s.index for s in flow.sites if site.index in s.outer}
    later = [s for s in flow.sites if s.index > site.index and s.index not in nested]
    for other in later[:_NEAR_CALLS]:
        if not _extends(other.path, site.path):
            break
        if _SENT_WORD.search(other.method) and "." in other.chain:
            return True
        if _OTHER_SEND.match(other.method):
            break
    limit = later[_NEAR_CALLS].index if len(later) > _NEAR_CALLS else None
    for index, target, _ in flow.attr_assigns:
        if index <= site.index or (limit is not None and index > limit):
            continue
        if any(site.index < s.index < index and _OTHER_SEND.match(s.method) for s in later):
            return False
        # the first assignment after the call: one after other work (`batch.attempts += 1`)
        # may record that work, not the send
        return bool(_SENT_WORD.search(target.attr.value)) and _extends(flow.attr_paths.get(id(target), ()), site.path)
    return False


def _extends(path: tuple, base: tuple) -> bool:
    """`path` runs inside the block `base` names (the same block or one nested in it)."""
    return path[: len(base)] == base


def flagged_after(effect: Site, flow: Flow) -> set[str]:
    """Objects whose sent flag is set after the effect, on its path (`message.sent = True`):
    a save of one before the effect (`message.timestamp = now(); message.save()`) stored
    something else, not that the effect happened."""
    return {
        _chain_of(target.value)
        for index, target, _ in flow.attr_assigns
        if index > effect.index and _SENT_WORD.search(target.attr.value)
        and _extends(flow.attr_paths.get(id(target), ()), effect.path)
    }


def saves_flagged(record: Site, flagged: set[str]) -> bool:
    """`message.save()` of an object whose sent flag is only set after the effect."""
    return record.method == "save" and record.chain.rsplit(".", 1)[0] in flagged
