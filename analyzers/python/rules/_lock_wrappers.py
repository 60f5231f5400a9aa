"""Expiring locks built or taken inside the project's own wrappers, followed to where they are
used (ARM201).

A project rarely takes its lock where it uses it. General shapes, judged by what the
wrapper's body does rather than by what it is called:

- a context manager of the project (`@contextmanager` / `@asynccontextmanager`, in this module
  or another one the project index knows) that takes a lock with a lifetime around its `yield`
  (`client.lock(key, timeout=30)` then `lock.acquire()`), or that enters another such context
  manager around its `yield` (`with_playlist_lock(id)` -> `with_lock(key)` -> `client.lock`):
  the caller's `with` body runs under that lock; the claim may be taken through a function of
  the context manager's own module that returns whether it won (`acquired =
  acquire_redis_lock(redis, key, lock_id)`);
- an object of one of the project's classes entered in a `with` (`with RedisLock(key=k):`), whose
  `__enter__` takes such a lock itself or through a method of its own (`self.acquire()`), and a
  context-manager method called on such an object (`with manager.locked(kind):`, the manager
  built from the project's class, here or in another module);
- a function or method of another module named for taking a lock that returns whether an expiring
  claim won (`got = _lock.lock(task, host, expire=expire); return got`, `acquired =
  redis.set(key, 1, nx=True, ex=t); return acquired is True`): its caller holds the lock after a
  call whose result it tests (`if not lock(name, expire=1810): return`), also when a module
  named for locking says what is taken (`import utils.locking as lock`; `lock.acquire(key)`)
  (this module's own such helpers are judged by `_lock_helpers`);
- `self.lock.acquire()` on an object of another module's class named for a lock, whose
  constructor builds an expiring lock (`self._lock = RedisLock(key, timeout=timeout)`) and whose
  `acquire` returns that lock's acquisition;
- a function or method of this module that builds and returns the lock object
  (`return redis_lock.Lock(conn, key, expire=60)`, `return self.coord.get_lock(name)`), whose
  caller then acquires or enters the value it got back.

The lock inside must be a distributed one with a lifetime: a call whose name says lock / lease /
mutex / semaphore (`_lock_general`), given a lifetime keyword, not an in-process primitive, or a
claim of a shared key with a lifetime (`cache.add(key, owner, 60)`, `set(key, v, nx=True, ex=5)`,
`_lifetime_claims`). The wrappers are followed at most `_DEPTH` levels deep.
"""
from __future__ import annotations

import re
import sys

import libcst as cst

from ._call_args import _chain_of, callee_name, is_context_manager
from ._lock_general import _LOCAL_LIBRARIES, lifetime_given, names_acquisition
from ._lock_provenance import _body
from ..walk import descendants

_DEPTH = 3


def _in_process(chain: str, imports: dict[str, str]) -> bool:
    head = chain.split(".")[0]
    full = imports.get(head, head)
    root = full.split(".")[0]
    return root in sys.stdlib_module_names or root in _LOCAL_LIBRARIES


def expiring_lock_call(call: cst.Call, imports: dict[str, str]) -> bool:
    """`client.lock(key, timeout=30)`, `redis_lock.Lock(conn, key, expire=60)`: builds or takes a
    lock of another process that lapses by itself."""
    name = callee_name(call)
    if not name or not names_acquisition(name) or not lifetime_given(call):
        return False
    return not _in_process(_chain_of(call.func), imports)


def _takes_expiring(call: cst.Call, unit) -> bool:
    """An expiring lock taken by name, or a claim of a shared key with a lifetime."""
    from ._lifetime_claims import _claims_with_lifetime  # it imports the acquisition finder, which imports us

    return expiring_lock_call(call, unit.imports) or _claims_with_lifetime(unit.module, call)


_ENTER = ("__enter__", "__aenter__")


