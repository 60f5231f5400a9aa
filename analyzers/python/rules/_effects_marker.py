"""Records that mark an effect as done although no ORM/SQL write is visible at the call.

Two general shapes, both "the effect first, the mark that it happened afterwards":

- a dedupe guard: the function returns early when a lookup keyed by K finds a row, performs the
  effect, and then hands the same K to a write-named call (`add_log_entry(..., identifier=K)`).
  The guard proves the later call writes what the guard reads, whatever the callee is called.
- a same-module helper whose body sets a sent/done state (`entry.data['state'] = 'sent'`,
  `self.status = "delivered"`): the function marks the effect through it. Reported at medium
  confidence, since the row is flushed by whoever commits the session."""
from __future__ import annotations

import re

import libcst as cst

from ._effects_flow import Flow, Site
from ._clock_scope import string_value
from ._effects_named import _local_callee
from ..walk import walk

_LOOKUP_TAIL = frozenset({"exists", "first", "count", "get", "filter", "filter_by", "one_or_none", "scalar"})
_WRITE_VERB = re.compile(r"^_?(?:add|create|insert|save|record|mark|store|write|put|set|update|log)_\w+$|^_?(?:add|create|insert|save|record|store|write)$")
_LOGGERISH = re.compile(r"(?i)(?:^|\.)_?(?:log|logger|logging|messages)$")
_STATE_KEY = re.compile(r"(?i)^(?:state|status|\w*_(?:state|status)|sent|delivered|notified|(?:is|was)_(?:sent|delivered|notified))$")
_DONE_VALUE = re.compile(r"(?i)^(?:sent|delivered|notified|done|completed?|success(?:ful)?|processed)$")


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _call_args(node: cst.BaseExpression) -> list[cst.Arg]:
    """Arguments of every call along a chain: `Log.objects.filter(key=k).exists()` -> `key=k`."""
    args: list[cst.Arg] = []
    while True:
        if isinstance(node, cst.Call):
            args.extend(node.args)
            node = node.func
        elif isinstance(node, cst.Attribute):
            node = node.value
        else:
            return args


def _key_text(value: cst.BaseExpression) -> str | None:
    """Names and dotted names only: a literal or a call says nothing about identity."""
    if isinstance(value, (cst.Name, cst.Attribute)):
        text = _code(value)
        return None if text in ("self", "True", "False", "None") else text
    return None


def _guard_keys(flow: Flow, before: int) -> set[str]:
    """Keys of lookups that sit in an `if` test before `before` (the "already done?" check)."""
    keys: set[str] = set()
    for start, end, _ in flow.if_tests.values():
        if start >= before:
            continue
        for site in flow.sites[start:min(end, before)]:
            if site.method not in _LOOKUP_TAIL:
                continue
            for arg in _call_args(site.node):
                key = _key_text(arg.value)
                if key is not None:
                    keys.add(key)
    return keys


def guarded_marks(flow: Flow, effect: Site) -> list[Site]:
    """Write-named calls after `effect` passing a key that the guard before it looked up."""
    keys = _guard_keys(flow, effect.index)
    if not keys:
        return []
    found = []
    for site in flow.sites[effect.index + 1:]:
        receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
        if not _WRITE_VERB.search(site.method) or _LOGGERISH.search(receiver):
            continue
        if any(_key_text(arg.value) in keys for arg in site.node.args):
            found.append(site)
    return found


def _sets_done_state(func: cst.FunctionDef) -> bool:
    class Finder(cst.CSTVisitor):
        hit = False

        def visit_Assign(self, node: cst.Assign) -> None:
            if not (isinstance(node.value, cst.SimpleString) and _DONE_VALUE.match(string_value(node.value) or "")) and not (
                isinstance(node.value, cst.Name) and node.value.value == "True"
            ):
                return
            for target in node.targets:
                self.hit = self.hit or _state_target(target.target, node.value)

    finder = Finder()
    walk(func.body, finder)
    return finder.hit


def _state_target(target: cst.BaseExpression, value: cst.BaseExpression) -> bool:
    if isinstance(target, cst.Attribute):
        name = target.attr.value
    elif isinstance(target, cst.Subscript) and len(target.slice) == 1:
        index = target.slice[0].slice
        if not (isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString)):
            return False
        name = string_value(index.value) or ""  # bytes keys (`msg[b'FLAGS']`) decoded, bad escapes None
    else:
        return False
    if isinstance(value, cst.Name):  # `x.sent = True`, never `x.status = True`
        return bool(re.search(r"(?i)sent|delivered|notified", name)) and bool(_STATE_KEY.match(name))
    return bool(_STATE_KEY.match(name))


# A helper from elsewhere whose name says it records the effect as done
# (`await mark_webhook_sent(payment_hash, status)`, `crud.set_invoice_notified(id)`).
_MARK_DONE_NAME = re.compile(
    r"(?i)^_?(?:mark|set|flag|record|update)_\w*?(?:sent|delivered|notified|dispatched|processed)(?:_at)?$"
    r"|^_?mark_\w+_as_(?:sent|delivered|notified|done|processed|completed?)$"
)


def helper_marks(flow: Flow, effect: Site, ctx) -> list[Site]:
    """Calls after `effect` to a function of this module whose body sets a sent/done state, or
    to a helper defined elsewhere whose name says it marks the effect done."""
    found = []
    for site in flow.sites[effect.index + 1:]:
        local = _local_callee(site, flow, ctx)
        if local is not None and _sets_done_state(local):
            found.append(site)
        elif _MARK_DONE_NAME.match(site.method) and (local is None or not _sends(local, flow, ctx)):
            # named for marking the effect done; defined here, its body hands the mark to a
            # persistence helper out of sight (`update_payment(payment)` of the host application)
            found.append(site)
    return found


def _sends(func: cst.FunctionDef, flow: Flow, ctx) -> bool:
    """The local function performs an external effect itself (a second send, not a mark)."""
    from ._effects_named import _inner_flow
    from ._side_effects import side_effect

    inner = _inner_flow(func, flow, ctx)
    return any(side_effect(s, inner, ctx, deep=True) is not None for s in inner.sites)

