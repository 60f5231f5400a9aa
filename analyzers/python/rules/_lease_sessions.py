"""ZooKeeper recipe locks acquired through a name that holds one (ARM201).

kazoo's `client.Lock(path, identifier)` (and `ReadLock`, `WriteLock`, `Semaphore`) is held by the
client's session: when the session expires (a pause, a partition) the lock node vanishes and the
next contender gets it while the first holder may still be working. `acquire()` answers True or
False and hands out nothing monotonic (the znode's sequence number is not passed to the guarded
writes).

The lock is often built in one place and acquired in another: a wrapper class keeps it in an
attribute (`self._lock = lock`, with `lock: kazoo.recipe.lock.Lock`, or `self._lock =
self._client.Lock(...)`) and its `acquire` method calls `self._lock.acquire(...)`. Reported at
that acquisition, medium confidence, in modules that import kazoo. A lock from `threading` or any
other module stays quiet: only names bound to a kazoo lock count.
"""
from __future__ import annotations

import re

import libcst as cst

from ..imports import qualify
from ._call_args import module_code as _code
from ..walk import walk

_RECIPES = ("Lock", "ReadLock", "WriteLock", "Semaphore")
_RECIPE_CLASS = re.compile(r"^kazoo\.recipe\.(?:lock\.)?(?:Lock|ReadLock|WriteLock|Semaphore)$")
_TOKEN = re.compile(r"fenc|nextval|last_token", re.I)


class _Scan(cst.CSTVisitor):
    def __init__(self, module: cst.Module, imports: dict[str, str]) -> None:
        super().__init__()
        self.module = module
        self.imports = imports
        # `self.` attributes (any method) and local names (their function) bound to a kazoo lock
        self.holders: set[tuple[int, str]] = set()
        self.acquires: list[tuple[tuple[int, str], cst.Call]] = []
        self._typed: list[set[str]] = []  # parameters annotated with a kazoo lock class, per function
        self._functions: list[int] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = (*node.params.params, *node.params.kwonly_params, *node.params.posonly_params)
        self._typed.append({
            p.name.value for p in params
            if p.annotation is not None and self._recipe_class(p.annotation.annotation)
        })
        self._functions.append(id(node))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._typed.pop()
        self._functions.pop()

    def _key(self, name: str) -> tuple[int, str]:
        local = not name.startswith(("self.", "cls.")) and self._functions
        return (self._functions[-1] if local else 0, name)

    def _recipe_class(self, node: cst.BaseExpression) -> bool:
        return bool(_RECIPE_CLASS.match(qualify(self.imports, node) or ""))

    def _is_recipe_lock(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, cst.Name) and self._typed and value.value in self._typed[-1]:
            return True
        if not isinstance(value, cst.Call):
            return False
        if self._recipe_class(value.func):
            return True
        # `client.Lock(path, identifier)`: the kazoo client's factory (a ZooKeeper path argument)
        return isinstance(value.func, cst.Attribute) and value.func.attr.value in _RECIPES and len(value.args) >= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._is_recipe_lock(node.value):
            for target in node.targets:
                self.holders.add(self._key(_code(self.module, target.target)))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "acquire":
            self.acquires.append((self._key(_code(self.module, func.value)), node))


def kazoo_lock_acquisitions(module: cst.Module, imports: dict[str, str]) -> list[cst.CSTNode]:
    if not any(full.split(".")[0] == "kazoo" for full in imports.values()) or _TOKEN.search(module.code):
        return []
    scan = _Scan(module, imports)
    walk(module, scan)
    return [call for holder, call in scan.acquires if holder in scan.holders]
