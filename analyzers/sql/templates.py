"""SQL files as repositories write them: query files and templates that PostgreSQL's grammar
rejects as written, rewritten into plain SQL of exactly the same length (so every offset, and
so every line and column, still points at the file).

- sqlc: `@user_id`, `sqlc.arg(user_id)`, `sqlc.narg('x')`, `sqlc.slice(ids)`;
- psql variables (also aiosql/yesql's `:name`): `:var`, `:'var'` (a string), `:"var"` (an
  identifier); psycopg's `%(name)s` in query files;
- schema and environment placeholders substituted as text before the SQL runs: `{{schema}}`,
  `{{ .Schema }}`, Python's `str.format` fields (`{mainuser}`), `@extschema@`, `${GOOSE_ENV_REGION}`, `${VAR:-default}`, `$VAR`;
- Jinja tags (`{% if %}`, `{# #}`) around plain SQL, and dbt macro definitions (fragments
  spliced into other queries, so not statements of their own).

A parameter becomes `$1` padded with blanks; where the grammar needs a name (`from :tbl`,
`:schema.jobs`, `create schema :name`) it becomes a name of the same length. psql and sqlc
never look inside quotes or comments, and neither does this rewrite; textual placeholders
(`{{x}}`, `@extschema@`) are substituted everywhere, function bodies included.
"""
from __future__ import annotations

import re

from .split import block_comment_end, quote_end

# Substituted as plain text by a migration tool or template engine before PostgreSQL sees it.
_TEXTUAL = re.compile(
    r"\{\{[^{}\n]{1,80}\}\}|(?<![{$\w])\{[A-Za-z_]\w{0,79}\}(?!\})|@extschema(?::\w+)?@|\$\{\w{1,80}(?::?[-=?+][^{}\n]{0,80})?\}|(?<![\w$])\$[A-Za-z_]\w*(?![\w$])"
)
# A template expression written over several lines (dbt's `{{ config(materialized='table', ...) }}`
# heading a model, a macro call with its arguments one per line); one level of braces inside.
_MULTILINE_EXPRESSION = re.compile(r"\{\{(?:[^{}]|\{[^{}]*\})*?\}\}")
_MAX_EXPRESSION = 2000
_WORD = re.compile(r"[A-Za-z_]\w*")
# Quick test: does the file use any placeholder the lexical pass rewrites?
_LEXICAL_HINT = re.compile(r"(?<![:\w\]]):(?![:=])['\"A-Za-z_]|(?<![<@&\w])@[A-Za-z_]|\bsqlc\.|%\(\w+\)s")
_TOKEN = re.compile(
    r"""--|/\*|[eE]?'|"|\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$|:[:=]|:['"A-Za-z_]|@[A-Za-z_]"""
    r"""|\bsqlc\s*\.\s*(?:arg|narg|slice|embed)\s*\(|%\(\w+\)s""",
    re.I,
)
_JINJA_MACRO = re.compile(r"\{%-?\s*macro\b.*?\{%-?\s*endmacro\s*-?%\}", re.S)
_JINJA_TAG = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.S)
_NAME = re.compile(r"[A-Za-z_][\w$]*")
_IDENT_CHAR = re.compile(r"[\w$\u0080-\uffff]")
_WORD_BEFORE = re.compile(r"([A-Za-z_]+)\s*$")
# After these words a placeholder names an object, so a parameter cannot stand in for it.
_NAME_WORDS = frozenset(
    """from into update join table schema only exists truncate using to role user owner index
    view sequence function procedure extension database references grant tablespace type
    trigger domain policy publication subscription server on""".split()
)


