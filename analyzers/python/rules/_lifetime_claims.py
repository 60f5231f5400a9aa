"""Locks with a lifetime that a library defines or hands out, found by their shape (ARM201).

- A lock class of the module (its name says Lock, Semaphore, Mutex or Lease, or it has an
  acquire/lock method and a release/unlock one, as a library's own lock does) whose methods
  claim shared state that outlives no one: a key added or set with an expiry (`cache.add(key,
  None, expire=...)`, `set(key, v, px=ttl)`), a script run with a ttl argument (SETNX + PEXPIRE
  in Lua), or a ZooKeeper ephemeral node, which lives only as long as the client's session.
  Its holder gets back a boolean, never a number the guarded writes could be fenced with.
  Reported at the claim.
- A lock object built from a distributed lock class imported from elsewhere (not an in-process
  lock library), or by a lock factory handed in (`lock_factory(cache, key, expire=expire)` in a
  decorator), given a shared connection and a lifetime (`Semaphore(redis, key, timeout=60)`),
  then taken with `with` or `.acquire()`: whatever runs under it runs under an expiring lock.
- A ZooKeeper recipe (kazoo's `client.Lock(path)`, `Semaphore`, `ReadLock`, `WriteLock`)
  held with `with` or `.acquire()`: the hold ends with the session, so a paused holder and
  the next one overlap. Reported where it is taken.
"""
from __future__ import annotations

import re

import libcst as cst

from ..imports import qualify
from ._call_args import kwarg, module_code as _code, positional
from ._lock_acquisitions import _LOCAL_LOCK_HEADS
from ..walk import walk

_LOCK_NAME = re.compile(r"(?:Lock|Semaphore|Mutex|Lease)")  # case-sensitive: not "Block", "release"
# Methods that give the hold up or keep it alive, not take it.
_NOT_TAKING = re.compile(r"release|unlock|cleanup|cancel|reset|delete|clear|renew|extend|refresh|__exit__|__aexit__|__init__|__del__", re.I)
_LIFETIME_KWARGS = ("expire", "ex", "px", "ttl", "timeout", "lease_time")
_LIFETIME_NAME = re.compile(r"ttl|expir|lease|timeout", re.I)
_TOKEN = re.compile(r"fenc|token|epoch|generation|nextval|\bincr(?:by)?\(|\.incr\b", re.I)
_HOLDER = re.compile(r"pid|tid|owner|ident|holder|lock_id|\bid\b", re.I)
_CONNECTION = re.compile(r"redis|conn|client|cache|\bdb\b|database|zk|etcd|consul", re.I)
# A callable named for a lock that this module neither defines nor imports: a parameter or a
# local (`lock_factory`, `make_lock`), built over a shared store with a lifetime.
_FACTORY_NAME = re.compile(r"(?:^|_)(?:lock|mutex|semaphore|lease)(?:_|$)|(?:Lock|Mutex|Semaphore|Lease)")
_ZK_RECIPES = {"Lock", "Semaphore", "ReadLock", "WriteLock"}
_ZK_RECEIVER = re.compile(r"(?:^|\.)_?(?:zk|\w*zookeeper\w*|\w*kazoo\w*|client|zk_client|\w*_zk)$", re.I)



def _truthy(arg: cst.Arg | None) -> bool:
    return arg is not None and not (isinstance(arg.value, cst.Name) and arg.value.value in ("False", "None"))


class _Calls(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)


def _calls(node: cst.CSTNode) -> list[cst.Call]:
    found = _Calls()
    walk(node, found)
    return found.calls


def _claims_with_lifetime(module: cst.Module, call: cst.Call, released: frozenset[str] = frozenset()) -> bool:
    func = call.func
    if not isinstance(func, cst.Attribute):
        return False
    method = func.attr.value
    if method == "create":
        return _truthy(kwarg(call, "ephemeral"))
    if method in ("setex", "psetex"):
        # a key written with its lifetime (`setex(name=key, time=1200, value=v)`): a claim when
        # the class deletes that key to give the lock back (a plain overwrite, not even NX)
        key = kwarg(call, "name") or kwarg(call, "key")
        args = positional(call)
        key_node = key.value if key is not None else (args[0] if args else None)
        return key_node is not None and _code(module, key_node) in released
    if method in ("add", "set") and len(positional(call)) >= 1:
        args = positional(call)
        if method == "set" and not _truthy(kwarg(call, "nx")):
            # an overwrite claims only when it names its holder (a re-entrant lock's
            # (owner, count)); a semaphore's bare count is a limit, not an owner
            # (owner, count)); a semaphore's bare count is a limit, not an owner. A key the
            # class deletes to give the lock back is a claim whatever it stores.
            if len(args) < 2 or not (_HOLDER.search(_code(module, args[1])) or _code(module, args[0]) in released):
                return False
        # `add(key, v, 60)`, `set(key, v, 60, nx=True)`: the lifetime is the third argument of
        # Django's cache API and of redis-py's `set`
        # memcache clients (python-memcached, pylibmc) spell the lifetime `time=` (0: never expires)
        spelt = kwarg(call, "time")
        memcache = _truthy(spelt) and not (isinstance(spelt.value, cst.Integer) and spelt.value.value == "0")
        return memcache or any(_truthy(kwarg(call, name)) for name in _LIFETIME_KWARGS) or (
            len(args) >= 3 and _truthy(cst.Arg(args[2]))
        )
    if re.search(r"script|eval", method) or kwarg(call, "keys") is not None:
        # a Lua claim: the lock key among keys=, the lifetime among the arguments
        return kwarg(call, "keys") is not None and bool(_LIFETIME_NAME.search(_code(module, call)))
    return False


