"""ARM104's fixes: an expiry written or compared through an ORM takes the database's clock.

    Token.objects.create(expires_at=timezone.now() + timedelta(hours=1))   ->  Now() + timedelta(hours=1)
    Token.objects.filter(expires_at__lt=timezone.now())                     ->  Now()
    insert(Token).values(expires_at=datetime.utcnow() + timedelta(...))     ->  func.now() + timedelta(...)

Only the clock reading written straight into the ORM call is rewritten: a value kept in a local
variable may be read elsewhere, where an SQL expression means nothing.

Safe, when nothing in Python sees the value afterwards: a queryset `update()`, a `create()` whose
result is dropped, an SQLAlchemy `values()`, a query's comparison. Unsafe otherwise: a model
built or created and kept holds the expression (not a datetime) until it is reloaded. Also unsafe
for naive clocks (`datetime.utcnow()`, `datetime.now()`): a column without time zone would then
get the database session's local time, which equals UTC only where the server is set so."""
from __future__ import annotations

import libcst as cst

from ...model import Edit, Fix
from ._clock_scope import call_name, last_part
from ._fixes import import_name

_DJANGO_NOW = "django.utils.timezone.now"
_DATETIME_NOW = frozenset({"datetime.datetime.now", "datetime.datetime.utcnow", "datetime.now", "datetime.utcnow"})
_SQLALCHEMY_FUNC = ("sqlalchemy.sql.func", "sqlalchemy.sql.expression.func", "sqlalchemy.sql.functions.func")
_CREATES = frozenset({"create", "get_or_create"})

_TEXT = {
    ("django", "en"): "Compute it with the database's clock: Now() (django.db.models.functions)",
    ("django", "pt-BR"): "Calcular com o relógio do banco: Now() (django.db.models.functions)",
    ("sqlalchemy", "en"): "Compute it with the database's clock: func.now() (sqlalchemy)",
    ("sqlalchemy", "pt-BR"): "Calcular com o relógio do banco: func.now() (sqlalchemy)",
}


def expiry_fix(sink, analysis, ctx):
    """A fix factory (ctx -> Fix | None) for one ARM104 sink, or None when no mechanical
    rewrite is right."""
    language = ctx.language
    call = sink.call
    if call is None or len(sink.flow.calls) != 1 or sink.kind not in ("orm", "store", "query"):
        return None
    clock = sink.flow.calls[0]
    framework, aware = _framework(analysis, ctx, clock)
    if framework is None or not _inside(analysis, clock, sink.node):
        return None
    method = last_part(call_name(analysis.qname, call))
    if sink.kind == "query":
        applicable = "safe"
    else:
        applicable = _write_applicability(analysis, ctx.code_for(call.func), call, method, framework)
        if applicable is None:
            return None
    if not aware:
        applicable = "unsafe"

    def make(ctx) -> Fix | None:
        if framework == "django":
            named = import_name(ctx, "django.db.models.functions", "Now", also=("django.db.models.Now",))
            if named is None:
                return None
            local, import_edit = named
            replacement = f"{local}()"
        else:
            named = _sqlalchemy_func(ctx)
            if named is None:
                return None
            local, import_edit = named
            replacement = f"{local}.now()"
        start, end = ctx.node_span(clock)
        edits = [Edit(start, end, replacement)]
        if import_edit is not None:
            edits.insert(0, import_edit)
        return Fix(_TEXT[(framework, "pt-BR" if language == "pt-BR" else "en")], tuple(edits), applicable)

    return make


def _framework(analysis, ctx, clock: cst.Call) -> tuple[str | None, bool]:
    """("django" | "sqlalchemy" | None, whether the reading is time-zone aware)."""
    name = analysis.qname(clock.func) or ""
    imported = {qualified.split(".")[0] for qualified in ctx.imports.values()}
    if name == _DJANGO_NOW and not clock.args:
        return "django", True
    if name in _DATETIME_NOW and "sqlalchemy" in imported and "django" not in imported:
        aware = last_part(name) == "now" and bool(clock.args)  # now(timezone.utc) / now(tz=UTC)
        return "sqlalchemy", aware
    return None, False


def _inside(analysis, node: cst.CSTNode, outer: cst.CSTNode) -> bool:
    current = node
    for _ in range(12):
        if current is outer:
            return True
        parent = analysis.index.parent_of(current)
        if not isinstance(parent, (cst.BinaryOperation, cst.Call, cst.Arg)) and parent is not outer:
            return False
        if isinstance(parent, (cst.Call, cst.Arg)) and parent is not outer:
            return False  # inside another call (`int(now())`): the SQL expression cannot go there
        current = parent
    return False


def _write_applicability(analysis, receiver: str, call: cst.Call, method: str, framework: str) -> str | None:
    dropped = isinstance(analysis.index.parent_of(call), cst.Expr)
    if method == "update" and framework == "django":
        return "safe" if ".objects" in receiver or "filter(" in receiver or "exclude(" in receiver else None
    if method == "values" and framework == "sqlalchemy":
        return "safe"  # insert(...).values() / update(...).values(): SQL all the way
    if method in _CREATES and framework == "django" and ".objects" in receiver:
        return "safe" if dropped else "unsafe"
    if method[:1].isupper():
        return "unsafe"  # a model instance, saved or added: it keeps the expression until reloaded
    return None


def _sqlalchemy_func(ctx) -> tuple[str, Edit | None] | None:
    for local, qualified in ctx.imports.items():
        if qualified == "sqlalchemy":
            return f"{local}.func", None  # `import sqlalchemy as sa` -> sa.func
    return import_name(ctx, "sqlalchemy", "func", also=_SQLALCHEMY_FUNC)
