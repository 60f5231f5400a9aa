"""Shared pieces of the Python fixes: making sure a name a fix writes is imported.

A fix that writes `Now()` or `func.now()` must also bring the name in. Reusing an existing import
keeps the diff small; adding one is only done where no other binding of the name could shadow it
or be shadowed by it (a parameter called `func` is common), because a fix must never change what
an existing name means."""
from __future__ import annotations

import libcst as cst

from ...model import Edit
from ..walk import walk


def import_name(ctx, module: str, name: str, also: tuple[str, ...] = ()) -> tuple[str, Edit | None] | None:
    """(the expression to write for `module.name`, the edit adding its import or None when it is
    already imported), or None when `name` is bound to something else in the file. `also` lists
    other qualified names of the same object (`sqlalchemy.sql.func`)."""
    wanted = {f"{module}.{name}", *also}
    for local, qualified in ctx.imports.items():
        if qualified in wanted:
            return local, None
    if name in ctx.imports or name in bound_names(ctx.module):
        return None
    edit = _import_edit(ctx, f"from {module} import {name}")
    return (name, edit) if edit is not None else None


def _import_edit(ctx, statement: str) -> Edit | None:
    """Insert `statement` on its own line after the module's last top-level import (so it lands
    after `from __future__` and the docstring); None in a module with no top-level import."""
    last = None
    for stmt in ctx.module.body:
        if isinstance(stmt, cst.SimpleStatementLine) and any(
            isinstance(small, (cst.Import, cst.ImportFrom)) for small in stmt.body
        ):
            last = stmt
    if last is None:
        return None
    text = ctx.text
    newline = "\r\n" if "\r\n" in text else "\n"
    _, end = ctx.node_span(last)
    eol = text.find("\n", end)
    if eol < 0:
        return Edit(len(text), len(text), newline + statement)
    return Edit(eol + 1, eol + 1, statement + newline)


class _Bindings(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Param(self, node: cst.Param) -> None:
        self.names.add(node.name.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.names.add(node.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.names.add(node.name.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._targets(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._targets(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._targets(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._targets(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._targets(node.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._targets(node.target)

    def _targets(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.names.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._targets(element.value)


def bound_names(module: cst.Module) -> set[str]:
    """Every name the module binds anywhere (parameters, assignments, defs, `as` names)."""
    visitor = _Bindings()
    walk(module, visitor)
    return visitor.names
