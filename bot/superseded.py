"""Migrations are append-only: once a later migration in the same folder redefines a SQL routine
(`create or replace function app.claim(...)`) or drops it, the earlier definition is history,
applied and never run again, and the fix has to be a new migration. Projects with a declarative
schema (supabase `schemas/`, atlas, a kept `schema.sql`) generate their migrations from it: when a
routine is also defined outside any migrations folder, that definition is where the fix goes and
every migration's copy is history. A whole-tree scan therefore reports a routine's pitfall only in
its live definition (the pull request review never sees old files anyway). Routines are matched by
name; files of one folder are ordered by name, as migration tools order them."""
from __future__ import annotations

import bisect
from collections import defaultdict
from pathlib import Path, PurePosixPath

import re

from analyzers import Finding
from analyzers.paths import is_test_path
from analyzers.sql.routines import definitions, routine_name

_DROP = re.compile(
    r"\bdrop\s+(?:function|procedure|routine)\s+(?:if\s+exists\s+)?((?:\"[^\"]+\"|\w+)(?:\s*\.\s*(?:\"[^\"]+\"|\w+))?)",
    re.I,
)
_MIGRATIONS_FOLDER = re.compile(r"(?:^|/)(?:migrations?|migrate)/", re.I)


def _definitions(text: str) -> list[tuple[int, str]]:
    """(1-based line, routine name) of every routine definition, in order."""
    return [(text.count("\n", 0, start) + 1, name) for start, name in definitions(text)]


def _dropped(text: str) -> set[str]:
    return {routine_name(match.group(1)) for match in _DROP.finditer(text)} if "drop" in text.lower() else set()


def drop_superseded(findings: list[Finding], sql_files: list[tuple[Path, str]]) -> list[Finding]:
    """`findings` without those inside a routine that a later file of the same folder redefines.
    `sql_files` are (file on disk, display path) of every SQL file of the scan."""
    if not any(f.path.endswith(".sql") for f in findings):
        return findings
    definitions: dict[str, list[tuple[int, str]]] = {}
    drops: dict[str, set[str]] = {}
    declared: set[str] = set()  # routines defined outside migrations folders (and outside tests)
    by_folder: dict[str, list[str]] = defaultdict(list)
    for file, shown in sql_files:
        try:
            text = file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        definitions[shown] = _definitions(text)
        drops[shown] = _dropped(text)
        if not _MIGRATIONS_FOLDER.search(shown) and not is_test_path(shown):
            declared.update(name for _, name in definitions[shown])
        by_folder[str(PurePosixPath(shown).parent)].append(shown)
    later_names: dict[str, set[str]] = {}
    for folder, paths in by_folder.items():
        seen: set[str] = set()
        for shown in sorted(paths, reverse=True):
            later_names[shown] = set(seen)
            seen.update(name for _, name in definitions[shown])
            seen.update(drops[shown])
        if _MIGRATIONS_FOLDER.search(folder + "/"):
            for shown in paths:
                later_names[shown] |= declared
    kept = []
    for finding in findings:
        defs = definitions.get(finding.path)
        if defs:
            at = bisect.bisect_right([line for line, _ in defs], finding.line) - 1
            if at >= 0 and defs[at][1] in later_names.get(finding.path, ()):
                continue
        kept.append(finding)
    return kept
