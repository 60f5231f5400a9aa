"""A row claimed by time: the general shape of a lease row, whatever its columns are called (ARM202).

`update t set locked_by = $1, lock_time = $2 where name = $3 and lock_time <= $4` rewrites a
stamp only when the stamp already there is older than a bound (or absent: `lock_time is null or
lock_time < $4`). The statement succeeds for one caller, who becomes the holder, until the stamp
it wrote in turn grows older than the bound and the next caller takes the row over, while the
first may still be working. That is a lease however the columns are named (`lockTime`,
`submitTime`, `claimed_at`, `expires_at`), so the shape is judged by what the statement does:

- it sets a column C and its WHERE (or the subquery or CTE choosing its rows) admits the row only
  when C is older than a bound (C < x, C <= x, x > C), maybe also when C is absent;
- C holds a time: a clock function is written to it or compared with it, or its name ends in a
  time word (`_at`, `time`, `date`, `stamp`, `until`, `since`, `_ts`);
- C's new value is not computed from C (a counter bumped under a cap is not a stamp);
- it is a claim and not a throttle (`set last_sent = now() where last_sent < now() - interval
  '1 minute'` only spaces a repeated action out): another column of the same SET names who takes
  the row (a value handed in: a parameter, a variable or a function of the session), or the
  statement hands the claimed rows back (`returning ...`) to the worker that will process them.

A statement that also issues or checks a token, an epoch or a term is fenced and left alone, and
so is a claim that bumps a counter of the row and returns it (`read_ct = read_ct + 1 ...
returning read_ct`): every claim hands its holder a larger number. A takeover judged by a
heartbeat column is `_takeover_claims`'s.
"""
from __future__ import annotations

import re

from ..names import HEARTBEAT_COLUMN
from ..scope import Unit
from ..tree import column_fields, fields_of, is_time_call, op_name, typed, walk

_TIME_NAME = re.compile(r"(?:_at|time|date|stamp|until|since|_ts)$")
_OLDER = {"<": "left", "<=": "left", ">": "right", ">=": "right"}  # where C stands when C is older than the bound


def _column(node) -> str | None:
    kind, fields = typed(node)
    if kind == "ColumnRef":
        parts = column_fields(fields)
        return parts[-1] if parts else None
    return None


def _has_clock(node) -> bool:
    return any(is_time_call(kind, fields) for kind, fields in walk(node))


def _aged_columns(where) -> dict[str, bool]:
    """Columns the condition requires to be older than a bound, each with whether a clock
    function takes part in that comparison."""
    found: dict[str, bool] = {}
    for kind, expr in walk(where):
        if kind != "A_Expr" or expr.get("kind", "AEXPR_OP") != "AEXPR_OP":
            continue
        side = _OLDER.get(op_name(expr))
        if side is None:
            continue
        column = _column(expr.get("lexpr") if side == "left" else expr.get("rexpr"))
        bound = expr.get("rexpr") if side == "left" else expr.get("lexpr")
        if column is not None and _column(bound) != column:
            found[column] = found.get(column, False) or _has_clock(bound)
    return found


def _refers_to(node, column: str) -> bool:
    return any(kind == "ColumnRef" and column_fields(fields)[-1:] == [column] for kind, fields in walk(node))


def _names_taker(value, column: str) -> bool:
    """A value handed in or read from the session: who takes the row."""
    kind, fields = typed(value)
    if kind == "TypeCast":
        return _names_taker(fields.get("arg"), column)
    if kind == "ParamRef":
        return True
    if kind == "ColumnRef":
        return column_fields(fields)[-1:] != [column]
    return kind == "FuncCall" and not is_time_call(kind, fields)


def _hands_out_a_count(fields: dict, values: dict) -> bool:
    """The claim bumps a counter of the row and returns it (`read_ct = read_ct + 1 ... returning
    read_ct`): each claim of the row hands its holder a larger number, which later writes can be
    fenced with."""
    counters = {
        name for name, value in values.items()
        if typed(value)[0] == "A_Expr" and op_name(typed(value)[1]) in ("+", "-") and _refers_to(value, name)
    }
    clause = fields.get("returningClause")
    returned = (clause.get("exprs") if isinstance(clause, dict) else None) or fields.get("returningList") or []
    if not counters or not returned:
        return False
    for kind, ref in walk(returned):
        if kind == "A_Star":
            return True
        if kind == "ColumnRef" and (column_fields(ref)[-1:] and column_fields(ref)[-1] in counters):
            return True
    return False


def time_claim(unit: Unit) -> dict | None:
    """The relation node of an UPDATE (or upsert's DO UPDATE) that claims its row by time."""
    if unit.role != "stmt":
        return None
    for kind, fields in unit.nodes:
        if kind == "UpdateStmt":
            # the rows may be chosen in the WHERE, or in a FROM subquery or CTE of the statement
            targets = fields.get("targetList")
            where = [fields.get(k) for k in ("whereClause", "fromClause", "withClause") if fields.get(k)] or None
        elif kind == "InsertStmt" and fields.get("onConflictClause"):
            conflict = fields_of(fields["onConflictClause"])
            targets, where = conflict.get("targetList"), conflict.get("whereClause")
        else:
            continue
        if where is None or not targets:
            continue
        aged = _aged_columns(where)
        values = {}
        for target in targets:
            _, res = typed(target)
            if res and res.get("name"):
                values[res["name"].lower()] = res.get("val")
        if kind == "UpdateStmt" and _hands_out_a_count(fields, values):
            continue
        for column, clock in aged.items():
            value = values.get(column)
            if value is None or _refers_to(value, column) or HEARTBEAT_COLUMN.search(column):
                continue
            if not (clock or _has_clock(value) or _TIME_NAME.search(column)):
                continue
            handed_on = kind == "UpdateStmt" and bool(fields.get("returningClause") or fields.get("returningList"))
            if handed_on or any(_names_taker(other, name) for name, other in values.items() if name != column):
                return fields_of(fields.get("relation"))
    return None
