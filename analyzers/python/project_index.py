"""What the other modules of a project say about the wall clock: a pure function from the texts of
a project's Python files to facts such as "function `pkg.utils.aware_utcnow` returns the wall
clock" or "`pkg.tokens.expiry_for` returns the wall clock plus an offset".

    index = build_index({"pkg/utils.py": text, "pkg/tasks.py": text2, ...})
    report = analyze("pkg/tasks.py", text2, settings, project=index)

A call in one file to a helper imported from another module of the project is then a reading of
the clock as certain as `time.time()` itself; without the index such a helper is only guessed
from its name (medium confidence). Helpers are followed two hops at most: a helper reads a clock
directly, or calls a helper that is itself known from a first pass over the project.

Cheap by construction: a regex decides which files can define a clock helper at all, CPython's
`ast` finds the top-level functions and classes that mention a clock, and only those are parsed
with libcst and summarised by the same data-flow analysis the clock rules use.

The index also holds what the project's functions do to the outside world (`effects`, built by
rules/_effect_summaries): `stripe_service.create_payment_intent(...)` in one module is then the
Stripe create its body makes in another, for ARM401/ARM402.
"""
from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping

import libcst as cst

from ..paths import is_test_path
from .imports import dotted, import_table, qualify

if TYPE_CHECKING:
    from .rules._clock_field_stamps import FieldStamp
    from .rules._effect_summaries import EffectFact

# A file can define a clock helper only if it spells a clock reading somewhere.
_CLOCK_TEXT = re.compile(
    r"\btime(?:_ns)?\s*\(|\b(?:utc)?now\s*\(|\btoday\s*\(|\blocal(?:date|time)\s*\(|\b(?:arrow|pendulum)\.(?:utc)?now\b"
)
_DEF_NAME = re.compile(r"^(?:async[ \t]+)?def[ \t]+(\w+)", re.MULTILINE)
_MAX_INDEXED_CHARS = 2_000_000
# Facts are kept for what a caller can compare: the clock, an instant shifted from it, an elapsed time.
KINDS = ("wall", "offset", "duration")


@dataclass(frozen=True)
class Fact:
    kind: str  # "wall" | "offset" | "duration"
    clock: str  # the reading behind it, e.g. "datetime.datetime.now"
    confidence: str  # "high" unless the helper itself only guesses a reading by name
    # The clock is only the default of an argument the helper may return instead
    # (`def localtime(value=None): value = value or now(); return value.astimezone()`):
    # a reading only when the call passes no argument.
    defaulted: bool = False


def module_name(path: str) -> str:
    """Dotted module name a path stands for, from the root of the scanned tree: `src/pkg/a.py`
    -> `src.pkg.a`, `pkg/__init__.py` -> `pkg`. Lookups match on dotted suffixes, so `src/`
    layouts and package roots below the scanned folder resolve without knowing where they start."""
    norm = path.replace("\\", "/").lstrip("./")
    for ext in (".pyi", ".py"):
        if norm.endswith(ext):
            norm = norm[: -len(ext)]
            break
    parts = [p for p in norm.split("/") if p and p != "."]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_of(path: str) -> str:
    """The package a module's relative imports start from."""
    name = module_name(path)
    if path.replace("\\", "/").endswith(("__init__.py", "__init__.pyi")):
        return name
    return name.rpartition(".")[0]


def resolve_relative(package: str, level: int, module: str | None) -> str | None:
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)] if level > 1 else parts
    if module:
        base = [*base, module]
    return ".".join(base) or None


def relative_table(module: cst.Module, path: str) -> dict[str, str]:
    """Local name -> absolute dotted name for `from .x import y` / `from .. import m` at any
    statement level (the shared import table leaves relative imports out)."""
    table: dict[str, str] = {}
    package = package_of(path)
    stack: list[cst.CSTNode] = list(module.body)
    while stack:
        node = stack.pop()
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                if isinstance(small, cst.ImportFrom) and small.relative and not isinstance(small.names, cst.ImportStar):
                    base = resolve_relative(package, len(small.relative), dotted(small.module) if small.module else None)
                    if base is None:
                        continue
                    for alias in small.names:
                        name = dotted(alias.name)
                        if name is None:
                            continue
                        local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
                        table[local] = f"{base}.{name}"
            continue
        for attr in ("body", "orelse", "handlers", "finalbody"):
            value = getattr(node, attr, None)
            if isinstance(value, (cst.IndentedBlock, cst.SimpleStatementSuite)):
                stack.extend(value.body)
            elif isinstance(value, (cst.Else, cst.Finally, cst.If)):
                stack.append(value)
            elif isinstance(value, (tuple, list)):
                stack.extend(v for v in value if isinstance(v, cst.CSTNode))
    return table


