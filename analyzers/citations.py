"""Sections of the guidance document (the skill `armadilhas-sistemas-distribuidos`) that rules cite,
and how a citation becomes a link.

The headings are copied verbatim from SKILL.md so the anchors match what GitHub renders;
tests/test_citations.py checks them against the document when it is available.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from .model import Citation

SKILL = "armadilhas-sistemas-distribuidos"
SKILL_FILE = f"skills/{SKILL}/SKILL.md"
UPSTREAM_URL = (
    "https://github.com/luanpdd/kit-mcp/blob/main/kit/skills/armadilhas-sistemas-distribuidos/SKILL.md"
)
# Where kit users sync skills inside their own repositories, most specific first.
REPO_SKILL_PATHS = tuple(
    f"{root}/{SKILL}/SKILL.md"
    for root in (
        ".claude/skills",
        ".codex/skills",
        ".gemini/skills",
        ".github/skills",
        ".windsurf/skills",
        ".agents/skills",
        ".agents",
        "kit/skills",
        "skills",
    )
)


@dataclass(frozen=True)
class Section:
    heading: str  # exact heading text in SKILL.md (without the leading #'s)
    rules: str  # the REGRA / Anti-pattern numbers it enforces, for the citation text

    @property
    def anchor(self) -> str:
        return github_anchor(self.heading)

    @property
    def title(self) -> str:
        return f"{self.heading}; {self.rules}" if self.rules else self.heading


REQ_01 = "REQ ARMADILHAS-01 — Clock skew: tabela canônica de timestamps Postgres"
REQ_02 = "REQ ARMADILHAS-02 — Fencing tokens canônicos para distributed locks"
REQ_03 = "REQ ARMADILHAS-03 — GC pause / process pause: cenário split-brain canônico + mitigação"
REQ_04 = "REQ ARMADILHAS-04 — Falhas parciais: detecção por timeout é falaciosa"
REQ_05 = "REQ ARMADILHAS-05 — Modelos de sistema: quando cada um aplica em Supabase"
ANTI_5 = "Anti-pattern 5: `clock_timestamp()` para ordenar eventos cross-node"

SECTIONS: dict[str, Section] = {
    "wall-clock-expiry": Section(REQ_01, "REGRA #1; Anti-pattern 1"),
    "wall-clock-ordering": Section(ANTI_5, "REGRA #1; REQ ARMADILHAS-01"),
    "unfenced-lock": Section(REQ_02, "REQ ARMADILHAS-03; REGRA #2; Anti-pattern 2"),
    "fixed-timeout": Section(REQ_04, "REGRA #3; REGRA #5; Anti-pattern 3"),
    "non-idempotent": Section(REQ_05, "REGRA #4; Anti-pattern 4"),
}

ALL_HEADINGS = (REQ_01, REQ_02, REQ_03, REQ_04, REQ_05, ANTI_5)


def github_anchor(heading: str) -> str:
    """The id GitHub gives a Markdown heading: lower case, punctuation dropped (letters of any
    script, digits, '-', '_' and spaces kept), each space turned into '-'. An em dash between
    spaces therefore leaves '--'."""
    text = heading.strip().lower()
    kept = []
    for ch in text:
        if ch in "-_ ":
            kept.append(ch)
        elif unicodedata.category(ch)[0] in ("L", "N", "M"):
            kept.append(ch)
    return "".join(kept).replace(" ", "-")


def skill_url(section: Section, base_url: str | None = None) -> str:
    base = base_url or UPSTREAM_URL
    return f"{base}#{quote(section.anchor, safe='-_')}"


@lru_cache(maxsize=64)  # a handful of sections; called once per finding
def citation_for(section_key: str, base_url: str | None = None) -> Citation:
    section = SECTIONS[section_key]
    return Citation(
        skill=SKILL,
        section=section.title,
        anchor=section.anchor,
        url=skill_url(section, base_url),
    )


def repo_skill_url(repo_html_url: str, sha: str, skill_path: str, anchor: str) -> str:
    """Link to the copy of the skill inside the reviewed repository, pinned to the PR's head."""
    return f"{repo_html_url}/blob/{sha}/{quote(skill_path)}#{quote(anchor, safe='-_')}"


