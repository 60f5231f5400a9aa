"""The project's lock decorators, followed to the functions they decorate (ARM201).

`@share_lock()` over a periodic task, `@lock(lock_name="celery:send_notice")` over a handler: the
decorator's wrapper takes a lock with a lifetime, calls the decorated function while holding it
and gives the lock back. The pitfall is where the work is, the decorated function: its writes run
under a lock that lapses by time when the function outlives it, with no token to fence them.

A decorator of this module or of another module the project index knows counts when a function
nested in it calls the callable it received (`func(*args, **kwargs)`) and takes, in the same body,
an expiring lock (`_lock_wrappers.expiring_lock_call`), a claim of a shared key with a lifetime
(`cache.add(key, v, 60)`, `set(key, token, timeout=ttl, nx=True)`, `_lifetime_claims`), a key
set with a lifetime after testing that it is absent (`if cache.get(key): return; cache.set(key,
token, ttl)`), or an object of the project's class whose constructor or called methods do one of
these (`CacheLock(lock_name=name, timeout=t).locked`).
"""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import callee_name, kwarg, module_code, positional
from ._lifetime_claims import _LIFETIME_KWARGS
from ._lock_provenance import _body
from ..walk import descendants

_FREED = ("release", "unlock", "__exit__", "__aexit__", "__del__")


def _received(function: cst.FunctionDef) -> set[str]:
    p = function.params
    return {x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)}


def _checked_then_set(unit, calls: list[cst.Call]) -> bool:
    """`if cache.get(key): return` then `cache.set(key, token, ttl)`: a key set with a lifetime
    after testing that it is absent, and deleted to give it back (a claim, if not an atomic one)."""
    by_method: dict[str, set[str]] = {}
    for call in calls:
        args = positional(call)
        if isinstance(call.func, cst.Attribute) and args:
            by_method.setdefault(call.func.attr.value, set()).add(module_code(unit.module, args[0]))
    for call in calls:
        args = positional(call)
        if not isinstance(call.func, cst.Attribute) or call.func.attr.value != "set" or len(args) < 2:
            continue
        key = module_code(unit.module, args[0])
        lifetime = len(args) >= 3 or any(kwarg(call, name) is not None for name in _LIFETIME_KWARGS)
        if lifetime and key in by_method.get("get", ()) and key in by_method.get("delete", ()):
            return True
    return False


