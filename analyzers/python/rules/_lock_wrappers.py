"""Expiring locks built or taken inside the project's own wrappers, followed to where they are
used (ARM201).

A project rarely takes its lock where it uses it. Two general shapes, judged by what the
wrapper's body does rather than by what it is called:

- a context manager of the project (`@contextmanager` / `@asynccontextmanager`, in this module
  or another one the project index knows) that takes a lock with a lifetime around its `yield`
  (`client.lock(key, timeout=30)` then `lock.acquire()`), or that enters another such context
  manager around its `yield` (`with_playlist_lock(id)` -> `with_lock(key)` -> `client.lock`):
  the caller's `with` body runs under that lock;
- a function or method of this module that builds and returns the lock object
  (`return redis_lock.Lock(conn, key, expire=60)`, `return self.coord.get_lock(name)`), whose
  caller then acquires or enters the value it got back.

The lock inside must be a distributed one with a lifetime: a call whose name says lock / lease /
mutex / semaphore (`_lock_general`), given a lifetime keyword, not an in-process primitive. The
wrappers are followed at most `_DEPTH` levels deep.
"""
from __future__ import annotations

import sys

import libcst as cst

from ._call_args import _chain_of, callee_name, is_context_manager
from ._lock_general import _LOCAL_LIBRARIES, lifetime_given, names_acquisition
from ._lock_provenance import _body

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


class WrapperIndex:
    """Finds the project function a call names (this module's, or one another module of the
    project defines and this one imports) and judges it as a lock wrapper, once per function."""

    def __init__(self, ctx) -> None:
        from ._lock_provenance import provenance_for

        self.ctx = ctx
        self.provenance = provenance_for(ctx)
        self._verdicts: dict[int, bool] = {}

    def _function(self, call: cst.Call, unit, owner: str | None):
        """(unit, FunctionDef) the call names, or None."""
        func = call.func
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
        return None

    def lock_context(self, call: cst.Call, owner: str | None = None) -> bool:
        """The call is a context manager of the project whose `yield` runs under an expiring lock."""
        found = self._function(call, self.provenance.here, owner)
        return found is not None and self._context(found[0], found[1], _DEPTH)

    def _context(self, unit, function: cst.FunctionDef, depth: int) -> bool:
        key = id(function)
        if key in self._verdicts:
            return self._verdicts[key]
        self._verdicts[key] = False  # a wrapper entering itself is not a lock
        body = _body(function)
        verdict = False
        if depth > 0 and body.yields and is_context_manager(function):
            if any(expiring_lock_call(c, unit.imports) for c in body.calls):
                verdict = True
            else:
                for inner in body.with_calls:
                    found = self._function(inner, unit, None)
                    if found is not None and self._context(found[0], found[1], depth - 1):
                        verdict = True
                        break
        self._verdicts[key] = verdict
        return verdict

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


_CACHE: list[tuple[object, WrapperIndex]] = []


def wrappers_for(ctx) -> WrapperIndex:
    if _CACHE and _CACHE[0][0] is ctx.module:
        return _CACHE[0][1]
    index = WrapperIndex(ctx)
    _CACHE[:] = [(ctx.module, index)]
    return index
