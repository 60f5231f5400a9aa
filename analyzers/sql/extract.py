"""From SQL text to Scopes of parsed Units: split, prefilter, parse, and open up what hides
SQL inside strings (function and DO bodies, EXECUTE/format() literals, pg_cron commands).

Only statements that mention a word some rule cares about are parsed: pglast spends most of
its time building trees, and most migration statements (DDL) never matter to these rules.
"""
from __future__ import annotations

import json
import re

from pglast import parser as _pg

from . import dynamic
from .plpgsql import parse_body
from .scope import FileFacts, Scope, Unit, ordered_columns
from .source import LineIndex, Snippet, literal_at
from .split import split_statements
from .dialect import foreign_dialect
from .stats import current as current_stats
from .templates import blank_spans, jinja_branches, jinja_readings, stand_ins
from .tree import const_string, func_qualname, strings, typed, walk

# A statement is parsed only when it mentions one of these (see each rule for why).
TRIGGERS = re.compile(
    r"clock_timestamp|timeofday|advisory|heartbeat|last_seen|seen_at|last_ping|pinged_at|last_alive|"
    r"last_contact|check_?in|(?:claimed|started|picked|attempted)_?at\b|holder|locked_by|lease|leader|\bowner|cron\s*\.|\bexecute\b|"
    r"insert\s+into\s+[\w\".]*(?:payment|webhook|event|inbox|processed|deliver)|"
    r"(?:event|external|message|delivery|webhook|stripe|paypal|provider|gateway|charge|payment_intent|checkout_session)_id|"
    r"idempotency|dedup|e2e_id|end_to_end_id|\btxid|rtr_id|psp_reference|"  # keep in step with names.EXTERNAL_KEY
    # a consumer's insert keyed by a field of the delivered message (ARM403), whatever the table
    r"msg_id|(?:message|payload|msg|event|body)\w*\s*->>|"
    # members removed once their renewal deadline passed (ARM302)
    r"\bdelete\s+from\b[^;]{0,80}?\bwhere\s+(?:\w+\.)?expires_?at\s*<|"
    # held rows whose claim deadline passed (ARM302)
    r"(?:claim|lock|locked|claimed|acquired|reserved)_?(?:expires_?at|until)\b|"
    # a row claimed by rewriting a stamp only once it is older than a bound (ARM202), bounded
    # so that a long statement costs little
    r"\bset\s[^;]{0,300}?\b(?P<stamp>\w+)\s*=[^;]{0,800}?\bwhere\b[^;]{0,400}?\b(?P=stamp)\s*<(?!>)",
    re.I,
)
# Once a lock or lease shows up in a scope, the writes after it matter too.
GUARD = re.compile(r"advisory_lock|holder|locked_by|lease|leader|\bowner", re.I)
WRITES = re.compile(r"\b(?:insert|update|delete|merge)\b", re.I)
HOT_BODY = re.compile(r"clock_timestamp|timeofday|advisory_lock|holder|locked_by|lease|leader|\bowner|execute", re.I)

MAX_CHARS = 5_000_000
# Driver placeholders that PostgreSQL's grammar rejects: psycopg `%(name)s` / `%s`, and `:name`
# (not a `::` cast, not `:=`). Only tried after a statement failed to parse as written.
_PLACEHOLDER = re.compile(r"%\(\w+\)s|%s\b|(?<![:\w]):[A-Za-z_]\w*")


def pad_placeholders(text: str) -> str:
    return _PLACEHOLDER.sub(lambda m: "$1" + " " * (len(m.group(0)) - 2), text)
MAX_PARSE_NOTES = 20