@dataclass
class ProjectIndex:
    """Clock facts of a project's functions, by absolute dotted name (`pkg.utils.now`,
    `pkg.clock.Clock.now`), looked up by any dotted suffix an import can spell."""

    facts: dict[str, Fact] = field(default_factory=dict)
    # Functions and methods whose text mentions no clock nor any indexed helper: certainly no
    # reading, whatever their name says (a project's `now()` that returns a counter).
    defined: set[str] = field(default_factory=set)
    # What the project's own functions do to the outside world (rules/_effect_summaries), by
    # (module, name within it): `("pkg.billing", "StripeService.charge")`.
    effects: dict[tuple[str, str], "EffectFact"] = field(default_factory=dict)
    # Effect facts of methods whose name the project defines exactly once (`signed_request`):
    # a call on an object of unknown type stands for them (rules/_effect_calls).
    unique_methods: dict[str, "EffectFact"] = field(default_factory=dict)
    # Interface methods (a stub in a base class) whose every implementation performs an effect,
    # whatever their name: a class's call on itself stands for them (rules/_effect_dispatch).
    implemented: dict[str, "EffectFact"] = field(default_factory=dict)
    # Short functions whose body writes to the database, by (module, name): a call of one after
    # an effect records it (rules/_effect_writers).
    writers: set[tuple[str, str]] = field(default_factory=set)
    # Compound method names every (non-stub) definition of which is such a record helper: a
    # call of one on an object of unknown type is a record (`store.setSendAttemptNumber(...)`).
    writer_methods: frozenset[str] = field(default_factory=frozenset)
    # Attribute names every write of which in the project reads the wall clock (`player.last_recv_time
    # = time.time()` in one module): another module's `now - player.last_recv_time` ages a stamp
    # of this clock (rules/_clock_field_stamps).
    field_stamps: dict[str, "FieldStamp"] = field(default_factory=dict)
    _suffixes: dict[str, list[str]] | None = field(default=None, repr=False, compare=False)
    _names: frozenset[str] | None = field(default=None, repr=False, compare=False)
    _names_re: re.Pattern | None = field(default=None, repr=False, compare=False)
    _effect_keys: dict[str, list[tuple[str, str]]] | None = field(default=None, repr=False, compare=False)
    _effect_texts: dict[bool, tuple[re.Pattern, re.Pattern] | None] = field(default_factory=dict, repr=False, compare=False)

    def add(self, name: str, fact: Fact) -> None:
        self.facts[name] = fact
        self.forget()

    def forget(self) -> None:
        self._suffixes = None
        self._names = None
        self._names_re = None
        self._effect_keys = None
        self._effect_texts = {}

    def effect(self, qname: str) -> "EffectFact | None":
        """The effect fact of the project function a qualified call name stands for. The name
        must spell at least the last part of the module (`billing.charge`, not a bare `charge`
        or a third-party `stripe.create` that a project attribute happens to end with); None
        when two modules of that name disagree."""
        if self._effect_keys is None:
            keys: dict[str, list[tuple[str, str]]] = {}
            for module, name in self.effects:
                parts = module.split(".") if module else []
                for i in range(len(parts)):
                    keys.setdefault(".".join([*parts[i:], name]), []).append((module, name))
            self._effect_keys = keys
        found = {self.effects[key] for key in self._effect_keys.get(qname, ())}
        return found.pop() if len(found) == 1 else None

    def mentions_effect(self, text: str, payments: bool = False) -> bool:
        """The text calls a function the index holds as an effect (`payments`: one that pays)
        and imports from a module of that name: a caller whose own text may spell no effect at
        all (`from .billing import charge_customer`). Only a cheap gate: the rules resolve the
        call through the imports before they believe it."""
        if payments not in self._effect_texts:
            wanted = [(m, n) for (m, n), fact in self.effects.items() if m and (fact.provider if payments else fact.kind or fact.creates)]
            self._effect_texts[payments] = _effect_patterns(wanted) if wanted else None
        patterns = self._effect_texts[payments]
        if patterns is not None and bool(patterns[0].search(text)) and bool(patterns[1].search(text)):
            return True
        methods = _method_calls(self, payments)  # `obj.signed_request(...)`: no import names it
        return methods is not None and bool(methods.search(text))

    def _lookup_keys(self, qname: str) -> list[str]:
        if self._suffixes is None:
            suffixes: dict[str, list[str]] = {}
            for full in (*self.facts, *self.defined):
                parts = full.split(".")
                for i in range(len(parts) - 1):
                    suffixes.setdefault(".".join(parts[i:]), []).append(full)
            self._suffixes = suffixes
        return sorted(set(self._suffixes.get(qname, ())))

    def lookup(self, qname: str) -> Fact | None | bool:
        """The fact for a qualified call name; False when the name is a project function that
        is known not to return a clock reading; None when the index does not know the name."""
        keys = self._lookup_keys(qname)
        if not keys:
            return None
        found = {self.facts.get(key) for key in keys}
        if len(found) != 1:
            return None  # two modules of that name disagree: no answer
        fact = found.pop()
        return False if fact is None else fact

    @property
    def helper_names(self) -> frozenset[str]:
        """Last parts of the known helpers' names, for the rules' text triggers."""
        if self._names is None:
            self._names = frozenset(name.rsplit(".", 1)[-1] for name in self.facts)
        return self._names

    def helpers_re(self) -> re.Pattern:
        if self._names_re is None:
            names = "|".join(map(re.escape, sorted(self.helper_names))) or "(?!)"
            self._names_re = re.compile(r"\b(?:" + names + r")\s*\(")
        return self._names_re

    def mentions_helper(self, text: str) -> bool:
        return bool(self.helper_names) and bool(self.helpers_re().search(text))

    def names_helper(self, text: str) -> bool:
        """A class attribute holds a known helper: `now = staticmethod(utcnow)`."""
        if not self.helper_names or "staticmethod(" not in text and "partial(" not in text:
            return False
        names = "|".join(map(re.escape, sorted(self.helper_names)))
        return bool(re.search(r"(?:staticmethod|partial)[ \t]*\([ \t]*(?:\w+\.)*(?:" + names + r")\b", text))