def stand_ins(text: str) -> str:
    """`text` with every template placeholder replaced by plain SQL of the same length."""
    if "{%" in text or "{#" in text:
        # Jinja (dbt and the like): a macro definition is a fragment spliced into queries
        # elsewhere, not a statement; other tags are control flow around plain SQL.
        text = _JINJA_MACRO.sub(_blank, text)
        text = _JINJA_TAG.sub(_blank, text)
    if "{{" in text:
        text = _MULTILINE_EXPRESSION.sub(_multiline_stand_in, text)
    if "{" in text or "@extschema" in text or "$" in text:
        text = _TEXTUAL.sub(lambda m: re.sub(r"\W", "_", m.group()), text)
    if not _LEXICAL_HINT.search(text):
        return text
    out: list[str] = []
    done = 0  # text[:done] is settled (copied to out or replaced)
    pos = 0
    end = len(text)
    while True:
        match = _TOKEN.search(text, pos)
        if match is None:
            break
        token, at = match.group(), match.start()
        head = token[:1]
        if token == "--":
            newline = text.find("\n", at)
            pos = end if newline < 0 else newline + 1
        elif token == "/*":
            close = block_comment_end(text, at, end)
            pos = end if close < 0 else close
        elif head in "'\"eE" or (head == "$" and not _glued_before(text, at)):
            close = quote_end(text, at, end)
            pos = end if close < 0 else close
        elif head == "$" or token in ("::", ":="):
            pos = at + len(token)
        elif head == ":":
            replacement, stop = _psql_variable(text, at)
            pos = stop
            if replacement is not None:
                out.append(text[done:at])
                out.append(replacement)
                done = stop
        elif head == "@":
            name = _NAME.match(text, at + 1)
            stop = name.end() if name else at + 1
            pos = stop
            # after `'`: MySQL's account `'app'@localhost`, never a sqlc parameter
            if name and not (at > 0 and text[at - 1] in "<@&'" or _glued_before(text, at)):
                out.append(text[done:at])
                out.append(_stand_in(text, at, stop, name.group()))
                done = stop
        elif head == "%":
            # psycopg's `%(name)s` is a value to the driver, but query files filled with `%`
            # before they run also use it for names (`create table %(table)s`, `idx_%(name)s`).
            stop = at + len(token)
            glued = _glued_before(text, at) or (stop < len(text) and _IDENT_CHAR.match(text[stop]) is not None)
            out.append(text[done:at])
            out.append(_name_of_size(token[2:-2], len(token)) if glued else _stand_in(text, at, stop, token[2:-2]))
            pos = done = stop
        else:  # sqlc.arg( ... )
            close = _call_end(text, match.end() - 1, end)
            if close < 0:
                pos = match.end()
                continue
            out.append(text[done:at])
            out.append(_parameter(close - at))
            pos = done = close
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def _multiline_stand_in(match: re.Match) -> str:
    """A template expression over several lines read as one name made of its words, as a
    one-line `{{ x }}` is (a name where a name fits; a fragment, read as blanks, where the grammar
    refuses it): the name, then the expression's line breaks, then blanks up to where it ended,
    so that every line and column after it still points at the file."""
    written = match.group()
    if "\n" not in written or len(written) > _MAX_EXPRESSION:
        return written
    lines = written.split("\n")
    size = len(written) - (len(lines) - 1) - len(lines[-1])
    name = ("_" + "_".join(_WORD.findall(written)))[: size - 1].ljust(size - 1, "_") + "_"
    return name[:size] + "\n" * (len(lines) - 1) + " " * len(lines[-1])


def _blank(match: re.Match) -> str:
    """The matched text as blanks, keeping its line breaks (so lines stay where they were)."""
    return re.sub(r"[^\n]", " ", match.group())


def _psql_variable(text: str, at: int) -> tuple[str | None, int]:
    """(replacement or None, index after the variable) for a `:` at `at`."""
    if at > 0 and (_glued_before(text, at) or text[at - 1] in "]):"):
        return None, at + 1  # `arr[lo:hi]`, `x::int` already skipped
    quote = text[at + 1]
    if quote in "'\"":
        name = _NAME.match(text, at + 2)
        if name and text.startswith(quote, name.end()):
            return " ", at + 1  # :'v' is a string and :"v" a name once the colon is gone
        return None, at + 1
    name = _NAME.match(text, at + 1)
    return _stand_in(text, at, name.end(), name.group()), name.end()


def _stand_in(text: str, start: int, stop: int, name: str) -> str:
    size = stop - start
    before = _WORD_BEFORE.search(text, max(0, start - 40), start)
    wants_name = (
        text.startswith(".", stop)
        or (start > 0 and text[start - 1] == ".")
        or (before is not None and before.group(1).lower() in _NAME_WORDS)
    )
    if wants_name:
        return _name_of_size(name, size)
    return _parameter(size)


