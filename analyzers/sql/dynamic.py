"""Dynamic SQL in PL/pgSQL: the text of `format('…', …)` / `format($QUERY$ … $QUERY$, …)`,
of `'… ' || quote_ident(t) || ' …'` chains and of a literal handed to EXECUTE, read back as SQL.

A queue that sets a visibility timeout in `EXECUTE format($Q$ UPDATE %I SET vt =
clock_timestamp() + %L … $Q$, …)` holds the same pitfall as one that writes it plainly, so
the rules must see that text. Format directives and concatenated expressions are holes: a
hole becomes a parameter (`%L`, `quote_literal(x)`, a value) or a name (`%I`,
`quote_ident(x)`, a hole glued to a name or after FROM/INTO/UPDATE...). Every character of
the result keeps its offset in the analysed text, so findings land on the line of the file
where the literal is written; a hole maps to the start of the expression it stands for.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from .scope import Unit
from .source import Snippet, literal_at
from .tree import func_name, func_qualname, op_name, typed, walk

FORMAT_SPEC = re.compile(r"%(?:\d+\$)?-?(?:\d+|\*(?:\d+\$)?)?([sIL%])")
# Only literals that read as a statement are SQL; `format('%s-%s', a, b)` is a label. `drop column`
# and `alter column` begin an ALTER TABLE action collected for a later `alter table %I ' || actions`,
# never a statement.
_STATEMENT_START = re.compile(
    r"\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*\(*\s*(?:select|insert|update|delete|with|merge|create|"
    r"alter(?!\s+column\b)|drop(?!\s+(?:column|constraint|default|not\s+null)\b)|truncate|"
    r"lock|grant|revoke|comment|copy|refresh|call|do|set|reset|analyze|vacuum|cluster|reindex|values|table|listen|notify)\b",
    re.I | re.S,
)
_NAME_WORDS = frozenset(
    "from into update join table only exists truncate using schema index on view sequence partition to role trigger function"
    " like references inherits grant revoke constraint column".split()
)
_WORD_BEFORE = re.compile(r"([A-Za-z_]+)\s*$")
# Parentheses that hold names: `inherits (`, `foreign key (`, `unique (`, `references t (`, and an
# index's columns, `on t (` or `on t using gin (`.
_INHERITS_PAREN = re.compile(
    r"\b(?:inherits|key|unique)\s*\(\s*$|\b(?:references|on)\s+[\w.\"]+(?:\s+using\s+\w+)?\s*\(\s*$", re.I
)
# A column's or attribute's type: `add attribute %I %s`, `add column n_%s %s`, `alter column c type %s`.
_COLUMN_TYPE = re.compile(
    r"\badd\s+(?:column|attribute)\s+(?:if\s+not\s+exists\s+)?[\w\"%$]+\s+$|\balter\s+column\s+[\w\"%$]+\s+(?:set\s+data\s+)?type\s+$",
    re.I,
)
# The stand-ins this module writes for holes, as the grammar reports them back in an error.
_GLUED_HOLE = re.compile(r"[A-Za-z]\w*?_hole\b")
STAND_IN = re.compile(r"_hole\b|\$1\b|_+x\b|0(?=[\s),]|$)")
_QUOTE_NAME = frozenset({"quote_ident", "format_table_name"})
_QUOTE_VALUE = frozenset({"quote_literal", "quote_nullable"})


def is_statement(text: str) -> bool:
    return _STATEMENT_START.match(text) is not None


def hint(text: str) -> bool:
    """Cheap test before walking a tree: can this unit's text build SQL at all?"""
    return ("'" in text or "$" in text) and ("||" in text or "ormat" in text or "ORMAT" in text)


def format_text(literal: Snippet) -> Snippet:
    """The literal of a format() call with each directive replaced by a same-length stand-in."""
    return literal.replaced(FORMAT_SPEC.sub(_directive, literal.text))


def _directive(match: re.Match) -> str:
    spec, size = match.group(1), len(match.group())
    if spec == "%":
        return match.group()
    if spec == "L":
        return "$1".ljust(size)
    text, start, end = match.string, match.start(), match.end()
    if spec == "I" or _wants_name(text[max(0, start - 80):start], text[end:end + 1]):
        return "_" * (size - 1) + "x"  # a name of the same length
    return "0".ljust(size)  # %s as a value: a number parses where a parameter cannot (`modulus %s`)


