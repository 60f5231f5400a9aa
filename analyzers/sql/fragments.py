"""The SQL analysis entry point shared by .sql files and SQL strings embedded in Python:
`analyze_sql_text(sql, settings, embedded=...) -> (hits, notes)`, offsets into `sql`."""
from __future__ import annotations

from ..settings import Settings
from . import rules as _rules  # noqa: F401  (registers every SQL rule)
from .extract import Extractor
from .hits import SqlHit, SqlNote
from .rule import SQL_CHECKS

__all__ = ["SqlHit", "SqlNote", "analyze_sql_text"]


def analyze_sql_text(sql: str, settings: Settings, *, embedded: bool = False) -> tuple[list[SqlHit], list[SqlNote]]:
    """Analyse a SQL text (a whole file, or one string from Python code when embedded=True, with
    placeholders already normalised to $1, $2...). Never raises."""
    checks = [(meta, check) for meta, check in SQL_CHECKS if settings.enabled(meta.id)]
    if not checks or not sql.strip():
        return [], []
    extractor = Extractor(sql, embedded)
    try:
        scopes = extractor.run()
    except RecursionError:
        return [], [SqlNote(0, "not analysed: the SQL is nested too deeply to parse safely")]
    except Exception as exc:  # the contract: a bug here costs this text, never the run
        return [], [SqlNote(0, f"not analysed: internal error {type(exc).__name__}: {exc}")]
    hits: dict[tuple[str, int, int], SqlHit] = {}
    notes = [SqlNote(offset, message) for offset, message in extractor.notes]
    for meta, check in checks:
        for scope in scopes:
            try:
                for hit in check(scope):
                    hits.setdefault((hit.meta.id, hit.start, hit.end), hit)
            except Exception as exc:
                notes.append(SqlNote(0, f"analysis incomplete: {meta.id} failed with {type(exc).__name__}: {exc}"))
                break
    ordered = sorted(hits.values(), key=lambda h: (h.start, h.meta.id, h.end))
    return ordered, notes
