"""armadilhas analyzers: pure functions from source text to findings.

    report = analyze("app/tasks.py", source_text, Settings())

No I/O, no network, never raises on bad input: what cannot be analysed becomes a note.
"""
from __future__ import annotations

import codecs
import io
import re
import tokenize

from .build import build_findings
from .paths import is_test_path
from .model import Citation, Edit, Finding, Fix, Note, Report, apply_edits
from .settings import DEFAULT, Settings

__all__ = [
    "Citation",
    "Edit",
    "Finding",
    "Fix",
    "Note",
    "Report",
    "Settings",
    "analyze",
    "analyze_bytes",
    "build_project_index",
    "decode_python",
    "extensionless",
    "language_of",
    "python_script",
    "apply_edits",
]


def language_of(path: str, settings: Settings = DEFAULT, head: str | bytes | None = None) -> str | None:
    """By extension; a file with no extension is Python when `head` (its first bytes or text) opens
    with a Python shebang (`bin/worker`, `scripts/reaper`: scripts installed without a suffix)."""
    lower = path.lower()
    if lower.endswith(tuple(settings.python_extensions)):
        return "python"
    if lower.endswith(tuple(ext.lower() for ext in settings.sql_extensions)):
        return "sql"
    if head is not None and python_script(path, head):
        return "python"
    return None


_SHEBANG = re.compile(rb"#![^\n]*\bpython[0-9.]*(?:\s|$)")


def extensionless(path: str) -> bool:
    """The file's name has no extension (`bin/worker`, `Makefile`): only its first line can say
    what it is (python_script)."""
    return "." not in path.replace("\\", "/").rsplit("/", 1)[-1]


def python_script(path: str, head: str | bytes) -> bool:
    """An extensionless file whose first line is a Python shebang (`#!/usr/bin/env python3`)."""
    if not extensionless(path):
        return False
    data = head.encode("utf-8", "replace") if isinstance(head, str) else head
    return _SHEBANG.match(data[:200]) is not None


def analyze(path: str, text: str, settings: Settings = DEFAULT, project=None) -> Report:
    """Findings and notes for one file. Unsupported extensions, and test code unless
    `settings.include_tests`, yield an empty report. `project` is an optional index of the
    project's other modules (`build_project_index`): with it, a clock helper imported from
    another module is a certain reading instead of a guess by name."""
    report = Report(path)
    language = language_of(path, settings, text[:200])
    if language is None or (not settings.include_tests and is_test_path(path)):
        return report
    try:
        if language == "python":
            from .python.engine import analyze_python

            raws, notes, _ = analyze_python(path, text, settings, project)
        else:
            from .sql.engine import analyze_sql

            raws, notes = analyze_sql(path, text, settings)
        report.findings = build_findings(path, text, raws, settings)
        report.notes = list(notes)
    except RecursionError:
        report.notes = [Note(path, "not analysed: the code is nested too deeply to parse safely")]
    except Exception as exc:  # the contract: never raise on input, whatever it is
        report.notes = [Note(path, f"not analysed: internal error {type(exc).__name__}: {exc}")]
    return report


def analyze_bytes(path: str, data: bytes, settings: Settings = DEFAULT, project=None) -> Report:
    """Decode then analyse. Python files honour a PEP 263 coding cookie; SQL must be UTF-8."""
    language = language_of(path, settings, data[:200])
    if language is None or (not settings.include_tests and is_test_path(path)):
        return Report(path)
    if b"\0" in data:
        return Report(path, notes=[Note(path, "skipped: the file contains NUL bytes (binary or corrupt)")])
    encoding = "utf-8"
    if language == "python":
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            return Report(path, notes=[Note(path, f"not analysed: {exc}")])
    try:
        text = codecs.decode(data, encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        where = ""
        if isinstance(exc, UnicodeDecodeError):
            line = data[: exc.start].count(b"\n") + 1
            where = f" at line {line}"
        return Report(path, notes=[Note(path, f"not analysed: the file is not valid {encoding}{where}")])
    if text.startswith("\ufeff"):
        text = text[1:]
    return analyze(path, text, settings, project)


def decode_python(data: bytes) -> str | None:
    """Text of a Python file as `analyze_bytes` would read it; None when it cannot be decoded."""
    if b"\0" in data:
        return None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = codecs.decode(data, encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None
    return text[1:] if text.startswith("\ufeff") else text


def build_project_index(files):
    """Index of the clock helpers of a project, from (path, text) of its Python files (pure)."""
    from .python.project_index import ProjectIndex, build_index

    try:
        return build_index(files)
    except Exception:  # noqa: BLE001 - a rule bug on one module must not cost the whole review:
        # each file is still analysed on its own facts, as `analyze` would without a project
        return ProjectIndex()