def dynamic_sql(unit: Unit, text: str, whole: bool = False) -> Iterator[Snippet]:
    """SQL texts built in `unit` (a parsed statement or expression whose snippet maps linearly
    onto `text`). `whole`: the unit is the expression of an EXECUTE, so a bare literal counts."""
    if unit.snippet.charmap is not None:
        return
    inside_chain: set[int] = set()
    for kind, fields in unit.nodes:
        if id(fields) in inside_chain:
            continue
        if kind == "A_Expr" and op_name(fields) == "||":
            operands = _flatten(fields, inside_chain)
            built = _concatenation(unit, text, operands, inside_chain)
            if built is not None and is_statement(built.text):
                yield built
        elif kind == "FuncCall" and _is_format(fields):
            built = _format_call(unit, text, fields, inside_chain)
            if built is not None and is_statement(built.text):
                yield built
            _mark_fragments(fields.get("args"), inside_chain)
    if whole:
        _, select = typed(unit.tree)
        targets = (select or {}).get("targetList") or []
        if targets:
            value = targets[0]["ResTarget"].get("val")
            literal = _literal(unit, text, value)
            if literal is not None and is_statement(literal.text):
                yield literal


def _mark_fragments(args, inside_chain: set[int]) -> None:
    """Text built inside a format() call's arguments (`format(' with (%s)', opts)` handed to
    an outer format) is a fragment the outer call's hole stands for, never a statement."""
    for kind, inner in walk(args or []):
        if (kind == "FuncCall" and _is_format(inner)) or (kind == "A_Expr" and op_name(inner) == "||"):
            inside_chain.add(id(inner))


def _is_format(fields: dict) -> bool:
    return func_qualname(fields) in ("format", "pg_catalog.format") and bool(fields.get("args"))


def _flatten(fields: dict, inside_chain: set[int]) -> list:
    """Operands of a `a || b || c` chain, left to right; nested chain nodes are marked done."""
    operands: list = []
    stack = [fields.get("rexpr"), fields.get("lexpr")]
    while stack:
        node = stack.pop()
        kind, inner = typed(node)
        if kind == "A_Expr" and op_name(inner) == "||":
            inside_chain.add(id(inner))
            stack.extend([inner.get("rexpr"), inner.get("lexpr")])
        else:
            if kind == "FuncCall" and _is_format(inner):
                inside_chain.add(id(inner))
            operands.append(node)
    return operands


def _literal(unit: Unit, text: str, node) -> Snippet | None:
    kind, fields = typed(node)
    if kind == "TypeCast":
        kind, fields = typed(fields.get("arg"))
    if kind != "A_Const" or "sval" not in fields:
        return None
    found = literal_at(text, unit.offset(fields.get("location", -1)))
    return found[0] if found else None


def _format_call(unit: Unit, text: str, fields: dict, inside_chain: set[int]) -> Snippet | None:
    """The text of format(template, ...), also when the template is itself concatenated
    (`format('select to_jsonb(%L::' || type_ || ')', val)`)."""
    kind, first = typed(fields["args"][0])
    if kind == "A_Expr" and op_name(first) == "||":
        inside_chain.add(id(first))
        literal = _concatenation(unit, text, _flatten(first, inside_chain), inside_chain)
    else:
        literal = _literal(unit, text, fields["args"][0])
    return format_text(literal) if literal is not None else None


def _concatenation(unit: Unit, text: str, operands: list, inside_chain: set[int]) -> Snippet | None:
    parts: list[Snippet | tuple[str, int]] = []  # a literal, or (hole kind, offset) for an expression
    for node in operands:
        kind, fields = typed(node)
        start, _ = unit.span(node)
        if kind == "FuncCall" and _is_format(fields):
            literal = _format_call(unit, text, fields, inside_chain)
        else:
            literal = _blank_char(fields, start) if kind == "FuncCall" else _literal(unit, text, node)
        if literal is not None:
            parts.append(literal)
            continue
        name = func_name(fields) if kind == "FuncCall" else ""
        parts.append(("name" if name in _QUOTE_NAME else "value" if name in _QUOTE_VALUE else "", start))
    if not any(isinstance(part, Snippet) for part in parts):
        return None
    out: list[str] = []
    charmap: list[int] = []
    for index, part in enumerate(parts):
        if isinstance(part, Snippet):
            out.append(part.text)
            charmap.extend(part.offset(i) for i in range(len(part.text)))
            continue
        how, offset = part
        if index and not isinstance(parts[index - 1], Snippet):
            continue  # `x || y` with no text between is one value, so one hole
        if not how:
            following = parts[index + 1] if index + 1 < len(parts) else None
            before, after = "".join(out), following.text if isinstance(following, Snippet) else ""
            how = "assignments" if _wants_assignments(before, after) else "name" if _wants_name(before, after) else "value"
        stand_in = {"name": "_hole", "assignments": "_hole = $1"}.get(how, "$1")
        out.append(stand_in)
        charmap.extend([offset] * len(stand_in))
    return Snippet("".join(out), 0, charmap)


