"""Migrations are append-only: once a later migration in the same folder redefines a SQL routine
(`create or replace function app.claim(...)`), the earlier definition is history, applied and
never run again, and the fix has to be a new migration. A whole-tree scan therefore reports a
routine's pitfall only in its newest definition (the pull request review never sees old files
anyway). Routines are matched by name; files of one folder are ordered by name, as migration
tools order them."""
from __future__ import annotations

import bisect
from collections import defaultdict
from pathlib import Path, PurePosixPath

from analyzers import Finding
from analyzers.sql.routines import definitions

def _definitions(text: str) -> list[tuple[int, str]]:
    """(1-based line, routine name) of every routine definition, in order."""
    return [(text.count("\n", 0, start) + 1, name) for start, name in definitions(text)]


def drop_superseded(findings: list[Finding], sql_files: list[tuple[Path, str]]) -> list[Finding]:
    """`findings` without those inside a routine that a later file of the same folder redefines.
    `sql_files` are (file on disk, display path) of every SQL file of the scan."""
    if not any(f.path.endswith(".sql") for f in findings):
        return findings
    definitions: dict[str, list[tuple[int, str]]] = {}
    by_folder: dict[str, list[str]] = defaultdict(list)
    for file, shown in sql_files:
        try:
            text = file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        definitions[shown] = _definitions(text)
        by_folder[str(PurePosixPath(shown).parent)].append(shown)
    later_names: dict[str, set[str]] = {}
    for folder, paths in by_folder.items():
        seen: set[str] = set()
        for shown in sorted(paths, reverse=True):
            later_names[shown] = set(seen)
            seen.update(name for _, name in definitions[shown])
    kept = []
    for finding in findings:
        defs = definitions.get(finding.path)
        if defs:
            at = bisect.bisect_right([line for line, _ in defs], finding.line) - 1
            if at >= 0 and defs[at][1] in later_names.get(finding.path, ()):
                continue
        kept.append(finding)
    return kept
