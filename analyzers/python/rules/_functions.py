"""Bookkeeping shared by rules that decide per function after the pass: every function with the
class that owns it, the methods of each class, and the nesting stack during the visit."""
from __future__ import annotations

import libcst as cst


class FunctionTracker:
    """Mixin for a PythonRule; call `_init_functions()` from `__init__`."""

    def _init_functions(self) -> None:
        self._stack: list[cst.CSTNode] = []
        self._functions: dict[int, tuple[cst.FunctionDef, cst.ClassDef | None]] = {}
        self._class_methods: dict[int, list[cst.FunctionDef]] = {}

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._stack.append(node)
        self._class_methods[id(node)] = []

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        owner = self._stack[-1] if self._stack and isinstance(self._stack[-1], cst.ClassDef) else None
        self._functions[id(node)] = (node, owner)
        if owner is not None:
            self._class_methods[id(owner)].append(node)
        self._stack.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._stack.pop()


def local_helper(call: cst.BaseExpression, module: cst.Module) -> cst.FunctionDef | None:
    """The function a `helper(...)` / `self.helper(...)` / `cls.helper(...)` call runs, when the
    module defines exactly one function of that name (at module level or in a class): the one
    level of helper the rules follow without whole-program analysis."""
    if not isinstance(call, cst.Call):
        return None
    func = call.func
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
        name = func.attr.value
    elif isinstance(func, cst.Name):
        name = func.value
    else:
        return None
    found = []
    for statement in module.body:
        bodies = [statement]
        if isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
            bodies = list(statement.body.body)
        found.extend(b for b in bodies if isinstance(b, cst.FunctionDef) and b.name.value == name)
    return found[0] if len(found) == 1 else None
