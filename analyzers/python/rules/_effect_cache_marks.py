"""Records of an effect kept in a cache or in Redis instead of a table (ARM402).

A sender that must not repeat itself often keeps its "already done" mark outside the database:
`cache.set("insee_expiry_notified", True)` after the Slack warning, `redis_store.set(key, now)`
after the daily-limit email, `cache.set(key, code, 300)` after the login code is pushed, the
batch's Redis key deleted once its mail went out. The mark is written after the effect, so a
crash, a timeout of the store or a concurrent run between the two repeats the effect, exactly
as with a row saved afterwards.

Only stores the code names as a cache or Redis count (`cache`, `caches["x"]`, `redis_store`,
`get_redis_connection()`, `self.cache.redis`). A delete is a mark only for Redis, and only of
the key of the item the loop is working through (a queue of pending sends kept in Redis): a
cache delete after a send is an invalidation, not a record.
"""
from __future__ import annotations

import re

import libcst as cst

from ..walk import descendants
from ._effects_flow import Flow, Site
from ._mail_sends import effect_sources, loop_around

_CACHE_NAME = re.compile(r"(?i)(?:^|[._])\w*(?:cache|redis)\w*(?:\(\))?$")
_REDIS_NAME = re.compile(r"(?i)redis")
_BOUND_STORE = re.compile(r"(?i)\bcaches\b|cache|redis")
_WRITES = frozenset({"set", "setex", "psetex", "set_many", "hset", "hmset", "sadd"})
_DELETES = frozenset({"delete", "hdel"})


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _store(receiver: str, site: Site, flow: Flow) -> str | None:
    """"redis", "cache" or None: what the receiver of a call is, by its name or its binding
    (`r = get_redis_connection("default")`, `cache = caches["failsafe"]`)."""
    if not receiver:
        return None
    if _CACHE_NAME.search(receiver):
        return "redis" if _REDIS_NAME.search(receiver) else "cache"
    if receiver.isidentifier():
        bound = flow.value_of(receiver, site.index)
        if bound is not None:
            text = _code(bound)
            if _BOUND_STORE.search(text):
                return "redis" if _REDIS_NAME.search(text) else "cache"
    return None


def cache_mark(record: Site, effect: Site, flow: Flow) -> bool:
    """`record`, after `effect`, writes the effect's mark into a cache or Redis: a set of a key
    the function looked up before the effect (the "already done?" check), or of a value the
    effect was made with (the login code pushed, then kept), or the Redis delete of the key of
    the loop item the effect was made for. A value taken from the effect's own response is a
    result being cached (a token fetched, then kept), not a mark."""
    if record.index <= effect.index or "." not in record.chain or not record.node.args:
        return False
    receiver = record.chain.rsplit(".", 1)[0]
    if record.method in _WRITES:
        if _store(receiver, record, flow) is None or _holds_result(record, effect, flow):
            return False
        key = _code(record.node.args[0].value)
        return _looked_up(key, effect, flow) or bool(_names(record.node) & effect_sources(effect, flow))
    if record.method in _DELETES and _store(receiver, record, flow) == "redis":
        loop = loop_around(effect, flow)
        return loop is not None and loop[0] <= record.index < loop[1]
    return False


_LOOKUPS = frozenset({"get", "exists", "hget", "hgetall", "sismember", "has_key"})


def _looked_up(key: str, effect: Site, flow: Flow) -> bool:
    """A store read of the same key before the effect (`if cache.get(KEY): return`)."""
    return any(
        site.index < effect.index and site.method in _LOOKUPS and site.node.args
        and _code(site.node.args[0].value) == key and "." in site.chain
        and _store(site.chain.rsplit(".", 1)[0], site, flow) is not None
        for site in flow.sites
    )


def _names(node: cst.CSTNode) -> set[str]:
    roots = [a.value for a in node.args] if isinstance(node, cst.Call) else [node]
    found = {n.value for root in roots for n in descendants(root) if isinstance(n, cst.Name)}
    return found - {"self", "settings", "True", "False", "None"}


def _holds_result(record: Site, effect: Site, flow: Flow) -> bool:
    """The written value comes from the effect's response (two assignments deep at most)."""
    names = _names(record.node)
    for _ in range(2):
        bound = set()
        for name in names:
            value = flow.value_of(name, record.index) if flow.bound_here(name) else None
            if value is None:
                continue
            if any(node is effect.node for node in descendants(value)):
                return True
            bound |= _names(value)
        names = bound
    return False

