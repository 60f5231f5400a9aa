"""How a SQL rule plugs in: a `check(scope) -> iterable of SqlHit` function registered with
its RuleMeta by `@sql_rule(META)`. Modules `analyzers/sql/rules/arm*.py` are imported by the
package, which registers them."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from ..catalog import RuleMeta
from .hits import SqlHit
from .scope import Scope

Check = Callable[[Scope], Iterable[SqlHit]]
SQL_CHECKS: list[tuple[RuleMeta, Check]] = []


def sql_rule(meta: RuleMeta) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        if all(existing is not meta for existing, _ in SQL_CHECKS):
            SQL_CHECKS.append((meta, check))
        return check

    return register