def _name_of_size(name: str, size: int) -> str:
    return "_" + name[: size - 1].ljust(size - 1, "_")


def _parameter(size: int) -> str:
    return "$1".ljust(size) if size >= 2 else "0"


def _glued_before(text: str, at: int) -> bool:
    return at > 0 and bool(_IDENT_CHAR.match(text[at - 1]))


def _call_end(text: str, paren: int, end: int) -> int:
    """Index after the `)` closing text[paren]; quotes respected; -1 if it never closes."""
    depth = 0
    i = paren
    while i < end:
        char = text[i]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        elif char in "'\"":
            close = quote_end(text, i, end)
            if close < 0:
                return -1
            i = close
            continue
        elif char == "\n" and depth > 3:
            return -1
        i += 1
    return -1


# --- Jinja control flow ----------------------------------------------------------------------
# `stand_ins` blanks the tags and keeps every branch's text, which reads as plain SQL when a
# branch adds a clause. When the branches are alternatives (`{% if x %}true{% else %}false{% endif %}`,
# `{% if not loop.last %},{% endif %}`), keeping them all is not a statement the template can
# render; one rendering is: every loop run once, and every block's first branch, or every block's
# last (`else`, or none).
_JINJA_CONTROL = re.compile(r"\{%-?\s*(if|elif|else|endif|for|endfor)\b(.*?)-?%\}", re.S)
# A loop rendered once is both its first and its last round, so these conditions are known.
_LOOP_END = re.compile(r"\s*(not\s+)?loop\.(?:first|last)\s*")

Block = tuple[list[tuple[int, int]], bool, "int | None"]  # branch spans, ends with else, branch a loop run once takes


def jinja_branches(text: str) -> list[Block]:
    """Every `{% if %}` block of a template: its branches' (start, end) spans, whether it ends
    with an `else`, and the branch taken when the block only asks whether a loop is in its first
    or last round (-1: none; None: the block asks something else). Unbalanced tags end the scan
    with what was read so far."""
    blocks: list[Block] = []
    # (branch spans so far, body start, in else, conditions known so far: True/False/None)
    stack: list[tuple[list[tuple[int, int]], int, bool, list]] = []
    for tag in _JINJA_CONTROL.finditer(text):
        word = tag.group(1)
        if word == "if":
            stack.append(([], tag.end(), False, [_loop_condition(tag.group(2))]))
        elif word in ("elif", "else") and stack:
            branches, start, _, known = stack.pop()
            branches.append((start, tag.start()))
            if word == "elif":
                known.append(_loop_condition(tag.group(2)))
            stack.append((branches, tag.end(), word == "else", known))
        elif word == "endif" and stack:
            branches, start, in_else, known = stack.pop()
            branches.append((start, tag.start()))
            blocks.append((branches, in_else, _taken(known, in_else)))
    return blocks


def _loop_condition(condition: str) -> bool | None:
    match = _LOOP_END.fullmatch(condition)
    return None if match is None else match.group(1) is None


def _taken(known: list, has_else: bool) -> int | None:
    for index, value in enumerate(known):
        if value is None:
            return None
        if value:
            return index
    return len(known) if has_else else -1


def jinja_readings(blocks: list[Block], start: int, end: int) -> list[list[tuple[int, int]]]:
    """The spans to blank, within [start, end), for each rendering worth a try: every block's
    first branch kept, then every block's last branch kept (none when it has no `else`); a
    block that only asks about the loop's round keeps the branch a single round takes."""
    inside = [block for block in blocks if block[0][0][0] < end and block[0][-1][1] > start]
    if not inside:
        return []
    first, last = [], []
    for branches, has_else, taken in inside:
        if taken is not None:
            dropped = [span for index, span in enumerate(branches) if index != taken]
            first += dropped
            last += dropped
        else:
            first += branches[1:]
            last += branches[:-1] if has_else else branches
    return [first, last]


def blank_spans(text: str, base: int, spans: list[tuple[int, int]]) -> str:
    """`text` (which starts at offset `base`) with the given spans turned to blanks, line breaks kept."""
    chars = list(text)
    for span_start, span_end in spans:
        for i in range(max(span_start - base, 0), min(span_end - base, len(chars))):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)
