"""Finding the writes to shared storage made while a distributed lock is held (ARM201): SQL and ORM
writes, object-store and key-value puts, Redis writes other than to the lock's own key, HTTP
calls that change state, files opened for writing; each marked fenced or not.

`LockFinder` adds this to the acquisitions of `AcquisitionFinder`, so a rule asks one object for
both. Writes that merely refill a cache under a stampede lock are told apart (medium confidence).
"""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import kwarg, positional
from ._db_writes import db_write, pending_marks, sql_of
from ._http_calls import http_method
from ._effects_flow import Site
from ._lock_acquisitions import AcquisitionFinder
from ._lock_fencing import covered_by, fenced
from ._lock_lifetimes import _LEASE_COLUMN
from ._lock_model import Acquisition, Write, _code, _key_arg
from ._sqltext import ADVISORY_UNLOCK, SESSION_ADVISORY_LOCK, is_lease_sql, string_text, target_table


_STORAGE_WRITES = {
    "put_object", "upload_file", "upload_fileobj", "copy_object", "delete_object", "delete_objects",
    "upload_blob", "upload_from_string", "upload_from_filename", "upload_from_file", "put_item",
    "update_item", "delete_item", "batch_write_item", "write_text", "write_bytes",
}
# Writes to a coordination service's key-value store (etcd, Consul).
_COORDINATION_IMPORTS = {"etcd", "etcd3", "aioetcd3", "etcd3gw", "consul", "aioconsul", "consulate"}
_KV_WRITES = {"write", "put", "delete", "set", "test_and_set", "update", "replace", "delete_prefix"}
_KV_RECEIVER = re.compile(r"(?:^|\.)_?(?:\w*client|kv|etcd\w*|consul\w*)$", re.I)
_REDIS_WRITES = {
    "set": 2, "hset": 2, "hmset": 2, "mset": 1, "lpush": 2, "rpush": 2, "sadd": 2, "zadd": 2, "xadd": 2, "setex": 3, "psetex": 3,
    # removing shared members is a write too (a stale holder deletes what the new one just added)
    "hdel": 2, "srem": 2, "zrem": 2, "lrem": 3, "ltrim": 3, "hincrby": 2,
}


class LockFinder(AcquisitionFinder):
    """The locks of one function's flow and the writes each one guards."""

    def guarded_writes(self, acquisition: Acquisition) -> list[Write]:
        marks = pending_marks(self.flow)
        writes: list[Write] = []
        for site in self.flow.sites:
            if site.index < acquisition.start or (acquisition.end is not None and site.index >= acquisition.end):
                continue
            if site.node is acquisition.node or not self._in_held_branch(site, acquisition):
                continue
            if self.cache_fill(site, acquisition):
                writes.append(Write(site, False, cache_fill=True))
                continue
            if self._is_write(site, acquisition, any(m <= site.index for m in marks)):
                writes.append(Write(site, fenced(self.flow, self.ctx, site)))
        for write in writes:
            if not write.fenced and sql_of(write.site, self.flow):
                write.fenced = any(covered_by(self.flow, self.ctx, earlier.site, write.site) for earlier in writes if earlier.fenced)
        return writes

    def cache_fill(self, site: Site, acquisition: Acquisition) -> bool:
        """`with lock: val = cache.get(key); if val is None: val = compute(); cache.set(key, val)`:
        stampede protection. The lock mostly spares the backend duplicate work; a second holder
        writes the same derived value again, unless a paused one puts back an older value, so
        such writes are reported at medium confidence. A value computed from what was
        read (`set(key, int(old) + 1)`) is a read-modify-write, which the lock does guard."""
        if site.method not in ("set", "setex", "add", "set_many") or isinstance(site.node.func, cst.Name):
            return False
        args = positional(site.node)
        key = _key_arg(site.node)
        if key is None or len(args) < 2:
            return False
        key_code = _code(self.ctx, key)
        reads = [
            other
            for other in self.flow.sites
            if acquisition.start <= other.index < site.index
            and other.method == "get"
            and (other_key := _key_arg(other.node)) is not None
            and _code(self.ctx, other_key) == key_code
        ]
        if not reads:
            return False
        value = args[2] if site.method == "setex" and len(args) > 2 else args[1]
        return not self._derived_from(value, {id(r.node) for r in reads}, site.index)

    def _derived_from(self, value: cst.BaseExpression, reads: set[int], before: int, depth: int = 0) -> bool:
        """Whether `value` is, or is computed from, one of the `reads` calls (through names)."""
        stack: list[cst.CSTNode] = [value]
        while stack:
            node = stack.pop()
            if id(node) in reads:
                return True
            if isinstance(node, cst.Name) and depth < 3:
                bound = self.flow.value_of(node.value, before)
                if bound is not None and bound is not value and self._derived_from(bound, reads, before, depth + 1):
                    return True
            stack.extend(node.children)
        return False

    def _runs_claim(self, site: Site, acquisition: Acquisition) -> bool:
        """`session.execute(statement)` where `statement` is the row claim itself (SQLAlchemy
        builds the claim first and runs it after): running the claim is not a guarded write."""
        for arg in positional(site.node):
            value = arg.expression if isinstance(arg, cst.Await) else arg
            bound = self.flow.value_of(value.value, site.index) if isinstance(value, cst.Name) else value
            if bound is acquisition.node:
                return True
        return False

    def _is_write(self, site: Site, acquisition: Acquisition, pending: bool) -> bool:
        method = site.method
        if acquisition.row_claim and self._runs_claim(site, acquisition):
            return False  # `session.execute(statement)` where the statement is the claim itself
        if acquisition.row_claim and any(
            arg.keyword is not None and _LEASE_COLUMN.match(arg.keyword.value) for arg in site.node.args
        ):
            return False  # renewing or releasing the claimed row's lease
        stamp = acquisition.report.keyword if acquisition.row_claim and isinstance(acquisition.report, cst.Arg) else None
        if stamp is not None and any(arg.keyword is not None and arg.keyword.value == stamp.value for arg in site.node.args):
            return False  # the stamp of a record claimed by time, renewed or cleared
        write = db_write(site, self.flow, self.ctx, pending)
        if write is not None:
            if write.kind == "commit" and not pending:
                return False
            if write.sql is not None:
                if is_lease_sql(write.sql) or SESSION_ADVISORY_LOCK.search(write.sql) or ADVISORY_UNLOCK.search(write.sql):
                    return False
                table = target_table(write.sql)
                if acquisition.lease_table and table == acquisition.lease_table:
                    return False  # renewing or releasing the lease itself
            return True
        if method in _STORAGE_WRITES:
            return True
        if http_method(site, self.flow) in ("post", "put", "patch", "delete"):
            return True
        if method in _REDIS_WRITES:
            args = positional(site.node)
            if len(args) < _REDIS_WRITES[method] or kwarg(site.node, "nx") is not None or kwarg(site.node, "xx") is not None:
                return False
            return acquisition.key is None or _code(self.ctx, args[0]) != acquisition.key
        if site.chain == "open":
            return _write_mode(site.node)
        if method in _KV_WRITES and self.heads & _COORDINATION_IMPORTS:
            return bool(_KV_RECEIVER.search(site.chain.rsplit(".", 1)[0]))
        return False



def _write_mode(call: cst.Call) -> bool:
    mode = kwarg(call, "mode")
    args = positional(call)
    node = mode.value if mode is not None else (args[1] if len(args) > 1 else None)
    text = string_text(node)
    return bool(text) and any(ch in text for ch in "wax+")