class DecoratorIndex:
    """Judges the project's decorators as lock decorators, once per decorator function."""

    def __init__(self, wrappers) -> None:
        self.wrappers = wrappers  # `_lock_wrappers.WrapperIndex`: finds the function a name means
        self._verdicts: dict[int, bool] = {}
        self._applied_names: dict[str, bool] = {}

    def locks(self, decorator: cst.Decorator, owner: str | None) -> bool:
        """The decorator is the project's, and runs the decorated function under an expiring lock."""
        expr = decorator.decorator
        call = expr if isinstance(expr, cst.Call) else cst.Call(func=expr)
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Call):
            return False  # `@factory(a)(b)`: not followed
        found = self.wrappers._function(call, self.wrappers.provenance.here, owner)
        if found is None:
            return False
        return self._verdict(*found)

    def covers(self, outermost: cst.FunctionDef | None, owner: str | None) -> bool:
        """The lock taken here is a lock decorator's of this module (in the wrapper it nests, or
        in a method of the class that wrapper instantiates): the decorated functions, where the
        guarded work is, are reported instead (`locks`)."""
        here = self.wrappers.provenance.here
        if outermost is not None and here.functions.get(outermost.name.value) is outermost:
            if self._verdict(here, outermost):
                return self._applied(outermost.name.value)
            # `acquire_redis_lock(...)` called by this module's lock context manager: its `with`
            # bodies are reported (`_lock_wrappers`)
            name = outermost.name.value
            return any(
                isinstance(c.func, cst.Name) and c.func.value == name and self.wrappers._context(here, function, 3)
                for function in here.functions.values()
                if function is not outermost
                for c in _body(function).calls
            )
        if owner is None:
            return False
        for function in here.functions.values():
            built = any(isinstance(c.func, cst.Name) and c.func.value == owner for c in _nested_calls(function))
            if built and self._verdict(here, function) and self._applied(function.name.value):
                return True
        return False

    def _applied(self, name: str) -> bool:
        """The decorator decorates something in the project (`@share_lock()`), where it is
        reported; a decorator with no use in view is judged where its lock is taken."""
        if name in self._applied_names:
            return self._applied_names[name]
        pattern = re.compile(rf"^\s*@\s*(?:\w+\.)*{re.escape(name)}\b", re.M)
        provenance = self.wrappers.provenance
        sources = getattr(provenance.project, "lock_sources", None) if provenance.project is not None else None
        used = sources.any_text(pattern) if sources else bool(pattern.search(self.wrappers.ctx.text))
        self._applied_names[name] = used
        return used

    def _verdict(self, unit, function: cst.FunctionDef) -> bool:
        if id(function) not in self._verdicts:
            self._verdicts[id(function)] = self._judge(unit, function)
        return self._verdicts[id(function)]

    def _judge(self, unit, decorator: cst.FunctionDef) -> bool:
        nested = [n for n in descendants(decorator) if isinstance(n, cst.FunctionDef) and n is not decorator]
        outer = [decorator, *nested]
        for inner in nested:
            # the callable an enclosing function received: `wrapper(func)` around `_inner(*args)`
            wrapped = set().union(*(_received(f) for f in outer if f is not inner and _encloses(f, inner)))
            wrapped -= _received(inner)
            calls = _body(inner).calls
            if not any(isinstance(c.func, cst.Name) and c.func.value in wrapped for c in calls):
                continue
            if self._takes(unit, calls):
                return True
        return False

    def _takes(self, unit, calls: list[cst.Call]) -> bool:
        from ._lock_wrappers import _takes_expiring  # it imports the acquisition finder, which imports us

        if any(_takes_expiring(c, unit) for c in calls) or _checked_then_set(unit, calls):
            return True
        used = {c.func.attr.value for c in calls if isinstance(c.func, cst.Attribute)}
        for call in calls:
            methods = unit.classes.get(callee_name(call)) if isinstance(call.func, cst.Name) else None
            if not methods:
                continue
            # the constructor, the methods called here, and the class's own methods they call;
            # properties read on the object (`lock.locked`) are followed as the constructor's
            todo = [m for name, m in methods.items() if name not in _FREED and (name == "__init__" or name in used)]
            seen: set[int] = set()
            inside: list[cst.Call] = []
            while todo:
                method = todo.pop()
                if id(method) in seen:
                    continue
                seen.add(id(method))
                for own in _body(method).calls:
                    inside.append(own)
                    func = own.func
                    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
                        more = methods.get(func.attr.value)
                        if more is not None and func.attr.value not in _FREED:
                            todo.append(more)
            if any(_takes_expiring(c, unit) for c in inside) or _checked_then_set(unit, inside):
                return True
        return False


def _nested_calls(function: cst.FunctionDef) -> list[cst.Call]:
    return [n for n in descendants(function) if isinstance(n, cst.Call)]


def _encloses(outer: cst.FunctionDef, inner: cst.FunctionDef) -> bool:
    return any(n is inner for n in descendants(outer))


_CACHE: list[tuple[object, DecoratorIndex]] = []


def decorators_for(ctx) -> DecoratorIndex:
    """One index per analysed file, over its `_lock_wrappers.WrapperIndex`."""
    from ._lock_wrappers import wrappers_for

    if _CACHE and _CACHE[0][0] is ctx.module:
        return _CACHE[0][1]
    index = DecoratorIndex(wrappers_for(ctx))
    _CACHE[:] = [(ctx.module, index)]
    return index
