"""ARM104: a stored record's own times, read by the record class's methods (`self.expires`).

A field of an ORM row is stored: whichever node saved the row stamped it from its clock, so an
expiry check on the model (`def is_expired(self): return timezone.now() >= self.expires`) mixes
that clock with this node's. _clock_stored takes `self.<field>` as stored only inside a record
class; this module says what such a class is and when one of its plain stamps is an expiry:

- a record class: a model base by name (`models.Model`, `Base`), or a class body declaring ORM
  columns (`description = models.CharField(...)`, `Column(...)`): a model derived from a
  library's abstract model (`AbstractAccessToken`) is still one;
- the method may be a closure inside the model's method (`def _not_expired():` in `is_valid`):
  `self` is still the row;
- a field the model sets on itself (`self.expires_on = now() + ...` in `save()`) is saved with
  the row: other nodes read it back, so it stays a stored time;
- a creation stamp (`self.created`, `self.auth_time`) moved by an amount or aged against one, in a
  method whose name says it decides expiry or validity (`is_expired`, `expired`, `is_valid`): the
  record's lifetime, counted from another node's clock. Elsewhere (an event's `start_date`, a
  poll's `close_at`) a model's dates are often calendar settings a person chose.
"""
from __future__ import annotations

import re

import libcst as cst

from ..imports import dotted
from ._clock_scope import Scope, last_part

# A column declared in the class body: Django/peewee `...Field(...)`, SQLAlchemy `Column(...)`.
_COLUMN_CALL = re.compile(r"Field$|^Column$|^mapped_column$")
# A method that decides whether the record has lapsed.
EXPIRY_METHOD = re.compile(r"expir|(?:^|_)valid|(?:^|_)stale|too_old|is_active|alive", re.IGNORECASE)


def owning_class(index, scope: Scope) -> cst.ClassDef | None:
    """The class whose `self` a scope sees: its own method's, or the method it is nested in."""
    if scope.cls is not None:
        return scope.cls
    current: cst.CSTNode | None = scope.node
    for _ in range(12):
        current = index.parent_of(current) if current is not None else None
        if isinstance(current, cst.FunctionDef):
            outer = next((s for s in index.scopes if s.node is current), None)
            return outer.cls if outer is not None else None
        if current is None or isinstance(current, (cst.ClassDef, cst.Module)):
            return None
    return None


def declares_columns(cls: cst.ClassDef) -> bool:
    """The class body assigns ORM columns: `expires = models.DateTimeField(null=True)`."""
    for statement in cls.body.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            value = small.value if isinstance(small, (cst.Assign, cst.AnnAssign)) else None
            if isinstance(value, cst.Call) and _COLUMN_CALL.search(last_part(dotted(value.func) or "")):
                return True
    return False


def expiry_method(index, scope: Scope) -> bool:
    """The scope, or the method it is nested in, is named for deciding expiry or validity."""
    current: cst.CSTNode | None = scope.node
    for _ in range(12):
        if current is None or isinstance(current, cst.ClassDef):
            return False
        if isinstance(current, cst.FunctionDef) and EXPIRY_METHOD.search(current.name.value):
            return True
        current = index.parent_of(current)
    return False


__all__ = ["EXPIRY_METHOD", "declares_columns", "expiry_method", "owning_class"]
