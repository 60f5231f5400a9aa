"""SQL files (placeholder until the SQL analyzer lands)."""
from __future__ import annotations


def analyze_sql(path, text, settings):
    return [], []
