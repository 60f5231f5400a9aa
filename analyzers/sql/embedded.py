"""SQL inside Python string literals, analysed by the SQL rules and reported in the Python file.

The collector visits the module once (in the Python engine's batched pass) and records:
- calls that run SQL text: `.execute`, `.executemany`, `.fetch*` (asyncpg, databases),
  `.query`, `.mogrify`, `.copy`/`.copy_expert`, `.sql`, `.raw`, Django's `RunSQL`, SQLAlchemy's
  `text()` and psycopg's `sql.SQL()`; the SQL is the first positional argument or a
  `query=`/`sql=`/`statement=`/`operation=` keyword;
- string assignments to names (module constants, locals, class attributes), so that
  `cur.execute(INSERT_EVENT, params)` finds the text assigned to `INSERT_EVENT`;
- SQL that leaves the module without a visible call: a literal returned by a query-builder
  function (`def build_dequeue(self) -> str: return f"WITH ..."`) or assigned to a module or
  class constant. Nothing says these strings are SQL, so only text that starts like a statement
  and parses cleanly is read (a parse failure there is silence, not a note).

After the pass every SQL text is rewritten to PostgreSQL placeholders (placeholders.py),
analysed by the SQL rules, and each hit is mapped back through the placeholder rewrite and
the literal's escapes to the exact line and column inside the Python string.

Parse failures are not reported by default: most strings handed to `.query()` or `.copy()`
in Python are not SQL at all. A note is added only when the text is unmistakably SQL (it
starts with a statement keyword), it came from a single literal passed to a call that runs
it, and it mentions what these rules look for; then the user learns that the one string
that matters was not analysed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from ..build import RawFinding
from ..model import Edit, Fix, Note
from ..python.imports import dotted
from ..python.rule import PythonRule
from ..python.rules._delivery import TEST_PATH, delivery_context, is_test_function, one_shot_path
from .names import EXTERNAL_KEY
from .placeholders import HOLE, Normalised, normalise
from .pyliterals import (
    LiteralText,
    expression_hole,
    format_fields_to_holes,
    formatted_string,
    percent_fields_to_holes,
    simple_string,
)

_SINK_METHODS = frozenset(
    """execute executemany execute_many executescript fetch fetchrow fetchval fetch_all
    fetch_one fetch_val iterate query mogrify copy copy_expert sql raw RunSQL""".split()
)
_SINK_QUALIFIED = frozenset(
    {
        "sqlalchemy.text",
        "sqlalchemy.sql.text",
        "sqlalchemy.sql.expression.text",
        "psycopg.sql.SQL",
        "psycopg2.sql.SQL",
        "django.db.migrations.RunSQL",
        "django.db.migrations.operations.RunSQL",
    }
)
# Wrapping calls whose result is the SQL text of their own argument.
_PASS_THROUGH = frozenset({"textwrap.dedent", "dedent", "inspect.cleandoc", "cleandoc", "str.strip"})
_SQL_KEYWORDS = frozenset({"query", "sql", "statement", "operation", "stmt"})

# The file is parsed for this collector only when it mentions a call that runs SQL *and* a word
# these rules care about. Plain substring tests over the lowercased text: about 20x faster
# than one case-insensitive regex with alternations (measured on a 1.2 MB file).
_SINK_WORDS = (".execute", ".fetch", ".query", ".mogrify", ".copy", ".sql", ".raw", ".iterate", "text(", "sql(", "runsql")
# Aligned with the column vocabularies of analyzers/sql/names.py (holders, heartbeats).
_SIGNAL_WORDS = (
    "clock_timestamp", "timeofday", "advisory", "insert", "heartbeat", "last_", "lease", "locked_",
    "holder", "owner", "held_by", "leader", "claimed_by", "acquired_by", "seen_at", "ping", "alive",
    "checkin", "checked_in", "expires_at",
)
_RULE_SIGNAL_RE = re.compile(
    r"clock_timestamp|timeofday|advisory|insert\s+into|heartbeat|last_(?:seen|ping|alive|contact|check_?in)"
    r"|\blease|locked_(?:until|by)|holder|held_by|claimed_by|acquired_by|seen_at|pinged_at|alive_at|checked_in_at"
    # members removed once their renewal deadline passed (ARM302)
    r"|\bdelete\s+from\b[^;]{0,80}?\bwhere\s+(?:\w+\.)?expires_?at\s*<",
    re.IGNORECASE,
)


class _AllWords:
    """Stands in for a TRIGGERS regex: `search` is truthy when each group has a word in the text
    (or, for a group paired with a regex, the regex matches: tried only when no word did)."""

    def __init__(self, *groups: tuple[str, ...], fallbacks: dict[int, re.Pattern[str]] | None = None) -> None:
        self.groups = groups
        self.fallbacks = fallbacks or {}
        self.pattern = " & ".join("|".join(group) for group in groups)

    def search(self, text: str) -> bool:
        low = text.lower()
        missing = [index for index, group in enumerate(self.groups) if not any(word in low for word in group)]
        if any(index not in self.fallbacks for index in missing):
            return False
        return all(self.fallbacks[index].search(text) is not None for index in missing)


# A string literal that opens with a DML statement right after `return` or `NAME =`: the text
# a query builder hands to code elsewhere. Tried only on files with a signal word and no sink.
_RETURNED_SQL = re.compile(
    r"(?:\breturn|^\s*[A-Za-z_][\w.]*\s*(?::[^=\n]+)?=)\s*\(?\s*[rRfFbBuU]{0,2}(?:\"\"\"|\'\'\'|\"|\')\s*"
    r"(?:select|insert|update|delete|with)\b",
    re.IGNORECASE | re.MULTILINE,
)


_STATEMENT_START = re.compile(
    r"\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*\(?\s*(?:select|insert|update|delete|with|merge|create|alter"
    r"|drop|do|call|copy|truncate|lock)\b",
    re.IGNORECASE | re.DOTALL,
)
_SQL_LINE = re.compile(r"\s*\(line \d+\)")
_MAX_NAME_DEPTH = 6
# Longer chains of `+` or implicit concatenation are generated code, not a query worth the
# recursion (CPython accepts ~1000 nested operands; Python's own stack would not).
_MAX_NESTING = 100


@dataclass
class _Scope:
    kind: str  # "module" | "class" | "function"
    name: str
    parent: "_Scope | None"
    # Runs where deliveries arrive (a webhook handler, a queue consumer, a task): an insert
    # into an events/payments table there is recording something that can come again.
    delivery: bool = False
    # Test code (test functions, fixtures, test files): its inserts set up data, nothing retries.
    test: bool = False
    # name -> [(sequence number, "=" or "+=", value expression)]
    events: dict[str, list[tuple[int, str, cst.BaseExpression]]] = field(default_factory=dict)

    def add(self, name: str, seq: int, op: str, value: cst.BaseExpression) -> None:
        self.events.setdefault(name, []).append((seq, op, value))

    def enclosing_class(self) -> "_Scope | None":
        scope: _Scope | None = self
        while scope is not None and scope.kind != "class":
            scope = scope.parent
        return scope


@dataclass
class _Sink:
    call: cst.Call | None  # None for SQL returned or stored (implicit)
    arg: cst.BaseExpression
    scope: _Scope
    seq: int
    template: bool  # psycopg's sql.SQL(): `{}` are format fields, read as holes
    # Returned or stored, never seen running: read only when it is unmistakably SQL.
    implicit: bool = False


@dataclass
class EmbeddedSql:
    """One SQL text found in the module, ready for the SQL rules."""

    literal: LiteralText
    normalised: Normalised
    direct: bool  # one literal written at the call (or one plain assignment), not assembled
    implicit: bool = False  # returned or stored, never seen running (see _Sink.implicit)
    delivery: bool = False  # run by at least one function in a delivery context
    test: bool = True  # run only from test code

    @property
    def sql(self) -> str:
        return self.normalised.text


class EmbeddedSqlCollector(PythonRule):
    EMITS = ("ARM101", "ARM102", "ARM202", "ARM302", "ARM403")
    # Both a call that runs SQL and a word the SQL rules care about must occur, or the file is
    # not even parsed for this collector.
    TRIGGERS = _AllWords(_SINK_WORDS, _SIGNAL_WORDS, fallbacks={0: _RETURNED_SQL})  # type: ignore[assignment]

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        # Tests and one-shot scripts (migrations, backfills) are never where a redelivery repeats an insert.
        self._module = _Scope("module", "", None, test=bool(TEST_PATH.search(ctx.path)) or one_shot_path(ctx.path))
        self._scope = self._module
        self._classes: dict[str, _Scope] = {}
        self._sinks: list[_Sink] = []
        self._seq = 0

    # --- scopes ------------------------------------------------------------------------------
    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        name = node.name.value
        self._scope = _Scope("class", name, self._scope, test=self._scope.test or name.startswith("Test"))
        self._classes.setdefault(node.name.value, self._scope)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope = self._scope.parent or self._module

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        parent = self._scope
        test = parent.test or is_test_function(node, self.ctx.code_for)
        delivery = not test and delivery_context(node, parent.delivery, self.ctx.code_for)
        self._scope = _Scope("function", node.name.value, parent, delivery, test)
        # A parameter shadows a module constant of the same name; its value is unknown.
        params = node.params
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        every += [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
        for param in every:
            self._scope.add(param.name.value, self._next(), "=", param)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scope = self._scope.parent or self._module

    # --- assignments -------------------------------------------------------------------------
    def _record(self, target: cst.BaseExpression, op: str, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            if op == "=" and isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
                left = value.left
                if isinstance(left, cst.Name) and left.value == target.value:
                    self._scope.add(target.value, self._next(), "+=", value.right)
                    return
            self._scope.add(target.value, self._next(), op, value)
        elif (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value in ("self", "cls")
        ):
            owner = self._scope.enclosing_class()
            if owner is not None:
                owner.add(target.attr.value, self._next(), op, value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._record(target.target, "=", node.value)
        self._constant(node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._record(node.target, "=", node.value)
            self._constant(node.value)

    def _constant(self, value: cst.BaseExpression) -> None:
        """A literal stored in a module or class constant may be run by another module."""
        if self._scope.kind != "function" and _literal_like(value):
            self._sinks.append(_Sink(None, value, self._scope, self._next(), False, implicit=True))

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None and _literal_like(node.value):
            self._sinks.append(_Sink(None, node.value, self._scope, self._next(), False, implicit=True))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.operator, cst.AddAssign):
            self._record(node.target, "+=", node.value)

    # --- calls -------------------------------------------------------------------------------
    def _is_sink(self, call: cst.Call) -> bool:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in _SINK_METHODS:
            return True
        name = self.qname(func)
        return name is not None and (name in _SINK_QUALIFIED or name.endswith(".RunSQL") or name == "RunSQL")

    def visit_Call(self, node: cst.Call) -> None:
        if not self._is_sink(node):
            return
        arg = _sql_argument(node)
        if arg is not None:
            template = (self.qname(node.func) or "").endswith("sql.SQL")
            self._sinks.append(_Sink(node, arg, self._scope, self._next(), template))

    # --- after the pass ----------------------------------------------------------------------
    def collect(self) -> list[EmbeddedSql]:
        """Every distinct SQL text reaching a sink, in source order of discovery."""
        found: list[EmbeddedSql] = []
        seen: set[tuple] = set()
        # Texts seen running come first: their scope says who runs them (tests, deliveries).
        for sink in sorted(self._sinks, key=lambda sink: sink.implicit):
            for literal, direct in self._texts(sink.arg, sink.scope, sink.seq, 0):
                if sink.template:
                    literal = format_fields_to_holes(literal)
                key = tuple((id(p.node), p.braces) for p in literal.pieces)
                if not literal.value.strip():
                    continue
                if key in seen and sink.implicit:
                    continue
                if key in seen:
                    for other in found:
                        if tuple((id(p.node), p.braces) for p in other.literal.pieces) == key:
                            other.delivery = other.delivery or sink.scope.delivery
                            other.test = other.test and sink.scope.test
                    continue
                seen.add(key)
                normalised = normalise(literal.value)
                if sink.implicit:
                    normalised = _as_sql(literal)
                    if normalised is None:
                        continue
                found.append(
                    EmbeddedSql(literal, normalised, direct, sink.implicit, sink.scope.delivery, sink.scope.test)
                )
        return found

    def finish(self) -> None:
        if not self._sinks:
            return
        try:
            from .fragments import analyze_sql_text  # the SQL analyzer; imported only when needed
        except ImportError:  # pragma: no cover - only while the SQL analyzer is being built
            return

        settings = self.ctx.settings
        for embedded in self.collect():
            hits, notes = analyze_sql_text(embedded.sql, settings, embedded=True)
            if notes and embedded.literal.has_holes:
                # A hole may stand where only an identifier parses (`{table}`): try that reading.
                retry = normalise(embedded.literal.value, holes_as_identifiers=True)
                hits2, notes2 = analyze_sql_text(retry.text, settings, embedded=True)
                if len(notes2) < len(notes):
                    embedded = EmbeddedSql(embedded.literal, retry, embedded.direct, embedded.implicit)
                    hits, notes = hits2, notes2
            if embedded.implicit and notes:
                continue  # a string that only looked like SQL
            for hit in hits:
                if hit.meta.id == "ARM403" and (
                    embedded.implicit  # who runs it, and for which delivery, is out of sight
                    or embedded.test or (not embedded.delivery and not _keyed_insert(embedded.sql, hit.start))
                ):
                    continue  # test setup, or an events/payments table alone where no delivery arrives
                if settings.enabled(hit.meta.id):
                    raw = self._locate(embedded, hit)
                    if raw is not None:
                        self.ctx.add_located(raw)
            if notes and self._worth_a_note(embedded):
                self._note(embedded, notes[0])

    # --- resolution of SQL arguments to literal texts ---------------------------------------
    def _texts(self, expr, scope: _Scope, seq: int, depth: int) -> list[tuple[LiteralText, bool]]:
        if depth > _MAX_NAME_DEPTH:
            return []
        if isinstance(expr, cst.Name):
            return [(text, direct and depth == 0) for text, direct in self._resolve_name(expr.value, scope, seq, depth)]
        if isinstance(expr, cst.Attribute):
            return self._resolve_attribute(expr, scope, depth)
        if isinstance(expr, cst.Call):
            inner = self._unwrap_call(expr)
            if inner is None:
                return []
            arg, template = inner
            texts = self._texts(arg, scope, seq, depth + 1)
            if template:
                texts = [(format_fields_to_holes(text), direct) for text, direct in texts]
            return texts
        text = self._string_value(expr, scope, seq, depth)
        return [] if text is None else [(text, True)]

    def _unwrap_call(self, call: cst.Call):
        """(argument, is_format_template) for calls that return SQL built from their argument:
        `"...{}".format(x)`, `dedent("...")`. Sinks nested in sinks (`execute(text(...))`) are
        analysed on their own, so they yield nothing here."""
        if self._is_sink(call):
            return None
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "format":
            if isinstance(func.value, cst.Call) and self._is_sink(func.value):
                return None  # sql.SQL("...").format(...): the SQL() call is a sink itself
            return func.value, True
        if isinstance(func, cst.Attribute) and func.attr.value in ("strip", "lstrip", "rstrip") and not call.args:
            return func.value, False
        name = self.qname(func)
        if name in _PASS_THROUGH and call.args:
            return call.args[0].value, False
        return None

    def _string_value(self, expr, scope, seq, depth) -> LiteralText | None:
        if depth > _MAX_NESTING:
            return None
        code_for = self.ctx.code_for
        if isinstance(expr, cst.SimpleString):
            return simple_string(expr)
        if isinstance(expr, cst.FormattedString):
            return formatted_string(expr, code_for)
        if isinstance(expr, cst.ConcatenatedString):
            # "a" "b" "c" nests to the right; walked as a loop so long queries cost no stack
            result = LiteralText().seal()
            node: cst.BaseExpression = expr
            while True:
                last = not isinstance(node, cst.ConcatenatedString)
                part = self._string_value(node if last else node.left, scope, seq, depth + 1)
                if part is None:
                    return None
                result.extend(part)
                if last:
                    return result
                node = node.right
        if isinstance(expr, cst.BinaryOperation):
            if isinstance(expr.operator, cst.Modulo):
                template = self._string_value(expr.left, scope, seq, depth + 1)
                return None if template is None else percent_fields_to_holes(template)
            if isinstance(expr.operator, cst.Add):
                left = self._operand(expr.left, scope, seq, depth + 1)
                right = self._operand(expr.right, scope, seq, depth + 1)
                if left is None and right is None:
                    return None
                result = left if left is not None else expression_hole(expr.left, code_for)
                result.extend(right if right is not None else expression_hole(expr.right, code_for))
                return result
        return None

    def _operand(self, expr, scope, seq, depth) -> LiteralText | None:
        """A `+` operand: a literal, or a name bound to exactly one literal (else a hole)."""
        text = self._string_value(expr, scope, seq, depth)
        if text is None and isinstance(expr, cst.Name):
            texts = self._resolve_name(expr.value, scope, seq, depth + 1)
            if len(texts) == 1:
                text = texts[0][0]
        return text

    def _resolve_name(self, name: str, scope: _Scope, seq: int, depth: int) -> list[tuple[LiteralText, bool]]:
        current: _Scope | None = scope
        first = True
        while current is not None:
            if not (current.kind == "class" and not first) and name in current.events:
                return self._candidates(current.events[name], current, seq if first else None, depth)
            first = False
            current = current.parent
        return []

    def _resolve_attribute(self, expr: cst.Attribute, scope: _Scope, depth: int) -> list[tuple[LiteralText, bool]]:
        owner_name = dotted(expr.value)
        if owner_name in ("self", "cls"):
            owner = scope.enclosing_class()
        else:
            owner = self._classes.get(owner_name or "")
        if owner is None or expr.attr.value not in owner.events:
            return []
        return self._candidates(owner.events[expr.attr.value], owner, None, depth)

    def _candidates(self, events, scope: _Scope, before: int | None, depth: int) -> list[tuple[LiteralText, bool]]:
        """Texts a name may hold at a use: each `=` followed by the `+=` appended after it.
        With `before` (the use is in the same scope) only assignments before the use count,
        when there are any."""
        usable = events
        if before is not None and any(seq < before for seq, _, _ in events):
            usable = [event for event in events if event[0] < before]
        assigns = [i for i, (_, op, _) in enumerate(usable) if op == "="]
        results: list[tuple[LiteralText, bool]] = []
        for index in assigns:
            value = usable[index][2]
            texts = self._texts(value, scope, usable[index][0], depth + 1)
            appended = [event[2] for event in usable[index + 1 :] if event[1] == "+="]
            for text, direct in texts:
                if appended:
                    text = _copy(text)
                    for extra in appended:
                        extra_text = self._operand(extra, scope, usable[index][0], depth + 1)
                        text.extend(extra_text if extra_text is not None else expression_hole(extra, self.ctx.code_for))
                    direct = False
                results.append((text, direct and len(assigns) == 1))
        return results

    # --- reporting ---------------------------------------------------------------------------
    def _piece_offset(self, literal: LiteralText, piece: int) -> int:
        start = self.ctx.position(literal.pieces[piece].node).start
        return self.ctx.offset(start.line, start.column)

    def _file_span(self, embedded: EmbeddedSql, start: int, end: int) -> tuple[int, int] | None:
        span = embedded.normalised.source_span(start, end)
        if span is None:
            return None
        literal = embedded.literal
        first, last = literal.spans[span[0]], literal.spans[span[1] - 1]
        return (
            self._piece_offset(literal, first[0]) + first[1],
            self._piece_offset(literal, last[0]) + last[2],
        )

    def _line_col(self, offset: int) -> tuple[int, int]:
        line = self.ctx.line_of_offset(offset)
        return line, offset - self.ctx.offset(line, 0)

    def _locate(self, embedded: EmbeddedSql, hit) -> RawFinding | None:
        span = self._file_span(embedded, hit.start, hit.end)
        if span is None:
            return None
        line, col = self._line_col(span[0])
        end_line, end_col = self._line_col(span[1])
        return RawFinding(
            meta=hit.meta,
            line=line,
            col=col,
            end_line=end_line,
            end_col=end_col,
            message=hit.message,
            code=embedded.sql[hit.start : hit.end],
            fix=self._map_fix(embedded, hit.fix),
            confidence=hit.confidence,
        )

    def _map_fix(self, embedded: EmbeddedSql, fix: Fix | None) -> Fix | None:
        """The SQL fix as edits of the Python file, or None when any edit touches characters
        that are not a verbatim copy of the source (escapes, placeholders, holes, a join of
        two literals) or the new text could not be written inside that literal as is."""
        if fix is None:
            return None
        edits = []
        for edit in fix.edits:
            mapped = self._map_edit(embedded, edit)
            if mapped is None:
                return None
            edits.append(mapped)
        return Fix(fix.description, tuple(edits), fix.applicability)

    def _map_edit(self, embedded: EmbeddedSql, edit: Edit) -> Edit | None:
        norm, literal = embedded.normalised, embedded.literal
        if not norm.is_verbatim(edit.start, edit.end):
            return None
        if edit.end > edit.start:
            first, last = norm.starts[edit.start], norm.ends[edit.end - 1]
            chars = range(first, last)
        else:
            at = norm.input_offset(edit.start)
            if at is None or not literal.spans:
                return None
            chars = range(at, at + 1) if at < len(literal.spans) else range(at - 1, at)
        if not all(literal.exact(i) for i in chars):
            return None
        pieces = {literal.spans[i][0] for i in chars}
        if len(pieces) != 1:
            return None
        piece_index = pieces.pop()
        offsets = [literal.spans[i][1] for i in chars]
        if offsets != list(range(offsets[0], offsets[0] + len(offsets))):
            return None
        piece = literal.pieces[piece_index]
        if not _writable(edit.text, piece, pyformat=norm.pyformat):
            return None
        base = self._piece_offset(literal, piece_index)
        if edit.end > edit.start:
            start, end = base + offsets[0], base + offsets[-1] + 1
        elif chars.start == norm.input_offset(edit.start):
            start = end = base + offsets[0]
        else:
            start = end = base + offsets[0] + 1
        return Edit(start, end, edit.text)

    def _worth_a_note(self, embedded: EmbeddedSql) -> bool:
        value = embedded.literal.value
        return (
            embedded.direct
            and _STATEMENT_START.match(value) is not None
            and _RULE_SIGNAL_RE.search(value) is not None
        )

    def _note(self, embedded: EmbeddedSql, note) -> None:
        sql = embedded.sql
        offset = min(max(note.offset, 0), len(sql) - 1)
        span = self._file_span(embedded, offset, offset + 1)
        line = self._line_col(span[0] if span else self._piece_offset(embedded.literal, 0))[0]
        # The SQL analyzer counts lines within the SQL text; only the Python line means anything here.
        message = _SQL_LINE.sub("", note.message)
        self.ctx.notes.append(Note(self.ctx.path, f"SQL in this string: {message}", line))


@dataclass
class LocatedSql:
    """An embedded SQL text with its mapping back to the Python file (for tests and tools)."""

    embedded: EmbeddedSql
    collector: EmbeddedSqlCollector

    @property
    def sql(self) -> str:
        return self.embedded.sql

    def span(self, start: int, end: int) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """((line, col), (end_line, end_col)) in the file of SQL characters [start, end)."""
        found = self.collector._file_span(self.embedded, start, end)
        if found is None:
            return None
        return self.collector._line_col(found[0]), self.collector._line_col(found[1])

    def file_edit(self, edit: Edit) -> Edit | None:
        return self.collector._map_edit(self.embedded, edit)


_INSERT_COLUMNS = re.compile(r"insert\s+into\s+[^(]*?\(([^)]*)\)", re.IGNORECASE | re.DOTALL)


def _keyed_insert(sql: str, start: int) -> bool:
    """Does the INSERT at `start` name an external/event id column? That alone says the row
    records a delivery; the table's name alone does not."""
    match = _INSERT_COLUMNS.match(sql, start) or _INSERT_COLUMNS.search(sql, start)
    if match is None:
        return False
    columns = [c.strip().strip('"').lower() for c in match.group(1).split(",")]
    return any(EXTERNAL_KEY.match(column) for column in columns)


