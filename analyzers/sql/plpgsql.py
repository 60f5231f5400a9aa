"""PL/pgSQL bodies (functions, procedures, DO blocks) turned into Units.

Main path: `pglast.parse_plpgsql` gives the statement structure (loops, RAISE, assignments,
EXECUTE) with line numbers relative to the body and the verbatim text of each expression,
which we find again in the body to know its position. It fails on some real functions
(schema-qualified types such as `queue.job_kind`), so a tolerant fallback splits the body on
`;` and classifies each piece with a few patterns: fewer facts (loops are approximated), but
the statements inside are still analysed.
"""
from __future__ import annotations

import re
from collections.abc import Callable

import pglast

from .source import LineIndex, Snippet
from .split import skip_blanks, split_statements

# make(snippet, role, in_poll, target, prefix, into=()) -> units; prefix "SELECT " for expressions
Make = Callable[..., None]

_STATEMENT_FIELDS = {
    ("PLpgSQL_stmt_execsql", "sqlstmt"),
    ("PLpgSQL_stmt_perform", "expr"),
    ("PLpgSQL_stmt_call", "expr"),
    ("PLpgSQL_stmt_fors", "query"),
    ("PLpgSQL_stmt_return_query", "query"),
    ("PLpgSQL_stmt_open", "query"),
    ("PLpgSQL_var", "cursor_explicit_expr"),
}
_EXECUTE_FIELDS = {
    ("PLpgSQL_stmt_dynexecute", "query"),
    ("PLpgSQL_stmt_dynfors", "query"),
    ("PLpgSQL_stmt_return_query", "dynquery"),
    ("PLpgSQL_stmt_open", "dynquery"),
}
_LOG_STATEMENTS = {"PLpgSQL_stmt_raise", "PLpgSQL_stmt_assert"}
# Loops that can run until the clock moves: the body of a poll (`exit when clock_timestamp() >
# v_deadline`) must read the advancing clock. A loop over a query's rows or an array's items
# just iterates, unless its body sleeps.
_POLL_LOOPS = {"PLpgSQL_stmt_loop", "PLpgSQL_stmt_while", "PLpgSQL_stmt_fori"}
_ROW_LOOPS = {"PLpgSQL_stmt_fors", "PLpgSQL_stmt_forc", "PLpgSQL_stmt_foreach_a", "PLpgSQL_stmt_dynfors"}
_SLEEP = re.compile(r"\bpg_sleep(?:_for|_until)?\s*\(", re.I)
_ASSIGN = re.compile(r"\s*((?:\"[^\"]+\"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:\"[^\"]+\"|[A-Za-z_][\w$]*))*(?:\[[^\]]*\])?)\s*(?::=|=)\s*")


class Body:
    """One PL/pgSQL body and the facts gathered while walking it."""

    def __init__(self, snippet: Snippet, make: Make):
        self.snippet = snippet
        self.make = make
        self.lines = LineIndex(snippet.text)
        self.variables: set[str] = set()
        self.records: set[str] = set()

    def locate(self, query: str, lineno: int | None) -> int:
        probe = query.split("  ", 1)[0][:80].strip()
        if not probe:
            return -1
        start = self.lines.line_start(lineno) if lineno else 0
        found = self.snippet.text.find(probe, start)
        if found < 0:
            found = self.snippet.text.find(probe)
        if found < 0:
            return -1
        return found - (len(query) - len(query.lstrip()))

    def emit(
        self, query: str, role: str, lineno: int | None, in_poll: bool, target: str | None = None, into: tuple[str, ...] = ()
    ) -> None:
        text = self.snippet.text
        if role == "stmt" and query[:7].upper() == "SELECT " and (lineno or 0) >= 0:
            # PERFORM x is stored as "SELECT x"; find "x" and parse it behind "SELECT ".
            pos = self.locate(query[7:], lineno)
            if pos >= 0 and not text[max(pos - 8, 0):pos].strip().lower().endswith("select"):
                sub = self.snippet.sub(pos, pos + len(query) - 7)
                self.make(sub.replaced(query[7:]) if len(sub.text) == len(query) - 7 else sub, "stmt", in_poll, None, "SELECT ")
                return
        pos = self.locate(query, lineno)
        if pos < 0:
            return
        sub = self.snippet.sub(pos, pos + len(query))
        if len(sub.text) == len(query):
            sub = sub.replaced(query)  # INTO clauses are blanked out in the query text
        if role == "assign" and target is None:
            match = _ASSIGN.match(sub.text)
            if not match:
                return
            target = re.sub(r"[\s\"]", "", match.group(1)).lower()
            sub = sub.sub(match.end(), len(sub.text))
        prefix = "" if role == "stmt" else "SELECT "
        self.make(sub, role, in_poll, target, prefix, into=into)


