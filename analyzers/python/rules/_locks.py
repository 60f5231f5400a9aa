"""Distributed locks and leases taken from Python, the region of code each one guards, and the
writes to shared storage inside that region (ARM201).

In-process locks (threading, asyncio, multiprocessing, file locks) are never recognised: only
Redis/Redlock locks, Redis `SET NX`-style claims on a lock-like key, SQL lease rows and
session-level advisory locks.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from ..walk import OneScopeVisitor, walk
from ._effects import (
    _chain_of,
    db_write,
    flow_text_has,
    http_method,
    kwarg,
    pending_marks,
    positional,
    sql_of,
)
from ._effects_flow import Flow, Site
from ._checked_claims import checked_claim
from ._lock_classes import LockClasses
from ._sqltext import ADVISORY_UNLOCK, SESSION_ADVISORY_LOCK, checks_fence, is_lease_sql, string_text, target_table

_REDIS_IMPORTS = {
    "redis", "aioredis", "django_redis", "valkey", "coredis", "redis_lock", "pottery", "redlock",
    "aioredlock", "walrus", "rediscluster", "fakeredis",
    # coordination services whose locks are leases too
    "etcd", "etcd3", "aioetcd3", "etcd3gw",
}
_LOCAL_LOCK_HEADS = {"threading", "multiprocessing", "asyncio", "portalocker", "fcntl", "filelock", "os", "trio", "anyio", "gevent", "eventlet", "fasteners"}
_REDIS_RECEIVER = re.compile(
    r"(?:^|\.)_?(?:\w*redis\w*|r|rds|rc|valkey|kv|cache|lock_manager|lock_mgr|dlm|locker|redlock|\w*_redis)$", re.I
)
_REDIS_CLIENT_CTOR = re.compile(
    r"(?:^|\.)(?:Redis|StrictRedis|RedisCluster|from_url|get_redis_connection|Redlock|Aioredlock|Valkey)$"
)
_LOCK_KWARGS = {"timeout", "blocking_timeout", "blocking", "expire", "lock_timeout", "sleep", "thread_local", "auto_renewal", "ttl"}
_LOCK_CLASSES = re.compile(
    r"^(?:redis(?:\.asyncio)?\.lock\.Lock|redis(?:\.asyncio)?\.client\.Lock|redis_lock\.Lock|pottery(?:\.redlock)?\.(?:AIO)?Redlock|"
    r"redlock\.RedLock|redlock\.lock\.RedLock|sherlock\.RedisLock|valkey\.lock\.Lock|"
    r"etcd\.Lock|etcd3\.(?:locks\.)?Lock|etcd3gw\.lock\.Lock|aioetcd3\.\w*\.?Lock)$"
)
# Managers whose `.lock(...)` acquires at once (redlock-py, aioredlock) rather than build a Lock.
_MANAGER_CLASSES = re.compile(r"^(?:redlock\.Redlock|aioredlock\.Aioredlock|Aioredlock)$")
# Keys that say "someone is working on this": a claim when set only if absent.
_BUSY_KEY = re.compile(r"in_?progress|running|busy|claim|processing|ongoing", re.I)
_LOCKISH_KEY = re.compile(r"lock|lease|leader|mutex|owner|elect|singleton|critical|exclusive", re.I)

_STORAGE_WRITES = {
    "put_object", "upload_file", "upload_fileobj", "copy_object", "delete_object", "delete_objects",
    "upload_blob", "upload_from_string", "upload_from_filename", "upload_from_file", "put_item",
    "update_item", "delete_item", "batch_write_item", "write_text", "write_bytes",
}
# Writes to a coordination service's key-value store (etcd, Consul).
_COORDINATION_IMPORTS = {"etcd", "etcd3", "aioetcd3", "etcd3gw", "consul", "aioconsul", "consulate"}
_KV_WRITES = {"write", "put", "delete", "set", "test_and_set", "update", "replace", "delete_prefix"}
_KV_RECEIVER = re.compile(r"(?:^|\.)_?(?:\w*client|kv|etcd\w*|consul\w*)$", re.I)
_REDIS_WRITES = {"set": 2, "hset": 2, "hmset": 2, "mset": 1, "lpush": 2, "rpush": 2, "sadd": 2, "zadd": 2, "xadd": 2, "setex": 3, "psetex": 3}
_FENCED_CODE = re.compile(
    r"fenc|\b\w*(?:token|epoch|generation|expected_version|if_version|version__\w+|if[-_]?match|ifmatch|if_generation_match|condition\w*)\w*\b[\"']?\s*(?:=|<|>|:)",
    re.I,
)
_ANY_FENCE = re.compile(r"fenc|last_token|token__(?:lt|lte|gt|gte)", re.I)
_FALSY = ("False", "None", "0")


@dataclass
class Acquisition:
    node: cst.CSTNode  # what the finding points at
    index: int
    start: int  # region of calls guarded: start <= index < end
    end: int | None
    key: str | None  # source text of the Redis key, to tell the lock's own key from real writes
    lease_table: str | None = None
    guard_if: tuple[int, str] | None = None  # (id of the If whose test acquires, branch where held)
    sql: bool = False  # a lease row or advisory lock taken with SQL
    report: cst.CSTNode | None = None  # where to point when not at `node` (the lock taken in a helper)
    row_claim: bool = False  # a compare-and-set of a row's lease column: the claimed row is handed on
    expires: bool = False  # held through a session or lease the service ends by time


@dataclass
class Write:
    site: Site
    fenced: bool
    # a cache set filled under a stampede lock: a second holder mostly rewrites the same derived
    # value, but a paused one can still put back an older value (medium confidence)
    cache_fill: bool = False


def _code(ctx, node: cst.CSTNode | None) -> str:
    if node is None:
        return ""
    try:
        return ctx.code_for(node)
    except Exception:
        return ""


def _key_arg(call: cst.Call) -> cst.BaseExpression | None:
    named = kwarg(call, "name") or kwarg(call, "key")
    if named is not None:
        return named.value
    args = positional(call)
    return args[0] if args else None


def _truthy_kwarg(call: cst.Call, name: str) -> bool:
    arg = kwarg(call, name)
    return arg is not None and not (isinstance(arg.value, cst.Name) and arg.value.value in _FALSY)


def _holder_with_ttl(call: cst.Call) -> bool:
    """`set(key, self.node_id, nx=True, px=ttl)`: an expiring claim that records who holds it is
    a lease, whatever the key is called. Dedupe markers store a constant (`1`, `"done"`)."""
    args = positional(call)
    if len(args) < 2 or not any(kwarg(call, name) is not None for name in ("ex", "px", "exat", "pxat")):
        return False
    value = args[1]
    constant = (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString)
    return not isinstance(value, constant) and not (isinstance(value, cst.Name) and value.value in ("True", "False", "None"))


_EXPIRE_METHODS = {"expire", "pexpire", "expireat", "pexpireat"}
# The value names who holds the claim (this node, host, worker or a random owner id): a lock,
# not a "seen it" marker, which stores a constant.
_HOLDER_VALUE = re.compile(
    r"\b(?:node|host|hostname|worker|instance|holder|owner|replica|pod|pid|server|consumer|leader|process)"
    r"(?:_?id|_?name|_?key|_?token)?\b|gethostname|getpid|uuid",
    re.I,
)


def _holder_value(call: cst.Call) -> bool:
    args = positional(call)
    value = kwarg(call, "value")
    node = value.value if value is not None else (args[1] if len(args) > 1 else None)
    if node is None or isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString)):
        return False
    try:
        text = cst.Module([]).code_for_node(node)
    except Exception:
        return False
    return _HOLDER_VALUE.search(text) is not None


# A column that holds a lease: who holds the row, or until when.
_LEASE_COLUMN = re.compile(
    r"^(?:lock|locked|lock_until|locked_until|lock_expires?(?:_at)?|lock_time|locked_at|lease|lease_until|"
    r"lease_expires?(?:_at)?|leased_until|leased_at|claimed_until|claimed_at|visible_at|invisible_until)$",
    re.I,
)
_TIME_VALUE = re.compile(r"now|time|timeout|expir|delta|until|deadline|lease|ttl", re.I)


def _time_value(ctx, node: cst.BaseExpression) -> bool:
    """`now() + timedelta(...)`, `self.timeout(task)`, `timezone.now()`: a stamp, not a flag."""
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float)) or (
        isinstance(node, cst.Name) and node.value in ("True", "False", "None")
    ):
        return False
    return bool(_TIME_VALUE.search(_code(ctx, node)))


def _set_clause(node: cst.BaseExpression) -> cst.BaseExpression | None:
    for element in node.elements if isinstance(node, cst.Dict) else ():
        if isinstance(element, cst.DictElement) and string_text(element.key) == "$set":
            return element.value
    return None


def _set_items(node: cst.BaseExpression) -> list[tuple[str, cst.BaseExpression]]:
    inner = _set_clause(node)
    return [
        (string_text(e.key) or "", e.value)
        for e in (inner.elements if isinstance(inner, cst.Dict) else ())
        if isinstance(e, cst.DictElement)
    ]


def _dict_keys(node: cst.BaseExpression | None) -> set[str]:
    if not isinstance(node, cst.Dict):
        return set()
    return {string_text(e.key) or "" for e in node.elements if isinstance(e, cst.DictElement)}


def _strip_await(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.expression if isinstance(node, cst.Await) else node


class LockFinder:
    def __init__(self, flow: Flow, ctx, helpers: "HelperIndex | None" = None, owner: str | None = None) -> None:
        self.flow = flow
        self.ctx = ctx
        self.helpers = helpers
        self.owner = owner  # class whose method this flow is, for `self.helper()`
        self.heads = {full.split(".")[0] for full in flow.imports.values()}
        self.redis_file = bool(self.heads & _REDIS_IMPORTS) or any(
            full.startswith("django.core.cache") for full in flow.imports.values()
        )

    # --- acquisitions ---------------------------------------------------------------------
    def acquisitions(self) -> list[Acquisition]:
        found: list[Acquisition] = []
        for site in self.flow.sites:
            acquisition = (
                self._claim(site)
                or self._checked(site)
                or self._scored_semaphore(site)
                or self._session_lock(site)
                or self._lock_object(site)
                or self._sql_lock(site)
                or self._row_lease(site)
            )
            if acquisition is not None:
                acquisition.guard_if = self._guarding_if(site)
                found.append(acquisition)
        found.extend(self._module_lock_uses(found))
        if self.helpers is not None:
            found.extend(self._helper_uses())
        return found

    def _helper_uses(self) -> list[Acquisition]:
        """Calls of a lock helper of this module: held after the call (or in the branch its
        test selects) for helpers that return the claim's result, inside the `with` for
        context managers."""
        found = []
        for site in self.flow.sites:
            helper = self.helpers.resolve(site, self.owner) if self.helpers is not None else None
            if helper is None:
                continue
            if helper.kind == "context":
                block = next(
                    (b for b in self.flow.withs if any(_strip_await(i.item) is site.node for i in b.node.items)), None
                )
                if block is not None:
                    found.append(Acquisition(site.node, site.index, block.start, block.end, None, helper.lease_table, report=helper.node))
                continue
            release = next(
                (s.index for s in self.flow.sites if s.index > site.index and re.search(r"release|unlock", s.method)), None
            )
            acquisition = Acquisition(site.node, site.index, site.index + 1, release, None, helper.lease_table, report=helper.node)
            acquisition.guard_if = self._guarding_if(site)
            found.append(acquisition)
        return found

    def _claim(self, site: Site) -> Acquisition | None:
        call = site.node
        receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
        watched = self._watched_claim(site)
        if watched is not None:
            return watched
        if site.method == "set" and _truthy_kwarg(call, "nx"):
            pass
        elif site.method == "setnx":
            pass
        elif site.method == "add" and len(positional(call)) >= 2 and (
            receiver.endswith("cache") or self._release_of_key(site, _code(self.ctx, _key_arg(call))) is not None
        ):
            pass  # added only if absent, and given back by deleting it: a claim whatever the store
        else:
            return None
        key = _key_arg(call)
        if key is None:
            return None
        key_code = _code(self.ctx, key)
        release = self._release_of_key(site, key_code)
        key_text = string_text(key, self.flow.resolver(site.index)) or ""
        bound = self.flow.value_of(key.value, site.index) if isinstance(key, cst.Name) else None
        lockish = _LOCKISH_KEY.search(key_text) or _LOCKISH_KEY.search(key_code) or (
            bound is not None and _LOCKISH_KEY.search(_code(self.ctx, bound))
        )
        leased = _holder_with_ttl(call) or _holder_value(call) or self._expires_key(site, key_code)
        if not lockish and release is None and not leased:
            return None  # a dedupe marker ("processed:<event id>"), not a lock
        return Acquisition(call, site.index, site.index + 1, release, key_code)

    def _checked(self, site: Site) -> Acquisition | None:
        """A key read in a test, written with a lifetime, then deleted: a lock without a lock API."""
        claim = checked_claim(self.flow, self.ctx, site)
        if claim is None:
            return None
        return Acquisition(site.node, site.index, site.index + 1, claim[1], claim[0], expires=True)

    def _scored_semaphore(self, site: Site) -> Acquisition | None:
        """`sem.acquire()` of a semaphore of this module that evicts holders by age."""
        if self.helpers is None or not self.helpers.lock_classes.scored_acquire(site.node):
            return None
        receiver = site.chain.rsplit(".", 1)[0]
        release = next(
            (s.index for s in self.flow.sites if s.index > site.index and s.chain == f"{receiver}.release"), None
        )
        return Acquisition(site.node, site.index, site.index + 1, release, None, expires=True)

    def _session_lock(self, site: Site) -> Acquisition | None:
        """Consul's lock: a KV put that acquires the key for a session (`kv.put(key, value,
        acquire=session_id)`). The session ends by its TTL or a failed health check, and the key
        is then free for the next holder while this one may still be running."""
        call = site.node
        if site.method != "put" or ".kv." not in f".{site.chain}" or kwarg(call, "acquire") is None:
            return None
        if _is_none(kwarg(call, "acquire").value):
            return None
        return Acquisition(call, site.index, site.index + 1, None, None, expires=True)

    def _row_lease(self, site: Site) -> Acquisition | None:
        """A lease stamped on a row or document by a conditional update: Django
        `filter(id=..., lock=old).update(lock=now + RETRY)`, Mongo `find_one_and_update({"lock":
        {"$lte": cutoff}}, {"$set": {"lock": now}})`. Only the winner's update matches; the row is
        its until the stamp runs out, and whoever finds it expired takes it over."""
        call = site.node
        if site.method == "update" and ".filter(" in site.chain + "(" and isinstance(call.func, cst.Attribute):
            stamped = [a for a in call.args if a.keyword is not None and _LEASE_COLUMN.match(a.keyword.value)]
            selector = call.func.value
            if not stamped or not all(_time_value(self.ctx, a.value) for a in stamped) or not isinstance(selector, cst.Call):
                return None
            columns = {a.keyword.value for a in stamped}
            tested = any(a.keyword is not None and a.keyword.value.split("__")[0] in columns for a in selector.args)
            if not tested:
                return None
        elif site.method in ("find_one_and_update", "find_and_modify", "update_one"):
            args = positional(call)
            if len(args) < 2:
                return None
            tested = _dict_keys(args[0])
            stamped = _dict_keys(_set_clause(args[1]))
            columns = {k for k in stamped if _LEASE_COLUMN.match(k)} & tested
            if not columns or not all(_time_value(self.ctx, v) for k, v in _set_items(args[1]) if k in columns):
                return None
        else:
            return None
        return Acquisition(call, site.index, site.index + 1, None, None, lease_table="<row>", row_claim=True)

    def _watched_claim(self, site: Site) -> Acquisition | None:
        """Optimistic claim: `watch(k)`, `exists(k)` (or `get(k)`), then `psetex(k, ttl, v)` in a
        MULTI: the same check-and-set as `SET NX PX`, spelt as a transaction."""
        call = site.node
        expiring = site.method in ("psetex", "setex") or (
            site.method == "set" and any(kwarg(call, name) is not None for name in ("ex", "px"))
        )
        args = positional(call)
        if not expiring or not args:
            return None
        key_code = _code(self.ctx, args[0])
        earlier = [
            other.method
            for other in self.flow.sites
            if other.index < site.index and (a := positional(other.node)) and _code(self.ctx, a[0]) == key_code
        ]
        if "watch" not in earlier or not {"exists", "get"} & set(earlier):
            return None
        if not (_LOCKISH_KEY.search(key_code) or _BUSY_KEY.search(key_code) or _holder_value(call)):
            return None  # insert-if-absent of a record (a job payload), not a claim
        return Acquisition(call, site.index, site.index + 1, self._release_of_key(site, key_code), key_code)

    def _expires_key(self, site: Site, key_code: str) -> bool:
        """`setnx(key, v)` then `expire(key, 600)`: the claim was given a lifetime, so it is a
        lease that can run out under its holder."""
        return any(
            other.index > site.index
            and other.method in _EXPIRE_METHODS
            and (args := positional(other.node))
            and _code(self.ctx, args[0]) == key_code
            for other in self.flow.sites
        )

    def _release_of_key(self, site: Site, key_code: str) -> int | None:
        for other in self.flow.sites:
            if other.index <= site.index or other.method not in ("delete", "unlink", "delete_many"):
                continue
            args = positional(other.node)
            if args and _code(self.ctx, args[0]) == key_code:
                return other.index
        return None

    def _is_redis_lock_call(self, site: Site) -> bool:
        if site.method != "lock" or not site.node.args:
            return False
        receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
        if not receiver or self.flow.qualify(receiver).split(".")[0] in _LOCAL_LOCK_HEADS:
            return False
        if _REDIS_RECEIVER.search(receiver) or self._manager(receiver, site.index):
            return True
        bound = self.flow.value_of(receiver, site.index) if not receiver.endswith(")") else None
        if isinstance(bound, cst.Call) and _REDIS_CLIENT_CTOR.search(self.flow.qualify(_chain_of(bound.func))):
            return True
        keywords = {a.keyword.value for a in site.node.args if a.keyword is not None}
        return self.redis_file and bool(keywords & _LOCK_KWARGS)

    def _manager(self, receiver: str, before: int) -> bool:
        if receiver.endswith(")"):
            return bool(_MANAGER_CLASSES.match(self.flow.qualify(receiver.rsplit("(", 1)[0])))
        bound = self.flow.value_of(receiver, before)
        if isinstance(bound, cst.Call):
            chain = self.flow.qualify(_chain_of(bound.func))
            if _MANAGER_CLASSES.match(chain):
                return True
            if chain == "Redlock" and not any(a.keyword is not None and a.keyword.value in ("key", "masters") for a in bound.args):
                return True
        return False

    def _is_lock_class(self, site: Site) -> bool:
        qualified = self.flow.qualify(site.chain)
        if _LOCK_CLASSES.match(qualified):
            return True
        if site.chain in ("Redlock", "RedLock") and qualified in ("Redlock", "RedLock"):
            # unresolved (relative import): pottery-style when built with key=/masters=
            return site.chain == "RedLock" or kwarg(site.node, "key") is not None or kwarg(site.node, "masters") is not None
        return False

    def _lock_object(self, site: Site) -> Acquisition | None:
        redis_lock = self._is_redis_lock_call(site)
        if not redis_lock and not self._is_lock_class(site):
            return None
        call = site.node
        key_code = _code(self.ctx, _key_arg(call)) if redis_lock else None
        # `with r.lock(...):`
        for block in self.flow.withs:
            if any(_strip_await(item.item) is call for item in block.node.items):
                return Acquisition(call, site.index, block.start, block.end, key_code)
        # `lock = r.lock(...)`, then `with lock:` or `lock.acquire()`
        name = self._bound_name(call)
        if name is not None:
            region = self._acquired_through(name, site.index)
            if region is not None:
                return Acquisition(call, site.index, region[0], region[1], key_code)
        receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
        if redis_lock and (self._manager(receiver, site.index) or self.heads & {"redlock", "aioredlock"}):
            release = next(
                (s.index for s in self.flow.sites if s.index > site.index and s.method in ("unlock", "release")), None
            )
            return Acquisition(call, site.index, site.index + 1, release, key_code)
        return None

    def _bound_name(self, call: cst.Call) -> str | None:
        for name, bindings in self.flow.values.items():
            for _, value in bindings:
                if _strip_await(value) is call:
                    return name
        return None

    def _acquired_through(self, name: str, after: int) -> tuple[int, int | None] | None:
        for block in self.flow.withs:
            if block.start > after and any(
                isinstance(_strip_await(item.item), cst.Name) and _strip_await(item.item).value == name
                for item in block.node.items
            ):
                return block.start, block.end
        for site in self.flow.sites:
            if site.index > after and site.chain == f"{name}.acquire":
                release = next(
                    (s.index for s in self.flow.sites if s.index > site.index and s.chain == f"{name}.release"), None
                )
                return site.index + 1, release
        return None

    def _module_lock_uses(self, found: list[Acquisition]) -> list[Acquisition]:
        """`LOCK = redis_client.lock("x")` at module level, acquired inside this function."""
        extra: list[Acquisition] = []
        for name, value in self.flow.module_values.items():
            if self.flow.bound_here(name) or not isinstance(value, cst.Call):
                continue
            chain, method = _chain_of(value.func), value.func.attr.value if isinstance(value.func, cst.Attribute) else ""
            fake = Site(value, -1, (), chain, method)
            if not (self._is_redis_lock_call(fake) or self._is_lock_class(fake)):
                continue
            for block in self.flow.withs:
                for item in block.node.items:
                    expr = _strip_await(item.item)
                    if isinstance(expr, cst.Name) and expr.value == name:
                        extra.append(Acquisition(expr, block.start, block.start, block.end, None))
            for site in self.flow.sites:
                if site.chain == f"{name}.acquire":
                    release = next(
                        (s.index for s in self.flow.sites if s.index > site.index and s.chain == f"{name}.release"), None
                    )
                    extra.append(Acquisition(site.node, site.index, site.index + 1, release, None))
        return extra

    def _sql_lock(self, site: Site) -> Acquisition | None:
        if site.method in ("pg_advisory_lock", "pg_try_advisory_lock") and site.chain.startswith(("func.", "sa.func.", "sqlalchemy.func.")):
            return Acquisition(site.node, site.index, site.index + 1, self._advisory_unlock(site), None)
        text = sql_of(site, self.flow)
        if not text:
            return None
        if is_lease_sql(text):
            return Acquisition(site.node, site.index, site.index + 1, None, None, target_table(text), sql=True)
        if SESSION_ADVISORY_LOCK.search(text):
            return Acquisition(site.node, site.index, site.index + 1, self._advisory_unlock(site), None, sql=True)
        return None

    def _advisory_unlock(self, site: Site) -> int | None:
        for other in self.flow.sites:
            if other.index > site.index:
                text = sql_of(other, self.flow)
                if (text and ADVISORY_UNLOCK.search(text)) or other.method == "pg_advisory_unlock":
                    return other.index
        return None

    def _guarding_if(self, site: Site) -> tuple[int, str] | None:
        """`if r.set(k, v, nx=True, ex=30):` holds the lock in the body; `if not ...:` in the else
        branch (and after the if, when the body leaves)."""
        for if_id, (start, end, node) in self.flow.if_tests.items():
            if start <= site.index < end:
                test = node.test
                held = "else" if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not) else "body"
                return if_id, held
        return None

    # --- guarded writes ------------------------------------------------------------------
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
                writes.append(Write(site, self._fenced(site)))
        for write in writes:
            if not write.fenced and sql_of(write.site, self.flow):
                write.fenced = any(self._covered_by(earlier.site, write.site) for earlier in writes if earlier.fenced)
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

    def _covered_by(self, fenced: Site, later: Site) -> bool:
        """A fenced SQL write whose outcome is checked (`if cur.rowcount == 0: rollback; return`)
        fences the statements after it in the same transaction: a stale holder stops at the check,
        and the row it locked holds off the new holder until commit."""
        if later.index <= fenced.index or not sql_of(fenced, self.flow):
            return False
        if any(fenced.index < s.index < later.index and s.method == "commit" for s in self.flow.sites):
            return False
        outcome = {name for name, bindings in self.flow.values.items() if any(_strip_await(v) is fenced.node for _, v in bindings)}
        for start, _, node in self.flow.if_tests.values():
            if not fenced.index < start <= later.index:
                continue
            test = _code(self.ctx, node.test)
            if "rowcount" in test or any(re.search(rf"\b{re.escape(name)}\b", test) for name in outcome):
                return True
        return False

    def _in_held_branch(self, site: Site, acquisition: Acquisition) -> bool:
        if acquisition.guard_if is None:
            return True
        if_id, held = acquisition.guard_if
        for kind, node_id, label in site.path:
            if kind == "if" and node_id == if_id:
                return label == held
        return True

    def _is_write(self, site: Site, acquisition: Acquisition, pending: bool) -> bool:
        method = site.method
        if acquisition.row_claim and any(
            arg.keyword is not None and _LEASE_COLUMN.match(arg.keyword.value) for arg in site.node.args
        ):
            return False  # renewing or releasing the claimed row's lease
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

    def _fenced(self, site: Site) -> bool:
        text = sql_of(site, self.flow)
        if checks_fence(text):
            return True
        pieces = [_code(self.ctx, site.node)]
        for arg in site.node.args:
            if isinstance(arg.value, cst.Name):
                pieces.append(_code(self.ctx, self.flow.value_of(arg.value.value, site.index)))
        if _FENCED_CODE.search("\n".join(pieces)):
            return True
        if site.method == "commit" or site.method == "save":
            return flow_text_has(self.flow, self.ctx, _ANY_FENCE)
        return False


def _write_mode(call: cst.Call) -> bool:
    mode = kwarg(call, "mode")
    args = positional(call)
    node = mode.value if mode is not None else (args[1] if len(args) > 1 else None)
    text = string_text(node)
    return bool(text) and any(ch in text for ch in "wax+")


# --- locks taken through a helper -----------------------------------------------------------
# `if await self.try_lead(): write()` where `try_lead` returns the result of a SET NX, or
# `with account_lock(conn, id): write()` where `account_lock` is a @contextmanager around a
# session advisory lock: the lock and the write live in different functions of one module.


@dataclass
class LockHelper:
    node: cst.CSTNode  # the acquisition inside the helper, where findings point
    kind: str  # "returns": its result says whether the lock is held; "context": held in a `with`
    lease_table: str | None


class _Shape(OneScopeVisitor):
    """Returns, yields and if-tests of one function body, nested scopes left out."""

    def __init__(self) -> None:
        super().__init__()
        self.returns: list[cst.Return] = []
        self.yields: list[cst.Yield] = []
        self.tests: list[cst.BaseExpression] = []

    def visit_Return(self, node: cst.Return) -> None:
        self.returns.append(node)

    def visit_Yield(self, node: cst.Yield) -> None:
        self.yields.append(node)

    def visit_If(self, node: cst.If) -> None:
        self.tests.append(node.test)


_OPTIMISTIC = re.compile(r"\.transaction\(\s*\w+\s*,|\.watch\((?s:.*)\.multi\(\)")


def _contains(tree: cst.CSTNode | None, target: cst.CSTNode) -> bool:
    if tree is None:
        return False
    stack = [tree]
    while stack:
        node = stack.pop()
        if node is target:
            return True
        stack.extend(node.children)
    return False


def _mentions(ctx, node: cst.CSTNode | None, names: set[str]) -> bool:
    if node is None or not names:
        return False
    text = _code(ctx, node)
    return any(re.search(rf"(?<![\w.]){re.escape(name)}\b", text) for name in names)


def _is_context_manager(fn: cst.FunctionDef, ctx) -> bool:
    return any(_code(ctx, d.decorator).split("(")[0].endswith("contextmanager") for d in fn.decorators)


def _after(ctx, node: cst.CSTNode, anchor: cst.CSTNode) -> bool:
    try:
        a, b = ctx.position(node).start, ctx.position(anchor).start
    except Exception:
        return False
    return (a.line, a.column) > (b.line, b.column)


class HelperIndex:
    """The module's functions and methods whose body is essentially taking a distributed lock
    (and that write nothing under it themselves), by (class or None, name)."""

    def __init__(self, module: cst.Module, ctx, imports: dict[str, str], module_values: dict) -> None:
        from ._effects_flow import build_flow

        self.ctx = ctx
        self.lock_classes = LockClasses(module)
        self.helpers: dict[tuple[str | None, str], LockHelper] = {}
        self.owner: dict[int, str | None] = {}  # id(FunctionDef) -> enclosing class
        self.bases: dict[str, list[str]] = {}
        candidates: list[tuple[str | None, cst.FunctionDef]] = []
        for statement in module.body:
            if isinstance(statement, cst.FunctionDef):
                candidates.append((None, statement))
                self._own(statement, None)
            elif isinstance(statement, cst.ClassDef):
                name = statement.name.value
                self.bases[name] = [_code(ctx, b.value) for b in statement.bases]
                self._own(statement, name)
                if isinstance(statement.body, cst.IndentedBlock):
                    candidates += [(name, s) for s in statement.body.body if isinstance(s, cst.FunctionDef)]
        self.defined = {(owner, fn.name.value) for owner, fn in candidates}
        # Functions that write only through an optimistic transaction (redis-py
        # `client.transaction(fn, *watched)`, or WATCH ... MULTI): the storage refuses their
        # writes when a watched key changed, so a stale lock holder calling them cannot
        # overwrite the new holder's work.
        self.optimistic = {(owner, fn.name.value) for owner, fn in candidates if _OPTIMISTIC.search(_code(ctx, fn.body))}
        seen: dict[tuple[str | None, str], int] = {}
        for owner, fn in candidates:
            seen[(owner, fn.name.value)] = seen.get((owner, fn.name.value), 0) + 1
        for owner, fn in candidates:
            if seen[(owner, fn.name.value)] != 1:
                continue  # redefined (overloads, platform branches): cannot tell which runs
            try:
                helper = self._helper(fn, build_flow(fn.body, imports, module_values))
            except Exception:
                helper = None
            if helper is not None:
                self.helpers[(owner, fn.name.value)] = helper

    def _own(self, node: cst.CSTNode, owner: str | None) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, cst.FunctionDef):
                self.owner[id(current)] = owner
            stack.extend(current.children)

    def _helper(self, fn: cst.FunctionDef, flow: Flow) -> LockHelper | None:
        finder = LockFinder(flow, self.ctx)
        acquisitions = finder.acquisitions()
        if len(acquisitions) != 1:
            return None
        acquisition = acquisitions[0]
        if finder.guarded_writes(acquisition):
            return None  # the helper is a critical section of its own, judged where it is
        shape = _Shape()
        walk(fn.body, shape)
        node = acquisition.node
        if _is_context_manager(fn, self.ctx):
            if any(_after(self.ctx, y, node) for y in shape.yields):
                return LockHelper(self._report_node(acquisition, flow), "context", acquisition.lease_table)
            return None
        if acquisition.end is not None or shape.yields:
            return None  # released before returning
        site = next((s for s in flow.sites if s.node is node), None)
        receiver = site.chain.rsplit(".", 1)[0] if site is not None and "." in site.chain else ""
        # A cursor's later `fetchone()` / `rowcount` says whether the SQL claim won.
        cursor = receiver if receiver and acquisition.sql and "." not in receiver and not receiver.endswith(")") else None
        held = self._holding_names(flow, acquisition, cursor)
        tested = any(_contains(t, node) or _mentions(self.ctx, t, held) for t in shape.tests)
        for ret in shape.returns:
            value = ret.value
            if value is None or (isinstance(value, cst.Name) and value.value in ("None", "False")):
                continue
            if not _after(self.ctx, ret, node) and not _contains(value, node):
                continue
            if _contains(value, node) or _mentions(self.ctx, value, held) or tested:
                return LockHelper(self._report_node(acquisition, flow), "returns", acquisition.lease_table)
        return None

    def _holding_names(self, flow: Flow, acquisition: Acquisition, cursor: str | None) -> set[str]:
        """Names bound to the acquisition's result, or to values computed from it (or, for SQL,
        read from its cursor afterwards)."""
        names: set[str] = {cursor} if cursor else set()
        changed = True
        while changed:
            changed = False
            for name, bindings in flow.values.items():
                if name in names:
                    continue
                if any(
                    _contains(v, acquisition.node) or (index > acquisition.index and _mentions(self.ctx, v, names))
                    for index, v in bindings
                ):
                    names.add(name)
                    changed = True
        return names

    def _report_node(self, acquisition: Acquisition, flow: Flow) -> cst.CSTNode:
        # A helper that runs a lease statement kept in a module constant points at the statement:
        # its text is the lock's definition, and where the token (`returning token`) goes.
        return sql_constant(acquisition, flow) or acquisition.node

    def resolve(self, site: Site, owner: str | None) -> LockHelper | None:
        chain = site.chain
        if "." not in chain:
            return self.helpers.get((None, chain))
        receiver, _, name = chain.rpartition(".")
        if receiver not in ("self", "cls") or owner is None:
            return None
        seen: set[str] = set()
        todo = [owner]
        while todo:  # the class, then its bases defined in this module
            cls = todo.pop(0)
            if cls in seen:
                continue
            seen.add(cls)
            if (cls, name) in self.defined:
                return self.helpers.get((cls, name))  # the nearest definition wins
            todo += [b for b in self.bases.get(cls, ()) if b in self.bases]
        return None


def sql_constant(acquisition: Acquisition, flow: Flow) -> cst.CSTNode | None:
    """The module-level string a lease/advisory statement was written in (`ACQUIRE_SQL = ...`),
    which is where the lock is defined and where the fix (a token) goes."""
    call = acquisition.node
    if not acquisition.sql or not isinstance(call, cst.Call) or not call.args:
        return None
    first = call.args[0].value
    if isinstance(first, cst.Name) and not flow.bound_here(first.value):
        value = flow.module_values.get(first.value)
        if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            return value
    return None


# --- locks whose lease runs out --------------------------------------------------------------
_LIFETIME_KWARGS = ("ex", "px", "exat", "pxat", "timeout", "expire", "ttl", "lock_timeout", "auto_release_time", "lease_time")
# Redlock-style locks always expire (a default TTL when none is given).
# etcd locks are leases with a default TTL.
_ALWAYS_EXPIRE = re.compile(
    r"(?:^|\.)(?:Redlock|RedLock|AIORedlock|Aioredlock|RedisLock|lock_manager|dlm|redlock|etcd\w*\.(?:locks?\.)?lock)", re.I
)


def has_lifetime(acquisition: Acquisition, helpers: "HelperIndex | None") -> bool:
    """Whether the lock expires by itself (a TTL, a lease row), which is what lets a paused
    holder come back after another took over."""
    if acquisition.lease_table or acquisition.expires:
        return True
    node = acquisition.report if acquisition.report is not None else acquisition.node
    if not isinstance(node, cst.Call):
        return False
    if any(kwarg(node, name) is not None and not _is_none(kwarg(node, name).value) for name in _LIFETIME_KWARGS):
        return True
    func = node.func
    method = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    chain = _chain_of(func)
    if method in ("setex", "psetex"):
        return True
    if method in ("lock", "add") and len(positional(node)) >= (2 if method == "lock" else 3):
        return True  # `r.lock(name, 30)`, `cache.add(key, owner, 60)`
    return bool(_ALWAYS_EXPIRE.search(chain))


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value in ("None", "False")


# A Lua script that takes a lock: SET with an expiry, conditional on the key being free (NX, or
# a GET of the key compared with the caller's id first).
_LUA_SET = re.compile(
    r"redis\.call\(\s*['\"]set['\"][^)]*['\"](?:px|ex)['\"]"
    # SETNX then (P)EXPIRE on the same key: the older spelling of SET NX PX
    r"|redis\.call\(\s*['\"]setnx['\"](?=(?s:.*)redis\.call\(\s*['\"]p?expire['\"])"
    # SETEX: the key and its lifetime in one command
    r"|redis\.call\(\s*['\"]p?setex['\"]",
    re.I,
)
_LUA_GUARD = re.compile(r"['\"]nx['\"]|['\"]setnx['\"]|redis\.call\(\s*['\"](?:get|exists)['\"]\s*,\s*KEYS\[1\]", re.I)


# A script that also increments a counter hands out a fencing token with the lease.
_LUA_TOKEN = re.compile(r"redis\.call\(\s*['\"](?:h?incr|h?incrby)['\"]", re.I)


# Writes a script makes itself: when a SETEX-guarded script also does its work, lock and work are
# one atomic step (a throttle), and no pause can fall between them.
_LUA_WRITES = re.compile(
    r"redis\.call\(\s*['\"](?:set|del|unlink|[hlrsz]?(?:add|push|set|rem|pop)\w*|incr\w*|expire)['\"]", re.I
)


def lua_lock_script(text: str) -> bool:
    found = _LUA_SET.search(text)
    if not (found and _LUA_GUARD.search(text)) or _LUA_TOKEN.search(text):
        return False
    if re.match(r"redis\.call\(\s*['\"]p?setex", found.group(0), re.I):
        return not any(w.start() != found.start() for w in _LUA_WRITES.finditer(text))
    return True


def lua_set_offset(text: str) -> int:
    """Where the script's expiring SET starts (0 when it cannot be found)."""
    found = _LUA_SET.search(text)
    return found.start() if found else 0


# Calls under a lock that are part of holding it.
_LOCK_KEEPING = re.compile(
    r"acquire|release|unlock|extend|renew|refresh|reacquire|sleep|wait|^log|debug|info|warning|warn|error|exception|"
    r"^bool$|^int$|^str$|^len$|^isinstance$|^time$|^monotonic$|^uuid\d?$|^hex$|^encode$|^decode$|^format$",
    re.I,
)
_READ_NAME = re.compile(r"^_?(?:get|is|has|read|load|fetch|find|check|exists|count|list)(?:_|$)", re.I)


def work_out_of_sight(
    flow: Flow,
    finder: LockFinder,
    acquisition: Acquisition,
    helpers: "HelperIndex | None",
    owner: str | None,
    fn: cst.FunctionDef | None = None,
    captured: frozenset[str] = frozenset(),
) -> bool:
    """The guarded work is not in this function: the lock is still held when the function
    returns and nothing else happens under it here (a library's acquire(), a helper returning
    the claim), the function is a context manager that yields while holding it (the work is
    the caller's `with` body), or the work is a method or function of this module, or a
    callable an enclosing function received (a decorator's `fn`), called under the lock.
    A lock taken and given back around reads only, or around nothing (a probe), guards nothing."""
    if fn is not None and _yields_while_held(fn, flow, finder, acquisition):
        return True
    raised = _raised_calls(fn) if fn is not None else set()
    region = [
        site
        for site in flow.sites
        if site.index >= acquisition.start
        and (acquisition.end is None or site.index < acquisition.end)
        and site.node is not acquisition.node
        and finder._in_held_branch(site, acquisition)
        and not _LOCK_KEEPING.search(site.method or site.chain)
        and not finder.cache_fill(site, acquisition)
        and id(site.node) not in raised  # building the error for a failed acquisition
    ]
    if not region:
        return acquisition.end is None and not any(block.start == acquisition.start for block in flow.withs)
    for site in region:
        receiver, _, name = site.chain.rpartition(".")
        if receiver in ("self", "cls") and not _READ_NAME.match(name):
            if helpers is None or (owner, name) not in helpers.optimistic:
                return True
        if not receiver and helpers is not None and (None, site.chain) in helpers.defined and not _READ_NAME.match(site.chain):
            if (None, site.chain) not in helpers.optimistic:
                return True
        if not receiver and site.chain in captured and not flow.bound_here(site.chain) and not _READ_NAME.match(site.chain):
            return True
        if not receiver and not _READ_NAME.match(site.chain) and "." in flow.qualify(site.chain):
            return True  # a function imported from the application: the work, out of sight
        if receiver in captured and _object_work(flow, receiver, name):
            return True
    return False


# Methods of values held in memory (lists, dicts, strings, clocks): not work done elsewhere.
_IN_MEMORY = re.compile(
    r"^(?:append|extend|insert|pop|remove|discard|add|update|setdefault|items|keys|values|copy|join|split|"
    r"strip|lower|upper|replace|startswith|endswith|format|encode|decode|isoformat|total_seconds|"
    r"strftime|timestamp|hexdigest|result|cancel|done|set_result|put_nowait|get_nowait|sleep)$"
    # statements and store commands the write detection already judges one by one, and reads
    r"|^(?:execute|executemany|executescript|fetch\w*|commit|rollback|cursor|close|flush|begin|pipeline)$"
    r"|^[zhlsx]?(?:rev)?(?:range\w*|card|score|m?score|rank|members|len|getall|mget|hkeys|hvals|scan\w*|ismember|randmember|pending|ttl|pttl|type|keys)$"
)


def _object_work(flow: Flow, receiver: str, name: str) -> bool:
    """`job.run()`, `backend.process(batch)`: a method of an object this function was handed
    (a parameter), called under the lock, that is not a read nor a method of an in-memory value. What
    it does is the guarded work, out of sight."""
    if not receiver or "." in receiver or receiver.endswith(")") or receiver in ("self", "cls"):
        return False
    if _READ_NAME.match(name) or _IN_MEMORY.match(name) or name.startswith("_"):
        return False
    head = flow.qualify(receiver).split(".")[0]
    return head not in _LOCAL_LOCK_HEADS and head not in ("time", "datetime", "json", "math", "re", "logging", "random", "uuid")


class _Raises(OneScopeVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.calls: set[int] = set()

    def visit_Raise(self, node: cst.Raise) -> None:
        if isinstance(node.exc, cst.Call):
            self.calls.add(id(node.exc))


def _raised_calls(fn: cst.FunctionDef) -> set[int]:
    found = _Raises()
    walk(fn.body, found)
    return found.calls


def _yields_while_held(fn: cst.FunctionDef, flow: Flow, finder: LockFinder, acquisition: Acquisition) -> bool:
    """A context manager holding the lock across its `yield` that this module never enters
    itself: its `with` bodies are all elsewhere (where this module enters it, those bodies are
    judged there)."""
    if not _is_context_manager(fn, finder.ctx):
        return False
    if len(re.findall(rf"(?<![\w]){re.escape(fn.name.value)}\(", finder.ctx.text)) > 1:
        return False
    shape = _Shape()
    walk(fn.body, shape)
    release = next((s.node for s in flow.sites if acquisition.end is not None and s.index == acquisition.end), None)
    return any(
        _after(finder.ctx, y, acquisition.node) and (release is None or _after(finder.ctx, release, y)) for y in shape.yields
    )