class FileView:
    """The project index as one file sees it: its imports (relative ones included) decide which
    calls may name a project helper."""

    def __init__(
        self, index: ProjectIndex, path: str, module: cst.Module, imports: Mapping[str, str], own: bool = False
    ) -> None:
        self.index = index
        self.path = path
        self.module = module  # its classes: a base class of the same module holds `now` for its subclasses
        self.relative = relative_table(module, path)
        self.imports = imports
        # while indexing, the module is read in parts: its other functions are known by the index
        self.own = module_name(path) if own else None

    def qualified(self, func: cst.BaseExpression) -> str | None:
        name = dotted(func)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        full = self.relative.get(head) or self.imports.get(head)
        if full is None and self.own is not None and not rest:
            full = f"{self.own}.{head}" if self.own else head
        if full is None:
            return None  # only imported names can be another module's helpers
        return f"{full}.{rest}" if rest else full

    def reading(self, call: cst.Call) -> Fact | None | bool:
        name = self.qualified(call.func)
        if name is None:
            return None
        fact = self.index.lookup(name)
        if fact and fact.defaulted and call.args:
            return False  # the caller's own value comes back
        return fact


# --- building the index ------------------------------------------------------------------------
# A clock imported under another name: `from django.utils.timezone import now as utc_now`.
_CLOCK_IMPORT = re.compile(
    r"^[ \t]*from[ \t]+(?:time|datetime|django\.utils\.timezone|arrow|pendulum)[ \t]+import[ \t]+\(?([^\n#)]+)",
    re.MULTILINE,
)


def _clock_aliases(text: str) -> list[str]:
    names = []
    for match in _CLOCK_IMPORT.finditer(text):
        for part in match.group(1).split(","):
            words = part.split()
            if len(words) == 3 and words[1] == "as":
                names.append(words[2])
    return names


def _clock_pattern(text: str) -> re.Pattern:
    aliases = _clock_aliases(text)
    if not aliases:
        return _CLOCK_TEXT
    return re.compile(f"{_CLOCK_TEXT.pattern}|\\b(?:{'|'.join(map(re.escape, aliases))})\\s*\\(")


# A module-level alias of a clock function: `utcnow = datetime.datetime.utcnow`.
_ALIAS_LINE = re.compile(
    r"^[A-Za-z_]\w*[ \t]*=[ \t]*(?:[A-Za-z_]\w*\.)*(?:time|time_ns|now|utcnow|today)[ \t]*(?:#[^\n]*)?$", re.MULTILINE
)


def may_define_helper(text: str) -> bool:
    if _ALIAS_LINE.search(text):
        return True
    return "def " in text and (bool(_CLOCK_TEXT.search(text)) or bool(_clock_aliases(text)))