def _takes_and_gives_back(cls: cst.ClassDef) -> bool:
    """A class shaped like a lock whatever it is called (`Redlock`, `Leader`, `TaskGuard`): it
    has a method that takes something and one that gives it back."""
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    names = [s.name.value for s in body if isinstance(s, cst.FunctionDef)]
    # also spelt for what is taken (`acquire_lock` / `release_lock` on a store or client class)
    return any(re.match(r"(?:acquire|lock)(?:_\w*lock)?$", n) for n in names) and any(
        re.match(r"(?:release|unlock)(?:_\w*lock)?$", n) for n in names
    )


def lock_class_claims(module: cst.Module) -> list[cst.Call]:
    """Claims with a lifetime made by the module's own lock classes."""
    found: list[cst.Call] = []
    for statement in module.body:
        if not isinstance(statement, cst.ClassDef) or not (
            _LOCK_NAME.search(statement.name.value) or _takes_and_gives_back(statement)
        ):
            continue
        if _TOKEN.search(_code(module, statement)):
            continue
        body = statement.body.body if isinstance(statement.body, cst.IndentedBlock) else ()
        methods = [m for m in body if isinstance(m, cst.FunctionDef)]
        released = frozenset(
            _code(module, positional(c)[0])
            for m in methods
            if re.search(r"release|unlock|__exit__|__aexit__", m.name.value)
            for c in _calls(m.body)
            if isinstance(c.func, cst.Attribute) and c.func.attr.value in ("delete", "unlink", "delete_many") and positional(c)
        )
        for method in methods:
            if _NOT_TAKING.search(method.name.value):
                continue
            found.extend(c for c in _calls(method.body) if _claims_with_lifetime(module, c, released))
    return found


def _relative_imports(module: cst.Module) -> set[str]:
    names: set[str] = set()
    for statement in module.body:
        for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.ImportFrom) and small.relative and not isinstance(small.names, cst.ImportStar):
                names.update(
                    (a.asname.name.value if a.asname and isinstance(a.asname.name, cst.Name) else a.name.value)
                    for a in small.names
                    if isinstance(a.name, cst.Name)
                )
    return names


class _RecipeHolds(cst.CSTVisitor):
    def __init__(self, module: cst.Module, zk_file: bool, imports: dict[str, str]) -> None:
        super().__init__()
        self.module = module
        self.imports = imports
        self.relative = _relative_imports(module)  # the table leaves `from .x import Y` out
        self.defined = {
            s.name.value for s in module.body if isinstance(s, (cst.ClassDef, cst.FunctionDef))
        }
        self.zk_file = zk_file
        self.bound: set[str] = set()  # names / attributes holding a recipe
        self.withs: list[tuple[str, cst.CSTNode]] = []
        self.acquires: list[tuple[str, cst.Call]] = []
        self.inline: list[cst.Call] = []  # `with zk.Lock(path):`

    def _recipe(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Await):
            node = node.expression
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
            return self._lifetime_lock(node)
        if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
            return False
        if node.func.attr.value not in _ZK_RECIPES or not node.args:
            return False
        receiver = _code(self.module, node.func.value)
        return self.zk_file and bool(_ZK_RECEIVER.search(receiver))

    def _lifetime_lock(self, node: cst.Call) -> bool:
        """`Semaphore(redis, key, ..., timeout=...)`: a lock class from another module, given a
        shared connection and a lifetime."""
        name = node.func.value
        full = qualify(self.imports, node.func) or ""
        if full == name and name in self.relative:
            full = f".{name}"
        if full == name and name not in self.defined and _FACTORY_NAME.search(name):
            pass  # a lock factory handed in (`lock_factory(cache, key, expire=...)`)
        elif not _LOCK_NAME.search(name) or not full or full == name or full.split(".")[0] in _LOCAL_LOCK_HEADS:
            return False  # defined here (the class itself is judged) or an in-process lock
        args = positional(node)
        if not args or not _CONNECTION.search(_code(self.module, args[0])):
            return False
        return any(_truthy(kwarg(node, k)) for k in _LIFETIME_KWARGS)

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._recipe(node.value):
            self.bound.update(_code(self.module, t.target) for t in node.targets)

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            if self._recipe(item.item):
                self.inline.append(item.item)
            else:
                self.withs.append((_code(self.module, item.item), item.item))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "acquire":
            self.acquires.append((_code(self.module, func.value), node))


def lifetime_lock_holds(module: cst.Module, imports: dict[str, str]) -> list[cst.CSTNode]:
    """Where a ZooKeeper recipe (in a file that imports kazoo) or an imported lock class given a
    lifetime is taken."""
    zk_file = any(full.split(".")[0] == "kazoo" for full in imports.values())
    holds = _RecipeHolds(module, zk_file, imports)
    walk(module, holds)
    taken: list[cst.CSTNode] = list(holds.inline)
    taken.extend(node for name, node in holds.withs if name in holds.bound)
    taken.extend(node for name, node in holds.acquires if name in holds.bound)
    return taken
