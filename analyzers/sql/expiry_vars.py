"""PL/pgSQL variables holding an expiry read back from a table.

`select valid_until into v_until from coupons ...` or `v_exp := (select expires_at from
sessions ...)` loads a persisted expiry into a local variable; comparing that variable with
clock_timestamp() checks the persisted expiry as surely as `expires_at > clock_timestamp()`
in a WHERE clause. A polling deadline (`v_deadline := clock_timestamp() + interval '5
seconds'`) or a start time (`t0 := clock_timestamp()`) is computed inside the body and is
never one of these: any variable the wall clock is assigned to is left out.
"""
from __future__ import annotations

from collections.abc import Iterator

from .facts import expression_of, into_values, wall_calls
from .scope import Scope, Unit
from .tree import column_fields, func_name, op_name, typed
from .wallclock import is_expiry_column

_MAX_DEPTH = 16
_PASSES = 4  # `v_b := v_a` copies: a few passes settle any realistic chain
_KEEPS_VALUE = frozenset({"max", "min", "greatest", "least", "coalesce"})


def expiry_variables(scope: Scope) -> frozenset[str]:
    """Scalar variables of `scope` loaded from a column that names an expiry."""
    if not scope.variables:
        return frozenset()
    loads = list(_loads(scope))
    clocked = {name for name, value in loads if any(True for _ in wall_calls(value))}
    loaded: set[str] = set()
    for _ in range(_PASSES):
        grew = False
        for name, value in loads:
            if name not in clocked and name not in loaded and _reads_expiry(scope, value, loaded, 0):
                loaded.add(name)
                grew = True
        if not grew:
            break
    return frozenset(loaded)


def _loads(scope: Scope) -> Iterator[tuple[str, object]]:
    """(variable, value node) for every assignment and SELECT/RETURNING ... INTO of a scalar."""
    for unit in scope.units:
        if unit.role == "assign" and unit.target in scope.variables:
            value = expression_of(unit)
            if value is not None:
                yield unit.target, value
        elif unit.role == "stmt" and unit.into:
            values = into_values(unit)
            if len(values) != len(unit.into):
                continue  # `select * into a, b`: which column lands where is unknown
            for name, value in zip(unit.into, values):
                if name in scope.variables:
                    yield name, value


def _reads_expiry(scope: Scope, node, loaded: set[str], depth: int) -> bool:
    """Whether the value of `node` is (derived from) a persisted expiry: the column itself,
    a cast, coalesce/greatest/max of it, it plus or minus an interval, or a scalar subquery
    selecting it."""
    if depth > _MAX_DEPTH:
        return False
    kind, fields = typed(node)
    if kind == "ColumnRef":
        parts = column_fields(fields)
        if not parts:
            return False
        if len(parts) == 1 and parts[0] in scope.variables:
            return parts[0] in loaded
        return bool(is_expiry_column(parts[-1]))
    if kind == "TypeCast":
        return _reads_expiry(scope, fields.get("arg"), loaded, depth + 1)
    if kind in ("CoalesceExpr", "MinMaxExpr"):
        return any(_reads_expiry(scope, arg, loaded, depth + 1) for arg in fields.get("args") or ())
    if kind == "FuncCall" and func_name(fields) in _KEEPS_VALUE:
        return any(_reads_expiry(scope, arg, loaded, depth + 1) for arg in fields.get("args") or ())
    if kind == "A_Expr" and fields.get("kind") == "AEXPR_OP" and op_name(fields) in ("+", "-"):
        return _reads_expiry(scope, fields.get("lexpr"), loaded, depth + 1) or (
            op_name(fields) == "+" and _reads_expiry(scope, fields.get("rexpr"), loaded, depth + 1)
        )
    if kind == "SubLink" and fields.get("subLinkType") == "EXPR_SUBLINK":
        select_kind, select = typed(fields.get("subselect"))
        targets = select.get("targetList") or [] if select_kind == "SelectStmt" else []
        if len(targets) == 1:
            return _reads_expiry(scope, typed(targets[0])[1].get("val"), loaded, depth + 1)
    return False