# A class attribute naming a function, possibly wrapped: `now = staticmethod(utcnow)`,
# `clock = time.time`, `now = partial(utcnow, with_tz=False)`.
_CLASS_ALIAS = re.compile(
    r"^[ \t]+\w+[ \t]*=[ \t]*(?:(?:staticmethod|(?:functools\.)?partial)[ \t]*\([ \t]*)?"
    r"(?!None\b|True\b|False\b)[A-Za-z_][\w.]*[ \t]*(?:\)|,[^\n#()]*\))?[ \t]*(?:#[^\n]*)?$"
)
_HEAD = re.compile(r"([ \t]*)(?:(async[ \t]+)?def[ \t]+(\w+)|class[ \t]+(\w+)|(@)|(import[ \t]|from[ \t]))")
# A helper is short; longer functions are not read for the index (a cost guard).
_MAX_HELPER_LINES = 60


def ast_tree(source: str) -> ast.Module | None:
    """CPython's tree of a source, or None where its parser refuses it (what would crash libcst's
    native parser too)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def _parses(source: str) -> bool:
    return ast_tree(source) is not None


def _may_parse(source: str) -> bool:
    """As the engine decides: CPython's parser refuses what would crash libcst's, but a grammar
    newer than this interpreter's (PEP 695, PEP 758) is still libcst's to read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except SyntaxError as exc:
        return "nested" not in str(exc.msg)
    except (ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


_OPEN, _CLOSE = "([{", ")]}"


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """Index after the last line of the block opened at `start`, by indentation; the header may
    span lines (`def f(\n    a,\n) -> int:`), and lines inside triple-quoted strings do not
    count (a docstring or SQL text written from column 0)."""
    depth = 0
    i = start
    while i < len(lines):  # the header: until its brackets close
        depth += sum(lines[i].count(c) for c in _OPEN) - sum(lines[i].count(c) for c in _CLOSE)
        i += 1
        if depth <= 0:
            break
    end = i
    quoted: str | None = None
    for i in range(i, len(lines)):
        line = lines[i]
        if quoted is not None:
            if line.count(quoted) % 2 == 1:
                quoted = None
            end = i + 1
            continue
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(line) - len(stripped) <= indent:
            return end
        end = i + 1
        for mark in ('"""', "'''"):
            if line.count(mark) % 2 == 1:
                quoted = mark
                break
    return end


def _segments(text: str, pattern: re.Pattern) -> tuple[str, list[str]]:
    """The parts of a module a clock helper needs, found by indentation without parsing: the
    top-level imports, the module-level one-line assignments that mention a clock, and the
    top-level functions and methods that return something and mention a clock (methods under a
    bare `class Name:` line). Each part must parse alone. And the names of the functions whose
    text mentions no clock at all."""
    lines = text.splitlines(keepends=True)
    imports: list[str] = []
    keep: list[str] = []
    names: list[str] = []
    cls: str | None = None
    cls_indent: int | None = None
    methods: list[str] = []
    decorators = -1  # first line of the decorators above the next def

    def flush() -> None:
        if cls is not None and methods:
            keep.append(f"class {cls}:\n" + "".join(methods))
        methods.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        match = _HEAD.match(line)
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        if indent == 0 and not (match and (match.group(5) or match.group(3))):
            flush()
            cls = None
        if match is None:
            in_class = cls is not None and indent > 0 and (cls_indent is None or indent == cls_indent)
            if in_class and _CLASS_ALIAS.match(line) and _parses(f"class _:\n{line}"):
                cls_indent = indent  # `now = staticmethod(utcnow)`: the class holds a clock helper
                methods.append(line if line.endswith("\n") else line + "\n")
                decorators = -1
                i += 1
                continue
            one_line = "=" in line and (pattern.search(line) and line.rstrip().endswith(")") or _ALIAS_LINE.match(line))
            if indent == 0 and one_line and _parses(line):
                keep.append(line if line.endswith("\n") else line + "\n")
            decorators = -1
            i += 1
            continue
        if match.group(5):  # decorator
            if decorators < 0:
                decorators = i
            i += 1
            continue
        if match.group(6):  # import
            end = i + 1
            if "(" in line and ")" not in line:
                while end < len(lines) and ")" not in lines[end - 1]:
                    end += 1
            if indent == 0:
                source = "".join(lines[i:end])
                if _parses(source):
                    imports.append(source if source.endswith("\n") else source + "\n")
            i = end
            continue
        if match.group(4):  # class
            if indent == 0:
                flush()
                cls, cls_indent = match.group(4), None
            decorators = -1
            i += 1
            continue
        # a def
        first = decorators if decorators >= 0 else i
        decorators = -1
        end = _block_end(lines, i, indent)
        name = match.group(3)
        top = indent == 0
        method = cls is not None and indent > 0 and (cls_indent is None or indent == cls_indent)
        if method and cls_indent is None:
            cls_indent = indent
        if top or method:
            source = "".join(lines[first:end])
            if not source.endswith("\n"):
                source += "\n"
            # the helper's own name in its `def` line is no mention of a clock
            mentions = pattern.search(source.replace(f"def {name}", "def _", 1))
            if not mentions:
                names.append(name if top else f"{cls}.{name}")
            if end - first <= _MAX_HELPER_LINES and "return" in source and mentions:
                if top and _parses(source):
                    keep.append(source)
                elif method and _parses(f"class _:\n{source}"):
                    methods.append(source)
        i = end
    flush()
    return ("".join(imports) + "".join(keep) if keep else ""), names


def module_facts(path: str, text: str, known: ProjectIndex | None = None) -> tuple[dict[str, Fact], list[str]]:
    """Clock facts of one module's top-level functions and methods; and the names of those whose
    text mentions no clock (nor, on the second pass, a known helper)."""
    if len(text) > _MAX_INDEXED_CHARS or "\0" in text:
        return {}, []
    # second pass: only functions that call a helper found by the first can add a fact
    pattern = _clock_pattern(text) if known is None else known.helpers_re()
    snippet, names = _segments(text, pattern)
    base = module_name(path)
    defined = [f"{base}.{n}" if base else n for n in names]
    if not snippet.strip():
        return {}, defined
    try:
        module = cst.parse_module(snippet)
    except (cst.ParserSyntaxError, RecursionError, MemoryError):
        return {}, defined
    return _summarise(path, base, module, text, known), defined


def _summarise(path: str, base: str, module: cst.Module, text: str, known) -> dict[str, Fact]:
    from .rules._clock import WALL_CLOCK_CALLS, ClockAnalysis
    from .rules._clock_helpers import is_clock_reference
    from .rules._clock_scope import ScopeIndex

    imports = relative_table(module, path)
    table = {**import_table(module), **imports}
    index = ScopeIndex()
    functions: dict[str, tuple[cst.FunctionDef, cst.ClassDef | None]] = {}
    attributes: dict[str, cst.BaseExpression] = {}  # "Class.name" -> value of a class attribute
    analysis = ClockAnalysis(lambda node: qualify(table, node), index)
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef):
            functions[stmt.name.value] = (stmt, None)
            index.add_function(stmt, None)
        elif isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            for small in (s for line in stmt.body.body if isinstance(line, cst.SimpleStatementLine) for s in line.body):
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                    attributes[f"{stmt.name.value}.{small.targets[0].target.value}"] = small.value
            methods = [m for m in stmt.body.body if isinstance(m, cst.FunctionDef)]
            analysis.class_methods[id(stmt)] = {m.name.value: m for m in methods}
            for method in methods:
                functions[f"{stmt.name.value}.{method.name.value}"] = (method, stmt)
                index.add_function(method, stmt)
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        if isinstance(target.target, cst.Name):
                            analysis.module_values[target.target.value] = small.value
    analysis.module_functions = {name: f for name, (f, cls) in functions.items() if cls is None}
    analysis.imported = frozenset(table)
    analysis.text = text  # the whole file: a field written outside the snippet is not a known clock
    if known is not None:
        analysis.project = FileView(known, path, module, imports, own=True)
    facts: dict[str, Fact] = {}
    for name, value in analysis.module_values.items():  # `utcnow = datetime.utcnow`, `clock = time.time`
        clock = is_clock_reference(analysis.qname, value, WALL_CLOCK_CALLS)
        if clock:
            facts[f"{base}.{name}" if base else name] = Fact("wall", clock, "high")
    for name, (func, _) in functions.items():
        try:
            summary = analysis.summary(func)
        except RecursionError:
            continue
        if summary is None:
            continue
        kind, clock, confidence, _ = summary
        if kind in KINDS:
            facts[f"{base}.{name}" if base else name] = Fact(kind, clock, confidence, _passes_argument(analysis, func))
    for name, value in attributes.items():
        fact = _attribute_fact(analysis, base, value, facts, known)
        if fact is not None:
            facts[f"{base}.{name}" if base else name] = fact
    return facts


