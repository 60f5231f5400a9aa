"""The text of string expressions, and the few SQL shapes the lock and side-effect rules need.

The SQL analyzer owns real SQL parsing; these rules only need to know whether a statement
writes, takes a lease or an advisory lock, or compares a fencing token, which a regex over the
literal text answers reliably. f-string holes and `%`/`.format` arguments read as `?`
(parameters), as the SQL analyzer treats them.
"""
from __future__ import annotations

import re
from typing import Callable

import libcst as cst

# Resolves a bare name to the expression last assigned to it (data flow inside a function).
Resolver = Callable[[cst.Name], "cst.BaseExpression | None"]

_TEXT_WRAPPERS = {"text", "SQL", "sql", "literal_column", "Composed"}


def string_text(node: cst.BaseExpression | None, resolve: Resolver | None = None, _depth: int = 0) -> str | None:
    """Literal text of a string expression, or None when it is not (recognisably) a string."""
    if node is None or _depth > 8:
        return None
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:  # malformed escapes: the raw text is good enough for a regex
            return node.value
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if isinstance(node, cst.ConcatenatedString):
        left = string_text(node.left, resolve, _depth + 1)
        right = string_text(node.right, resolve, _depth + 1)
        if left is None and right is None:
            return None
        return (left or "") + (right or "")
    if isinstance(node, cst.FormattedString):
        parts = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(part.value)
                continue
            # `f"{API_BASE}/orders"`: a hole naming a known string (a module constant, a local)
            # reads as that string, so the URL or SQL it builds is recognisable.
            known = None
            if resolve is not None and isinstance(part.expression, cst.Name) and part.format_spec is None:
                bound = resolve(part.expression)
                if bound is not None and bound is not part.expression:
                    known = string_text(bound, resolve, _depth + 1)
            parts.append(known if known is not None else "?")
        return "".join(parts)
    if isinstance(node, cst.BinaryOperation):
        left = string_text(node.left, resolve, _depth + 1)
        if isinstance(node.operator, cst.Modulo):
            return left
        if isinstance(node.operator, cst.Add):
            right = string_text(node.right, resolve, _depth + 1)
            if left is None and right is None:
                return None
            return (left if left is not None else "?") + (right if right is not None else "?")
        return None
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "format":
            return string_text(func.value, resolve, _depth + 1)
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if name in _TEXT_WRAPPERS and node.args:
            return string_text(node.args[0].value, resolve, _depth + 1)
        return None
    if isinstance(node, cst.Name) and resolve is not None:
        return string_text(resolve(node), resolve, _depth + 1)
    if isinstance(node, (cst.Attribute, cst.IfExp)) and resolve is not None:
        # only resolvers that know instance attributes answer here (see _http_calls.url_resolver)
        bound = resolve(node)
        return string_text(bound, resolve, _depth + 1) if bound is not None and bound is not node else None
    return None


_LEADING_NOISE = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)
_VERB = re.compile(r"(insert|update|delete|merge|upsert|replace|with|select)\b", re.I)
_CTE_WRITE = re.compile(r"\b(insert\s+into|update\s+[\w.\"]+\s+(?:as\s+\w+\s+)?set|delete\s+from|merge\s+into)\b", re.I)


def sql_verb(text: str | None) -> str | None:
    """'insert' / 'update' / 'delete' / 'merge' for a writing statement, 'select' for a read
    (including `select pg_advisory_lock(...)`), None when the text does not look like SQL."""
    if not text:
        return None
    body = text[_LEADING_NOISE.match(text).end():]
    match = _VERB.match(body)
    if match is None:
        return None
    verb = match.group(1).lower()
    if verb == "with":
        inner = _CTE_WRITE.search(body)
        return inner.group(1).split()[0].lower() if inner else "select"
    if verb in ("upsert", "replace"):
        return "insert"
    return verb


def is_write_sql(text: str | None) -> bool:
    return sql_verb(text) in ("insert", "update", "delete", "merge")


def is_record_sql(text: str | None) -> bool:
    """Writes that mark something as done or store what happened: INSERT/UPDATE/MERGE."""
    return sql_verb(text) in ("insert", "update", "merge")


SESSION_ADVISORY_LOCK = re.compile(r"\bpg_(?:try_)?advisory_lock\s*\(", re.I)
ADVISORY_UNLOCK = re.compile(r"\bpg_advisory_unlock(?:_all)?\s*\(", re.I)

_HOLDER = r"(?:holder|owner|locked_by|leader|lease_holder|lock_holder|holder_id|owner_id|leader_id|locked_by_id)"
_EXPIRY = r"(?:\w*expires?\w*|\w*expiry\w*|lease_until|locked_until|valid_until|lease_end\w*|deadline|heartbeat_at|renewed_at)"
_LEASE = re.compile(
    rf"\bset\b[^;]*?\b{_HOLDER}\s*=.*?\bwhere\b[^;]*?\b{_EXPIRY}\s*(?:<|<=)",
    re.I | re.S,
)
_LEASE_UPSERT = re.compile(
    rf"\bon\s+conflict\b[^;]*?\bdo\s+update\s+set\b[^;]*?\b{_HOLDER}\s*=.*?\bwhere\b[^;]*?\b{_EXPIRY}\s*(?:<|<=)",
    re.I | re.S,
)


def is_lease_sql(text: str | None) -> bool:
    """A lease row taken by time: `update leases set holder = %s, expires_at = ... where ...
    expires_at < now()` (or the upsert form `on conflict ... do update ... where ... < now()`)."""
    if not text:
        return False
    verb = sql_verb(text)
    if verb == "update":
        return _LEASE.search(text) is not None
    if verb == "insert":
        return _LEASE_UPSERT.search(text) is not None
    return False


_TABLE = re.compile(r"^\s*(?:update|insert\s+into|delete\s+from)\s+(?:only\s+)?([\w.\"]+)", re.I)


def target_table(text: str | None) -> str | None:
    if not text:
        return None
    body = text[_LEADING_NOISE.match(text).end():]
    match = _TABLE.match(body)
    return match.group(1).strip('"').split(".")[-1].lower() if match else None


# A fencing predicate: a token/fence/epoch/version column compared with a parameter or a literal.
_PARAM = r"(?:%s|%\(\w+\)s|\$\d+|:\w+|\?|\d+|excluded\.\w+)"
_FENCE_WORD = r"\w*(?:token|fenc\w*|epoch|generation|version)\w*"
FENCE_SQL = re.compile(
    rf"\b{_FENCE_WORD}\s*(?:<|<=|=|>|>=)\s*{_PARAM}|{_PARAM}\s*(?:<|<=|=|>|>=)\s*{_FENCE_WORD}\b",
    re.I,
)


def checks_fence(text: str | None) -> bool:
    return bool(text) and FENCE_SQL.search(text) is not None
