"""Tolerant statement splitter for PostgreSQL scripts.

pglast parses one statement at a time here so that one broken statement (a template, a psql
meta-command, a typo) costs that statement only. The splitter knows just enough lexical
structure to find the `;` that really end statements: quotes, E'' strings, quoted identifiers,
dollar quotes, nested block comments, line comments, `BEGIN ATOMIC ... END` bodies and the data
rows pg_dump writes after `COPY ... FROM stdin;` (up to the `\\.` line). Scripts
also end statements the way their runners do: a psql meta-command (`\\gset` after a query, `\\set`
on its own line) and a migration tool's marker (`-- +goose Down`, `-- migrate:up`), which goose
and dbmate treat as a boundary even when the `;` before it is missing.
It never fails: an unterminated quote ends the last statement at the end of the text and
is reported as a problem.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# The next character that can change the lexical state.
_INTERESTING = re.compile(r"""['"$;\-/\\]""")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\u0080-\uffff][A-Za-z_0-9\u0080-\uffff]*)?\$")
_LEADING = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.S)
_BEGIN_ATOMIC = re.compile(r"\bbegin\s+atomic\b", re.I)
_ENDS_WITH_END = re.compile(r"\bend\s*$", re.I)
_IDENT_CHAR = re.compile(r"[A-Za-z0-9_$\u0080-\uffff]")
_COPY_FROM_STDIN = re.compile(r"\s*copy\b[^;]*\bfrom\s+stdin\b", re.I)
_END_OF_COPY_DATA = re.compile(r"^\\\.[ \t]*$", re.M)
# goose, sql-migrate and dbmate section markers.
_MIGRATION_MARKER = re.compile(
    r"--\s*(?:\+goose\s+(?:up|down|statementbegin|statementend)|\+migrate\s+(?:up|down|statementbegin|statementend)|migrate:(?:up|down))\b",
    re.I,
)


@dataclass(frozen=True)
class Piece:
    start: int  # first character of the statement (leading blanks and comments skipped)
    end: int  # exclusive, before the terminating ';'
    meta: bool = False  # a psql meta-command line (\set, \i, ...), not SQL
    problem: str | None = None  # why the statement is not trustworthy (unterminated quote)


def skip_blanks(text: str, pos: int, end: int | None = None) -> int:
    """First position at or after `pos` that is not whitespace or a comment."""
    match = _LEADING.match(text, pos, len(text) if end is None else end)
    return match.end() if match else pos


def quote_end(text: str, pos: int, end: int) -> int:
    """Given text[pos] == "'" (or an E'' / dollar quote start), the index just past the
    closing quote, or -1 when it never closes before `end`."""
    char = text[pos]
    if char == "$":
        match = _DOLLAR_TAG.match(text, pos, end)
        if not match:
            return pos + 1
        tag = match.group()
        close = text.find(tag, match.end(), end)
        return -1 if close < 0 else close + len(tag)
    escapes = char in "eE"
    if escapes:
        pos += 1
        char = "'"
    i = pos + 1
    while True:
        if escapes:
            quote = text.find("'", i, end)
            backslash = text.find("\\", i, quote if quote >= 0 else end)
            if backslash >= 0:
                i = backslash + 2
                continue
        else:
            quote = text.find(char, i, end)
        if quote < 0:
            return -1
        if quote + 1 < end and text[quote + 1] == char:
            i = quote + 2
            continue
        return quote + 1


def split_statements(text: str, start: int = 0, end: int | None = None) -> list[Piece]:
    end = len(text) if end is None else end
    pieces: list[Piece] = []
    pos = skip_blanks(text, start, end)
    stmt_start = pos
    while pos < end:
        if pos == stmt_start and text[pos] == "#":
            # No PostgreSQL statement starts with `#`: such a line is a MySQL comment in a file
            # kept for both engines, or a tool's directive (`#!`, Racket north's `#lang north`).
            # Its words may hold a lone apostrophe, so it must not reach the quote scanner.
            line_end = text.find("\n", pos, end)
            pos = stmt_start = end if line_end < 0 else skip_blanks(text, line_end, end)
            continue
        if pos == stmt_start and text[pos] == "\\":
            line_end = text.find("\n", pos, end)
            line_end = end if line_end < 0 else line_end
            pieces.append(Piece(pos, line_end, meta=True))
            pos = stmt_start = skip_blanks(text, line_end, end)
            continue
        match = _INTERESTING.search(text, pos, end)
        if match is None:
            pos = end
            break
        i = match.start()
        char = text[i]
        if char == "\\":  # a psql meta-command after a query (`select ... \\gset`) sends it
            _close(pieces, text, stmt_start, i)
            line_end = text.find("\n", i, end)
            line_end = end if line_end < 0 else line_end
            pieces.append(Piece(i, line_end, meta=True))
            pos = stmt_start = skip_blanks(text, line_end, end)
            continue
        if char == ";":
            body = text[stmt_start:i]
            if "tomic" in body and _BEGIN_ATOMIC.search(body) and not _ENDS_WITH_END.search(body):
                pos = i + 1
                continue
            if i > stmt_start:
                pieces.append(Piece(stmt_start, i))
            pos = i + 1
            if _COPY_FROM_STDIN.match(body):
                # pg_dump's data blocks: rows of tab-separated values up to a `\.` line, not SQL.
                data_end = _END_OF_COPY_DATA.search(text, pos, end)
                pos = end if data_end is None else data_end.end()
            pos = stmt_start = skip_blanks(text, pos, end)
            continue
        if char == "-":
            if text.startswith("--", i):
                if i > stmt_start and text[i + 2:i + 3] in (" ", "+", "m") and _MIGRATION_MARKER.match(text, i, end):
                    _close(pieces, text, stmt_start, i)
                    pos = stmt_start = skip_blanks(text, i, end)
                    continue
                newline = text.find("\n", i, end)
                pos = end if newline < 0 else newline + 1
            else:
                pos = i + 1
            continue
        if char == "/":
            if text.startswith("/*", i):
                pos = block_comment_end(text, i, end)
                if pos < 0:
                    pieces.append(Piece(stmt_start, end, problem="unterminated /* comment"))
                    return pieces
            else:
                pos = i + 1
            continue
        if char == "$":
            tag = _DOLLAR_TAG.match(text, i, end)
            if tag is None or (i > 0 and _IDENT_CHAR.match(text[i - 1])):
                pos = i + 1
                continue
        qstart = i
        if char == "'" and i > 0 and text[i - 1] in "eE" and (i < 2 or not _IDENT_CHAR.match(text[i - 2])):
            qstart = i - 1
        close = quote_end(text, qstart, end)
        if close < 0:
            kind = {"'": "string literal", '"': "quoted identifier"}.get(char, f"dollar quote {tag.group()}" if char == "$" else "quote")
            pieces.append(Piece(stmt_start, end, problem=f"unterminated {kind}"))
            return pieces
        pos = close
    _close(pieces, text, stmt_start, end)
    return pieces


def _close(pieces: list[Piece], text: str, start: int, end: int) -> None:
    """Add text[start:end] as a statement unless it is blank."""
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        pieces.append(Piece(start, end))


def block_comment_end(text: str, pos: int, end: int) -> int:
    depth = 0
    i = pos
    while i < end:
        opening = text.find("/*", i, end)
        closing = text.find("*/", i, end)
        if closing < 0:
            return -1
        if 0 <= opening < closing:
            depth += 1
            i = opening + 2
        else:
            depth -= 1
            i = closing + 2
            if depth == 0:
                return i
    return -1