def _attribute_fact(analysis, base: str, value: cst.BaseExpression, facts: dict[str, Fact], known) -> Fact | None:
    """The fact of a class attribute that names a clock or a clock helper: the class's
    `cls.now()` reads what the named function reads."""
    from .rules._clock import WALL_CLOCK_CALLS
    from .rules._clock_helpers import is_clock_reference, unwrap_alias

    target = unwrap_alias(value)
    if not isinstance(target, (cst.Name, cst.Attribute)):
        return None
    clock = is_clock_reference(analysis.qname, target, WALL_CLOCK_CALLS)
    if clock:
        return Fact("wall", clock, "high")
    if isinstance(target, cst.Name):
        own = facts.get(f"{base}.{target.value}" if base else target.value)
        if own is not None:
            return own
        clock = is_clock_reference(analysis.qname, analysis.module_values.get(target.value), WALL_CLOCK_CALLS)
        if clock:
            return Fact("wall", clock, "high")
    if known is not None and analysis.project is not None:
        name = analysis.project.qualified(target)
        fact = known.lookup(name) if name else None
        if fact and not fact.defaulted:
            return fact
    return None


_CLASS_LINE = re.compile(r"^class[ \t]+(\w+)[ \t]*\(([^)]*)\)[ \t]*:", re.MULTILINE)