class Extractor:
    def __init__(self, text: str, embedded: bool):
        # Files are query files and templates as often as plain scripts (sqlc, psql variables,
        # {{schema}}); SQL from Python had its driver placeholders rewritten already.
        self.text = text if embedded else stand_ins(text)
        # as the file wrote it: `set @start = ...` is MySQL before `@start` is read as a parameter
        self._written = text
        self._jinja = jinja_branches(text) if not embedded and "{%" in text else []
        text = self.text
        self.facts = FileFacts(text, embedded, ordered_columns(text) if "rder" in text or "RDER" in text else frozenset())
        self.scopes: list[Scope] = []
        self.notes: list[tuple[int, str]] = []
        self._parse_failures = 0
        self._lines: LineIndex | None = None
        self._dynamic_done: set[int] = set()  # literals already read as SQL (by their first offset)
        self._dynamic_scopes: dict[int, Scope] = {}  # id(body scope) -> the scope of the SQL it builds
        self.stats = None if embedded else current_stats()
        self._dialect: list[str | None] = []  # computed on the first failure
        if self.stats is not None:
            self.stats.files += 1
            self.stats.dialect = self.dialect()
            self.stats.foreign_files += self.stats.dialect is not None

    # --- notes ------------------------------------------------------------------------

    def line_of(self, offset: int) -> int:
        if self._lines is None:
            self._lines = LineIndex(self.text)
        return self._lines.line_col(offset)[0]

    def note(self, offset: int, message: str) -> None:
        self.notes.append((offset, message))

    def dialect(self) -> str | None:
        if not self._dialect:
            found = None
            if not self.facts.embedded:
                found = foreign_dialect(self.text)
                if found is None and self._written != self.text:
                    found = foreign_dialect(self._written)
            self._dialect.append(found)
        return self._dialect[0]

    def parse_failed(self, offset: int, message: str) -> None:
        self._parse_failures += 1
        if self._parse_failures <= MAX_PARSE_NOTES:
            self.note(offset, message)

    def finish(self) -> None:
        hidden = self._parse_failures - MAX_PARSE_NOTES
        if hidden > 0:
            self.note(0, f"{hidden} more statements could not be parsed and were not analysed")

    # --- parsing ----------------------------------------------------------------------

    def parse(self, snippet: Snippet, quiet: bool = False, count: bool = False, built: bool = False) -> list[dict]:
        """Statement nodes of `snippet`; a failure becomes a note (unless quiet) and [].
        `count`: the snippet is one statement of the file, for the optional counter.
        `built`: dynamic SQL whose holes may stand for whole fragments (see dynamic.loosened)."""
        try:
            try:
                data = json.loads(_pg.parse_sql_json(snippet.text))
            except _pg.ParseError as refused:
                if built:
                    # dynamic SQL: a hole may stand for a whole fragment (see dynamic.loosened),
                    # or for a word of the statement (see _holes_as_words)
                    try:
                        data = _parse_rewritten(snippet, refused, dynamic.loosened, attempts=4)
                    except _pg.ParseError:
                        data = _holes_as_words(snippet, refused)
                else:
                    # `.sql` files read by a driver or query library (procrastinate's `%(queue)s`,
                    # aiosql's `:user_id`) fail only on their placeholders: retry once with them
                    # padded to `$1` of the same length, so every offset still points at the source.
                    padded = pad_placeholders(snippet.text)
                    data = None
                    if padded != snippet.text:
                        snippet.text = padded
                        try:
                            data = json.loads(_pg.parse_sql_json(padded))
                        except _pg.ParseError as again:
                            refused = again
                    if data is None:
                        data = self._parse_file_statement(snippet, refused)
        except _pg.ParseError as exc:
            if count and self.stats is not None:
                self.stats.saw(False, str(exc.args[0]), snippet.text)
            if not quiet:
                where = _error_at(exc) or 0
                offset = snippet.offset_of_byte(where)
                dialect = self.dialect()
                why = f"written for {dialect}, not PostgreSQL ({exc.args[0]})" if dialect else exc.args[0]
                self.parse_failed(offset, f"statement not analysed (line {self.line_of(offset)}): {why}")
            return []
        except (RecursionError, MemoryError, ValueError):
            if count and self.stats is not None:
                self.stats.saw(False, "nested too deeply", snippet.text)
            if not quiet:
                offset = snippet.offset(0)
                self.parse_failed(offset, f"statement not analysed (line {self.line_of(offset)}): nested too deeply")
            return []
        if count and self.stats is not None:
            self.stats.saw(True)
        return [item["stmt"] for item in data.get("stmts", ()) if "stmt" in item]

    def _parse_file_statement(self, snippet: Snippet, refused: _pg.ParseError) -> dict:
        """A `.sql` file's statement the grammar refused, read once more: its placeholders and
        missing semicolons (see `_file_reading`), then, in a Jinja template, as the template
        would render it with every block's first or every block's last branch."""
        try:
            return _parse_rewritten(snippet, refused, _file_reading, attempts=_FILE_READINGS)
        except _pg.ParseError:
            if not self._jinja or snippet.charmap is not None:
                raise
        written = snippet.text
        for spans in jinja_readings(self._jinja, snippet.base, snippet.base + len(written)):
            snippet.text = blank_spans(written, snippet.base, spans)
            try:
                return _parse_or_read_again(snippet)
            except _pg.ParseError:
                continue
        snippet.text = written
        raise refused

    # --- top level --------------------------------------------------------------------

    def run(self) -> list[Scope]:
        if len(self.text) > MAX_CHARS:
            self.note(0, f"not analysed: the SQL text is larger than {MAX_CHARS:,} characters")
            return []
        top = Scope("file", self.facts)
        self.scopes.append(top)
        guarded = False
        meta_seen = False
        for piece in split_statements(self.text):
            if piece.meta:
                if self.stats is not None:
                    self.stats.meta_commands += 1
                if not meta_seen:
                    meta_seen = True
                    self.note(piece.start, f"psql meta-commands skipped (first at line {self.line_of(piece.start)})")
                continue
            if piece.problem:
                if self.stats is not None:
                    self.stats.saw(False, piece.problem, self.text[piece.start:piece.start + 200])
                self.note(piece.start, f"{piece.problem} from line {self.line_of(piece.start)} to the end; that text was not analysed")
                continue
            body = self.text[piece.start:piece.end]
            if not (TRIGGERS.search(body) or (guarded and WRITES.search(body))):
                if self.stats is not None:
                    self.parse(Snippet(body, piece.start), quiet=True, count=True)
                continue
            guarded = guarded or bool(GUARD.search(body))
            snippet = Snippet(body, piece.start)
            for tree in self.parse(snippet, count=True):
                unit = Unit(snippet, tree, "stmt", piece.start, piece.end)
                top.units.append(unit)
                self.open_up(unit, top)
        self.finish()
        return self.scopes

    def add_statements(
        self, scope: Scope, snippet: Snippet, role: str, in_poll: bool, hot: bool, loud: bool = False, built: bool = False
    ) -> None:
        """Split `snippet` (a body or literal holding SQL statements) and add its units.
        `loud`: a statement the rules would read that fails to parse becomes a note.
        `built`: the text is dynamic SQL read back from its pieces."""
        guarded = hot
        for piece in split_statements(snippet.text):
            if piece.meta:
                continue
            sub = snippet.sub(piece.start, piece.end)
            if piece.problem:
                if self.stats is not None:
                    self.stats.saw(False, piece.problem, sub.text)
                continue
            if not (TRIGGERS.search(sub.text) or (guarded and WRITES.search(sub.text))):
                if self.stats is not None:
                    self.parse(sub, quiet=True, count=True, built=built)
                continue
            guarded = guarded or bool(GUARD.search(sub.text))
            for tree in self.parse(sub, quiet=not loud, count=True, built=built):
                unit = Unit(sub, tree, role, sub.offset(0), sub.offset(len(sub.text)), in_poll)
                scope.units.append(unit)
                self.open_up(unit, scope)

    # --- SQL hidden in strings --------------------------------------------------------

    def open_up(self, unit: Unit, scope: Scope) -> None:
        kind, fields = typed(unit.tree)
        if kind == "CreateFunctionStmt":
            self.routine(unit, fields)
        elif kind == "DoStmt":
            self.do_block(unit, fields)
        if "cron" in unit.snippet.text.lower():
            self.cron_jobs(unit)

    def body_literal(self, unit: Unit, options: list) -> tuple[Snippet, str] | None:
        language = "sql"
        body: Snippet | None = None
        for option in options or ():
            _, elem = typed(option)
            if not elem:
                continue
            if elem.get("defname") == "language":
                language = (strings([elem.get("arg")]) or ["sql"])[0].lower()
            elif elem.get("defname") == "as":
                location = elem.get("arg_location", -1)
                if isinstance(location, int) and location >= 0 and unit.snippet.charmap is None:
                    found = literal_at(self.text, unit.offset(location))
                    if found:
                        body = found[0]
        return (body, language) if body is not None else None

    def routine(self, unit: Unit, fields: dict) -> None:
        found = self.body_literal(unit, fields.get("options"))
        if not found:
            return
        body, language = found
        returns = [name.lower() for name in strings((fields.get("returnType") or {}).get("names"))]
        trigger = bool(returns) and returns[-1] in ("trigger", "event_trigger")
        if language == "plpgsql":
            self.plpgsql(unit, body, "plpgsql", trigger)
        elif language == "sql":
            scope = Scope("sql", self.facts)
            self.scopes.append(scope)
            self.add_statements(scope, body, "stmt", False, bool(HOT_BODY.search(body.text)))

    def do_block(self, unit: Unit, fields: dict) -> None:
        found = self.body_literal(unit, fields.get("args"))
        if found and found[1] in ("plpgsql", "sql"):  # a DO block's language defaults to plpgsql
            self.plpgsql(unit, found[0], "do", False)

    def plpgsql(self, unit: Unit, body: Snippet, kind: str, trigger: bool) -> None:
        scope = Scope(kind, self.facts, trigger=trigger)
        self.scopes.append(scope)
        hot = bool(HOT_BODY.search(body.text))

        def make(snippet: Snippet, role: str, in_poll: bool, target: str | None, prefix: str, into: tuple[str, ...] = ()) -> None:
            if role == "execute":
                self.execute(scope, snippet, in_poll)
                return
            # In a body that reads the wall clock, what a SELECT ... INTO loads tells a polling
            # deadline from an expiry read back from a table.
            wanted = TRIGGERS.search(snippet.text) or (hot and (role != "stmt" or into or WRITES.search(snippet.text)))
            builds_sql = dynamic.hint(snippet.text)
            counted = role == "stmt"
            if not (wanted or builds_sql or (counted and self.stats is not None)):
                return
            parsed = snippet.with_prefix(prefix) if prefix else snippet
            for tree in self.parse(parsed, quiet=not (wanted and counted), count=counted):
                start = snippet.offset(0)
                new = Unit(parsed, tree, role, start, snippet.offset(len(snippet.text)), in_poll, target, into)
                if wanted:
                    scope.units.append(new)
                    if role == "stmt":
                        self.open_up(new, scope)
                if builds_sql:
                    self.dynamic(new, scope, in_poll)

        variables, records, failure = parse_body(unit.snippet, body, make)
        scope.variables = frozenset(variables)
        scope.records = frozenset(records) | {"new", "old"} if trigger else frozenset(records)
        if failure:
            if self.stats is not None:
                self.stats.fallbacks += 1
            self.note(body.offset(0), f"PL/pgSQL body at line {self.line_of(body.offset(0))} analysed statement by statement: {failure}")

    def execute(self, scope: Scope, expr: Snippet, in_poll: bool) -> None:
        """EXECUTE 'literal' / format('literal', ...) / 'a' || quote_ident(t) || 'b': the SQL
        it runs. (EXECUTE v_sql reads the text where v_sql was built, in its assignment.)"""
        if expr.charmap is not None or not re.search(r"['$]", expr.text):
            return
        parsed = expr.with_prefix("SELECT ")
        for tree in self.parse(parsed, quiet=True):
            self.dynamic(Unit(parsed, tree, "expr", expr.offset(0), expr.offset(len(expr.text))), scope, in_poll, whole=True)

    def dynamic(self, unit: Unit, body: Scope, in_poll: bool, whole: bool = False) -> None:
        """Read the SQL `unit` builds. It runs in a scope of its own: the body's variables are
        not visible to EXECUTEd text (a `vt` there is a column even when `vt` is a parameter)."""
        for literal in dynamic.dynamic_sql(unit, self.text, whole):
            key = literal.offset(0)
            if key in self._dynamic_done:
                continue
            self._dynamic_done.add(key)
            if self.stats is not None:
                self.stats.dynamic += 1
            scope = self._dynamic_scopes.get(id(body))
            if scope is None:
                scope = self._dynamic_scopes[id(body)] = Scope("dynamic", self.facts, trigger=body.trigger)
                self.scopes.append(scope)
            self.add_statements(scope, literal, "stmt", in_poll, True, loud=True, built=True)

    def cron_jobs(self, unit: Unit) -> None:
        if unit.snippet.charmap is not None:
            return
        for kind, fields in walk(unit.tree):
            if kind != "FuncCall" or func_qualname(fields) not in ("cron.schedule", "cron.schedule_in_database"):
                continue
            args = fields.get("args") or []
            command = None
            for arg in args:
                arg_kind, arg_fields = typed(arg)
                if arg_kind == "NamedArgExpr" and arg_fields.get("name") == "command":
                    command = arg_fields.get("arg")
            if command is None:
                positional = [a for a in args if typed(a)[0] != "NamedArgExpr"]
                index = 2 if func_qualname(fields).endswith("in_database") or len(positional) >= 3 else 1
                command = positional[index] if len(positional) > index else None
            if const_string(command) is None:
                continue
            const_kind, const_fields = typed(command)
            if const_kind == "TypeCast":
                const_kind, const_fields = typed(const_fields.get("arg"))
            found = literal_at(self.text, unit.offset(const_fields.get("location", -1)))
            if found:
                scope = Scope("cron", self.facts)
                self.scopes.append(scope)
                self.add_statements(scope, found[0], "stmt", False, True)



