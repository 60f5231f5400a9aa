"""One libcst parse per Python file, every enabled rule in one batched pass.

Order of the gates matters for safety and speed:
1. rules whose TRIGGERS never occur in the text are dropped; no rule left -> no parse at all;
2. hostile input (NUL bytes, giant lines) becomes a note before any parser sees it;
3. CPython's own parser (`ast.parse`) goes first: it refuses deep nesting with an exception,
   where libcst's native parser would kill the process with a segmentation fault;
4. libcst parses, rules visit in one lean pass (walk.py), positions are computed only if
   something was reported.
"""
from __future__ import annotations

import ast
import warnings
from dataclasses import replace

import libcst as cst
from libcst.metadata import MetadataWrapper

from ..build import RawFinding
from ..model import Note
from ..settings import Settings
from ..sql import embedded as _embedded  # noqa: F401  (SQL inside Python strings)
from . import rules as _rules  # noqa: F401  (registers every rule class)
from .clock_detectors import detectors_from_clock
from .context import FileContext
from .rule import RULE_CLASSES, PythonRule
from .rules._clock import ClockMarker
from .rules.arm301_py_fixed_timeout_detector import FixedTimeoutDetector
from .triggers import TextTriggers
from .walk import walk_batched

MAX_LINE_CHARS = 20_000
MAX_FILE_CHARS = 5_000_000


# Rules that read the project index's effect summaries (rules/_effect_calls), and whether only
# a payment wrapper stands in for their trigger text (ARM401 judges keys of payments alone).
_EFFECT_RULES = {"ARM401": True, "ARM402": False}


def select_rules(text: str, settings: Settings, project=None) -> list[type[PythonRule]]:
    # A call to a clock helper of another module is a clock reading the text triggers cannot spell.
    helpers = project is not None and project.mentions_helper(text)
    triggers = TextTriggers(text)
    return [
        cls
        for cls in RULE_CLASSES
        if any(settings.enabled(rule_id) for rule_id in cls.rule_ids())
        and (
            triggers.match(cls.TRIGGERS)
            or (helpers and issubclass(cls, ClockMarker))
            or (project is not None and _calls_effect_wrapper(cls, text, project))
        )
    ]


def _calls_effect_wrapper(cls: type[PythonRule], text: str, project) -> bool:
    """A call to another module's payment or effect wrapper is the effect the rule's triggers
    look for in text (`from .billing import charge_customer`: no SDK name in the caller)."""
    if not getattr(project, "effects", None):
        return False  # no index, or a project with no wrappers: the triggers alone decide
    return any(
        rule_id in _EFFECT_RULES and project.mentions_effect(text, payments=_EFFECT_RULES[rule_id])
        for rule_id in cls.rule_ids()
    )


def _gate(path: str, text: str) -> Note | None:
    if "\0" in text:
        return Note(path, "skipped: the file contains NUL bytes (binary or corrupt)")
    if len(text) > MAX_FILE_CHARS:
        return Note(path, f"skipped: the file is larger than {MAX_FILE_CHARS:,} characters")
    start = 0
    line_no = 1
    while True:
        end = text.find("\n", start)
        length = (len(text) if end < 0 else end) - start
        if length > MAX_LINE_CHARS:
            return Note(
                path,
                f"skipped: line {line_no} is {length:,} characters long (generated or minified code?)",
                line_no,
            )
        if end < 0:
            return None
        start = end + 1
        line_no += 1


def _syntax_note(path: str, exc: BaseException) -> Note:
    if isinstance(exc, SyntaxError):
        hint = ""
        if "Missing parentheses in call to 'print'" in str(exc) or "print " in (exc.text or ""):
            hint = " (Python 2 code is not supported)"
        return Note(path, f"not analysed: syntax error at line {exc.lineno}: {exc.msg}{hint}", exc.lineno)
    if isinstance(exc, (RecursionError, MemoryError)):
        return Note(path, "not analysed: the code is nested too deeply to parse safely")
    return Note(path, f"not analysed: {type(exc).__name__}: {exc}")


# Wall-clock rules whose finding on a failure detector's own comparison (or on the reading that
# feeds it) is a second pitfall of the same line: the detector's window is fixed (ARM301) and the
# clock it ages the stamp with is the wall clock (ARM103/ARM104), each with its own fix. Labellers
# count both (round 24: 9 TRUE wall-clock sites of the tuned halves against 1 NEAR were dropped
# when only the detector was kept), so both are reported; the wall-clock one as medium
# confidence, so that the App's inline comment on the line stays the detector's by default.
_SUPERSEDED_BY_DETECTOR = frozenset({"ARM103", "ARM104"})


def prefer_detector(located: list[RawFinding], detector_lines) -> list[RawFinding]:
    """ARM103/ARM104 findings on lines where ARM301 reported a detector or that feed one
    (`detector_lines`: the lines ARM301 read its stamp, cutoff and comparison from) are kept as
    medium confidence."""
    lines = set(detector_lines)
    for found in located:
        if found.meta.id == "ARM301":
            lines.update(range(found.line, found.end_line + 1))
    if not lines:
        return located
    return [
        replace(f, confidence="medium") if f.meta.id in _SUPERSEDED_BY_DETECTOR and f.line in lines else f
        for f in located
    ]


def analyze_python(
    path: str, text: str, settings: Settings, project=None
) -> tuple[list[RawFinding], list[Note], FileContext | None]:
    """`project`: an optional project_index.ProjectIndex of the other modules' clock helpers."""
    classes = select_rules(text, settings, project)
    if not classes:
        return [], [], None
    note = _gate(path, text)
    if note is not None:
        return [], [note], None
    newer_grammar = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text, filename=path)
    except SyntaxError as exc:
        # The interpreter running us may be older than the code (PEP 695 `def f[T](...)`, 3.12
        # f-strings): libcst's grammar is newer, so the file is only unreadable if it fails too.
        # Nesting limits are not grammar: those inputs never reach the native parser.
        if "nested" in str(exc.msg):
            return [], [_syntax_note(path, exc)], None
        newer_grammar = exc
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return [], [_syntax_note(path, exc)], None
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        if newer_grammar is not None:
            return [], [_syntax_note(path, newer_grammar)], None
        return [], [Note(path, f"not analysed: libcst could not parse line {exc.raw_line}: {exc.message}", exc.raw_line)], None
    except (RecursionError, MemoryError) as exc:
        return [], [_syntax_note(path, exc)], None

    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    ctx = FileContext(path, text, settings, wrapper, project)
    visitors = [cls(ctx) for cls in classes]
    notes: list[Note] = []
    try:
        walk_batched(wrapper.module, visitors)
        for visitor in visitors:
            visitor.finish()
        ctx.resolve_pending()
        ctx.located[:] = prefer_detector(ctx.located, getattr(ctx, "detector_lines", ()))
        ctx.located[:] = detectors_from_clock(ctx.located, text, FixedTimeoutDetector.META, settings.enabled("ARM301"))
    except RecursionError:
        return [], [_syntax_note(path, RecursionError())], None
    except Exception as exc:  # a rule bug must cost one file's findings, never the whole run
        notes.append(Note(path, f"analysis incomplete: internal error {type(exc).__name__}: {exc}"))
        try:
            ctx.resolve_pending()
        except Exception:
            ctx.located.clear()
    return ctx.located, notes + ctx.notes, ctx
