"""An expiry kept in a slot of a record that is then handed on.

`task["schedule"]["run_at"] = time.time() + delay` followed by `queue.put(task)`, `retry[key]["until"]
= now + backoff` followed by `json.dump(retry, fh)`: an instant of this clock moved by an amount is
written into a slot of a local record (a dict, a list, nested slots of either), and the record then
leaves the function through a call that keeps or sends it. Whoever reads the slot back compares it
with their own clock (ARM104). The general flow sees the same write when the expiry is an
attribute of the record (`job.run_at = ...; job.save()`, _clock_flow.py); a slot is the same fact.

Left out: the object's own state (`self.table[k] = ...`, in-process deadlines), records named as
caches or memos, a template's context (`context['expire_date']`: text for a person), records that
only reach logging, waits, heaps and other in-process containers, and backdated values (`now -
amount`: a cut-off, not an expiry)."""
from __future__ import annotations

import libcst as cst

from ._clock import OFFSET
from ._clock_deadlines import _display_only
from ._clock_flow import _IN_MEMORY, _IN_PROCESS_CALLEE, _TEMPLATE_CONTEXT, _WRITES, _FlowFinder, hands_on
from ._clock_flow_shapes import is_past, past, report_node
from ._clock_scope import Scope, call_name, last_part


def find_slot_expiries(analysis, ctx, covered: set[int], taken: set[int]) -> list:
    finder = _FlowFinder(analysis, ctx, covered, taken)
    path = getattr(ctx, "path", "")
    for scope in analysis.index.scopes:
        slots = [*scope.slot_assigns, *_defaults_set(scope)]
        if not slots or _display_only(scope, path):
            continue
        for target, value in slots:
            root = _record_root(target)
            if not isinstance(root, cst.Name) or root.value in ("self", "cls") or _IN_MEMORY.search(root.value) \
                    or _TEMPLATE_CONTEXT.search(root.value):
                continue  # the object's own state, a memo, a template's context (shown to a person)
            flow = analysis.flow(scope, value)
            if flow is None or flow.kind != OFFSET or not finder._shifted(scope, flow, value):
                continue
            if past(analysis, scope, value) or is_past(flow):
                continue  # a cut-off in the past, not an instant someone waits for
            keeper = _kept_by(analysis, scope, root.value)
            batch = _batch_of(scope, root.value)
            if keeper is None and batch is not None:
                keeper = _kept_by(analysis, scope, batch)
            if keeper is not None:
                finder._add(flow, report_node(flow, value), "kept", f"{keeper}({batch or root.value})")
    return finder.found


def _record_root(target: cst.BaseExpression) -> cst.BaseExpression:
    """The local a slot belongs to: `task` for `task["run_at"]`, and for `message.options["eta"]`
    (a slot of an object's field, kept with the object)."""
    root = target
    while isinstance(root, (cst.Subscript, cst.Attribute)):
        root = root.value
    return root


def _defaults_set(scope: Scope):
    """`doc.setdefault("expiry", value)`: the slot is written when the caller left it empty."""
    for call in scope.calls:
        func = call.func
        if (isinstance(func, cst.Attribute) and func.attr.value == "setdefault" and isinstance(func.value, cst.Name)
                and len(call.args) == 2 and isinstance(call.args[0].value, cst.SimpleString)):
            yield func.value, call.args[1].value


def _batch_of(scope: Scope, local: str) -> str | None:
    """`for doc in docs: doc[...] = ...`: the records written in the loop leave with `docs`."""
    for d in scope.defs.get(local, []):
        if isinstance(d.stmt, cst.For) and isinstance(d.stmt.target, cst.Name) \
                and isinstance(d.stmt.iter, cst.Name):
            return d.stmt.iter.value
    return None


def _kept_by(analysis, scope: Scope, local: str) -> str | None:
    """The call the record leaves through: `record.save()`-like methods, or a call it is handed
    to that is not logging or measuring, an in-process container, a wait or a cache."""
    index = analysis.index
    for use in scope.uses.get(local, []):
        parent = index.parent_of(use)
        if isinstance(parent, cst.Attribute) and parent.value is use:
            holder = index.parent_of(parent)
            if isinstance(holder, cst.Call) and holder.func is parent and _WRITES.search(parent.attr.value) \
                    and parent.attr.value != "setdefault":  # the dict's own method, not a keeper
                return parent.attr.value
            continue
        if not isinstance(parent, cst.Arg):
            continue
        call = index.parent_of(parent)
        if not isinstance(call, cst.Call) or not hands_on(analysis.qname, call):
            continue
        name = call_name(analysis.qname, call) or ""
        last = last_part(name) or ""
        if not last or _IN_PROCESS_CALLEE.search(last) or _IN_MEMORY.search(name) or last[:1].isupper():
            continue
        return last
    return None


__all__ = ["find_slot_expiries"]
