"""The general shape of a distributed lock acquisition, whatever library takes it (ARM201).

RULES: "the acquisition of a lock with a lifetime is itself the evidence". Rather than a list of
lock libraries, an acquisition is recognised by what it is:

- a call (in a `with`, bound and then entered or acquired, tested by an `if`, or a verb such as
  `acquire_lock(...)`) whose callee's last word says lock / lease / mutex / semaphore / singleton /
  leader / election;
- that is not an in-process primitive: the callee does not come from the standard library
  (threading, asyncio, multiprocessing, fcntl) or from a local file-lock library;
- and that talks to another process: the callee comes from a third-party import, its receiver is
  a client of some store (Redis, ZooKeeper, etcd, Consul, a database, a cache, a coordinator), or
  it is given a lifetime (`timeout=`, `ttl=`, `expire=`, `lease=`, `px=`; not a wait such as
  `blocking_timeout=`).

Transaction-scoped locks (`pg_advisory_xact_lock`, table and row locks) die with the transaction
and are left alone, as RULES' never-flag clause says.
"""
from __future__ import annotations

import re
import sys
from pathlib import PurePosixPath

import libcst as cst

from ._call_args import _chain_of
from ._effects_flow import Flow, Site

# Words that name what is taken: the callee's last word must be one of them (`acquire_lock`,
# `RedisLock`, `LeaderElection`), so that `lock_key(...)` or `clock()` are not acquisitions.
_TAKEN = {"lock", "lease", "mutex", "semaphore", "singleton", "leader", "election", "redlock", "dlm"}
# First words of names that release, inspect or renew a lock rather than take it.
_NOT_TAKING = {
    "release", "unlock", "renew", "extend", "refresh", "is", "has", "check", "clear", "delete", "remove",
    "break", "reset", "owns", "locked", "wait", "force", "drop", "free", "expire", "touch", "keep", "heartbeat",
    "format", "log", "print", "build", "show", "describe", "parse", "validate", "test", "mock", "fake",
    "allows", "allow", "can", "may", "should", "needs",  # permission checks (`allows_lock(user)`)
}
# Words saying the lock is scoped to a transaction, a row, a file or this process.
_LOCAL_WORDS = {
    "xact", "transaction", "table", "row", "rows", "update", "file", "path", "pid", "flock", "fcntl",
    "thread", "threading", "process", "interprocess", "local", "rw", "read", "write", "reader", "writer",
    "async", "asyncio", "memory", "inproc",
}
# Words of a callee that names a remote store: a `RedisLock` from a file-lock library is still remote.
_REMOTE_WORDS = {"redis", "zk", "zookeeper", "etcd", "consul", "pg", "postgres", "mysql", "mongo", "dynamo", "db", "advisory"}
# Libraries whose locks live in this host (files, IPC, green threads), besides the standard library.
_LOCAL_LIBRARIES = {
    "filelock", "fasteners", "portalocker", "lockfile", "zc", "pid", "oslo_concurrency", "gevent", "eventlet",
    "trio", "anyio", "tornado", "twisted", "greenlet", "billiard", "posix_ipc", "sysv_ipc", "readerwriterlock",
    "aiorwlock", "aiofiles", "multiprocess",
}
# Modules of a qualified callee that hold file or process locks, wherever they are re-exported
# (`django.core.files.locks`, `torch.multiprocessing`).
_HOST_MODULES = {"files", "file", "filelock", "lockfile", "fcntl", "flock", "msvcrt", "lockutils", "multiprocessing", "threading"}
# The receiver of a call: a client of another process.
_CLIENT_RECEIVER = re.compile(
    r"(?:^|\.)_?(?:\w*redis\w*|r|rds|zk|zookeeper|kazoo\w*|\w*etcd\w*|consul\w*|coord\w*|\w*client|conn|connection"
    r"|\w*db|database|\w*session|\w*cache|kv|dlm|\w*lock_manager|locker|lock_mgr|\w*store|\w*backend|cursor|cur|engine)$",
    re.I,
)
# A database connection or session: a lock taken on it lives as long as the connection.
_SESSION_RECEIVER = re.compile(r"^_?(?:\w*db|database|conn|connection|cursor|cur|engine)$", re.I)
# Keyword arguments that give the lock a lifetime (not a wait for it).
_LIFETIME = re.compile(
    r"^(?:\w+_)?(?:timeout|ttl|expire[sd]?|expiry|expiration|lease|lease_\w+|duration|lifetime|validity|px|ex|auto_release\w*)$"
)
_WAIT = re.compile(r"^(?:blocking|wait|acquire|retry|sleep|poll|connect|socket|read|request)", re.I)
# Verbs whose call builds a lock object rather than acquire one.
_FACTORY = {"get", "create", "make", "new", "build", "lock_for", "from"}


