"""ARM104 sinks that are a column's default: an expiry column filled, at insert, by a function of
this machine's wall clock.

`expires_at = models.DateTimeField(default=_one_more_day)` with `def _one_more_day(): return
timezone.now() + timedelta(1)` (also a lambda, and SQLAlchemy's `Column(DateTime,
default=...)`): every row inserted without an explicit expiry gets the instant the inserting
node's clock says, and readers on other nodes compare it with theirs. The fix is the database's
clock (`db_default=Now() + ...`, `server_default=text("now() + interval ...")`), which is why a
`server_default`/`db_default` is never flagged. The finding is reported where the helper reads
the clock, where a fix starts; a bare reading (`default=timezone.now`, a creation stamp) is not an
expiry and is left alone.
"""
from __future__ import annotations

import re

import libcst as cst

from ._clock import OFFSET
from ._clock_helpers import returned_values
from ._clock_scope import Scope, call_name, last_part

_COLUMN_CALL = re.compile(r"Field$|^Column$|^mapped_column$")


def column_default_sinks(finder, module: cst.Module, expiry_name: re.Pattern) -> None:
    """Report `default=` helpers of expiry-named columns declared in the module's classes."""
    analysis = finder.analysis
    scope = next((s for s in analysis.index.scopes if s.node is module), None) or Scope(module, None)
    for column, call in _columns(module):
        name = call_name(analysis.qname, call)
        if not _COLUMN_CALL.search(last_part(name)) or not expiry_name.search(column):
            continue
        for arg in call.args:
            if arg.keyword is None or arg.keyword.value != "default":
                continue
            for owner_scope, value in _default_values(analysis, scope, arg.value):
                flow = analysis.flow(owner_scope, value)
                if flow is not None and flow.kind == OFFSET and flow.calls:
                    finder.add(flow, value, "orm", f"{last_part(name)}(default=...) of `{column}`")


def _columns(module: cst.Module):
    """(name, call) of `expires_at = models.DateTimeField(...)` (also annotated) in the bodies of
    the module's top-level classes."""
    for statement in module.body:
        if not isinstance(statement, cst.ClassDef):
            continue
        for line in statement.body.body:
            if not isinstance(line, cst.SimpleStatementLine):
                continue
            for small in line.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                    target = small.targets[0].target.value
                elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    target = small.target.value
                else:
                    continue
                if isinstance(small.value, cst.Call):
                    yield target, small.value


def _default_values(analysis, scope: Scope, default: cst.BaseExpression):
    """(scope, expression) pairs whose value the default gives: a lambda's body, or what a
    function of this module returns."""
    if isinstance(default, cst.Lambda):
        owner = next((s for s in analysis.index.scopes if s.node is default), scope)
        yield owner, default.body
    elif isinstance(default, cst.Name):
        helper = analysis.module_functions.get(default.value)
        owner = next((s for s in analysis.index.scopes if s.node is helper), None) if helper is not None else None
        if owner is not None:
            for value in returned_values(helper):
                if value is not None:
                    yield owner, value


__all__ = ["column_default_sinks"]