_PARAMETER_HOLE = re.compile(r"\$1 *")
_LEADING_HOLE = re.compile(r"\$1 *|_\w+")


def _literal_hole(text: str, message: str, at: int | None) -> str | None:
    """A statement whose placeholder stand-in sits where the grammar takes no parameter, read
    once more, or None. A psql variable is substituted as text, so `location :path`, `set x = :v`
    or `with (fillfactor = :f)` are valid scripts: the refused `$1` is read as a string literal of
    the same length. A variable that opens a statement (`:PREFIX select …`, with PREFIX set to
    `explain (analyze)` in test scripts) is a command prefix and is read as blanks."""
    if at is None:
        return None
    leading = not text[:at].strip()
    hole = (_LEADING_HOLE if leading else _PARAMETER_HOLE).match(text, at)
    if hole is None:
        return None
    size = len(hole.group())
    stand_in = " " * size if leading else "'" + "_" * (size - 2) + "'"
    return text[:hole.start()] + stand_in + text[hole.end():]


# A script written one statement per line with no semicolons (meant to be pasted line by line):
# PostgreSQL refuses the second statement's first keyword, at the start of its line.
_NEXT_STATEMENT = re.compile(
    r"(?:select|insert|update|delete|create|drop|alter|grant|revoke|truncate|comment|vacuum|analyze|reindex)\b",
    re.IGNORECASE,
)


