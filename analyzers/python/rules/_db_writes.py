"""Database writes, as the rules about recording an external effect see them.

ARM402 asks whether a function records what it did (an INSERT/UPDATE, an ORM create or save,
a commit of pending session changes, a supabase/PostgREST write) and where; ARM403 and the lock
rules reuse the same recognisers. Redis/cache claims (`SET NX`) are here too: they are the
other way a function marks work as taken before acting.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from ._call_args import _chain_of, import_heads, kwarg, positional
from ._effects_flow import Flow, Site
from ._sqltext import is_record_sql, is_write_sql, string_text


SQL_METHODS = {"execute", "executemany", "execute_async", "fetch", "fetchrow", "fetchval", "query", "exec_driver_sql", "run"}
_ORM_WRITES = {"create", "get_or_create", "update_or_create", "bulk_create", "bulk_update", "update", "delete"}
# Django's async ORM spells each write with an `a` in front (`await Row.objects.acreate(...)`, `await row.asave()`).
_ASYNC_ORM = {f"a{name}": name for name in (*_ORM_WRITES, "save")}
_QUERYSET = re.compile(r"(?:^|\.)objects(?:\.|$)|\.query\(\)|\.filter\(\)|\.filter_by\(\)|\.exclude\(\)|\.where\(\)")
SESSIONISH = re.compile(
    r"(?:^|\.)_?(?:session|db|conn|connection|cnx|con|tx|txn|transaction|database|uow|unit_of_work)$|session$",
    re.I,
)
SDK_HEADS = {"stripe", "openai", "anthropic", "twilio", "boto3", "mercadopago", "adyen", "paypalrestsdk", "sendgrid", "resend"}
_SA_WRITES = re.compile(r"^sqlalchemy(?:\.sql|\.dialects\.\w+)?(?:\.expression)?\.(insert|update|delete)$")


@dataclass(frozen=True)
class DbWrite:
    site: Site
    kind: str  # "insert" / "update" / "delete" / "commit" / "orm"
    sql: str | None = None  # the statement text when it is SQL


def sql_of(site: Site, flow: Flow) -> str | None:
    if site.method not in SQL_METHODS or not site.node.args:
        return None
    first = site.node.args[0].value
    text = string_text(first, flow.resolver(site.index))
    if text is not None:
        return text
    expr = first
    if isinstance(expr, cst.Name):
        expr = flow.value_of(expr.value, site.index) or expr
    if isinstance(expr, cst.Call):
        # SQLAlchemy Core: `update(T).where(...).values(...)`, `insert(T)...`, `T.delete()`
        node: cst.BaseExpression = expr
        while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if node.func.attr.value in ("insert", "update", "delete") and not node.args:
                return node.func.attr.value
            node = node.func.value
        if isinstance(node, cst.Call):
            match = _SA_WRITES.match(flow.qualify(_chain_of(node.func)))
            if match:
                return match.group(1)
    return None


def db_write(site: Site, flow: Flow, ctx, pending: bool) -> DbWrite | None:
    """A write to the database. `pending` says an ORM session has unflushed changes (an add,
    a merge, an attribute assignment) so that a `commit()` persists something."""
    method = _ASYNC_ORM.get(site.method, site.method)
    rest = rest_write(site, flow)
    if rest is not None:
        return DbWrite(site, rest.kind)
    if method in SQL_METHODS:
        text = sql_of(site, flow)
        if text is None:
            return None
        if not is_write_sql(text):
            if text.lower() in ("insert", "update", "delete"):
                return DbWrite(site, text.lower(), text)
            return None
        return DbWrite(site, text.lstrip().split(None, 1)[0].lower(), text)
    receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
    if method == "save":
        if not positional(site.node) and receiver and (not receiver.endswith("()") or _built_row(site)):
            return DbWrite(site, "orm")
        return None
    if method in ("write", "create") and receiver and _odoo_values(site, flow):
        return DbWrite(site, "orm")
    if method == "commit" and pending and SESSIONISH.search(receiver):
        return DbWrite(site, "commit")
    if method in _ORM_WRITES:
        if _QUERYSET.search(receiver + ".") or _QUERYSET.search(receiver):
            return DbWrite(site, "delete" if method == "delete" else "orm")
        if receiver and "." not in receiver and not receiver.endswith(("()", "]")):
            bound = flow.value_of(receiver, site.index)
            if isinstance(bound, cst.Call) and _QUERYSET.search(_chain_of(bound.func)):
                return DbWrite(site, "delete" if method == "delete" else "orm")
            if method == "create" and receiver[:1].isupper():
                head = flow.qualify(receiver).split(".")[0].lower()
                if head not in SDK_HEADS:
                    return DbWrite(site, "orm")
    return None


def _odoo_values(site: Site, flow: Flow) -> bool:
    """Odoo's ORM: `record.write({"state": "sent"})`, `self.env["x"].create({...})` take the
    field values as one dict (a file's `write` takes text)."""
    args = site.node.args
    if len(args) != 1 or args[0].keyword is not None or not isinstance(args[0].value, (cst.Dict, cst.List)):
        return False
    return bool({"odoo", "openerp"} & import_heads(flow))


def _built_row(site: Site) -> bool:
    """`TMSEmail(tms_id=response["id"], subject=s).save()`: a model row built from its fields
    and saved in one expression (a class called with keyword arguments only)."""
    func = site.node.func
    built = func.value if isinstance(func, cst.Attribute) else None
    if not isinstance(built, cst.Call) or not isinstance(built.func, cst.Name):
        return False
    return built.func.value[:1].isupper() and bool(built.args) and all(a.keyword is not None for a in built.args)


# supabase-py / postgrest-py: `sb.table("invoices").update({...}).eq("id", x).execute()`. The
# builder only reaches the database at `.execute()`, so that call is the write.
_REST_WRITE = re.compile(
    r"(?:^|\.)(?:table|from_)\(\)(?:\.schema\(\))?\.(?P<kind>insert|update|upsert|delete)\(\)(?:\.\w+\(\))*\.execute$"
)
_REST_HEADS = {"supabase", "postgrest", "supabase_py", "supabase_client"}
_REST_RECEIVER = re.compile(r"(?i)(?:^|[._])(?:supabase|sb|postgrest)\w*(?:\(\))?\.")


@dataclass(frozen=True)
class RestWrite:
    kind: str  # "insert" / "update" / "upsert" / "delete"
    table: str | None
    call: cst.Call  # the `.insert(...)` / `.upsert(...)` call with the rows and options


def rest_write(site: Site, flow: Flow) -> RestWrite | None:
    """A supabase/PostgREST write, recognised at its `.execute()`."""
    if site.method != "execute" or site.node.args:
        return None
    match = _REST_WRITE.search(site.chain)
    if match is None:
        return None
    if not (import_heads(flow) & _REST_HEADS or _REST_RECEIVER.search(site.chain)):
        return None
    node: cst.BaseExpression = site.node.func
    write_call = table = None
    for _ in range(32):
        if isinstance(node, cst.Attribute):
            node = node.value
        elif isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute):
                name = func.attr.value
                if name == match.group("kind") and write_call is None:
                    write_call = node
                elif name in ("table", "from_") and node.args:
                    table = string_text(node.args[0].value, flow.resolver(site.index))
                    break
            node = func
        else:
            break
    if write_call is None:
        return None
    return RestWrite(match.group("kind"), table, write_call)


def is_record(write: DbWrite) -> bool:
    if write.kind == "delete":
        return False
    if write.sql is not None and write.kind not in ("insert", "update"):
        return is_record_sql(write.sql)
    return True


_PENDING_METHODS = {"add", "add_all", "merge", "bulk_save_objects"}


def pending_marks(flow: Flow) -> list[int]:
    """Indexes after which an ORM session holds unflushed changes."""
    marks = [s.index for s in flow.sites if s.method in _PENDING_METHODS and SESSIONISH.search(s.chain.rsplit(".", 1)[0])]
    marks += [index for index, target, _ in flow.attr_assigns]
    return marks


_TRUTHY_FALSE = ("False", "None", "0")


def is_claim(site: Site) -> bool:
    """A Redis/cache claim taken before acting (`SET NX`, `setnx`, `cache.add`)."""
    if site.method == "setnx":
        return True
    if site.method == "set":
        nx = kwarg(site.node, "nx")
        return nx is not None and not (isinstance(nx.value, cst.Name) and nx.value.value in _TRUTHY_FALSE)
    return site.method == "add" and site.chain.rsplit(".", 1)[0].endswith("cache")