def _inherit(index: ProjectIndex, items: list[tuple[str, str]]) -> None:
    """A subclass of the same module answers `Model.now()` with its base's clock attribute or
    method, unless it defines that name itself (as a method the index read, or any assignment)."""
    by_module: dict[str, dict[str, dict[str, Fact]]] = {}
    for full, fact in index.facts.items():
        owner, _, attr = full.rpartition(".")
        module, _, cls = owner.rpartition(".")
        if cls[:1].isupper():
            by_module.setdefault(module, {}).setdefault(cls, {})[attr] = fact
    if not by_module:
        return
    for path, text in items:
        module = module_name(path)
        classes = by_module.get(module)
        if not classes:
            continue
        headers = [(m.group(1), [b.strip() for b in m.group(2).split(",")]) for m in _CLASS_LINE.finditer(text)]
        for _ in range(len(headers)):  # bases first: a chain of mixins settles in as many rounds
            changed = False
            for cls, bases in headers:
                for base_cls in bases:
                    for attr, fact in classes.get(base_cls, {}).items():
                        key = f"{module}.{cls}.{attr}" if module else f"{cls}.{attr}"
                        if key in index.facts or key in index.defined or _assigns(text, cls, attr):
                            continue
                        index.facts[key] = fact
                        classes.setdefault(cls, {})[attr] = fact
                        changed = True
            if not changed:
                break


def _assigns(text: str, cls: str, attr: str) -> bool:
    """The class body spells `attr` as its own def or assignment (a non-clock override)."""
    match = re.search(rf"^class[ \t]+{re.escape(cls)}\b", text, re.MULTILINE)
    if match is None:
        return False
    start = text.find("\n", match.end()) + 1 or len(text)  # the body starts on the next line
    following = re.search(r"^\S", text[start:], re.MULTILINE)
    body = text[start: start + following.start()] if following else text[start:]
    return bool(re.search(rf"^[ \t]+(?:(?:async[ \t]+)?def[ \t]+{re.escape(attr)}\b|{re.escape(attr)}[ \t]*[:=])", body, re.MULTILINE))


def _passes_argument(analysis, func: cst.FunctionDef) -> bool:
    """A returned value flows through one of the function's parameters."""
    from .rules._clock_helpers import returned_values

    scope = next((s for s in analysis.index.scopes if s.node is func), None)
    if scope is None or not scope.params - {"self", "cls"}:
        return False
    for value in returned_values(func):
        if value is None:
            continue
        flow = analysis.flow(scope, value)
        if flow is not None and flow.syms & (scope.params - {"self", "cls"}):
            return True
    return False


def _all_defs(text: str) -> list[str]:
    _, quiet = _segments(text, re.compile(r"(?!)"))
    return quiet