def extract_sql_strings(module_text: str, settings=None) -> list[LocatedSql]:
    """Every SQL text the collector would analyse in `module_text`, in discovery order."""
    from libcst.metadata import MetadataWrapper

    from ..python.context import FileContext
    from ..settings import DEFAULT

    wrapper = MetadataWrapper(cst.parse_module(module_text), unsafe_skip_copy=True)
    ctx = FileContext("module.py", module_text, settings or DEFAULT, wrapper)
    collector = EmbeddedSqlCollector(ctx)
    wrapper.visit_batched([collector])
    return [LocatedSql(embedded, collector) for embedded in collector.collect()]


def _as_sql(literal: LiteralText) -> Normalised | None:
    """The text of a returned or stored literal when it is unmistakably SQL: it starts like a
    statement and parses (holes read as values, or else as identifiers); None otherwise."""
    if _STATEMENT_START.match(literal.value) is None:
        return None
    from pglast import parser  # only for files that hold such literals

    for holes_as_identifiers in (False, True) if literal.has_holes else (False,):
        normalised = normalise(literal.value, holes_as_identifiers=holes_as_identifiers)
        try:
            parser.parse_sql(normalised.text)
        except Exception:  # pglast.parser.ParseError, and anything else pglast rejects
            continue
        return normalised
    return None


