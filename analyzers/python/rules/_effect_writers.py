"""The project's own record helpers: short functions whose body writes to the database
(`save_to_db(item)` adding and committing, `record_payout(p)` running an UPDATE). A call of one
after an external effect is the record of that effect (ARM402), whatever the helper is called;
its body says so, not its name. Built into the project index next to the effect summaries.
A compound method name every definition of which is such a helper is a record on any object
(`store.setSendAttemptNumber(sid, n)`, the store built elsewhere)."""
from __future__ import annotations

import re

import libcst as cst

# Files worth reading: they write through an ORM session, a model or SQL.
WRITE_TEXT = re.compile(
    r"\.commit\(|\.save\(|\.add\(|objects\.|\.execute\(|\.insert\(|\.update\(|self\.\w+\.(?:get_or_|update_or_|bulk_)?create\("
)
# A record helper is short; a longer function that writes is a workflow of its own.
_MAX_WRITER_LINES = 30


def module_writers(path: str, text: str) -> set[str]:
    """Dotted names within the module (`save_to_db`, `Repo.mark_sent`) of short functions and
    methods whose body performs a database write."""
    from libcst.metadata import MetadataWrapper

    from ...settings import Settings
    from ..context import FileContext
    from ._db_writes import db_write, pending_marks
    from ._effect_summaries import _functions, code_lines, effect_snippet
    from ._effects_flow import build_flow, module_values, self_assignments

    snippet = effect_snippet(text, WRITE_TEXT)
    if not snippet:
        return set()
    try:
        module = cst.parse_module(snippet)
    except (cst.ParserSyntaxError, RecursionError, MemoryError):
        return set()
    ctx = FileContext(path, snippet, Settings(), MetadataWrapper(module, unsafe_skip_copy=True), None)
    values = module_values(module)
    selves = self_assignments(module)
    django_models = _DJANGO_MODELS.search(text) is not None
    found = set()
    for name, func, cls in _functions(module):
        if code_lines(ctx.module.code_for_node(func).splitlines()) > _MAX_WRITER_LINES:
            continue
        try:
            flow = build_flow(func.body, ctx.imports, values, func.params, selves)
            flow.class_name = cls
            marks = pending_marks(flow)
            if any(db_write(s, flow, ctx, pending=any(m <= s.index for m in marks)) is not None for s in flow.sites):
                found.add(name)
            elif _commits_on_return(func) and any(_session_add(s) for s in flow.sites):
                found.add(name)  # `@transactional def dao_update(n): db.session.add(n)`: the decorator commits
            elif cls is not None and django_models and any(_related_create(s) for s in flow.sites):
                found.add(name)  # `def add_notified_action(self): return self.actions.create(...)` of a model
        except RecursionError:
            continue
    return found


# Decorators that commit the session when the function returns: `@transactional`, `@autocommit` (the Notify
# DAO layer), `@transaction.atomic`, Pony's `@db_session`, `@commit_on_success`.
_COMMITTING = re.compile(r"(?:^|\.)(?:transactional|atomic|autocommit|db_session|commit_on_success|commit_after|with_transaction)$")


def _commits_on_return(func: cst.FunctionDef) -> bool:
    from ._call_args import _chain_of

    for decorator in func.decorators:
        node = decorator.decorator
        if isinstance(node, cst.Call):
            node = node.func
        if _COMMITTING.search(_chain_of(node)):
            return True
    return False


# A module of Django models: `self.<related>.create(...)` in a method is a related manager's insert.
_DJANGO_MODELS = re.compile(r"^[ \t]*from[ \t]+django\.db[ \t]+import[^\n]*\bmodels\b", re.MULTILINE)
_RELATED_WRITE = re.compile(r"^self\.\w+\.(?:create|get_or_create|update_or_create|bulk_create)$")


def _related_create(site) -> bool:
    return bool(_RELATED_WRITE.match(site.chain))


def _session_add(site) -> bool:
    from ._db_writes import SESSIONISH

    return site.method in ("add", "add_all", "merge") and bool(SESSIONISH.search(site.chain.rsplit(".", 1)[0]))


def writes_record(site, ctx) -> bool:
    """The call names a project function the index holds as a record helper."""
    view = ctx.project_view() if ctx.project is not None else None
    writers = getattr(view.index, "writers", None) if view is not None else None
    if not writers:
        return False
    name = view.qualified(site.node.func)
    if name is None:
        if isinstance(site.node.func, cst.Attribute):
            # a method of an object of unknown type whose every definition in the project writes
            receiver = site.chain.rsplit(".", 1)[0]
            return site.method in getattr(view.index, "writer_methods", ()) and receiver not in ("self", "cls")
        if not isinstance(site.node.func, cst.Name):
            return False
        from ..project_index import module_name

        return (module_name(ctx.path), site.node.func.value) in writers
    parts = name.split(".")
    for i in range(1, len(parts)):
        module, function = ".".join(parts[:i]), ".".join(parts[i:])
        if (module, function) in writers:
            return True
    return False
