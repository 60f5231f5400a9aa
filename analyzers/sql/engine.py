"""SQL files: offsets of analyze_sql_text mapped to lines and columns of the file."""
from __future__ import annotations

from ..build import RawFinding
from ..model import Note
from ..settings import Settings
from .fragments import analyze_sql_text
from .routines import definitions, is_test_routine, routine_at
from .source import LineIndex


def analyze_sql(path: str, text: str, settings: Settings) -> tuple[list[RawFinding], list[Note]]:
    if "\0" in text:
        return [], [Note(path, "skipped: the file contains NUL bytes (binary or corrupt)")]
    hits, sql_notes = analyze_sql_text(text, settings)
    if hits and not settings.include_tests:
        # Helpers of a test schema (`app_tests.setup_flow()`) are test code like tests/*.py.
        defs = definitions(text)
        hits = [hit for hit in hits if not is_test_routine(routine_at(defs, hit.start))]
    lines = LineIndex(text)
    raws: list[RawFinding] = []
    for hit in hits:
        line, col = lines.line_col(hit.start)
        end_line, end_col = lines.line_col(max(hit.end, hit.start))
        raws.append(RawFinding(hit.meta, line, col, end_line, end_col, hit.message, text[hit.start:hit.end], hit.fix, hit.confidence))
    notes = [Note(path, note.message, lines.line_col(note.offset)[0]) for note in sql_notes]
    return raws, notes
