"""Query conditions written as data and handed to a call.

Frameworks and repository layers take a condition as a value instead of an expression:

  lookups    `{"created_at__lt": cutoff}` (Django lookups in a dict given as `filters=`/`**`)
  triples    `("next_call", "<=", now)` in a search domain (Odoo, Tryton, Frappe, ERPNext)
  pairs      `{"expires_at": (">", now)}` (Frappe and ERPNext filters)
  operators  `{"<": {"ended_at": cutoff}}` (an operator over a field, as indexer filters take it)

Each yields the compared column and the value; _clock_sinks judges them exactly as it judges
`filter(created_at__lt=cutoff)`. The data must reach the call in the same function: written in
its arguments, or bound to a local (a literal, `dict(...)`, `d[key] = value`)."""
from __future__ import annotations

import libcst as cst

from ._clock_scope import Scope, string_value

_LOOKUPS = frozenset({"lt", "lte", "gt", "gte"})
_OPERATORS = frozenset({"<", "<=", ">", ">=", "=<", "lt", "le", "lte", "gt", "ge", "gte"})


def data_conditions(finder, scope: Scope, call: cst.Call):
    """(column, value, how it was written) for every condition `call` is handed as data."""
    for arg in call.args:
        value = arg.value
        for column, compared, shape in _conditions(finder, scope, value, 0):
            yield column, compared, shape


def _conditions(finder, scope: Scope, value: cst.CSTNode, depth: int):
    if depth > 3:
        return
    if isinstance(value, cst.Name):
        for d in scope.defs.get(value.value, []):
            if d.value is not None and not d.augmented and isinstance(d.value, (cst.List, cst.Tuple)):
                yield from _conditions(finder, scope, d.value, depth + 1)
    if isinstance(value, (cst.List, cst.Tuple)):
        triple = _triple(value)
        if triple is not None:
            yield triple
            return
        for element in value.elements:
            if not isinstance(element, cst.StarredElement):
                yield from _conditions(finder, scope, element.value, depth + 1)
        return
    if not isinstance(value, (cst.Dict, cst.Call, cst.Name)):
        return
    for key, entry in finder.dict_entries(scope, value):
        field, _, lookup = key.rpartition("__")
        if field and lookup in _LOOKUPS:
            yield field.rpartition("__")[2], entry, f'{{"{key}": ...}}'
        elif key in _OPERATORS and isinstance(entry, cst.Dict):
            for element in entry.elements:
                column = string_value(element.key) if isinstance(element, cst.DictElement) else None
                if column:
                    yield column, element.value, f'{{"{key}": {{"{column}": ...}}}}'
        elif isinstance(entry, (cst.Tuple, cst.List)) and len(entry.elements) == 2 \
                and string_value(entry.elements[0].value) in _OPERATORS:
            yield key, entry.elements[1].value, f'{{"{key}": ("{string_value(entry.elements[0].value)}", ...)}}'


def _triple(value: cst.CSTNode):
    """`("field", "<=", value)`."""
    elements = value.elements if isinstance(value, (cst.List, cst.Tuple)) else ()
    if len(elements) != 3 or any(isinstance(e, cst.StarredElement) for e in elements):
        return None
    column, operator = string_value(elements[0].value), string_value(elements[1].value)
    if not column or operator not in _OPERATORS:
        return None
    return column.rpartition(".")[2], elements[2].value, f'("{column}", "{operator}", ...)'
