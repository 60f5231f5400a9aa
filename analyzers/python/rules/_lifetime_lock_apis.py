"""Acquisitions of expiring locks through library APIs whose guarded work is out of sight (ARM201).

The flow analysis finds a lock and the writes it guards when both sit in one function. Libraries
and back ends more often take the lock in one place and hand it on: a method returns
`client.lock(name, timeout=...)` for the caller to enter, a decorator holds `lock(key, ttl)`
around the function it wraps, a task base class (celery_once's `QueueOnce`) holds a Redis key
for the task's run. In every such form the acquisition of a lock that runs out by itself is
the evidence: after a pause longer than its lifetime a second holder runs, and nothing the
acquisition returns could fence the first one's writes. Reported at the acquisition, medium
confidence.

Forms, each named by what it does rather than by who wrote it:
- a session-level Postgres advisory lock written in SQL text (`select pg_try_advisory_lock(...)`):
  it lives as long as a pooled session, not a transaction, and the guarded work usually runs
  on other connections;
- `x.lock(name, ttl)` / `x.lock(name, timeout=...)` on a lock service (Redis, a cache back end);
- a lock class built with a lease (`RedLock(cache, key, lease)`, `SomeLock(..., ttl=...)`);
- a claim primitive with a lifetime: `set_lock(key, id, expire=...)`, an add-if-absent with a
  TTL inside a lock's acquire, a set-if-absent spelt `exist=False` with an expiry;
- a decorator holding a lock with a lifetime around the function (`@locked(ttl=...)`);
- a task declared with a once-only base (`base=QueueOnce`), whose lock expires by timeout;
- an etcd transaction that puts a key bound to a lease only if the key does not exist yet;
- a row claimed by an ORM update stamping its holder and the time (`locked_by=..., locked_at=now`);
- a coordination service's lock (tooz `coordinator.get_lock(name)`, held with `with` or `acquire()`)
  around work, or a decorator of the project's `coordination` module (`@coordination.synchronized(...)`,
  the wrapper OpenStack projects build over tooz) on a function that does work: tooz locks on etcd,
  Redis, ZooKeeper or memcached are leases kept alive by a heartbeat and hand out no token;
- an etcd key created only if absent and bound to a lease (`client.create(key, v, lease=lease)`,
  `put_if_not_exists(..., lease=...)`): a claim that vanishes when the lease runs out;
- a ZooKeeper ephemeral node created as a claim (its path names a lock or owner, or the code
  handles the node already existing): it vanishes with the session, not with its holder's work.

A lock that hands out a number (a fencing token, an epoch, a sequence value) is not reported.
"""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import module_code as _code
from ..imports import qualify
from ..walk import walk

