"""What rule tests share: analyse dedented source with a rule selection and list (rule, line)."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

CLOCK = Settings(select=frozenset({"ARM103", "ARM104"}))
HEARTBEAT = Settings(select=frozenset({"ARM301"}))


def flagged(code: str, settings: Settings, path: str = "app/module.py") -> list[tuple[str, int]]:
    report = analyze(path, textwrap.dedent(code), settings)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]
