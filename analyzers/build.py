"""Turns the raw reports of any analyzer (Python or SQL) into the public Findings: localised
message, citation, fingerprint, suppression comments, order."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .catalog import RuleMeta
from .citations import citation_for
from .model import Finding, Fix, fingerprint
from .settings import Settings


@dataclass
class RawFinding:
    meta: RuleMeta
    line: int  # 1-based
    col: int  # 0-based
    end_line: int
    end_col: int  # 0-based, exclusive
    message: str | None  # None: the rule's default message in the settings' language
    code: str  # the flagged source text, hashed into the fingerprint
    fix: Fix | None = None
    confidence: str = "high"
    related: tuple[int, ...] = ()  # 1-based lines (Finding.related)


# `# armadilhas: ignore[ARM103, ARM201]`, `-- armadilhas: ignore`, on the line or the line above.
_SUPPRESS = re.compile(r"(?:#|--)\s*armadilhas\s*:\s*ignore\b(?:\[([A-Za-z0-9_,\s-]*)\])?")


def suppressions(lines: list[str], line: int) -> set[str] | None:
    """Rule ids suppressed at `line` (1-based); {'*'} for a bare ignore; None when none."""
    found: set[str] = set()
    for index in (line - 1, line - 2):
        if 0 <= index < len(lines):
            text = lines[index]
            if "armadilhas" not in text:
                continue
            for match in _SUPPRESS.finditer(text):
                ids = match.group(1)
                if ids is None:
                    found.add("*")
                else:
                    found.update(part.strip().upper() for part in ids.split(",") if part.strip())
    return found or None


def is_suppressed(lines: list[str], raw: RawFinding) -> bool:
    ids = suppressions(lines, raw.line)
    return bool(ids) and ("*" in ids or raw.meta.id in ids)


def build_findings(path: str, text: str, raws: list[RawFinding], settings: Settings) -> list[Finding]:
    lines = text.splitlines()
    raws = sorted(raws, key=lambda r: (r.line, r.col, r.meta.id, r.end_line, r.end_col))
    seen: dict[tuple[str, str], int] = {}
    findings: list[Finding] = []
    emitted: set[tuple] = set()
    for raw in raws:
        if not settings.enabled(raw.meta.id) or is_suppressed(lines, raw):
            continue
        key = (raw.meta.id, raw.line, raw.col, raw.end_line, raw.end_col)
        if key in emitted:  # two paths of one rule reaching the same node say it once
            continue
        emitted.add(key)
        normal = " ".join(raw.code.split())
        occurrence = seen.get((raw.meta.id, normal), 0)
        seen[(raw.meta.id, normal)] = occurrence + 1
        findings.append(
            Finding(
                rule=raw.meta.id,
                family=raw.meta.family,
                path=path,
                line=raw.line,
                end_line=raw.end_line,
                col=raw.col + 1,
                end_col=raw.end_col + 1,
                message=raw.message or raw.meta.message.get(settings.language),
                citation=citation_for(raw.meta.section_key, settings.citation_base_url),
                fingerprint=fingerprint(raw.meta.id, path, raw.code, occurrence),
                fix=raw.fix,
                confidence=raw.confidence,
                related=tuple(sorted(set(raw.related) - {raw.line})),
            )
        )
    return findings