def walk_function(body: Body, function: dict) -> None:
    for datum in function.get("datums", ()):
        for kind, fields in datum.items():
            name = str(fields.get("refname", "")).lower()
            if kind == "PLpgSQL_var":
                body.variables.add(name)
                default = fields.get("default_val")
                if default:
                    body.emit(default["PLpgSQL_expr"]["query"], "assign", fields.get("lineno"), False, name)
                cursor = fields.get("cursor_explicit_expr")
                if cursor:
                    body.emit(cursor["PLpgSQL_expr"]["query"], "stmt", fields.get("lineno"), False)
            elif kind == "PLpgSQL_rec":
                body.records.add(name)
    _walk(body, function.get("action"), None, False, False, None)


def _walk(
    body: Body, node, parent: str | None, in_poll: bool, log: bool, lineno: int | None, field: str = "", into: tuple[str, ...] = ()
) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(body, item, parent, in_poll, log, lineno, field, into)
        return
    if not isinstance(node, dict):
        return
    for kind, fields in node.items():
        if kind == "PLpgSQL_expr" and isinstance(fields, dict):
            query = fields.get("query", "")
            if log:
                role = "log"
            elif (parent, field) in _STATEMENT_FIELDS:
                role = "stmt"
            elif (parent, field) in _EXECUTE_FIELDS:
                role = "execute"
            elif parent == "PLpgSQL_stmt_assign":
                role = "assign"
            else:
                role = "expr"
            body.emit(query, role, lineno, in_poll, into=into if role == "stmt" else ())
            continue
        if not isinstance(fields, dict) or not kind.startswith("PLpgSQL_stmt"):
            _walk(body, fields, parent, in_poll, log, lineno, field)
            continue
        line = fields.get("lineno", lineno)
        is_log = log or kind in _LOG_STATEMENTS
        into = _into_targets(fields) if kind == "PLpgSQL_stmt_execsql" else ()
        for key, value in fields.items():
            if key in ("target", "var"):
                continue
            inner_poll = in_poll or (key == "body" and _may_wait(kind, value))
            _walk(body, value, kind, inner_poll, is_log, line, key, into if key == "sqlstmt" else ())


def _may_wait(kind: str, body) -> bool:
    if kind in _POLL_LOOPS:
        return True
    return kind in _ROW_LOOPS and any(_SLEEP.search(query) for query in _queries(body))


def _queries(node):
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            expr = item.get("PLpgSQL_expr")
            if isinstance(expr, dict) and isinstance(expr.get("query"), str):
                yield expr["query"]
            else:
                stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _into_targets(fields: dict) -> tuple[str, ...]:
    """Names a `SELECT ... INTO a, b` (or `RETURNING ... INTO`) stores into, in column order."""
    if not fields.get("into") or not isinstance(fields.get("target"), dict):
        return ()
    for kind, target in fields["target"].items():
        if kind == "PLpgSQL_row" and isinstance(target, dict):
            return tuple(str(item.get("name", "")).lower() for item in target.get("fields") or () if isinstance(item, dict))
        if kind in ("PLpgSQL_rec", "PLpgSQL_var") and isinstance(target, dict):
            return (str(target.get("refname", "")).lower(),)
    return ()


def parse_body(statement: Snippet, body: Snippet, make: Make) -> tuple[set[str], set[str], str | None]:
    """Units of a PL/pgSQL body; returns (variables, records, fallback reason or None)."""
    walker = Body(body, make)
    try:
        function = _compile(statement.text)
    except Exception as exc:  # pglast raises ParseError, and others on unsupported input
        reason = str(exc).split("\n", 1)[0][:160] or type(exc).__name__
        retry = _without_schema_types(statement.text, body.offset(0) - statement.offset(0))
        try:
            if retry == statement.text:
                raise
            function = _compile(retry)
        except Exception as again:
            if retry != statement.text:  # the types were not the (only) problem: say what is
                reason = str(again).split("\n", 1)[0][:160] or type(again).__name__
            fallback(walker)
            return walker.variables, walker.records, reason
    walk_function(walker, function)
    return walker.variables, walker.records, None