# MySQL's GET_LOCK is the same kind: held by the session, gone when the connection drops
_SESSION_ADVISORY = re.compile(r"\bpg_(?:try_)?advisory_lock(?:_shared)?(?:\{[^{}]*\})?\s*\(|\bget_lock\s*\(", re.I)
_SQL_WORD = re.compile(r"\bselect\b", re.I)
_TOKEN = re.compile(r"fenc|nextval|last_token", re.I)
_LOCAL_HEADS = {
    "threading", "multiprocessing", "asyncio", "portalocker", "fcntl", "filelock", "os", "trio", "anyio",
    "gevent", "eventlet", "fasteners", "lockfile", "msvcrt",
}
# Keywords that give a lock its lifetime. A bare `timeout=` is one for `.lock(...)` (redis-py,
# Django cache back ends) but a wait for lock classes (filelock), so classes need the others.
_LIFETIME = ("ttl", "expire", "expires", "ex", "px", "lease", "lease_time", "lock_ttl", "lock_timeout", "auto_release_time")
_LOCK_METHOD_LIFETIME = (*_LIFETIME, "timeout")
_LEASE_CLASS = re.compile(r"(?:^|\.)(?:Red[Ll]ock|Redis\w*Lock|Distributed\w*Lock|Cache\w*Lock|Lease\w*Lock)$")
_CLAIM_METHOD = re.compile(r"^_?(?:set_lock|acquire_lock|try_lock|add|set|setnx)$")
_NOT_PRESENT = (("exist", "False"), ("nx", "True"), ("if_not_exists", "True"), ("only_if_absent", "True"))
_LIFETIME_ARG = re.compile(r"^[\d.]+$|ttl|expir|lease|timeout|seconds|_secs?\b|\btimedelta\(", re.I)
_LOCKISH = re.compile(r"lock|lease|mutex|leader|elect|singleton", re.I)
_ACQUIRING_SCOPE = re.compile(r"acquire|^_?(?:try_)?lock$|^__a?enter__$")
# A lifetime keyword that names the lock it is given to.
_LOCK_LIFETIME = ("lock_timeout", "lock_ttl", "lock_expire", "lock_expires", "lock_expiry", "lock_expiration", "lock_lifetime")
_DECORATOR_LOCK = re.compile(r"^(?:locked|lock|with_lock|distributed_lock|redis_lock|synchronized)$")
_ONCE_BASES = re.compile(r"(?:^|\.)(?:QueueOnce|SingletonTask|Singleton)$")
# A class deriving from a bare `Singleton` is a task only when that base is celery-singleton's:
# a project's own `Singleton` is the in-process design pattern (one registry object per process).
_ONCE_CLASS_BASES = re.compile(r"(?:^|\.)(?:QueueOnce|SingletonTask)$|^celery_singleton(?:\.\w+)*\.Singleton$")
_OWNER_COLUMN = re.compile(r"^(?:locked|claimed|taken|leased|owned|acquired|reserved)_by$|^(?:lock_owner|owner|holder|worker_id|locked_by_id)$")
# tooz: the coordinator a project builds (`coordinator`, `self._coordinator`, `COORDINATOR`,
# `cls.coordination`) or any receiver in a file importing tooz
_COORDINATOR = re.compile(r"(?:^|\.)_?(?:coordinator|coordination|coord)$", re.I)
# A decorator defined in the project's coordination module, by the OpenStack convention of a
# `coordination.py` that wraps tooz (`from cinder import coordination`, `from masakari.coordination
# import synchronized`); tooz's own module has no such decorator.
_COORDINATION_DECORATOR = re.compile(r"(?:^|\.)coordination\.(?:synchronized|\w*lock\w*)$")
# A ZooKeeper path or an enclosing function that says the node is a claim, not a registration
_CLAIM_PATH = re.compile(r"lock|owner|claim|leader|lease|mutex|elect", re.I)
_TAKING_SCOPE = re.compile(r"claim|acquire|lock|lead|elect|take|grab|own", re.I)
_STAMP_COLUMN = re.compile(r"^(?:locked|claimed|taken|leased|acquired|reserved|heartbeat|started)_at$|_until$")


_IDLE = re.compile(
    r"^(?:print|log\w*|debug|info|warning|warn|error|exception|ttl|sleep|len|str|int|bool)$"
    r"|^_?(?:get|is|has|read|load|fetch|find|check|exists|count|list)(?:_|$)"
)