def build_index(files: Mapping[str, str] | Iterable[tuple[str, str]]) -> ProjectIndex:
    """The clock facts of a project, from (path, text) of its Python files. Two passes: helpers
    that read a clock themselves, then helpers that call one of those."""
    items = list(files.items()) if isinstance(files, Mapping) else list(files)
    index = ProjectIndex()
    # Test code is not reported by default, and its helpers are fixtures, not the product's clock.
    items = [(path, text) for path, text in items if path.endswith((".py", ".pyi")) and not is_test_path(path)]
    _index_liveness(index, items)
    _index_lock_sources(index, items)
    for path, text in items:
        if not may_define_helper(text):
            base = module_name(path)
            index.defined.update(f"{base}.{n}" for n in _DEF_NAME.findall(text))
            continue
        facts, defined = module_facts(path, text)
        index.defined.update(defined)
        for name, fact in facts.items():
            index.add(name, fact)
    if not index.facts:
        _index_field_stamps(index, items)
        _index_effects(index, items)
        index.forget()
        return index
    first = ProjectIndex(dict(index.facts), set(index.defined))
    for path, text in items:
        if not ("def " in text and first.mentions_helper(text) or first.names_helper(text)):
            continue
        facts, quiet = module_facts(path, text, first)
        base = module_name(path)
        # a function that calls a helper may read the clock even if no fact came of it
        callers = {f"{base}.{name}" if base else name for name in _all_defs(text)} - set(quiet)
        index.defined -= callers
        for name, fact in facts.items():
            index.facts.setdefault(name, fact)
    _inherit(index, items)
    _index_field_stamps(index, items)
    _index_effects(index, items)
    index.forget()
    return index


def _index_field_stamps(index: ProjectIndex, items: list[tuple[str, str]]) -> None:
    """Attributes the project stamps from the wall clock (rules/_clock_field_stamps), once the
    helpers are known: `self.pinged = utils.now()` stamps as surely as `time.time()`."""
    from .rules._clock_field_stamps import index_field_stamps

    index.forget()
    index.field_stamps = index_field_stamps(items, index, _CLOCK_TEXT)


def _index_lock_sources(index: ProjectIndex, items: list[tuple[str, str]]) -> None:
    """The project's module texts, for following a lock's client into the module that builds it
    (rules/_lock_provenance): nothing is parsed until a lock's provenance leads there."""
    from .rules._lock_provenance import LockSources

    index.lock_sources = LockSources(items)


def _index_liveness(index: ProjectIndex, items: list[tuple[str, str]]) -> None:
    """Cutoff helpers (`now - window`) and liveness verdicts of the project's functions
    (rules/_liveness_callers): ARM301 ages stamps with the first and reports callers of the second."""
    from .rules._liveness_callers import index_cutoffs, index_verdicts

    parsed: dict[int, cst.Module | None] = {}

    def parse(text: str) -> cst.Module | None:
        if id(text) not in parsed:
            parsed[id(text)] = None
            if len(text) <= _MAX_INDEXED_CHARS and "\0" not in text and _may_parse(text):
                try:
                    parsed[id(text)] = cst.parse_module(text)
                except Exception:  # an unreadable file costs its own facts only
                    pass
        return parsed[id(text)]

    index.liveness_cutoffs = index_cutoffs(items, parse)
    index.liveness_verdicts = index_verdicts(items, parse, index.liveness_cutoffs)


def _index_effects(index: ProjectIndex, items: list[tuple[str, str]]) -> None:
    """Effect facts of the project's functions (rules/_effect_summaries): wrappers that make
    the call themselves, then wrappers of those, level by level until a level adds nothing or
    MAX_DEPTH is reached (a bounded fixed point)."""
    from .rules._effect_summaries import CANDIDATE_TEXT, MAX_DEPTH, module_effects
    from .rules._effect_writers import WRITE_TEXT, module_writers

    for path, text in items:
        if len(text) > _MAX_INDEXED_CHARS or "\0" in text or not CANDIDATE_TEXT.search(text) or not _may_parse(text):
            continue
        base = module_name(path)
        for name, fact in module_effects(path, text).items():
            index.effects[(base, name)] = fact
    if not index.effects:
        return
    # record helpers matter only where some effect exists to be recorded after
    for path, text in items:
        if len(text) > _MAX_INDEXED_CHARS or "\0" in text or not WRITE_TEXT.search(text) or not _may_parse(text):
            continue
        base = module_name(path)
        index.writers.update((base, name) for name in module_writers(path, text))
    defined = _definition_counts(items)
    stubs = _StubCounts(items)
    added = list(index.effects)
    for level in range(2, MAX_DEPTH + 1):
        _unique_methods(index, defined, stubs)
        index.forget()
        calls, imports = _effect_patterns(added)
        methods = _method_calls(index)
        # a class's methods call its own summarised methods (rules/_effect_calls): no import names them
        owners = {module for module, name in added if "." in name}
        found: dict[tuple[str, str], EffectFact] = {}
        for path, text in items:
            if len(text) > _MAX_INDEXED_CHARS or "\0" in text or not calls.search(text):
                continue
            if not imports.search(text) and not (methods is not None and methods.search(text)):
                if module_name(path) not in owners:
                    continue
            if not _may_parse(text):
                continue
            base = module_name(path)
            for name, fact in module_effects(path, text, index, calls).items():
                if fact.depth == level and (base, name) not in index.effects:
                    found[(base, name)] = fact
        if not found:
            break
        index.effects.update(found)
        added = list(found)
    _unique_methods(index, defined, stubs)
    _writer_methods(index, defined, stubs)


