"""Helpers over pglast's JSON parse trees (`parse_sql_json`): plain dicts and lists, walked
iteratively so deep trees cannot exhaust Python's recursion limit.

A node is a one-key dict such as {"FuncCall": {...}}; `walk` yields (type, fields) pairs.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

TIME_FUNCS = frozenset({"now", "clock_timestamp", "transaction_timestamp", "statement_timestamp", "timeofday"})
WALL_FUNCS = frozenset({"clock_timestamp", "timeofday"})
TIME_SQLVALUES = frozenset({"SVFOP_CURRENT_TIMESTAMP", "SVFOP_CURRENT_TIMESTAMP_N", "SVFOP_LOCALTIMESTAMP", "SVFOP_LOCALTIMESTAMP_N"})
COMPARISONS = frozenset({"<", "<=", ">", ">=", "=", "<>", "!="})


def walk(node) -> Iterator[tuple[str, dict]]:
    """Every typed node under `node` (itself included), depth-first, in source order."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if len(item) == 1:
                (key, value), = item.items()
                if key[:1].isupper() and isinstance(value, dict):
                    yield key, value
                    stack.extend(reversed(list(value.values())))
                    continue
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def typed(node) -> tuple[str, dict] | tuple[None, None]:
    if isinstance(node, dict) and len(node) == 1:
        (key, value), = node.items()
        if isinstance(value, dict):
            return key, value
    return None, None


def fields_of(node) -> dict:
    """The fields of a node, wrapped ({"RangeVar": {...}}) or not (typed pointer fields such as
    InsertStmt.relation and onConflictClause are emitted without the wrapper)."""
    if not isinstance(node, dict):
        return {}
    kind, fields = typed(node)
    if kind is not None and kind[:1].isupper():
        return fields
    return node


def strings(items) -> list[str]:
    return [item["String"]["sval"] for item in items or () if isinstance(item, dict) and "String" in item]


def func_name(fields: dict) -> str:
    """Last part of a FuncCall's name, lowercase (`pg_catalog.now` -> "now")."""
    names = strings(fields.get("funcname"))
    return names[-1].lower() if names else ""


def func_qualname(fields: dict) -> str:
    return ".".join(strings(fields.get("funcname"))).lower()


def column_fields(fields: dict) -> list[str]:
    return [part.lower() for part in strings(fields.get("fields"))]


def column_name(fields: dict) -> str:
    parts = column_fields(fields)
    return parts[-1] if parts else ""


def const_string(node) -> str | None:
    kind, fields = typed(node)
    if kind == "TypeCast":
        return const_string(fields.get("arg"))
    if kind == "A_Const" and "sval" in fields:
        return fields["sval"].get("sval", "")
    return None


def op_name(fields: dict) -> str:
    names = strings(fields.get("name"))
    return names[-1] if names else ""


def is_time_call(kind: str | None, fields: dict | None) -> bool:
    if kind == "FuncCall":
        return func_name(fields) in TIME_FUNCS
    if kind == "SQLValueFunction":
        return fields.get("op") in TIME_SQLVALUES
    return False


def min_location(node) -> int | None:
    best = None
    for _, fields in walk(node):
        loc = fields.get("location")
        if isinstance(loc, int) and loc >= 0 and (best is None or loc < best):
            best = loc
    return best


def max_location(node) -> int | None:
    best = None
    for _, fields in walk(node):
        loc = fields.get("location")
        if isinstance(loc, int) and loc >= 0 and (best is None or loc > best):
            best = loc
    return best


_TOKEN = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|\$\w*\$|[A-Za-z_][\w$]*(?:\s*\.\s*[A-Za-z_][\w$]*)*|\d+(?:\.\d+)?|::\s*[A-Za-z_][\w ]*|."""
)


def token_end(text: str, pos: int) -> int:
    """End of the token starting at `pos`, with a call's parenthesised arguments and casts."""
    match = _TOKEN.match(text, pos)
    if not match:
        return min(pos + 1, len(text))
    end = match.end()
    while True:
        probe = end
        while probe < len(text) and text[probe] in " \t":
            probe += 1
        if probe < len(text) and text[probe] == "(" and match.group()[:1].isalpha():
            end = paren_end(text, probe)
            continue
        if text.startswith("::", probe):
            cast = re.compile(r"::\s*[A-Za-z_][\w.]*(?:\s*\([^)]*\))?(?:\[\])?").match(text, probe)
            if cast:
                end = cast.end()
                continue
        return end


def paren_end(text: str, pos: int) -> int:
    """Index just past the ')' closing the '(' at pos (quotes respected; bounded)."""
    depth = 0
    i = pos
    limit = min(len(text), pos + 20_000)
    while i < limit:
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c == "'":
            close = text.find("'", i + 1)
            while close >= 0 and text.startswith("''", close):
                close = text.find("'", close + 2)
            if close < 0:
                return limit
            i = close
        i += 1
    return limit