def _missing_semicolon(text: str, at: int | None) -> str | None:
    """The newline before a statement keyword that opens a line, read as the `;` the script
    left out (one character for one, so every offset still points at the source), or None."""
    if at is None or not _NEXT_STATEMENT.match(text, at):
        return None
    line_start = text.rfind("\n", 0, at)
    if line_start < 0 or text[line_start + 1:at].strip() or not text[:line_start].strip():
        return None
    return text[:line_start] + ";" + text[line_start + 1:]


# What `templates.stand_ins` leaves for a `{where}`/`{{ filters }}` placeholder: its name between
# underscores.
_TEXT_STAND_IN = re.compile(r"_+[A-Za-z]\w*_(?!\w)")


def _fragment_placeholder(text: str, at: int | None) -> str | None:
    """A text placeholder the grammar refused where no name or value fits (`where x = 1 {where}`):
    it stands for a fragment spliced in by the code (`and y = 2`, or nothing), read as blanks."""
    hole = _TEXT_STAND_IN.match(text, at) if at is not None else None
    if hole is None:
        return None
    return text[:hole.start()] + " " * len(hole.group()) + text[hole.end():]


# `<OWNER>`, `<TEST_DB_NAME>`: a placeholder a person or a test harness fills in before the script runs.
_ANGLE_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*>")