_DEF_ANY = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(\w+)", re.MULTILINE)


def _definition_counts(items: list[tuple[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, text in items:
        for name in _DEF_ANY.findall(text):
            counts[name] = counts.get(name, 0) + 1
    return counts


def _writer_methods(index: ProjectIndex, defined: dict[str, int], stubs: "_StubCounts") -> None:
    """Record helpers a call on an object of unknown type can only mean: every definition of
    that compound method name in the project (stubs aside) writes to the database."""
    from .rules._effect_dispatch import compound_name

    counts: dict[str, int] = {}
    for _, name in index.writers:
        if "." in name:
            method = name.rsplit(".", 1)[-1]
            counts[method] = counts.get(method, 0) + 1
    names = {m for m in counts if compound_name(m)}
    stubs.read(names)
    index.writer_methods = frozenset(m for m in names if defined.get(m, 0) - stubs.get(m, 0) == counts[m])


class _StubCounts(dict):
    """Definitions that are interface stubs (rules/_effect_dispatch), by name; read only for the
    names of summarised methods, each name once (a cost guard: most definitions never matter)."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        super().__init__()
        self._items = items
        self._read: set[str] = set()

    def read(self, names: set[str]) -> "_StubCounts":
        from .rules._effect_dispatch import abstract_definitions

        wanted = names - self._read
        if not wanted:
            return self
        self._read |= wanted
        spelled = re.compile(r"\bdef[ \t]+(?:" + "|".join(map(re.escape, sorted(wanted))) + r")\b")
        for _, text in self._items:
            if spelled.search(text):
                for name, count in abstract_definitions(text, wanted).items():
                    self[name] = self.get(name, 0) + count
        return self


def _unique_methods(index: ProjectIndex, defined: dict[str, int], stubs: "dict[str, int] | None" = None) -> None:
    """Methods a call on an object of unknown type can only mean one way: every definition of
    that (compound) name in the project is summarised, and all perform the same effect
    (`Identity.signed_request` and `SystemActor.signed_request` both hand on to one signed POST).
    Interface stubs are no definitions of their own: what a call of an interface method does is
    what its implementations do (rules/_effect_dispatch); those methods of any name are kept in
    `implemented` too, for the calls a class makes on itself (`cls._send(...)`)."""
    from .rules._effect_dispatch import compound_name, dispatched_effect
    from .rules._effect_summaries import same_effect

    by_name: dict[str, list["EffectFact"]] = {}
    for (_, name), fact in index.effects.items():
        if "." in name:
            by_name.setdefault(name.rsplit(".", 1)[-1], []).append(fact)
    stubs = stubs.read(set(by_name)) if isinstance(stubs, _StubCounts) else stubs or {}
    index.unique_methods = {}
    index.implemented = {}
    for method, facts in by_name.items():
        if defined.get(method, 0) - stubs.get(method, 0) != len(facts):
            continue
        merged = same_effect(facts) if not stubs.get(method) else dispatched_effect(facts)
        if merged is None:
            continue
        if compound_name(method):
            index.unique_methods[method] = merged
        if stubs.get(method):
            index.implemented[method] = merged


def _method_calls(index: ProjectIndex, payments: bool | None = None) -> re.Pattern | None:
    """A call of one of the uniquely named effect methods on any object (`payments`: only those
    that pay; False: only those with an effect kind; None: all)."""
    names = sorted(
        name for name, fact in index.unique_methods.items()
        if payments is None or (fact.provider if payments else fact.kind or fact.creates)
    )
    if not names:
        return None
    return re.compile(r"\.(?:" + "|".join(map(re.escape, names)) + r")\s*\(")


def _effect_patterns(effects: list[tuple[str, str]]) -> tuple[re.Pattern, re.Pattern]:
    """(a call of one of these functions, an import line naming one of their modules)."""
    names = "|".join(sorted({re.escape(name.rsplit(".", 1)[-1]) for _, name in effects}))
    calls = re.compile(r"\b(?:" + names + r")\s*\(")
    # a caller imports the wrapper's module or a name from it: its text spells the module's last part
    modules = "|".join(sorted({re.escape(module.rsplit(".", 1)[-1]) for module, _ in effects if module}))
    imports = re.compile(r"^[ \t]*(?:from|import)[ \t][^\n]*\b(?:" + (modules or "(?!)") + r")\b", re.MULTILINE)
    return calls, imports
