"""A wall-clock age that decides a party is gone is also a fixed-timeout detector.

ARM103/ARM104 see every age of a stored or held stamp against the wall clock; ARM301's own forms
need the stamp, the window and the verdict spelled in ways they know. When the code around a
wall-clock finding says what the age decides (the function is `is_stale`, the rows are
`stuck_signals`, the job is "definitely lost", the worker is evicted), the same line is a failure
detector with a fixed window, and it is reported as ARM301 too (medium confidence).
"""
from __future__ import annotations

import re
from dataclasses import replace

from ..build import RawFinding

# What the age decides: the party (worker, job, peer, lock holder) is gone or its work is stuck.
_VERDICT = re.compile(
    r"heart_?beat|stale|stuck|\blost\b|_lost\b|\bdead\b|_dead\b|\bhung\b|hang(?:s|ing)?\b|orphan|evict|"
    r"offline|unresponsive|not_responding|(?<!keep)(?<!keep_)(?<!keep-)alive|last_?seen|last_?ping|last_?contact|silen",
    re.IGNORECASE,
)
# Ages of credentials and cached data are ARM104's alone. Narrower than ARM301's own exclusion
# (rules/_liveness_ages._DATA_OWNER): the window here spans neighbouring code, where a method named
# `transition_attempt` or `login` says nothing about the age (measured: that list drops a stale-lock
# reclaimer labelled TRUE).
_DATA = re.compile(r"cache|cookie|session|token|otp|password|captcha|nonce|csrf", re.IGNORECASE)
# The finding's own lines compare the age: a stamp written (`last_heartbeat=now()`) or a keepalive
# timer computed is no verdict on anyone.
_COMPARES = re.compile(r"(?<![-=])[<>]=?(?!>)|__(?:lt|lte|gt|gte)\b")
_ASSIGNED = re.compile(r"^\s*(\w+)\s*=[^=]")
_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)")
_WALL = frozenset({"ARM103", "ARM104"})


def _window(lines: list[str], line: int) -> str:
    """The finding's statement and the few lines that act on it, plus its function's name."""
    start, end = max(0, line - 3), min(len(lines), line + 5)
    name = ""
    for index in range(line - 1, -1, -1):
        match = _DEF.match(lines[index])
        if match:
            name = match.group(1)
            break
    return name + "\n" + "\n".join(lines[start:end])


def _compares(lines: list[str], found: RawFinding) -> bool:
    """The finding's statement compares the age, or it names a cut-off (`before = now() - W`)
    that one of the next few lines compares (`updated_at__lte=before`)."""
    if _COMPARES.search("\n".join(lines[found.line - 1 : found.end_line])):
        return True
    assigned = _ASSIGNED.match(lines[found.line - 1]) if found.line <= len(lines) else None
    if assigned is None:
        return False
    name = re.compile(rf"\b{assigned.group(1)}\b")
    return any(name.search(text) and _COMPARES.search(text) for text in lines[found.end_line : found.end_line + 4])


def _near(found: RawFinding) -> range:
    return range(found.line - 3, found.end_line + 4)


def detectors_from_clock(located: list[RawFinding], text: str, detector_meta, enabled: bool) -> list[RawFinding]:
    wall = [f for f in located if f.meta.id in _WALL]
    if not enabled or not wall:  # most files: no wall-clock finding, nothing to split or read
        return located
    taken = {line for f in located if f.meta.id == detector_meta.id for line in _near(f)}
    lines = text.splitlines()
    added: list[RawFinding] = []
    for found in wall:
        if found.line in taken:
            continue
        window = _window(lines, found.line)
        if _compares(lines, found) and _VERDICT.search(window) and not _DATA.search(window):
            taken.update(_near(found))
            added.append(replace(found, meta=detector_meta, message=None, fix=None, confidence="medium"))
    return located + added
