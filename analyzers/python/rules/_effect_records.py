"""Records written through the project's own functions: after the effect, a call of a function
of this module (or a method of the same class), or of another module's record helper held by
the project index (rules/_effect_writers), whose body writes to the database
(`self.record_outgoing_message(msg)`, `_store_delivery(order, response)`). Whatever it is
called, its body is the record: the effect comes first and the write after it."""
from __future__ import annotations

from ._effects_flow import Flow, Site, runs_after
from ._effect_writers import writes_record
from ._effects_named import _LOCAL_DB, _RECORD_NAME, _inner_flow, _local_callee


def writer_calls(flow: Flow, effect: Site, ctx) -> list[Site]:
    """Calls that run after `effect` of a local function whose body performs a database write."""
    from ._db_writes import db_write
    from ._side_effects import side_effect

    found = []
    for site in flow.sites[effect.index + 1:]:
        if site.node is effect.node or not runs_after(effect, site, flow):
            continue
        local = _local_callee(site, flow, ctx)
        if local is None:
            if writes_record(site, ctx):  # another module's record helper
                found.append(site)
            continue
        inner = _inner_flow(local, flow, ctx)
        if any(side_effect(s, inner, ctx, deep=True) is not None for s in inner.sites):
            continue  # another send with its own bookkeeping (`send_webhook`), not this one's record
        if any(
            db_write(s, inner, ctx, pending=False) is not None or _RECORD_NAME.search(s.method)
            or writes_record(s, ctx) for s in inner.sites
        ) or _LOCAL_DB.search(ctx.code_for(local.body)):
            # its body writes, or hands the outcome to a record helper (of this module or another:
            # `update_notification_to_sending(n)` setting the status and calling `dao_update_notification(n)`)
            found.append(site)
    return found