def _angle_placeholder(text: str, at: int | None) -> str | None:
    """An `<UPPER_CASE>` placeholder the grammar refused, read as a name of the same length."""
    hole = _ANGLE_PLACEHOLDER.match(text, at) if at is not None else None
    if hole is None:
        return None
    return text[:hole.start()] + "_" + hole.group()[1:-1] + "_" + text[hole.end():]


# A list written one item a line with a comma after each, the last included (`in (\n 'a',\n 'b',\n)`,
# a table's columns): PostgreSQL refuses the `)`; DuckDB, BigQuery and Snowflake accept it, and the
# list means the same without the comma. A line break (and `--` comments) sits between the two; a
# `, )` on one line is left as written, since there a value may be missing.
_COMMA_BEFORE = re.compile(r",(?:[ \t\r]*(?:--[^\n]*)?\n)+[ \t\r\n]*$")


def _trailing_comma(text: str, at: int | None) -> str | None:
    """The comma before a `)` the grammar refused read as a blank, or None."""
    if at is None or not text.startswith(")", at):
        return None
    comma = _COMMA_BEFORE.search(text, max(0, at - 400), at)
    if comma is None:
        return None
    return text[:comma.start()] + " " + text[comma.start() + 1:]


# One rereading per placeholder or left-out semicolon of a statement: a script written without
# semicolons needs one per line.
_FILE_READINGS = 64