def _literal_like(expr: cst.BaseExpression) -> bool:
    """A string literal, possibly assembled (`+`, `%`, implicit concatenation, `.format`, dedent)."""
    if isinstance(expr, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
        return True
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Modulo)):
        return _literal_like(expr.left) or _literal_like(expr.right)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        return expr.func.attr.value in ("format", "strip") and _literal_like(expr.func.value)
    if isinstance(expr, cst.Call) and expr.args:
        return dotted(expr.func) in _PASS_THROUGH and _literal_like(expr.args[0].value)
    return False


def _sql_argument(call: cst.Call) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in _SQL_KEYWORDS:
            return arg.value
    if call.args and call.args[0].keyword is None and call.args[0].star == "":
        return call.args[0].value
    return None


def _copy(text: LiteralText) -> LiteralText:
    out = LiteralText(pieces=list(text.pieces), chars=list(text.chars), spans=list(text.spans))
    return out.seal()


def _writable(text: str, piece, *, pyformat: bool) -> bool:
    """Can `text` be typed into this literal verbatim and mean the same SQL?"""
    if "\\" in text or piece.quote[0] in text:
        return False
    if "\n" in text and not piece.triple:
        return False
    if piece.braces and ("{" in text or "}" in text):
        return False
    if pyformat and "%" in text:
        return False
    return HOLE not in text
