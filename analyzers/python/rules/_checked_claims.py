"""A lock spelt as a check, then a write with a lifetime, then a delete of the same key (ARM201).

The general pitfall this family looks for is mutual exclusion that expires: ownership that
lapses after a lifetime (a TTL, a timeout, a lease) with no monotonic token handed from the
acquisition to what it guards. A key-value store gives that shape without any lock API:

    if store.get(key):            # someone holds it
        return
    store.set(key, 1, 86400)      # take it, for at most a day
    try:
        work()
    finally:
        store.delete(key)         # give it back

The read is tested, the write has a lifetime, and the same key is deleted after the work:
that is a lock (a non-atomic one, too), whatever the key or the store is called. A cache fill
reads, computes and writes but never deletes what it just wrote, so it is left alone.
"""
from __future__ import annotations

import libcst as cst

from ._call_args import kwarg, positional
from ._effects_flow import Flow, Site
from ._lock_model import _code, _is_none, _key_arg

_CHECKS = {"get", "exists", "has_key", "get_many", "ttl", "pttl"}
_WRITES_WITH_LIFETIME = {"set": 3, "add": 3, "setex": 2, "psetex": 2}
_LIFETIME_KWARGS = ("ex", "px", "exat", "pxat", "timeout", "expire", "ttl")
_RELEASES = {"delete", "unlink", "delete_many", "pop"}


def _has_lifetime(site: Site) -> bool:
    call = site.node
    if site.method in ("setex", "psetex"):
        return True
    if any((a := kwarg(call, name)) is not None and not _is_none(a.value) for name in _LIFETIME_KWARGS):
        return True
    args = positional(call)
    return len(args) >= 3 and not _is_none(args[2])


def checked_claim(flow: Flow, ctx, site: Site) -> tuple[str, int] | None:
    """(key source, index of the release) when `site` writes a key with a lifetime that an
    if-test of the same function read just before and that is deleted after it."""
    if site.method not in _WRITES_WITH_LIFETIME or isinstance(site.node.func, cst.Name):
        return None
    if len(positional(site.node)) < 2 and kwarg(site.node, "value") is None:
        return None
    if not _has_lifetime(site):
        return None
    key_code = _code(ctx, _key_arg(site.node))
    receiver = site.chain.rsplit(".", 1)[0]
    if not key_code:
        return None

    def same_key(other: Site) -> bool:
        return other.chain.rsplit(".", 1)[0] == receiver and _code(ctx, _key_arg(other.node)) == key_code

    tested = [
        start <= other.index < end
        for other in flow.sites
        if other.index < site.index and other.method in _CHECKS and same_key(other)
        for start, end, _ in flow.if_tests.values()
    ]
    if not any(tested):
        return None
    release = next(
        (o.index for o in flow.sites if o.index > site.index and o.method in _RELEASES and same_key(o)), None
    )
    if release is None or release == site.index + 1:
        return None  # nothing between taking and giving back
    return key_code, release
