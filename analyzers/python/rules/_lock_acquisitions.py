"""Recognising where a distributed lock or lease is taken in one function, and the region of calls
it then guards (ARM201).

Recognised: Redis/Redlock/etcd lock objects, Redis `SET NX`-style claims on a lock-like key (or
one carrying a holder or a lifetime), optimistic WATCH/MULTI claims, semaphores that evict by age,
Consul session locks, SQL lease rows and session-level advisory locks, conditional row/document
lease stamps, module-level lock objects and calls of this module's lock helpers; then, as a last
resort, the general form of `_lock_general` (any call whose name says lock/lease/... and that
lives in another process). In-process locks (threading, asyncio, multiprocessing, file locks) are
never recognised.

The writes made under the lock are found by `LockFinder` (`_lock_writes`), built on this class.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from ._call_args import _chain_of, kwarg, positional
from ._db_writes import sql_of
from ._effects_flow import Flow, Site
from ._checked_claims import checked_claim
from ._lock_lifetimes import (
    _EXPIRE_METHODS,
    _LEASE_COLUMN,
    _dict_keys,
    _holder_value,
    _holder_with_ttl,
    _set_clause,
    _set_items,
    _time_value,
)
from ._lock_general import (
    is_factory,
    lease_column,
    lifetime_at_acquire,
    lifetime_given,
    lifetime_known,
    remote_lock_call,
    set_if_absent_token,
)
from ._lock_provenance import provenance_for
from ._lock_time_claims import django_time_claim, record_time_claim, sqlalchemy_time_claim
from ._lock_wrappers import wrappers_for
from ._lock_model import Acquisition, _code, _is_none, _key_arg, _strip_await, _truthy_kwarg
from ._sqltext import ADVISORY_UNLOCK, SESSION_ADVISORY_LOCK, is_lease_sql, string_text, target_table

if TYPE_CHECKING:
    from ._lock_helpers import HelperIndex


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
_COUNTS = re.compile(r"(?:incr|decr)(?:by(?:float)?)?", re.I)


class AcquisitionFinder:
    """The distributed locks taken in one function's flow, each with the region it guards."""

    def __init__(self, flow: Flow, ctx, helpers: "HelperIndex | None" = None, owner: str | None = None) -> None:
        self.flow = flow
        self.ctx = ctx
        self.helpers = helpers
        self.owner = owner  # class whose method this flow is, for `self.helper()`
        self._entered: frozenset[str] | None = None
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
                or self._time_claim(site)
                or self._general_lock(site)
            )
            if acquisition is not None:
                acquisition.guard_if = self._guarding_if(site)
                found.append(acquisition)
        found.extend(self._module_lock_uses(found))
        if self.helpers is not None:
            found.extend(self._helper_uses())
            found.extend(self._wrapper_uses(found))
        return found

    def _wrapper_uses(self, found: list[Acquisition]) -> list[Acquisition]:
        """`with project_lock(key):` where `project_lock` is a context manager of the project,
        here or in another module, that holds an expiring lock around its `yield` (possibly
        through another such context manager, `_lock_wrappers`): its body is the guarded region."""
        taken = {id(a.node): a for a in found}
        extra: list[Acquisition] = []
        for block in self.flow.withs:
            for item in block.node.items:
                call = _strip_await(item.item)
                if not isinstance(call, cst.Call):
                    continue
                known = taken.get(id(call))
                if known is not None:
                    # named for a lock, but of unknown lifetime: the wrapper's body says
                    if known.general and not known.expires and wrappers_for(self.ctx).lock_context(call, self.owner):
                        known.expires = True
                    continue
                site = next((s for s in self.flow.sites if s.node is call), None)
                if site is None or self.helpers.resolve(site, self.owner) is not None:
                    continue
                if wrappers_for(self.ctx).lock_context(call, self.owner):
                    extra.append(Acquisition(call, site.index, block.start, block.end, None, expires=True))
        return extra

    def _helper_uses(self) -> list[Acquisition]:
        """Calls of a lock helper of this module: held after the call (or in the branch its
        test selects) for helpers that return the claim's result, inside the `with` for
        context managers."""
        found = []
        for site in self.flow.sites:
            helper = self.helpers.resolve(site, self.owner) if self.helpers is not None else None
            elsewhere = False
            if helper is None and isinstance(site.node, cst.Call) and wrappers_for(self.ctx).returned_claim(site.node, self.owner):
                # another module's helper returning whether its expiring claim won: reported here,
                # at the call, the one place in this file where the lock is taken
                from ._lock_helpers import LockHelper  # it builds on this module

                helper, elsewhere = LockHelper(site.node, "returns", None), True
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
            acquisition.expires = acquisition.expires or elsewhere  # its body's claim has a lifetime
            acquisition.guard_if = self._guarding_if(site)
            found.append(acquisition)
        return found

    def _claim(self, site: Site) -> Acquisition | None:
        call = site.node
        receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
        watched = self._watched_claim(site)
        if watched is not None:
            return watched
        if site.method == "set" and (_truthy_kwarg(call, "nx") or set_if_absent_token(call)):
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
        if self._counted_down(site, key_code):
            return None
        release = self._release_of_key(site, key_code)
        key_text = string_text(key, self.flow.resolver(site.index)) or ""
        bound = self.flow.value_of(key.value, site.index) if isinstance(key, cst.Name) else None
        lockish = _LOCKISH_KEY.search(key_text) or _LOCKISH_KEY.search(key_code) or (
            bound is not None and _LOCKISH_KEY.search(_code(self.ctx, bound))
        )
        leased = _holder_with_ttl(call) or _holder_value(call) or self._expires_key(site, key_code)
        if not lockish and release is None and not leased:
            return None  # a dedupe marker ("processed:<event id>"), not a lock
        # A function that adds a cache key and never deletes anything sets a send-once or
        # debounce marker (a dedupe key); a lock class gives its key back in another method.
        handed_on = release is None and self._given_back_elsewhere(key_text)
        marker = site.method == "add" and release is None and self.owner is None and not self._gives_back() and not handed_on
        return Acquisition(call, site.index, self._queued_until(site), release, key_code, marker=marker, handed_on=handed_on)

    def _given_back_elsewhere(self, key_text: str) -> bool:
        """The key is deleted by another function of the module (`delete("subscription_lock:{}"
        .format(sub.id))` in the chain's last task): the lock is held beyond this function, over
        work done elsewhere, and given back there."""
        constant = re.split(r"\{[^{}]*\}|%[sdr]|%\(\w+\)s", key_text)[0]
        if len(constant) < 6 or not _LOCKISH_KEY.search(constant):
            return False
        pattern = rf"\.(?:delete|unlink|delete_many)\(\s*[fbr]?[\"']{re.escape(constant)}"
        return re.search(pattern, self.ctx.text) is not None

    def _gives_back(self) -> bool:
        return any(re.search(r"delete|unlink|release|unlock", s.method, re.I) for s in self.flow.sites)

    def _queued_until(self, site: Site) -> int:
        """Where a claim starts to guard: the next call, or, for a claim queued on a pipeline
        (`with r.pipeline() as pipe: pipe.set(k, v, nx=True, px=t)`), the end of the pipeline
        block: its answer is only known once the pipeline runs, so what is queued beside it
        is not guarded by it."""
        receiver = site.chain.split(".")[0]
        for block in self.flow.withs:
            if not block.start <= site.index < block.end:
                continue
            for item in block.node.items:
                named = item.asname.name if item.asname is not None else None
                if isinstance(named, cst.Name) and named.value == receiver and "pipeline" in _code(self.ctx, item.item):
                    return block.end
        return site.index + 1

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
            stamped = [a for a in call.args if a.keyword is not None and lease_column(a.keyword.value, _LEASE_COLUMN)]
            selector = call.func.value
            if not stamped or not all(_time_value(self.ctx, a.value) for a in stamped) or not isinstance(selector, cst.Call):
                return None
            columns = {a.keyword.value for a in stamped}
            # the rows were chosen by their lease column: in this filter, or in the query that
            # selected them earlier in the function (`filter(locked_until__isnull=True)` then
            # `filter(pk__in=chosen).update(locked_until=expiry)`)
            selectors = [selector] + [s.node for s in self.flow.sites if s.index < site.index and s.method in ("filter", "exclude")]
            tested = any(
                a.keyword is not None and a.keyword.value.split("__")[0] in columns for sel in selectors for a in sel.args
            )
            if not tested:
                return None
        elif site.method == "values" and site.chain.startswith("update()") and ".where()" in site.chain:
            # SQLAlchemy: `update(Order).where(Order.lock_at.is_(None)).values(lock_at=now())`
            stamped = [a for a in call.args if a.keyword is not None and lease_column(a.keyword.value, _LEASE_COLUMN)]
            if not stamped or not all(_time_value(self.ctx, a.value) for a in stamped):
                return None
            where = _code(self.ctx, call.func.value) if isinstance(call.func, cst.Attribute) else ""
            if not any(f".{a.keyword.value}" in where for a in stamped):
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

    def _time_claim(self, site: Site) -> Acquisition | None:
        """A record claimed by stamping it with the time while its stamp is absent or old,
        whatever the fields are called (`_lock_time_claims`): pointed at the stamp."""
        if site.method not in ("update", "values", "save", "commit", "flush"):
            return None
        stamp = (
            django_time_claim(self.ctx, self.flow, site)
            or sqlalchemy_time_claim(self.ctx, self.flow, site)
            or record_time_claim(self.ctx, self.flow, site)
        )
        if stamp is None:
            return None
        return Acquisition(
            site.node, site.index, site.index + 1, None, None, lease_table="<row>", row_claim=True, report=stamp
        )

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

    def _counted_down(self, site: Site, key_code: str) -> bool:
        """`set(k, max_calls, nx=True, ex=period)` then `decrby(k, 1)`: a token bucket or counter
        seeded once per period. A lock's key holds its owner and is never counted."""
        for other in self.flow.sites:
            if other.index > site.index and _COUNTS.fullmatch(other.method):
                args = positional(other.node)
                if args and _code(self.ctx, args[0]) == key_code:
                    return True
        return False

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

    def _client_lock_without_lifetime(self, site: Site) -> bool:
        """`cache.lock(name, blocking_timeout=10)` on Django's cache (django-redis), or
        `r.lock(name)` on a redis-py client built here: the library's lock then has no timeout
        and is held until released, so no second holder can take it from a paused one (RULES:
        a lock without a lifetime). A project's own `cache.lock` may default to a lifetime:
        only receivers known to be the library's client count."""
        call = site.node
        if len(positional(call)) > 1 or lifetime_given(call):
            return False
        receiver = site.chain.rsplit(".", 1)[0]
        if re.match(r"^django\.core\.cache\.(?:cache|caches\[)", self.flow.qualify(receiver)):
            return True
        bound = self.flow.value_of(receiver, site.index) if not receiver.endswith(")") else None
        return isinstance(bound, cst.Call) and bool(
            re.search(r"(?:^|\.)(?:Redis|StrictRedis|RedisCluster|from_url|get_redis_connection|Valkey)$",
                      self.flow.qualify(_chain_of(bound.func)))
        )

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
        # a client's lock built with no lifetime never lapses under its holder: judged, not reported
        forever = redis_lock and self._client_lock_without_lifetime(site)
        # `with r.lock(...):`
        for block in self.flow.withs:
            if any(_strip_await(item.item) is call for item in block.node.items):
                return Acquisition(call, site.index, block.start, block.end, key_code, marker=forever)
        # `lock = r.lock(...)`, then `with lock:` or `lock.acquire()`
        name = self._bound_name(call)
        if name is not None:
            region = self._acquired_through(name, site.index)
            if region is not None:
                return Acquisition(call, site.index, region[0], region[1], key_code, marker=forever)
        receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
        if redis_lock and (self._manager(receiver, site.index) or self.heads & {"redlock", "aioredlock"}):
            release = next(
                (s.index for s in self.flow.sites if s.index > site.index and s.method in ("unlock", "release")), None
            )
            return Acquisition(call, site.index, site.index + 1, release, key_code)
        return None

    def _general_lock(self, site: Site) -> Acquisition | None:
        """Any other lock that lives in another process (`_lock_general`): held inside its `with`,
        once the object it builds is entered or acquired, in the branch of the `if` that takes
        it, or, for a verb that takes it (`acquire_lock(key)`), until it is released. A verb
        never released (a flag set with a lifetime) is a marker, not a lock."""
        def built(node: cst.CSTNode) -> str | None:  # asked only when the callee's origin is unclear
            return provenance_for(self.ctx).library_of(node)

        call = site.node
        if not remote_lock_call(self.flow, site, self.ctx.path, self.ctx.project, built):
            # `lock = self._make_lock(key)`: a helper of this module that returns an expiring
            # lock it built (`_lock_wrappers`), then acquired or entered here
            # most calls are not locks: ask only about a value this flow then acquires or enters
            if self.helpers is None or not self._entered_names():
                return None
            names = [n for n in self._bound_names(call) if n in self._entered_names()]
            if not names or not wrappers_for(self.ctx).returned_lock(call, self.owner):
                return None
            for name in names:
                region = self._acquired_through(name, site.index)
                if region is not None:
                    taken = next((s for s in self.flow.sites if s.chain == f"{name}.acquire" and s.index == region[0] - 1), site)
                    return Acquisition(taken.node, taken.index, region[0], region[1], None, expires=True, general=True)
            return None
        key = _key_arg(call)
        key_code = _code(self.ctx, key) if key is not None else None
        expires = lifetime_known(self.flow, site, self.ctx.path, self.ctx.project, built)
        for block in self.flow.withs:
            if any(_strip_await(item.item) is call for item in block.node.items):
                return Acquisition(call, site.index, block.start, block.end, key_code, expires=expires, general=True)
        for name in self._bound_names(call):
            region = self._acquired_through(name, site.index)
            if region is not None:
                # point at `lock.acquire(...)` when that is where it is taken
                taken = next((s for s in self.flow.sites if s.chain == f"{name}.acquire" and s.index == region[0] - 1), site)
                expires = expires or (taken is not site and lifetime_at_acquire(taken.node))
                return Acquisition(taken.node, taken.index, region[0], region[1], key_code, expires=expires, general=True)
        tested = self._guarding_if(site) is not None
        if is_factory(site.method) and not tested:
            return None  # built, not taken here
        release = next(
            (s.index for s in self.flow.sites if s.index > site.index and re.search(r"release|unlock", s.method, re.I)),
            None,
        )
        if release is None and not tested:
            return None
        return Acquisition(call, site.index, site.index + 1, release, key_code, expires=expires, general=True)

    def _entered_names(self) -> frozenset[str]:
        """Names this flow enters with `with` or calls `.acquire()` on (computed once)."""
        if self._entered is None:
            withs = {
                _strip_await(item.item).value
                for block in self.flow.withs
                for item in block.node.items
                if isinstance(_strip_await(item.item), cst.Name)
            }
            acquired = {s.chain[: -len(".acquire")] for s in self.flow.sites if s.chain.endswith(".acquire")}
            self._entered = frozenset(withs | acquired)
        return self._entered

    def _bound_names(self, call: cst.Call) -> list[str]:
        """Names the call's value is bound to, one slot of an unpacking included (`name, lock =
        scope_lock(coord, key)`: the lock is one of the names)."""
        name = self._bound_name(call)
        return ([name] if name is not None else []) + provenance_for(self.ctx).unpacked_names(call)

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

    def _in_held_branch(self, site: Site, acquisition: Acquisition) -> bool:
        if acquisition.guard_if is None:
            return True
        if_id, held = acquisition.guard_if
        for kind, node_id, label in site.path:
            if kind == "if" and node_id == if_id:
                return label == held
        return True