def _compile(text: str) -> dict:
    return pglast.parse_plpgsql(text)[0]["PLpgSQL_function"]


# pglast compiles PL/pgSQL without a catalog: a type in another schema than public/pg_catalog
# (`r pgmq.message_record`, `returns setof queue.job`, `a jobs.id%TYPE` as a parameter) fails
# the lookup, and so does an array of a type it does not know (`v job_state[]`). The structure of the body does not depend on those types, so they are replaced
# (on the same lines) by ones it can resolve before trying again.
_QUALIFIED = r'(?:"[^"\n]+"|[A-Za-z_]\w*)\s*\.\s*(?:"[^"\n]+"|[A-Za-z_]\w*)(?:\s*\.\s*(?:"[^"\n]+"|[A-Za-z_]\w*))?'
_SIGNATURE_TYPE = re.compile(rf"(?<![\w.\"])(?!(?:public|pg_catalog)\s*\.)({_QUALIFIED}(?:\s*%\s*(?:row)?type)?)(?![\w\".%])(?!\s*[(.])", re.I)
_DECLARED_TYPE = re.compile(
    r"(?:^|(?<=;)|(?<=declare))(\s*(?!(?:perform|return|raise|execute|call|open|fetch|move|close|get|exit|continue|assert|null|select|insert|update|delete)\b)"
    rf"[A-Za-z_]\w*\s+(?:constant\s+)?)(?!(?:public|pg_catalog)\s*\.)({_QUALIFIED}|[A-Za-z_]\w*(?=\s*\[))(?=\s*(?:\[|;|:=|=|default\b|not\s+null\b|collate\b))",
    re.I | re.M,
)


def _without_schema_types(statement: str, body_start: int) -> str:
    signature = _SIGNATURE_TYPE.sub(lambda m: "text" if "%" in m.group(1) else "record", statement[:body_start])
    rest = _DECLARED_TYPE.sub(lambda m: m.group(1) + ("text" if m.string.startswith("[", m.end()) else "record"), statement[body_start:])
    return signature + rest


# --- tolerant fallback -------------------------------------------------------------------

_KEYWORDS = re.compile(
    r"(?:<<\w+>>|declare|begin|else|loop|exception|then|end\s+(?:if|loop|case)\b(?:\s+\w+)?|end(?=\s*$))\b\s*",
    re.I,
)
_COND = re.compile(r"(?:if|elsif|while|exit\s+when|continue\s+when|when|exit|continue)\b\s*(.*?)\s*(?:\bthen\b|\bloop\b|$)", re.I | re.S)
_FOR_QUERY = re.compile(r"for\s+[\w.]+(?:\s*,\s*[\w.]+)*\s+in\s+(select|with|execute)\b", re.I)
_OPEN_EXECUTE = re.compile(r"(?:return\s+query|open\s+\w+(?:\s+(?:no\s+)?scroll)?\s+for)\s+execute\b", re.I)
_DECL = re.compile(r"([A-Za-z_]\w*)\s+(?:constant\s+)?[A-Za-z_][\w.%\[\]()\s]*?(?:(?::=|=|\bdefault\b)\s*|$)", re.I | re.S)
_LOOP_OPEN = re.compile(r"(?<!end )\bloop\b", re.I)
_LOOP_CLOSE = re.compile(r"\bend\s+loop\b", re.I)
_INTO = re.compile(r"\binto\s+(?:strict\s+)?([\w.]+(?:\s*,\s*[\w.]+)*)", re.I)
_SQL_START = re.compile(r"(?:insert|update|delete|select|with|merge|call)\b", re.I)