class _CallNames(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.names.append(_name(node.func))



def _name(func: cst.BaseExpression) -> str:
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return ""


def _kw(call: cst.Call, names: tuple[str, ...]) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in names:
            if not (isinstance(arg.value, cst.Name) and arg.value.value in ("None", "False")):
                return arg
    return None


def _positional(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None and not a.star]


class _Scan(cst.CSTVisitor):
    def __init__(self, module: cst.Module, imports: dict[str, str]) -> None:
        super().__init__()
        self.module = module
        self.imports = imports
        self.found: list[cst.CSTNode] = []
        self._functions: list[str] = []
        self._classes: list[str] = []
        self._idle_holds: set[int] = set()
        self._function_nodes: list[cst.FunctionDef] = []
        heads = {full.split(".")[0] for full in imports.values()}
        self._tooz = "tooz" in heads
        self._kazoo = "kazoo" in heads
        self._etcd = bool(heads & {"etcd3", "etcd3gw", "aioetcd3"})

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node.name.value)
        if any(_ONCE_CLASS_BASES.search(qualify(self.imports, b.value) or _code(self.module, b.value)) for b in node.bases):
            self.found.append(node.name)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node.name.value)
        self._function_nodes.append(node)
        for decorator in node.decorators:
            call = decorator.decorator
            if not isinstance(call, cst.Call):
                continue
            base = _kw(call, ("base",))
            if base is not None and _ONCE_BASES.search(qualify(self.imports, base.value) or _code(self.module, base.value)):
                self.found.append(call)
            elif _DECORATOR_LOCK.match(_name(call.func)) and _kw(call, _LIFETIME) is not None and not self._local(call.func):
                self.found.append(call)
            elif self._coordination_decorator(call) and _does_work(node):
                self.found.append(call)
            elif _kw(call, _LOCK_LIFETIME) is not None and not self._local(call.func) and _does_work(node):
                # `@org_task("contact-pull", lock_timeout=7200)`: whatever the decorator is called,
                # a lifetime given to its lock says the function runs under an expiring lock
                self.found.append(call)

    def _coordination_decorator(self, call: cst.Call) -> bool:
        qualified = qualify(self.imports, call.func) or ""
        return not qualified.startswith("tooz.") and bool(_COORDINATION_DECORATOR.search(qualified))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()
        self._function_nodes.pop()

    def _local(self, func: cst.BaseExpression) -> bool:
        qualified = qualify(self.imports, func) or _code(self.module, func)
        return qualified.split(".")[0] in _LOCAL_HEADS

    def visit_Call(self, node: cst.Call) -> None:
        name = _name(node.func)
        args = _positional(node)
        if name == "lock" and isinstance(node.func, cst.Attribute) and args and not self._local(node.func):
            if self._lock_with_lifetime(node, args):
                self.found.append(node)
            return
        if _LEASE_CLASS.search(qualify(self.imports, node.func) or _code(self.module, node.func)):
            if _kw(node, _LIFETIME) is not None or len(args) >= 3:
                self.found.append(node)
                return
        if _CLAIM_METHOD.match(name) and isinstance(node.func, cst.Attribute) and self._claims(node, name, args):
            self.found.append(node)
            return
        if name == "get_lock" and self._tooz_lock(node, args):
            self.found.append(node)
            return
        if name in ("create", "put_if_not_exists") and (self._etcd_leased_claim(node) or self._ephemeral_claim(node, args)):
            self.found.append(node)
            return
        if name == "transaction" and self._etcd_create_if_absent(node):
            self.found.append(node)
            return
        # `.update(...)` of a queryset, `.values(...)` of a SQLAlchemy update
        if name in ("update", "values") and self._row_claim(node):
            self.found.append(node)

    def _lock_with_lifetime(self, call: cst.Call, args: list[cst.Arg]) -> bool:
        if id(call) in self._idle_holds:
            return False
        if self._functions and self._functions[-1] == "lock":
            return False  # a `lock()` method delegating to the client's: judged where it is used
        if any("LOCK_" in _code(self.module, a.value) for a in args[1:]):
            return False  # `locks.lock(fd, LOCK_EX)`: a kernel file lock's flags, not a lifetime
        if _kw(call, _LOCK_METHOD_LIFETIME) is not None:
            return True
        # `lock(name, 30)`, `lock(key, ttl)`: a second argument that reads as a lifetime, not an
        # object locked in some other sense (`compute_api.lock(context, instance)`)
        return len(args) >= 2 and bool(_LIFETIME_ARG.search(_code(self.module, args[1].value)))

    def visit_With(self, node: cst.With) -> None:
        """A lock entered around nothing but logging or reads guards no write."""
        calls = _CallNames()
        walk(node.body, calls)
        if all(_IDLE.search(n) for n in calls.names):
            for item in node.items:
                expr = item.item.expression if isinstance(item.item, cst.Await) else item.item
                if isinstance(expr, cst.Call):
                    self._idle_holds.add(id(expr))

    def _claims(self, call: cst.Call, name: str, args: list[cst.Arg]) -> bool:
        """A key written with a lifetime that only the first writer gets: a lock's claim."""
        if _kw(call, _LOCK_METHOD_LIFETIME) is None or not args:
            return False
        key = _code(self.module, args[0].value)
        scope = self._functions[-1] if self._functions else ""
        if name.lstrip("_") in ("set_lock", "acquire_lock", "try_lock"):
            # the same primitive also sets plain flags with a lifetime (a breaker's "open" key)
            return bool(_LOCKISH.search(key) or _ACQUIRING_SCOPE.search(scope) or re.search(r"lock", scope, re.I))
        if_absent = any(
            a.keyword is not None and a.keyword.value == kw and _code(self.module, a.value) == value
            for a in call.args
            for kw, value in _NOT_PRESENT
        ) or name.lstrip("_") in ("add", "setnx")
        if not if_absent:
            return False
        in_lock = bool(
            (scope and _ACQUIRING_SCOPE.search(scope))
            and (self._classes and re.search(r"Lock|Mutex|Lease", self._classes[-1]))
        )
        return bool(_LOCKISH.search(key)) or in_lock

    def _tooz_lock(self, call: cst.Call, args: list[cst.Arg]) -> bool:
        """`coordinator.get_lock(name)`: a tooz lock, built to be held around work. A `get_lock`
        method passing its caller's request on is judged where the lock is held; one held
        around nothing but logging guards nothing."""
        if not isinstance(call.func, cst.Attribute) or not args or id(call) in self._idle_holds:
            return False
        if self._functions and self._functions[-1].lstrip("_") == "get_lock":
            return False
        receiver = _code(self.module, call.func.value)
        if self._local(call.func):
            return False
        # `self.get_lock(...)` in a file importing tooz is a driver's own method (tooz's IPC
        # driver is a host-local semaphore): only a coordinator the code holds counts
        return bool(_COORDINATOR.search(receiver)) or (self._tooz and receiver not in ("self", "cls"))

    def _etcd_leased_claim(self, call: cst.Call) -> bool:
        """etcd's put-if-absent bound to a lease (etcd3gw `create`, python-etcd3
        `put_if_not_exists`): only the first writer gets the key, until the lease runs out."""
        return self._etcd and _kw(call, ("lease",)) is not None

    def _ephemeral_claim(self, call: cst.Call, args: list[cst.Arg]) -> bool:
        """A ZooKeeper ephemeral node taken as a claim: its path names a lock or an owner, or the
        function handles the node already existing (another holder has it). An ephemeral node
        that only registers a member is neither."""
        if not self._kazoo or _name(call.func) != "create":
            return False
        flag = _kw(call, ("ephemeral",))
        if flag is None or _code(self.module, flag.value) in ("0", "False", "None"):
            return False
        path = args[0].value if args else (_kw(call, ("path",)).value if _kw(call, ("path",)) else None)
        if path is not None and _CLAIM_PATH.search(_code(self.module, path)):
            return True
        # a function that takes something (`claim`, `acquire`) and handles the node already
        # existing; registering a member (`register_entity`) may handle it too
        function = self._function_nodes[-1] if self._function_nodes else None
        return (
            function is not None
            and bool(_TAKING_SCOPE.search(function.name.value))
            and "NodeExists" in _code(self.module, function)
        )

    def _etcd_create_if_absent(self, call: cst.Call) -> bool:
        compare = _kw(call, ("compare",))
        success = _kw(call, ("success",))
        if compare is None or success is None:
            return False
        tests = _code(self.module, compare.value)
        puts = _code(self.module, success.value)
        return bool(re.search(r"(?:create|version)\([^)]*\)\s*==\s*0", tests)) and bool(re.search(r"put\([^)]*lease\s*=", puts))

    def _row_claim(self, call: cst.Call) -> bool:
        columns = {a.keyword.value for a in call.args if a.keyword is not None}
        if not any(_OWNER_COLUMN.match(c) for c in columns) or not any(_STAMP_COLUMN.search(c) for c in columns):
            return False
        # `.update(...)` of a query (an ORM queryset, a SQLAlchemy update), not a dict's update
        if not isinstance(call.func, cst.Attribute) or isinstance(call.func.value, (cst.Dict, cst.DictComp)):
            return False
        receiver = call.func.value
        if isinstance(receiver, cst.Name):
            bound = rf"(?<![\w.]){re.escape(receiver.value)}\s*(?::[^=\n]*)?=\s*(?:\{{|dict\()"
            return not re.search(bound, self.module.code)
        return True

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self._string(node, node.value)

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        self._string(node, _code(self.module, node))
        return False

    def _string(self, node: cst.CSTNode, text: str) -> None:
        if "_xact_" in text or not _SESSION_ADVISORY.search(text) or not _SQL_WORD.search(text):
            return
        if self._function_nodes:
            function = _code(self.module, self._function_nodes[-1])
            if _same_session_work(function, text) or _on_default_connection(function, text, self.imports):
                return
        self.found.append(node)