class WrapperIndex:
    """Finds the project function a call names (this module's, or one another module of the
    project defines and this one imports) and judges it as a lock wrapper, once per function."""

    def __init__(self, ctx) -> None:
        from ._lock_provenance import provenance_for

        self.ctx = ctx
        self.provenance = provenance_for(ctx)
        self._verdicts: dict[int, bool] = {}  # context managers, by id of the function
        self._claims: dict[int, bool] = {}  # helpers returning a claim's result, likewise

    def _function(self, call: cst.Call, unit, owner: str | None):
        """(unit, FunctionDef) the call names, or None."""
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in unit.imports:
            # `lock.acquire(key)` after `import utils.locking as lock`: a function of a project module
            found = self.provenance._project_name(f"{unit.imports[func.value.value]}.{func.attr.value}")
            if found is not None and found[1] in found[0].functions:
                return found[0], found[0].functions[found[1]]
        if isinstance(func, cst.Name):
            name = func.value
            if name in unit.functions:
                return unit, unit.functions[name]
            full = unit.imports.get(name)
            if full is None:
                return None
            found = self.provenance._project_name(full)
            if found is None:
                return None
            other, rest = found
            return (other, other.functions[rest]) if rest in other.functions else None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self" and owner:
            method = unit.classes.get(owner, {}).get(func.attr.value)
            return (unit, method) if method is not None else None
        if isinstance(func, cst.Attribute) and unit is self.provenance.here:
            # `manager.locked(...)`, `LockManager(...).locked(...)`: a method of the project's class
            instance = self.provenance.instance_of(call, func.value)
            if instance is not None:
                method = instance.unit.classes.get(instance.cls, {}).get(func.attr.value)
                return (instance.unit, method) if method is not None else None
        return None

    def lock_context(self, call: cst.Call, owner: str | None = None) -> bool:
        """The call is a context manager of the project whose `yield` runs under an expiring lock."""
        found = self._function(call, self.provenance.here, owner)
        if found is not None:
            return self._context(found[0], found[1], _DEPTH)
        return self._entered_object(call)

    def _entered_object(self, call: cst.Call) -> bool:
        """`with RedisLock(key=k):` where the project class's `__enter__` takes an expiring lock,
        itself or through one of the class's own methods (`self.acquire()`)."""
        instance = self.provenance.instance_of(call, call)
        if instance is None:
            return False
        methods = instance.unit.classes.get(instance.cls, {})
        for name in _ENTER:
            enter = methods.get(name)
            if enter is None:
                continue
            calls = list(_body(enter).calls)
            for inner in list(calls):
                func = inner.func
                if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
                    own = methods.get(func.attr.value)
                    if own is not None and own is not enter:
                        calls.extend(_body(own).calls)
            if any(_takes_expiring(c, instance.unit) for c in calls):
                return True
        return False

    def _context(self, unit, function: cst.FunctionDef, depth: int) -> bool:
        key = id(function)
        if key in self._verdicts:
            return self._verdicts[key]
        self._verdicts[key] = False  # a wrapper entering itself is not a lock
        body = _body(function)
        verdict = False
        if depth > 0 and body.yields and is_context_manager(function):
            if any(_takes_expiring(c, unit) for c in body.calls) or any(self._claims_through(c, unit) for c in body.calls):
                verdict = True
            else:
                for inner in body.with_calls:
                    found = self._function(inner, unit, None)
                    if found is not None and self._context(found[0], found[1], depth - 1):
                        verdict = True
                        break
        self._verdicts[key] = verdict
        return verdict

    def _claims_through(self, call: cst.Call, unit) -> bool:
        """`acquired = acquire_redis_lock(redis, key, lock_id)`: a function of the wrapper's own
        module that returns whether its expiring claim won."""
        if not isinstance(call.func, cst.Name):
            return False
        function = unit.functions.get(call.func.value)
        if function is None:
            return False
        if id(function) not in self._claims:
            self._claims[id(function)] = _returns_claim(unit, function)
        return self._claims[id(function)]

    def returned_claim(self, call: cst.Call, owner: str | None = None) -> bool:
        """The call is a function or method of another of the project's modules, named for taking
        a lock, that returns whether an expiring lock or claim it takes was won."""
        name = callee_name(call)
        here = self.provenance.here
        held = self._held_lock_acquire(call)
        if held is not None:
            return held
        if not name or not (names_acquisition(name) or _module_acquire(call, here.imports)):
            return False
        found = self._function(call, here, owner)
        if found is None or found[0] is here:
            return False
        unit, function = found
        if id(function) not in self._claims:
            self._claims[id(function)] = _returns_claim(unit, function)
        return self._claims[id(function)]

    def _held_lock_acquire(self, call: cst.Call) -> bool | None:
        """`self.lock.acquire()` on an object of another module's class named for a lock
        (`DataSourceSyncTaskLock(id, timeout=t)`) whose `acquire` returns the acquisition of the
        expiring lock its constructor built (`self._lock = RedisLock(key, timeout=timeout)`;
        `return self._lock.acquire()`). None when the call is not of that shape."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and re.fullmatch(r"(?:try_)?acquire", func.attr.value)):
            return None
        instance = self.provenance.instance_of(call, func.value)
        if instance is None or instance.unit is self.provenance.here or not names_acquisition(instance.cls):
            return None
        methods = instance.unit.classes.get(instance.cls, {})
        method, init = methods.get(func.attr.value), methods.get("__init__")
        if method is None or init is None:
            return None
        built = {
            target.attr.value
            for node in descendants(init)
            if isinstance(node, cst.Assign) and isinstance(node.value, cst.Call)
            and expiring_lock_call(node.value, instance.unit.imports)
            for target in (t.target for t in node.targets)
            if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self"
        }
        return any(
            isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
            and isinstance(value.func.value, cst.Attribute) and isinstance(value.func.value.value, cst.Name)
            and value.func.value.value.value == "self" and value.func.value.attr.value in built
            for value in _body(method).returns
        )

    def returned_lock(self, call: cst.Call, owner: str | None = None) -> bool:
        """The call is this module's function or method that builds and returns an expiring
        lock (`return redis_lock.Lock(conn, key, expire=...)`)."""
        found = self._function(call, self.provenance.here, owner)
        if found is None or found[0] is not self.provenance.here:
            return False
        unit, function = found
        body = _body(function)
        return not body.yields and any(
            isinstance(value, cst.Call) and expiring_lock_call(value, unit.imports) for value in body.returns
        )


def _module_acquire(call: cst.Call, imports: dict[str, str]) -> bool:
    """`lock.acquire(key)` where `lock` is an imported module named for locking
    (`import utils.locking as lock`): the module says what the function takes."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in imports):
        return False
    module = imports[func.value.value].rsplit(".", 1)[-1]
    return bool(re.fullmatch(r"_?(?:try_)?acquire", func.attr.value)) and bool(
        re.fullmatch(r"_?(?:\w+_)?lock(?:s|ing)?", module) or re.fullmatch(r"_?(?:\w+_)?lock(?:s|ing)?", func.value.value)
    )