def words(name: str) -> list[str]:
    """`acquire_lock` → [acquire, lock]; `RedisLock` → [redis, lock]; `LeaderElection` → [leader, election]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w for w in re.split(r"[\s_]+", spaced.lower()) if w]


def names_acquisition(name: str) -> bool:
    parts = words(name)
    if not parts or parts[-1] not in _TAKEN or parts[0] in _NOT_TAKING:
        return False
    if "optimistic" in parts:
        return False  # a compare-and-set: its version check is the fence, and nothing lapses
    return not (set(parts) & _LOCAL_WORDS) or bool(set(parts) & _REMOTE_WORDS)


def is_factory(name: str) -> bool:
    """`Lock(...)`, `get_lock(...)`, `client.lock(...)`, `etcd.lease(ttl)`: builds an object (or a
    lease) that still has to be entered or acquired; `acquire_lock(...)` takes it at once."""
    parts = words(name)
    return name[:1].isupper() or len(parts) == 1 or parts[0] in _FACTORY


def lifetime_given(call: cst.Call) -> bool:
    return any(
        a.keyword is not None and _LIFETIME.match(a.keyword.value) and not _WAIT.match(a.keyword.value)
        and not (isinstance(a.value, cst.Name) and a.value.value in ("None", "False"))
        for a in call.args
    )


def lifetime_at_acquire(call: cst.Call) -> bool:
    """`lock.acquire(lock_expiry=600)`, `lock.acquire(ttl=30)`: the lifetime given when the lock
    is taken rather than when it is built. A `timeout=` there is how long to wait for it."""
    kept = [a for a in call.args if a.keyword is not None and not a.keyword.value.endswith("timeout")]
    return bool(kept) and lifetime_given(call.with_changes(args=kept))


def _local_head(head: str, path: str) -> bool:
    """A head of this host: the standard library, a file/IPC lock library, or this project's package
    (whose own lock helper may wrap anything, so it is judged by its receiver or lifetime)."""
    return head in sys.stdlib_module_names or head in _LOCAL_LIBRARIES or head in PurePosixPath(path).parts[:-1]


def _defined_in_project(project, flow: Flow, chain: str) -> bool:
    """The callee is one of the project's own functions or classes (the project index knows it):
    a package imported by an absolute name the file path does not show (`from common.utils
    import task_lock` in `engine/apps/...`). Judged like any project helper: by receiver or lifetime."""
    qualified = flow.qualify(chain)
    return project is not None and qualified != chain and bool(project._lookup_keys(qualified))


def origin(flow: Flow, chain: str) -> str | None:
    """The import head the callee comes from: 'threading', 'django_pglocks', or None (local or unknown).
    Follows one binding of the receiver (`coord = tooz.coordination.get_coordinator(...)`)."""
    qualified = flow.qualify(chain)
    if qualified != chain:
        return qualified.split(".")[0]
    root = chain.split(".")[0].removesuffix("()")
    annotation = flow.annotations.get(root)
    if isinstance(annotation, (cst.Name, cst.Attribute)):
        # `client: ZKClient`: the receiver's declared type says where it comes from
        qualified = flow.qualify(_chain_of(annotation))
        if qualified != _chain_of(annotation):
            return qualified.split(".")[0]
    bound = flow.value_of(root) if root not in ("self", "cls") else None
    if bound is None:
        bound = flow.module_values.get(root)
    if isinstance(bound, cst.Await):
        bound = bound.expression
    if isinstance(bound, cst.Call):
        qualified = flow.qualify(_chain_of(bound.func))
        if qualified != _chain_of(bound.func):
            return qualified.split(".")[0]
    return None


def _project_head(head: str | None, flow: Flow, site: Site, path: str, project) -> bool:
    """The origin names no library: unknown, or the project's own package or helper."""
    return head is None or (
        head not in sys.stdlib_module_names and head not in _LOCAL_LIBRARIES
        and (_local_head(head, path) or _defined_in_project(project, flow, site.chain))
    )


