"""ARM403's fix: `on conflict (key) do nothing`, written before any RETURNING.

ON CONFLICT (key) needs a unique index or constraint on exactly that key, or the statement fails
at run time ("no unique or exclusion constraint matching the ON CONFLICT specification"). When
this file shows one (CREATE TABLE, ALTER TABLE ... ADD, CREATE UNIQUE INDEX without WHERE), the fix
is safe; otherwise it is offered as unsafe, as it is when the change is visible to the caller:
a RETURNING gives no row on a duplicate (a `returning ... into` variable stays NULL), and a routine
that goes on after the insert now runs its later statements on a retry instead of failing there.
"""
from __future__ import annotations

import re

from ..model import Edit, Fix
from .scope import Scope, Unit
from .tree import typed

_SIMPLE_IDENT = re.compile(r"^[a-z_][a-z0-9_$]*$")
_RETURNING = re.compile(r"\breturning\b", re.IGNORECASE)

def on_conflict_fix(scope: Scope, unit: Unit, fields: dict, table: str, column: str) -> Fix | None:
    """The fix for an INSERT into `table` keyed by `column` (lower case, as column_values
    reports it)."""
    key = _written_name(fields, column)
    if key is None:
        return None
    clause = f"on conflict ({key}) do nothing"
    text = scope.facts.text
    returning = fields.get("returningClause") or fields.get("returningList")
    if returning:
        exprs = returning.get("exprs") if isinstance(returning, dict) else returning
        if not exprs:
            return None
        first, _ = unit.span(exprs[0])
        keyword = None
        for keyword in _RETURNING.finditer(text, unit.start, first):
            pass
        if keyword is None:
            return None
        edit = Edit(keyword.start(), keyword.start(), clause + " ")
    else:
        edit = Edit(unit.end, unit.end, " " + clause)
    safe = not returning and not _statements_after(scope, unit) and unique_key_visible(text, table, column)
    return Fix(f"Add `{clause}` so a redelivery inserts nothing", (edit,), "safe" if safe else "unsafe")


def _written_name(fields: dict, column: str) -> str | None:
    for target in fields.get("cols") or ():
        name = typed(target)[1].get("name", "")
        if name.lower() == column:
            return name if _SIMPLE_IDENT.match(name) else '"' + name.replace('"', '""') + '"'
    return None


def _statements_after(scope: Scope, unit: Unit) -> bool:
    """In a routine, another SQL statement runs after this insert (it would now also run on a
    retry: before, the unique violation stopped the routine there)."""
    return scope.routine and any(other.role == "stmt" and other.start >= unit.end for other in scope.units)


def unique_key_visible(text: str, table: str, column: str) -> bool:
    """This text declares a unique key on exactly `table(column)`: a column or table constraint in
    its CREATE TABLE, an ALTER TABLE ... ADD UNIQUE/PRIMARY KEY, or a non-partial unique index."""
    if not table:
        return False
    name = rf'(?:"?\w+"?\s*\.\s*)?"?{re.escape(table)}"?'
    col = rf'"?{re.escape(column)}"?'
    key = r"(?:unique(?:\s+nulls\s+(?:not\s+)?distinct)?|primary\s+key)"
    flags = re.IGNORECASE
    if re.search(rf"\balter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?{name}\s+add\s+(?:constraint\s+\S+\s+)?{key}\s*\(\s*{col}\s*\)", text, flags):
        return True
    for index in re.finditer(rf"\bcreate\s+unique\s+index\s+(?:concurrently\s+)?(?:if\s+not\s+exists\s+)?(?:\S+\s+)?on\s+"
                             rf"(?:only\s+)?{name}\s*(?:using\s+\w+\s*)?\(\s*{col}\s*\)([^;]*)", text, flags):
        if not re.search(r"\bwhere\b", index.group(1), flags):
            return True  # a partial index does not serve a plain ON CONFLICT (key)
    for create in re.finditer(rf"\bcreate\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?{name}\s*\(", text, flags):
        body = _parenthesised(text, create.end() - 1)
        for part in _top_level_parts(body):
            if re.match(rf"\s*{col}\s", part, flags) and re.search(rf"\b{key}\b", part, flags):
                return True
            if re.match(rf"\s*(?:constraint\s+\S+\s+)?{key}\s*\(\s*{col}\s*\)", part, flags):
                return True
    return False


def _parenthesised(text: str, open_at: int) -> str:
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[open_at + 1 : i]
    return text[open_at + 1 :]


def _top_level_parts(body: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    return parts
