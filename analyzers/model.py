"""Values the analyzers hand out: findings, fixes, notes and the per-file report.

Everything here is plain, immutable data so a report can be compared, serialised and cached
without caring which analyzer produced it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Citation:
    skill: str
    section: str  # e.g. "REQ ARMADILHAS-01 — Clock skew ...; REGRA #1; Anti-pattern 1"
    anchor: str  # GitHub-rendered anchor of the linked heading, without '#'
    url: str


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] (character offsets into the analysed file) with `text`."""

    start: int
    end: int
    text: str


APPLICABILITIES = ("safe", "unsafe")


@dataclass(frozen=True)
class Fix:
    """A mechanical repair. `applicability` follows ruff: "safe" fixes remove the pitfall and
    nothing else (`armadilhas check --fix` applies them); "unsafe" ones may change behaviour
    beyond it (applied only with `--unsafe-fixes`, and offered to reviewers, not assumed)."""

    description: str
    edits: tuple[Edit, ...]
    applicability: str = "safe"

    @property
    def safe(self) -> bool:
        return self.applicability == "safe"


@dataclass(frozen=True)
class Finding:
    rule: str
    family: str
    path: str
    line: int  # 1-based
    end_line: int
    col: int  # 1-based
    end_col: int  # 1-based, exclusive (SARIF's convention)
    message: str
    citation: Citation
    fingerprint: str = ""
    fix: Fix | None = None
    # "high": the form is unmistakable. "medium": a form that cannot be told from a look-alike
    # without noise (the App comments inline only on high by default; review.min_confidence).
    confidence: str = "high"
    # Other lines of the same file that are part of the pitfall, where the report sits on one
    # line and its cause on another (ARM201: reported at the unfenced write, the lock is taken
    # here). A pull request that changes only a related line still gets the finding.
    related: tuple[int, ...] = ()

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.line, self.col, self.rule)


CONFIDENCES = ("high", "medium")


@dataclass(frozen=True)
class Note:
    path: str
    message: str
    line: int | None = None


@dataclass
class Report:
    path: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def apply_edits(text: str, edits: tuple[Edit, ...] | list[Edit]) -> str:
    """Apply non-overlapping edits; later offsets first so earlier ones stay valid."""
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text


def _normalise(code: str) -> str:
    return " ".join(code.split())


def fingerprint(rule: str, path: str, code: str, occurrence: int) -> str:
    """Stable id of a finding: survives edits elsewhere in the file because it hashes the
    flagged code, not its line. `occurrence` separates identical code flagged twice."""
    digest = hashlib.sha256(
        f"{rule}\0{path}\0{_normalise(code)}\0{occurrence}".encode("utf-8", "surrogatepass")
    ).hexdigest()
    return digest[:16]
