"""Is this .sql file written for another database? Projects that support several engines keep
MySQL, SQLite, ClickHouse or Spanner schemas beside the PostgreSQL ones, with the same
extension. Their statements fail PostgreSQL's grammar for reasons no rewrite can fix, so a
failure there is reported as "not PostgreSQL" rather than as a statement we could not read.
"""
from __future__ import annotations

import re

_MARKERS = (
    ("MySQL", re.compile(
        r"`\w+`|\bauto_increment\b|\bengine\s*=\s*\w|\bunsigned\b|\b(?:tiny|medium|long)(?:int|text|blob)\b|"
        r"^\s*delimiter\b|\bmodify\s+column\b|\bfulltext\b|\bflush\s+privileges\b|"
        r"\b(?:character\s+set|charset)\s*=?\s*utf8|'\w+'@'[^']*'|\bdrop\s+index\s+(?:if\s+exists\s+)?\w+\s+on\b|"
        r"\bsql\s+security\s+(?:invoker|definer)\b|\blast_insert_id\s*\(",
        re.I | re.M,
    )),
    ("SQLite", re.compile(r"\bautoincrement\b|^\s*pragma\s|\bwithout\s+rowid\b|\bcreate\s+virtual\s+table\b", re.I | re.M)),
    ("ClickHouse", re.compile(r"\b(?:U?Int(?:8|16|32|64)|FixedString|LowCardinality|MergeTree)\b|\bcreate\s+dictionary\b|\*\s+EXCEPT\s*\(")),
    ("Spanner", re.compile(r"\bnull_filtered\b|\binterleave\s+in\s+parent\b|\bstring\s*\(\s*max\s*\)", re.I)),
    ("T-SQL", re.compile(r"^\s*go\s*$|\bidentity\s*\(\s*\d+\s*,\s*\d+\s*\)|\bnvarchar\s*\(\s*max\s*\)", re.I | re.M)),
)


_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)


def foreign_dialect(text: str) -> str | None:
    """The name of the other database this SQL is written for, or None. Comments do not
    count: PostgreSQL migrations often quote names `like this` in them."""
    text = _COMMENTS.sub(" ", text)
    for name, pattern in _MARKERS:
        if pattern.search(text):
            return name
    return None
