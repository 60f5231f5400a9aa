"""What ARM403 asks of an INSERT before calling it a redelivered fact: where its key comes from
(the caller or the delivered message, or minted by the statement itself), whether it copies rows
between tables, whether its table is an inbox or a log of attempts, and whether the routine or
named query around it is where deliveries arrive.

A retry inserts the same fact twice only when the row's key arrives from outside: a parameter,
a payload field, a provider's id. A key minted here (`gen_random_uuid()`, `nextval`, identity)
is new on every attempt, so ON CONFLICT could never match and the advice would be empty.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from ..names import EXTERNAL_KEY
from ..tree import column_fields, fields_of, func_name, paren_end, typed, walk

# Tables whose rows exist to say "this delivery was received/handled".
STRONG_INBOX = re.compile(
    r"(?:^|_)inbox(?:_|$)|(?:^|_)processed(?:_|$)|(?:^|_)(?:received|incoming|inbound)_(?:\w+_)?(?:events?|messages?|payments?|notifications?)$"
    r"|(?:^|_)webhook_(?:events|deliveries|receipts|logs?_entries)$|(?:^|_)(?:deliveries|receipts)$"
)
# A name that also fits ordinary CRUD tables (a shop's `payments`, an app's `events`, the
# configuration of `webhooks`): inbox-like only with a delivery context or a delivered key.
WEAK_INBOX = re.compile(r"(?:^|_)(?:payments?|events?|webhooks?|webhook_events)$")
# Append-only logs: a second row per attempt is what they are for.
LOG_TABLE = re.compile(r"(?:^|_)(?:attempts?|logs?|history|histories|audits?|audit_log|retries|failures|errors)$")
# Key columns a retry would repeat when their value comes from outside: the row's own `id` and
# foreign/natural `*_id`s (only inside a routine that receives deliveries).
KEYISH = re.compile(r"^(?:id|uuid|key|\w+_id|\w+_key|\w+_ref)$")

MINTING_FUNCS = frozenset(
    {"gen_random_uuid", "uuid_generate_v4", "uuid_generate_v1", "uuid_generate_v7", "uuidv7", "uuidv4",
     "nextval", "gen_ulid", "generate_ulid", "ulid", "random", "txid_current", "pg_current_xact_id"}
)

# Routines and named queries (sqlc/aiosql `-- name:`) where deliveries arrive.
_RECEIVING_VERB = re.compile(r"handle|consum|receiv|ingest|(?:^|_)on_|callback|dequeue|inbox")
DELIVERY_ROUTINE = re.compile(
    _RECEIVING_VERB.pattern + r"|webhook|deliver|process_(?:\w+_)?(?:message|event|msg|job|task|webhook|payment|notification)s?"
    r"|(?:record|store|save|log|insert)_(?:\w+_)?(?:event|message|notification|webhook|delivery|deliveries)s?$"
)
DELIVERY_PARAM = re.compile(
    r"^(?:p_|in_|_|i_)?(?:msg|message|event|payload|webhook|delivery|notification|envelope|body)(?:_?(?:json|data|body|record|rec|payload))?$",
    re.IGNORECASE,
)
_ROUTINE_HEADER = re.compile(
    r"\bcreate\s+(?:or\s+replace\s+)?(?:function|procedure)\s+(?P<name>(?:\"?[\w$]+\"?\s*\.\s*)?\"?[\w$]+\"?)\s*\(",
    re.IGNORECASE,
)
_QUERY_NAME = re.compile(r"^\s*--\s*name:\s*(?P<name>[\w-]+)", re.IGNORECASE | re.MULTILINE)
_PARAM_NAME = re.compile(r"(?:^|,)\s*(?:(?:in|out|inout|variadic)\s+)?\"?(?P<name>[A-Za-z_]\w*)\"?\s+[A-Za-z_]", re.IGNORECASE)


@lru_cache(maxsize=8)
def _headers(text: str) -> tuple[list[int], list[tuple[int, str, list[str]]]]:
    """Every CREATE FUNCTION/PROCEDURE header of a text: (start offsets, [(end of the parameter
    list, name, parameter names)]), computed once per text however many inserts ask."""
    starts: list[int] = []
    entries: list[tuple[int, str, list[str]]] = []
    for header in _ROUTINE_HEADER.finditer(text):
        open_paren = header.end() - 1
        close = paren_end(text, open_paren)
        name = header.group("name").replace('"', "").split(".")[-1].strip()
        params = [m.group("name") for m in _PARAM_NAME.finditer(text[open_paren + 1 : close - 1])]
        starts.append(header.start())
        entries.append((close, name, params))
    return starts, entries


@lru_cache(maxsize=8)
def _query_names(text: str) -> tuple[list[int], list[str]]:
    matches = list(_QUERY_NAME.finditer(text))
    return [m.start() for m in matches], [m.group("name") for m in matches]


def routine_around(text: str, offset: int) -> tuple[str, list[str]] | None:
    """(name, parameter names) of the CREATE FUNCTION/PROCEDURE whose body holds `offset`."""
    starts, entries = _headers(text)
    index = bisect_right(starts, offset) - 1
    if index < 0:
        return None
    close, name, params = entries[index]
    return None if close > offset else (name, params)


def routine_start(text: str, offset: int) -> int:
    """Where the routine holding `offset` begins (0 when no header precedes it)."""
    starts, _ = _headers(text)
    index = bisect_right(starts, offset) - 1
    return starts[index] if index >= 0 else 0


def query_name_before(text: str, offset: int) -> str | None:
    """The sqlc/aiosql name of the top-level query at `offset` (`-- name: RecordEvent :exec`)."""
    starts, names = _query_names(text)
    index = bisect_right(starts, offset) - 1
    return names[index] if index >= 0 else None


_CRUD_VERB = re.compile(r"^(?:create|update|delete|get|list|find|count|set|register|add|remove|disable|enable|rotate|upsert)_")


def delivery_routine(name: str | None, params: list[str]) -> bool:
    if name:
        snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
        if _CRUD_VERB.match(snake):
            # `create_webhook`, `update_event`: the CRUD of a configuration or of our own rows
            return bool(_RECEIVING_VERB.search(snake))
        if DELIVERY_ROUTINE.search(snake):
            return True
    return any(DELIVERY_PARAM.match(p) for p in params)


def is_copy(fields: dict) -> bool:
    """INSERT ... SELECT ... FROM a table: rows copied or derived from rows already stored
    (backfills, partition swaps, fan-out into tasks) carry no delivered key of their own."""
    _, select = typed(fields.get("selectStmt"))
    if not select or select.get("valuesLists"):
        return False
    for kind, _sub in walk(select.get("fromClause")):
        if kind in ("RangeVar", "RangeSubselect", "JoinExpr"):
            return True
    return False


def column_values(fields: dict) -> list[tuple[str, object]]:
    """(column, value) pairs of every row an INSERT writes (VALUES lists or a SELECT's targets)."""
    columns = [typed(c)[1].get("name", "").lower() for c in fields.get("cols") or ()]
    _, select = typed(fields.get("selectStmt"))
    pairs: list[tuple[str, object]] = []
    if not select:
        return pairs
    rows = []
    for row in select.get("valuesLists") or ():
        kind, items = typed(row)
        rows.append(items.get("items") or [] if kind == "List" else [])
    if select.get("targetList"):
        rows.append([typed(t)[1].get("val") for t in select["targetList"]])
    for row in rows:
        pairs += list(zip(columns, row))
    return pairs


_MINTED_VARIABLE = re.compile(
    r"\b(?P<name>[A-Za-z_]\w*)(?:[ \t]+[\w.]+(?:\[\])?)?[ \t]*(?::=|=|\bdefault\b)\s*(?:\w+\.)?(?:"
    + "|".join(sorted(MINTING_FUNCS))
    + r")\s*\(",
    re.IGNORECASE,
)


def minted_variables(text: str, start: int, end: int) -> frozenset[str]:
    """PL/pgSQL variables set from a fresh id in `text[start:end]` (`v_id uuid := gen_random_uuid()`,
    `generated_id := gen_random_uuid();`)."""
    return frozenset(m.group("name").lower() for m in _MINTED_VARIABLE.finditer(text, start, end))


def origin(value, minted: frozenset[str] = frozenset()) -> str:
    """Where a value comes from: "caller" (a parameter, a variable, a payload field, a hole of
    embedded SQL), "minted" (a fresh id, the default, a variable holding one), or "constant"."""
    kinds = {kind: sub for kind, sub in walk(value)}
    if not kinds and typed(value)[0] is None:
        return "constant"
    if "ParamRef" in kinds:
        return "caller"
    refs = [column_fields(sub) for kind, sub in walk(value) if kind == "ColumnRef"]
    if refs and all(len(parts) == 1 and parts[0] in minted for parts in refs):
        return "minted"
    if refs:
        return "caller"
    if "SetToDefault" in kinds:
        return "minted"
    for kind, sub in walk(value):
        if kind == "FuncCall" and func_name(sub) in MINTING_FUNCS:
            return "minted"
    if "SQLValueFunction" in kinds or "FuncCall" in kinds:
        return "minted"  # now(), current_user: nothing a retry carries
    return "constant"


def external_keys(pairs: list[tuple[str, object]], minted: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(column, origin) of the external/event-id columns an INSERT writes."""
    return [(column, origin(value, minted)) for column, value in pairs if EXTERNAL_KEY.match(column)]


def minted_key(pairs: list[tuple[str, object]], minted: frozenset[str] = frozenset()) -> bool:
    """The row's own key is made here (`id = gen_random_uuid()`), so no retry can collide."""
    return any(column in ("id", "uuid") and origin(value, minted) == "minted" for column, value in pairs)


def table_name(fields: dict) -> str:
    return fields_of(fields.get("relation")).get("relname", "").lower()
