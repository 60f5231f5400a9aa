"""Lock and semaphore classes a module defines itself whose holds run out by time (ARM201).

Two shapes are recognised, both without a token handed to the holder:
- a semaphore that stamps each holder with the time as its score in a sorted set and evicts
  holders older than `now - timeout` before counting (`zremrangebyscore(key, "-inf", now -
  timeout)` then `zadd(key, {name: now})`): a holder paused past the timeout is evicted and
  its slot given away while it still runs. Reported where the module acquires it (the guarded
  work is there), else at the eviction;
- a `...Lock`/`...Semaphore` class whose documentation or settings speak of lease timeouts and
  whose `acquire()` hands back only whether the lease was taken. Reported at that return.
"""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import module_code as _code, positional
from ..walk import walk

_LOCK_CLASS_NAME = re.compile(r"(?:Lock|Semaphore|Mutex|Lease)$")
# "lease-timeout", "lease_timeout", "lease timeouts", "a lease is timing out", "leases expire"
_LEASE_TIMEOUT = re.compile(
    r"lease[\s_-]*(?:time[\s_-]*out|ttl|expir)|leases?\s+(?:is\s+|are\s+)?(?:tim(?:ing|es|ed)\s+out|expir)", re.I
)
_TOKEN = re.compile(r"fenc|token|epoch|generation|nextval|\bincr", re.I)



def _methods(cls: cst.ClassDef) -> dict[str, cst.FunctionDef]:
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    return {s.name.value: s for s in body if isinstance(s, cst.FunctionDef)}


class _Calls(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[cst.Call] = []
        self.returns: list[cst.Return] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def visit_Return(self, node: cst.Return) -> None:
        self.returns.append(node)


def _walk(node: cst.CSTNode) -> _Calls:
    found = _Calls()
    walk(node, found)
    return found


def _method_name(call: cst.Call) -> str:
    return call.func.attr.value if isinstance(call.func, cst.Attribute) else ""


def _evicts_by_age(module: cst.Module, acquire: cst.FunctionDef) -> cst.Call | None:
    """The `zadd` stamping the holder, when the same method first evicts the members scored
    below a time minus a timeout."""
    calls = _walk(acquire.body).calls
    evicted = None
    for call in calls:
        args = positional(call)
        if _method_name(call) == "zremrangebyscore" and len(args) >= 3:
            if isinstance(args[2], cst.BinaryOperation) and isinstance(args[2].operator, cst.Subtract):
                evicted = _code(module, args[0])
        elif _method_name(call) == "zadd" and evicted is not None and args and _code(module, args[0]) == evicted:
            return call
    return None


class LockClasses:
    """The module's time-limited lock classes and where each is to be reported."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.scored: dict[str, cst.Call] = {}  # class -> its eviction-stamped zadd
        self.documented: dict[str, cst.CSTNode] = {}  # class -> the return of its acquire()
        for statement in module.body:
            if not isinstance(statement, cst.ClassDef):
                continue
            acquire = _methods(statement).get("acquire")
            if acquire is None:
                continue
            if _TOKEN.search(_code(module, acquire)):
                continue
            stamp = _evicts_by_age(module, acquire)
            if stamp is not None:
                self.scored[statement.name.value] = stamp
            elif _LOCK_CLASS_NAME.search(statement.name.value) and _LEASE_TIMEOUT.search(_code(module, statement)):
                returns = [r for r in _walk(acquire.body).returns if r.value is not None]
                if returns and all(not isinstance(r.value, (cst.Name, cst.Attribute)) or _code(module, r.value) in ("True", "False") for r in returns):
                    self.documented[statement.name.value] = returns[-1]
        self.instances = self._instances() if self.scored else {}

    def _instances(self) -> dict[str, str]:
        """Names (`sem`, `self._sem`) bound anywhere in the module to an instance of a scored
        semaphore: the binding is often in an enclosing function (a decorator factory)."""
        found: dict[str, str] = {}
        module = self.module

        class _Binds(cst.CSTVisitor):
            def visit_Assign(self, node: cst.Assign) -> None:
                value = node.value
                if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in scored:
                    for target in node.targets:
                        found[_code(module, target.target)] = value.func.value

        scored = self.scored
        walk(module, _Binds())
        return found

    def scored_acquire(self, call: cst.Call) -> bool:
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "acquire":
            return False
        return _code(self.module, func.value) in self.instances
