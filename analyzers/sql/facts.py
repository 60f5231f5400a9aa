"""Shapes several SQL rules look for, over pglast JSON trees: which value goes into which
column, where wall-clock calls are, which statements write, and what a unit assigns."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .scope import Scope, Unit
from .tree import WALL_FUNCS, column_fields, fields_of, func_name, typed, walk

WRITE_STATEMENTS = ("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt")


@dataclass(frozen=True)
class Write:
    table: str  # lowercase, unqualified; "" when unknown (a PL/pgSQL record field)
    column: str  # lowercase
    value: object  # the JSON node written (or the DEFAULT expression)
    how: str  # "insert" | "update" | "default" | "assign"


def table_of(relation) -> str:
    return fields_of(relation).get("relname", "").lower()


def writes(unit: Unit) -> Iterator[Write]:
    """Every (column, value) a unit writes: INSERT values, UPDATE SET, ON CONFLICT DO UPDATE
    SET, column DEFAULTs in CREATE/ALTER TABLE, and PL/pgSQL assignments to record fields."""
    if unit.role == "assign" and unit.target:
        value = expression_of(unit)
        if value is not None:
            yield Write("", unit.target.split(".")[-1], value, "assign")
        return
    for kind, fields in unit.nodes:
        if kind == "InsertStmt":
            table = table_of(fields.get("relation"))
            columns = [typed(c)[1].get("name", "").lower() for c in fields.get("cols") or ()]
            _, select = typed(fields.get("selectStmt"))
            rows = []
            if select:
                for row in select.get("valuesLists") or ():
                    rows.append(typed(row)[1].get("items") or [] if typed(row)[0] == "List" else [])
                if select.get("targetList"):
                    rows.append([typed(t)[1].get("val") for t in select["targetList"]])
            for row in rows:
                for column, value in zip(columns, row):
                    yield Write(table, column, value, "insert")
            conflict = fields_of(fields.get("onConflictClause"))
            for target in (conflict or {}).get("targetList") or ():
                _, res = typed(target)
                yield Write(table, res.get("name", "").lower(), res.get("val"), "update")
        elif kind == "UpdateStmt":
            table = table_of(fields.get("relation"))
            for target in fields.get("targetList") or ():
                _, res = typed(target)
                if res and res.get("name"):
                    yield Write(table, res["name"].lower(), res.get("val"), "update")
        elif kind == "CreateStmt":
            table = table_of(fields.get("relation"))
            for element in fields.get("tableElts") or ():
                yield from _column_default(table, element)
        elif kind == "AlterTableStmt":
            table = table_of(fields.get("relation"))
            for command in fields.get("cmds") or ():
                _, cmd = typed(command)
                if not cmd:
                    continue
                if cmd.get("subtype") == "AT_ColumnDefault" and cmd.get("def"):
                    yield Write(table, cmd.get("name", "").lower(), cmd["def"], "default")
                elif cmd.get("subtype") == "AT_AddColumn":
                    yield from _column_default(table, cmd.get("def"))


def _column_default(table: str, element) -> Iterator[Write]:
    kind, column = typed(element)
    if kind != "ColumnDef":
        return
    for constraint in column.get("constraints") or ():
        _, con = typed(constraint)
        if con and con.get("contype") == "CONSTR_DEFAULT" and con.get("raw_expr"):
            yield Write(table, column.get("colname", "").lower(), con["raw_expr"], "default")


def expression_of(unit: Unit):
    """The expression of a PL/pgSQL condition/assignment unit (parsed as SELECT <expr>)."""
    kind, fields = typed(unit.tree)
    if kind != "SelectStmt" or not fields.get("targetList"):
        return None
    return typed(fields["targetList"][0])[1].get("val")


def into_values(unit: Unit) -> list:
    """The values a `SELECT/RETURNING ... INTO a, b` stores, in column order; [] when a `*` hides which
    column lands where."""
    kind, fields = typed(unit.tree)
    if kind == "SelectStmt":
        targets = fields.get("targetList") or []
    elif kind in ("InsertStmt", "UpdateStmt", "DeleteStmt"):
        # PostgreSQL 18 trees wrap RETURNING in a clause (RETURNING OLD/NEW); older ones do not
        clause = fields.get("returningClause")
        targets = (clause.get("exprs") if isinstance(clause, dict) else fields.get("returningList")) or []
    else:
        return []
    values = [typed(target)[1].get("val") if typed(target)[0] == "ResTarget" else None for target in targets]
    if any(value is None or _is_star(value) for value in values):
        return []
    return values


def _is_star(node) -> bool:
    kind, fields = typed(node)
    return kind == "ColumnRef" and any(isinstance(part, dict) and "A_Star" in part for part in fields.get("fields") or ())


def wall_calls(node) -> Iterator[dict]:
    for kind, fields in walk(node):
        if kind == "FuncCall" and func_name(fields) in WALL_FUNCS and not fields.get("args"):
            yield fields


def column_refs(node) -> Iterator[list[str]]:
    for kind, fields in walk(node):
        if kind == "ColumnRef":
            parts = column_fields(fields)
            if parts:
                yield parts


def is_local_variable(scope: Scope, parts: list[str]) -> bool:
    """A PL/pgSQL scalar variable or parameter rather than a table column."""
    return len(parts) == 1 and parts[0] in scope.variables


def write_statements(unit: Unit) -> Iterator[tuple[str, dict]]:
    if unit.role not in ("stmt",):
        return
    for kind, fields in unit.nodes:
        if kind in WRITE_STATEMENTS:
            yield kind, fields