def _does_work(function: cst.FunctionDef) -> bool:
    """The decorated function calls something besides logging and reads: the lock guards work."""
    calls = _CallNames()
    walk(function.body, calls)
    return any(not _IDLE.search(n) for n in calls.names)


def _same_session_work(function: str, literal: str) -> bool:
    """The statements after the lock run on the cursor or connection that took it, and that
    receiver is not bound anew in between: the work shares the lock's session, so losing the
    session loses the work too."""
    at = function.find(literal)
    if at < 0:
        return False
    head = function[:at]
    taking = re.search(r"([\w.]+)\.(?:execute|exec_driver_sql|fetch\w*|scalar)\(\s*(?:[\w.]+\(\s*)?$", head[-200:])
    if taking is None:
        return False
    receiver = re.escape(taking.group(1))
    rest = function[at + len(literal):]
    for later in re.finditer(rf"(?<![\w.]){receiver}\.(?:execute|exec_driver_sql)\(", rest):
        between = rest[: later.start()]
        if re.search(rf"\bas\s+{receiver}\b|(?<![\w.]){receiver}\s*=[^=]", between):
            return False  # a new cursor of the same name: another session, maybe
        if "lock" not in rest[later.end(): later.end() + 200].lower():
            return True
    return False


def _on_default_connection(function: str, literal: str, imports: dict[str, str]) -> bool:
    """The lock is taken on a cursor of Django's default connection (`with connection.cursor()
    as cursor: cursor.execute("select pg_advisory_lock(%s)", ...)`, `connection` imported from
    `django.db`): the ORM work it guards, here or at the caller of a context manager, runs on that
    same per-thread connection, so the lock and its work end with one session (RULES counts a
    session-level advisory lock on a side connection)."""
    at = function.find(literal)
    taking = re.search(r"([\w.]+)\.execute\(\s*$", function[:at][-200:]) if at >= 0 else None
    if taking is None:
        return False
    cursor = re.escape(taking.group(1))
    # `connection`, or `connections[...]` under the default alias (another alias is a side connection)
    source = r"(\w+(?:\[\s*(?:['\"]default['\"]|DEFAULT_DB_ALIAS)\s*\])?)\.cursor\(\)"
    opened = re.search(rf"{source}\s+as\s+{cursor}\b|(?<![\w.]){cursor}\s*=\s*{source}", function[:at])
    if opened is None:
        return False
    name = opened.group(1) or opened.group(2)
    return imports.get(name.split("[")[0], "") == ("django.db.connections" if "[" in name else "django.db.connection")


def lifetime_lock_api_acquisitions(module: cst.Module, imports: dict[str, str]) -> list[cst.CSTNode]:
    if _TOKEN.search(module.code):
        return []
    scan = _Scan(module, imports)
    walk(module, scan)
    return scan.found
