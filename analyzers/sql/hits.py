"""What SQL analysis hands back, in offsets of the SQL text it was given (so the same result
serves a .sql file and a SQL string inside Python code)."""
from __future__ import annotations

from dataclasses import dataclass

from ..catalog import RuleMeta
from ..model import Fix


@dataclass(frozen=True)
class SqlHit:
    meta: RuleMeta
    start: int  # character offset in the analysed SQL text where the flagged construct starts
    end: int  # exclusive
    message: str | None = None  # None: the rule's default message
    fix: Fix | None = None  # edits with character offsets into the analysed SQL text
    confidence: str = "high"  # see model.Finding.confidence


@dataclass(frozen=True)
class SqlNote:
    offset: int  # character offset in the analysed SQL text
    message: str