def fallback(body: Body) -> None:
    text = body.snippet.text
    depth = 0
    declaring = False
    for piece in split_statements(text):
        pos = piece.start
        chunk_end = piece.end
        start_depth = depth
        depth += len(_LOOP_OPEN.findall(text, pos, chunk_end)) - len(_LOOP_CLOSE.findall(text, pos, chunk_end))
        depth = max(depth, 0)
        in_poll = start_depth > 0
        while True:
            match = _KEYWORDS.match(text, pos, chunk_end)
            if not match or match.end() == pos:
                break
            word = match.group().strip().lower()
            if word == "declare":
                declaring = True
            elif word == "begin":
                declaring = False
            elif word == "loop":
                in_poll = True
            pos = skip_blanks(text, match.end(), chunk_end)
        if pos >= chunk_end:
            continue
        head = text[pos:chunk_end]
        lower = head.lower()
        if declaring:
            decl = _DECL.match(head)
            if decl:
                body.variables.add(decl.group(1).lower())
                if decl.end() < len(head):
                    _emit_range(body, pos + decl.end(), chunk_end, "assign", in_poll, decl.group(1).lower())
            continue
        if lower.startswith(("raise", "assert")):
            continue
        for_query = _FOR_QUERY.match(head)
        if for_query:
            stop = re.search(r"\bloop\b", head[for_query.start(1):], re.I)
            end = pos + for_query.start(1) + (stop.start() if stop else len(head) - for_query.start(1))
            if for_query.group(1).lower() == "execute":
                _emit_execute(body, text, pos + for_query.end(1), end, True)
            else:
                _emit_range(body, pos + for_query.start(1), end, "stmt", True)
            rest = pos + for_query.start(1) + (stop.end() if stop else 0)
            _emit_statement(body, text, rest, chunk_end, True)
            continue
        cond = _COND.match(head)
        if cond and cond.group(1):
            loop_opener = head[cond.end(1):cond.end()].strip().lower() == "loop" or lower.startswith("while")
            _emit_range(body, pos + cond.start(1), pos + cond.end(1), "expr", in_poll or loop_opener)
            _emit_statement(body, text, pos + cond.end(), chunk_end, in_poll or loop_opener)
            continue
        _emit_statement(body, text, pos, chunk_end, in_poll)


def _emit_statement(body: Body, text: str, pos: int, end: int, in_poll: bool) -> None:
    pos = skip_blanks(text, pos, end)
    while True:
        match = _KEYWORDS.match(text, pos, end)
        if not match or match.end() == pos:
            break
        pos = skip_blanks(text, match.end(), end)
    if pos >= end:
        return
    head = text[pos:end]
    lower = head.lower()
    if lower.startswith(("raise", "assert")):
        return
    dynamic = _OPEN_EXECUTE.match(head)
    if dynamic:
        _emit_execute(body, text, pos + dynamic.end(), end, in_poll)
    elif lower.startswith("return query"):
        _emit_range(body, pos + 12, end, "stmt", in_poll)
    elif lower.startswith("return"):
        _emit_range(body, pos + 6, end, "expr", in_poll)
    elif lower.startswith("perform"):
        sub = body.snippet.sub(pos, end)
        body.make(sub.replaced("select " + sub.text[7:]), "stmt", in_poll, None, "")
    elif lower.startswith("execute"):
        _emit_execute(body, text, pos + 7, end, in_poll)
    elif _SQL_START.match(head):
        sub = body.snippet.sub(pos, end)
        into = _INTO.search(sub.text) if lower.startswith(("select", "with")) or "returning" in lower else None
        names: tuple[str, ...] = ()
        if into and not lower.startswith("insert") or (into and into.start() > lower.find("returning") >= 0):
            blank = sub.text[: into.start()] + " " * (into.end() - into.start()) + sub.text[into.end():]
            sub = sub.replaced(blank)
            names = tuple(re.sub(r"\s", "", name).lower() for name in into.group(1).split(","))
        body.make(sub, "stmt", in_poll, None, "", into=names)
    else:
        match = _ASSIGN.match(head)
        if match:
            target = re.sub(r"[\s\"]", "", match.group(1)).lower()
            _emit_range(body, pos + match.end(), end, "assign", in_poll, target)


def _emit_execute(body: Body, text: str, start: int, end: int, in_poll: bool) -> None:
    """The expression of an EXECUTE, without its INTO/USING clauses."""
    stop = re.compile(r"\b(?:using|into)\b", re.I).search(text, start, end)
    _emit_range(body, start, stop.start() if stop else end, "execute", in_poll)


def _emit_range(body: Body, start: int, end: int, role: str, in_poll: bool, target: str | None = None) -> None:
    text = body.snippet.text
    while end > start and text[end - 1].isspace():
        end -= 1
    start = skip_blanks(text, start, end)
    if end <= start:
        return
    prefix = "" if role == "stmt" else "SELECT "
    body.make(body.snippet.sub(start, end), role, in_poll, target, prefix)
