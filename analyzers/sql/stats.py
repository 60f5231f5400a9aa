"""How much of a SQL file the analysis could read: an optional counter for measurement.

The normal path never pays for it: the extractor looks the counter up once per file and,
when none is installed, skips every counting branch. A benchmark installs one with

    with counting() as stats:
        analyze("db/queue.sql", text)
    stats.seen, stats.analysed, stats.reasons

With a counter installed, statements that no rule would look at are parsed too (and then
dropped), so the rate says how much of the file the rules *could* read, not just how much
they needed to.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class SqlStats:
    files: int = 0
    seen: int = 0  # SQL statements met: top level, routine bodies, dynamic-SQL literals
    analysed: int = 0  # of those, parsed into a tree the rules can read
    dynamic: int = 0  # dynamic-SQL literals (EXECUTE, format(), concatenations) read as SQL
    fallbacks: int = 0  # PL/pgSQL bodies read statement by statement (parse_plpgsql failed)
    meta_commands: int = 0  # psql meta-command lines (\set, \i, ...): not SQL, not counted as seen
    foreign_files: int = 0  # files written for another database (MySQL, SQLite...)
    foreign: int = 0  # their statements that PostgreSQL's grammar rejects: not counted as seen
    reasons: Counter = field(default_factory=Counter)  # why statements were not analysed
    samples: dict = field(default_factory=dict)  # reason -> the first statement that failed so
    dialect: str | None = None  # the other database the file being analysed is written for

    def saw(self, ok: bool, reason: str = "", sample: str = "") -> None:
        if not ok and self.dialect is not None:
            self.foreign += 1
            return
        self.seen += 1
        if ok:
            self.analysed += 1
            return
        reason = _generic(reason)
        self.reasons[reason] += 1
        self.samples.setdefault(reason, " ".join(sample.split())[:160])

    def add(self, other: SqlStats) -> None:
        for name in ("files", "seen", "analysed", "dynamic", "fallbacks", "meta_commands", "foreign_files", "foreign"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.reasons.update(other.reasons)
        for reason, sample in other.samples.items():
            self.samples.setdefault(reason, sample)

    @property
    def rate(self) -> float:
        return self.analysed / self.seen if self.seen else 1.0


_CURRENT: ContextVar[SqlStats | None] = ContextVar("armadilhas_sql_stats", default=None)


def current() -> SqlStats | None:
    return _CURRENT.get()


@contextmanager
def counting(stats: SqlStats | None = None) -> Iterator[SqlStats]:
    stats = SqlStats() if stats is None else stats
    token = _CURRENT.set(stats)
    try:
        yield stats
    finally:
        _CURRENT.reset(token)


_LINE = re.compile(r"\s*\(line \d+\)|at character \d+|,?\s*at line \d+")


def _generic(reason: str) -> str:
    """One reason for every statement that failed the same way, whatever its line."""
    return _LINE.sub("", reason).strip()[:120] or "unknown"
