"""Docs generated from rule metadata must not drift, and citations must match the guidance."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzers.catalog import all_rules
from analyzers.citations import ALL_HEADINGS, SECTIONS, github_anchor
from bot.ruledoc import render_catalog

ROOT = Path(__file__).resolve().parent.parent
SKILL = ROOT.parent / "shared" / "skills" / "armadilhas-sistemas-distribuidos" / "SKILL.md"


def test_docs_rules_md_is_generated_from_the_metadata():
    expected = render_catalog(all_rules(), "en")
    actual = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/rules.md is stale: run `armadilhas rules --format markdown > docs/rules.md`"


def test_every_rule_cites_a_known_section_and_has_both_languages():
    for rule in all_rules():
        assert rule.section_key in SECTIONS
        for text in (rule.message, rule.why, rule.use_instead, rule.when_fine):
            assert text.en.strip() and text.pt_BR.strip() and text.en != text.pt_BR, rule.id


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("REQ ARMADILHAS-01 — Clock skew: tabela canônica de timestamps Postgres",
         "req-armadilhas-01--clock-skew-tabela-canônica-de-timestamps-postgres"),
        ("Anti-pattern 5: `clock_timestamp()` para ordenar eventos cross-node",
         "anti-pattern-5-clock_timestamp-para-ordenar-eventos-cross-node"),
        ("REQ ARMADILHAS-03 — GC pause / process pause: cenário split-brain canônico + mitigação",
         "req-armadilhas-03--gc-pause--process-pause-cenário-split-brain-canônico--mitigação"),
    ],
)
def test_github_anchor(heading, anchor):
    assert github_anchor(heading) == anchor


@pytest.mark.skipif(not SKILL.is_file(), reason="the guidance document (../shared) is not beside this checkout")
def test_cited_headings_exist_in_the_guidance():
    headings = {
        line.lstrip("#").strip()
        for line in SKILL.read_text(encoding="utf-8").splitlines()
        if re.match(r"^#{2,4} ", line)
    }
    for heading in ALL_HEADINGS:
        assert heading in headings, heading
