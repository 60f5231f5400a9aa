"""Applying the analyzers' fixes to files: `armadilhas check --fix / --diff / --unsafe-fixes`.

Like ruff: each round applies every selected fix whose edits do not overlap one already taken,
re-analyses, and repeats until nothing fixable is left (at most MAX_ROUNDS rounds). A file is
changed only if the result still parses, analyses without new notes, and no longer reports any
of the fixed findings at the edited places; otherwise it is left as it was and a note says why.
"""
from __future__ import annotations

import ast
import codecs
import difflib
import io
import tokenize
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from analyzers import Edit, Finding, Note, Report, Settings, analyze, apply_edits, language_of
from analyzers.paths import is_test_path

MAX_ROUNDS = 10
BOM = "\ufeff"


@dataclass
class FileFix:
    path: str  # as shown
    original: str
    fixed: str
    applied: list[Finding] = field(default_factory=list)  # findings whose fix went in
    remaining: list[Finding] = field(default_factory=list)  # findings at the end (of the written text)
    notes: list[Note] = field(default_factory=list)
    unsafe_skipped: int = 0  # fixable only with --unsafe-fixes

    @property
    def changed(self) -> bool:
        return self.fixed != self.original


@dataclass
class Source:
    text: str
    encoding: str
    bom: bool

    def encode(self, text: str) -> bytes:
        return codecs.encode((BOM if self.bom else "") + text, self.encoding)


def decode(path: str, data: bytes, settings: Settings) -> Source | None:
    """The text the analyzers saw for these bytes (same decoding as analyzers.analyze_bytes)."""
    if b"\0" in data:
        return None
    encoding = "utf-8"
    if language_of(path, settings) == "python":
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError:
            return None
    try:
        text = codecs.decode(data, encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    bom = text.startswith(BOM)
    if encoding == "utf-8-sig":
        encoding, bom = "utf-8", True
    return Source(text[1:] if bom else text, encoding, bom)


def _selected(finding: Finding, unsafe: bool) -> bool:
    return finding.fix is not None and bool(finding.fix.edits) and (finding.fix.safe or unsafe)


def _span(finding: Finding) -> tuple[int, int]:
    edits = finding.fix.edits
    return min(e.start for e in edits), max(e.end for e in edits)


def _overlaps(edits: list[Edit], taken: list[Edit]) -> bool:
    for e in edits:
        for t in taken:
            if e.start < t.end and t.start < e.end:
                return True
            if e.start == e.end == t.start == t.end or (e.start == t.start and (e.start == e.end or t.start == t.end)):
                return True  # two insertions at one point: their order would be arbitrary
    return False


def parses(text: str, language: str | None) -> bool:
    try:
        if language == "python":
            ast.parse(text)
        elif language == "sql":
            from pglast import parser

            parser.parse_sql(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    except Exception:  # pglast's ParseError and friends
        return False
    return True


def fix_text(path: str, text: str, settings: Settings, *, unsafe: bool = False,
             analyze: Callable[[str, str, Settings], Report] = analyze) -> FileFix:
    """Apply the selected fixes to `text` (the analysed path is `path`); never raises on input.
    `analyze` is the analyzers' entry point (tests pass a wrapper around it)."""
    language = language_of(path, settings)
    report = analyze(path, text, settings)
    result = FileFix(path, text, text, remaining=list(report.findings))
    if not any(_selected(f, unsafe) for f in report.findings):
        result.unsafe_skipped = sum(1 for f in report.findings if f.fix is not None and not f.fix.safe)
        return result
    parsed_before = parses(text, language)
    current, findings, notes_before = text, report.findings, len(report.notes)
    for _round in range(MAX_ROUNDS):
        candidates = sorted((f for f in findings if _selected(f, unsafe)), key=_span)
        if not candidates:
            break
        taken: list[Edit] = []
        chosen: list[Finding] = []
        for finding in candidates:
            edits = list(finding.fix.edits)
            if _overlaps(edits, taken):
                continue  # the next round sees it again, re-analysed on the new text
            taken.extend(edits)
            chosen.append(finding)
        new = apply_edits(current, taken)
        if new == current:
            break
        problem = _check(path, new, findings, chosen, language, parsed_before, notes_before, settings, analyze)
        if isinstance(problem, str):
            return FileFix(path, text, text, remaining=list(report.findings),
                           notes=[Note(path, f"fixes not applied, file left unchanged: {problem}")])
        current, findings = new, problem
        result.applied.extend(chosen)
    else:
        if any(_selected(f, unsafe) for f in findings):
            return FileFix(path, text, text, remaining=list(report.findings),
                           notes=[Note(path, f"fixes not applied, file left unchanged: they did not settle "
                                             f"after {MAX_ROUNDS} rounds")])
    result.fixed = current
    result.remaining = list(findings)
    result.unsafe_skipped = sum(1 for f in findings if f.fix is not None and not f.fix.safe and not unsafe)
    return result


def _check(path, new, before, chosen, language, parsed_before, notes_before, settings, analyze):
    """The new findings if the round is acceptable, else a sentence saying why not.

    Acceptable: the text still parses (if it did), analyses without new notes, and each rule
    whose fixes were applied reports fewer findings by at least the number of those fixes (the
    fixed findings are gone, and the fixes brought no new finding of their rule)."""
    if parsed_before and not parses(new, language):
        rules = ", ".join(sorted({f.rule for f in chosen}))
        return f"the fix of {rules} would leave code that does not parse"
    after = analyze(path, new, settings)
    if len(after.notes) > notes_before:
        return f"after the fix the file could not be analysed ({after.notes[-1].message})"
    fixed = Counter(f.rule for f in chosen)
    was = Counter(f.rule for f in before)
    now = Counter(f.rule for f in after.findings)
    for rule, count in sorted(fixed.items()):
        if now[rule] > was[rule] - count:
            first = min(f.line for f in chosen if f.rule == rule)
            near = min((f for f in after.findings if f.rule == rule), key=lambda f: abs(f.line - first))
            return f"{rule} is still reported at line {near.line} after its fix (originally line {first})"
    return after.findings


def unified_diff(path: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=f"a/{path}", tofile=f"b/{path}")
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def fix_file(file: Path, shown: str, settings: Settings, *, unsafe: bool, write: bool,
             max_bytes: int) -> tuple[FileFix | None, list[Note]]:
    """Fix one file on disk (written back only when `write`). None when there is nothing to fix."""
    if language_of(shown, settings) is None or (not settings.include_tests and is_test_path(shown)):
        return None, []
    try:
        if file.stat().st_size > max_bytes:
            return None, []
        data = file.read_bytes()
    except OSError as exc:
        return None, [Note(shown, f"could not read: {exc.strerror or exc}")]
    source = decode(shown, data, settings)
    if source is None:
        return None, []  # the scan reports why it cannot analyse the file
    result = fix_text(shown, source.text, settings, unsafe=unsafe)
    if write and result.changed:
        try:
            file.write_bytes(source.encode(result.fixed))
        except (OSError, UnicodeEncodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            return result, [Note(shown, f"fixes not written: {reason}")]
    return result, []