def _returns_claim(unit, function: cst.FunctionDef) -> bool:
    body = _body(function)
    if body.yields or is_context_manager(function):
        return False
    takes = [c for c in body.calls if _takes_expiring(c, unit)]
    if not takes:
        return False
    held = {
        name for name, bindings in body.locals.items()
        if any(_holds(value, takes) for value, _ in bindings)
    }
    if any(_holds(value, takes) or _names(value) & held for value in body.returns):
        return True
    # `if redis.set(key, lock_id, ex=5, nx=True): return True`: the claim's test picks the answer
    tested = any(isinstance(n, cst.If) and _holds(n.test, takes) for n in descendants(function))
    return tested and any(isinstance(value, cst.Name) and value.value == "True" for value in body.returns)


def _holds(node: cst.CSTNode, calls: list[cst.Call]) -> bool:
    wanted = {id(c) for c in calls}
    return any(id(n) in wanted for n in descendants(node))


def _names(node: cst.CSTNode) -> set[str]:
    return {n.value for n in descendants(node) if isinstance(n, cst.Name)}


_CACHE: list[tuple[object, WrapperIndex]] = []


def wrappers_for(ctx) -> WrapperIndex:
    if _CACHE and _CACHE[0][0] is ctx.module:
        return _CACHE[0][1]
    index = WrapperIndex(ctx)
    _CACHE[:] = [(ctx.module, index)]
    return index