# chr(10), chr(13), chr(9), chr(32): a line break or blank between two pieces of a template,
# which as a hole would glue a value onto the next word.
_BLANK_CODES = {9: "\t", 10: "\n", 13: "\r", 32: " "}


def _blank_char(fields: dict, start: int) -> Snippet | None:
    args = fields.get("args") or []
    if func_qualname(fields) not in ("chr", "pg_catalog.chr") or len(args) != 1:
        return None
    kind, const = typed(args[0])
    code = (const.get("ival") or {}).get("ival") if kind == "A_Const" else None
    return Snippet(_BLANK_CODES[code], 0, [start]) if code in _BLANK_CODES else None


_UPDATE_SET = re.compile(r"\bupdate\s[^;]*\bset\s*$", re.I | re.S)
_SET_LIST_END = re.compile(r"\s*(?:(?:where|from|returning)\b|;|$)", re.I)


def _wants_assignments(before: str, after: str) -> bool:
    """`'update t set ' || v_sets || ' where id = 1'`: the hole is the whole list of
    assignments (`a = 1, b = 2`) built in a loop. (`set ' || col || ' = 1'` is one column's
    name; before `, b = 2` the hole is read as an empty fragment, see `loosened`.)"""
    return _SET_LIST_END.match(after) is not None and _UPDATE_SET.search(before[-400:]) is not None


def _wants_name(before: str, after: str) -> bool:
    if _INHERITS_PAREN.search(before[-40:]) or _COLUMN_TYPE.search(before[-80:]):
        return True
    if before[-1:] and (before[-1].isalnum() or before[-1] in '_.":'):  # `::` before: a type
        return True
    if after[:1] and (after[0].isalnum() or after[0] in '_."'):
        return True
    word = _WORD_BEFORE.search(before[-40:])
    return word is not None and word.group(1).lower() in _NAME_WORDS



# `:HUMAN_ROLE` in a quoted body: psql does not look inside quotes, so the script that runs the
# file substitutes it as text (sed, a template step). Not `::`, not glued to a word.
_TEXT_VARIABLE = re.compile(r"(?<![:\w]):[A-Za-z_]\w*")
_AFTER_OPERATOR = re.compile(r"[-+*/%<>=|&(,]\s*\($")


def loosened(text: str, message: str, at: int | None) -> str | None:
    """Built SQL the grammar refused, made parseable once more, or None.

    A hole can stand for more than a name or a value: a whole column definition or a WITH
    clause (`create table %I (id int, %s) %s`), and a statement can be finished by a later
    assignment (`sql := sql || ')'`). When the error points at a stand-in, that hole is
    read as an empty fragment (with a comma left dangling by it); when the text ends with
    parentheses still open, they are closed (after a last `,`, left for a loop to add more).
    Only text built from holes gets this second reading; a statement written out in full is
    reported as it is. A `:name` the grammar stops at is a variable the script's runner fills
    in as text, read as a name."""
    if at is None:
        if "end of input" in message and text.count("(") > text.count(")"):
            body = text.rstrip()
            if body.endswith(","):  # `create table %I (id int,`: a loop adds the other columns
                text = body[:-1] + " " + text[len(body):]
            # `* (` waits for a value still to come; `as (` or `t (` for a list, which may be empty
            value = "0" if _AFTER_OPERATOR.search(body) else ""
            return text + value + ")" * (text.count("(") - text.count(")"))
        return None
    variable = _TEXT_VARIABLE.match(text, at)
    if variable is not None:
        return text[:at] + "_" + variable.group()[1:] + text[variable.end():]
    glued = _GLUED_HOLE.match(text, at)  # `end_hole`: a fragment glued to a keyword
    hole = STAND_IN.match(text, glued.end() - len("_hole")) if glued else STAND_IN.match(text, at)
    if hole is None:
        return None
    chars = list(text)
    start, end = hole.start(), hole.end()
    before = text[:start].rstrip()
    after = text[end:].lstrip()
    if before.endswith("(") and after.startswith(")"):  # `from (%s) t`: a subquery's text
        start, end = len(before) - 1, len(text) - len(after) + 1
        before, after = text[:start].rstrip(), text[end:].lstrip()
    chars[start:end] = " " * (end - start)
    if before.endswith(",") and (not after or after[0] in ",)"):
        chars[len(before) - 1] = " "
    elif before.endswith("(") and after.startswith(","):  # `(%s, queued_at ...)`: the hole led a list
        chars[len(text) - len(after)] = " "
    return "".join(chars)