def _parse_or_read_again(snippet: Snippet) -> dict:
    """Parse tree of `snippet`, read once more through `_file_reading` if the grammar refuses it."""
    try:
        return json.loads(_pg.parse_sql_json(snippet.text))
    except _pg.ParseError as refused:
        error = refused
    return _parse_rewritten(snippet, error, _file_reading, attempts=_FILE_READINGS)


def _file_reading(text: str, message: str, at: int | None) -> str | None:
    """Another reading of a `.sql` file's statement the grammar refused at `at`, or None."""
    return (
        _literal_hole(text, message, at)
        or _missing_semicolon(text, at)
        or _fragment_placeholder(text, at)
        or _angle_placeholder(text, at)
        or _trailing_comma(text, at)
    )


# What a hole of built SQL may stand for where neither a name nor a value fits: a privilege
# (`grant %s on ...`), an object kind (`drop %s %I.%I`, `on %s %I.%I(%s)`), a type in a routine's
# signature, a column name (`create index on %I.%I (%s)`), a trigger's event (`after %s on`), a
# number the grammar wants written out (`start with %s`), a column definition (`create table
# %I (%s)`), or a whole ALTER TABLE action (`'alter table %I ' || actions`).
_HOLE_WORDS = ("all", "table", "function", "int", "x", "insert", "1", "x int", "owner to x")
_MAX_WORD_HOLES = 4


def _holes_as_words(snippet: Snippet, refused: _pg.ParseError) -> dict:
    """Parse tree of built SQL once each hole the grammar refuses is read as one of
    `_HOLE_WORDS`, searched depth first; a word is kept only if the grammar then reads past it.
    The snippet's text and map are updated to what parsed (the word's characters map to the
    hole). Re-raises `refused` when no reading parses."""
    charmap = list(snippet.charmap or range(snippet.base, snippet.base + len(snippet.text)))
    found = _word_search(snippet.text, charmap, refused, _MAX_WORD_HOLES)
    if found is None:
        raise refused
    data, text, charmap = found
    snippet.rebind(text, charmap)
    return data


def _error_at(error: _pg.ParseError) -> int | None:
    """The byte offset PostgreSQL's grammar stopped at, when it says."""
    return error.args[1] if len(error.args) > 1 and isinstance(error.args[1], int) else None


def _word_search(text: str, charmap: list[int], error: _pg.ParseError, depth: int):
    where = _error_at(error)
    if where is None or depth == 0:
        return None
    at = Snippet(text).char_of_byte(where)
    # the hole the grammar stopped at, or the one just before (`on %s %I.%I`: a hole read as a
    # table's name leaves the grammar stopping at the next one)
    holes = [hole for hole in (dynamic.STAND_IN.match(text, at), _previous_hole(text, at)) if hole is not None]
    for hole in holes:
        found = _words_at(text, charmap, hole.start(), hole.end(), depth)
        if found is not None:
            return found
    return None


def _previous_hole(text: str, at: int) -> re.Match | None:
    before = text[:at].rstrip()
    word = re.search(r"[\w$]+$", before)
    return dynamic.STAND_IN.fullmatch(before, word.start()) if word is not None else None


def _words_at(text: str, charmap: list[int], start: int, end: int, depth: int):
    for word in _HOLE_WORDS:
        candidate = text[:start] + word + text[end:]
        mapped = charmap[:start] + [charmap[start]] * len(word) + charmap[end:]
        try:
            return json.loads(_pg.parse_sql_json(candidate)), candidate, mapped
        except _pg.ParseError as again:
            moved = _error_at(again)
            if moved is None or Snippet(candidate).char_of_byte(moved) < start + len(word):
                continue  # the grammar still stops at this word: not what the hole stands for
            found = _word_search(candidate, mapped, again, depth - 1)
            if found is not None:
                return found
    return None


def _parse_rewritten(snippet: Snippet, refused: _pg.ParseError, rewrite, attempts: int) -> dict:
    """Parse tree of `snippet` after `rewrite(text, message, at)` has read what the grammar
    refused at `at` once more (None: no other reading), up to `attempts` times; re-raises the
    first error when no reading parses. On success `snippet.text` is the text that parsed (the
    same length, so every offset still points at the source)."""
    text = snippet.text
    error = refused
    for _ in range(attempts):
        where = _error_at(error)
        retry = rewrite(text, str(error.args[0]), None if where is None else snippet.char_of_byte(where))
        if retry is None:
            break
        text = retry
        try:
            data = json.loads(_pg.parse_sql_json(text))
        except _pg.ParseError as again:
            error = again
            continue
        snippet.text = text
        return data
    raise refused
