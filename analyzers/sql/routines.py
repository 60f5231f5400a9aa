"""Where SQL routines are defined in a file, found by their `create function` headers: enough to
say which routine a finding sits in (the body runs to the next definition) without parsing."""
from __future__ import annotations

import bisect
import re

_ROUTINE = re.compile(
    r"\bcreate\s+(?:or\s+replace\s+)?(?:function|procedure)\s+((?:\"[^\"]+\"|\w+)(?:\s*\.\s*(?:\"[^\"]+\"|\w+))?)\s*\(",
    re.I,
)
# Schemas that hold test helpers (pgTAP suites, `app_tests.setup_fixture()`).
_TEST_SCHEMA = re.compile(r"^(?:\w+_)?tests?(?:_\w+)?$|^pgtap$", re.I)


def routine_name(raw: str) -> str:
    """`"App".Claim_Job` -> `app.claim_job`; an unqualified name stays unqualified."""
    parts = [part.strip().strip('"').lower() for part in raw.split(".")]
    return ".".join(parts[-2:])


def definitions(text: str) -> list[tuple[int, str]]:
    """(character offset, routine name) of every routine definition, in order."""
    return [(match.start(), routine_name(match.group(1))) for match in _ROUTINE.finditer(text)]


def routine_at(defs: list[tuple[int, str]], offset: int) -> str | None:
    """The routine whose definition is the last one starting before `offset`."""
    at = bisect.bisect_right([start for start, _ in defs], offset) - 1
    return defs[at][1] if at >= 0 else None


def is_test_routine(name: str | None) -> bool:
    return bool(name and "." in name and _TEST_SCHEMA.match(name.split(".", 1)[0]))