def _library_built(built, site: Site) -> str | None:
    """The library that built the lock's value, followed through the project (`built`: a
    `_lock_provenance` question, None when the caller has none)."""
    return built(site.node) if built is not None else None


def _in_process(head: str) -> bool:
    return head in sys.stdlib_module_names or head in _LOCAL_LIBRARIES


def lifetime_known(flow: Flow, site: Site, path: str, project=None, built=None) -> bool:
    """Whether the lock can lapse under its holder: given a lifetime, or taken through a library
    whose locks are leases (a lost session frees them). A client's lock built with no lifetime
    (`client.lock(name)`) is held until released, and so is a database session lock."""
    if lifetime_given(site.node):
        return True
    receiver = site.chain.rsplit(".", 1)[0].replace("()", "") if "." in site.chain else ""
    if any(_SESSION_RECEIVER.search(part) for part in receiver.split(".")) or "advisory" in words(site.method):
        # A database session lock with no lifetime: RULES counts a session-level advisory lock
        # only on a side connection, which the code does not show. On the connection the
        # guarded writes use, a lost session takes those writes down with the lock.
        return False
    head = origin(flow, site.chain)
    if _project_head(head, flow, site, path, project):
        # a lock of the project's own making, or from a client it keeps: what counts is the
        # library that built the client (`get_coordinator()` returning a tooz coordinator)
        deep = _library_built(built, site)
        return deep is not None and not _in_process(deep)
    return not _local_head(head, path)


def remote_lock_call(flow: Flow, site: Site, path: str, project=None, built=None) -> bool:
    """Whether this call takes (or builds) a lock that lives in another process."""
    if not names_acquisition(site.method):
        return False
    remote_name = bool(set(words(site.method)) & _REMOTE_WORDS)
    if set(flow.qualify(site.chain).lower().split(".")) & _HOST_MODULES:
        return False  # `django.core.files.locks.lock(handle, LOCK_EX)`: a kernel file lock
    head = origin(flow, site.chain)
    if _project_head(head, flow, site, path, project):
        deep = _library_built(built, site)
        if deep is not None and not _in_process(deep):
            # the client at the end of the chain was built by another library than the
            # standard one or a file-lock one: a lock service's client (`get_coordinator()`
            # returning tooz's coordinator). Ending in-process, the names below still decide.
            return True
    if head is not None and (head in sys.stdlib_module_names or head in _LOCAL_LIBRARIES):
        if not remote_name:
            return False  # threading.Lock, asyncio.Semaphore, filelock.FileLock
    elif head is not None and not _local_head(head, path) and not _defined_in_project(project, flow, site.chain):
        return True  # a library that is not an in-process one: django_pglocks, aiozk, tooz
    receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
    if any(_CLIENT_RECEIVER.search(part) for part in receiver.replace("()", "").split(".") if part not in ("self", "cls")):
        return True  # `self.redis.lock(...)`, `client.recipes.Lock(...)`
    return remote_name or lifetime_given(site.node)


def set_if_absent_token(call: cst.Call) -> bool:
    """`set(key, value, condition=PureToken.NX, px=...)`: the NX of another client's spelling."""
    return any(
        (isinstance(a.value, cst.Attribute) and a.value.attr.value == "NX")
        or (isinstance(a.value, cst.SimpleString) and a.value.value.strip("'\"") in ("NX", "nx"))
        for a in call.args
    )


_LEASE_WORDS = {"lock", "locked", "lease", "leased"}
_STAMP_WORDS = {"until", "at", "expires", "expiry", "time", "deadline"}


def lease_column(name: str, named: re.Pattern[str]) -> bool:
    """A column holding a lease stamp: the classic names (`named`), or any column whose words say
    lock/lease and end in a time (`state_locked_until`, `payment_lock_acquired_at`)."""
    if named.match(name):
        return True
    parts = words(name)
    return bool(set(parts) & _LEASE_WORDS) and parts[-1] in _STAMP_WORDS
