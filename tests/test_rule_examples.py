"""Every rule's own examples, run as tests: each bad example is flagged with exactly the rule's
id on exactly its lines (and by no other rule on other lines it doesn't expect), each good
example yields nothing for that rule."""
from __future__ import annotations

import pytest

from analyzers import Settings, analyze
from analyzers.catalog import all_rules

RULES = all_rules()
DEFAULT_PATH = {"python": "app/example.py", "sql": "supabase/migrations/0001_example.sql"}


def _path(rule, example):
    return example.path or DEFAULT_PATH[example.language or rule.language]


def _cases(kind):
    for rule in RULES:
        for index, example in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, example, id=f"{rule.id}-{kind}-{index}")


@pytest.mark.parametrize(("rule", "example"), list(_cases("bad")))
def test_bad_example_is_flagged_on_its_lines(rule, example):
    report = analyze(_path(rule, example), example.code, Settings(select=frozenset({rule.id})))
    assert report.notes == []
    assert [(f.rule, f.line) for f in report.findings] == [(rule.id, line) for line in example.lines]


@pytest.mark.parametrize(("rule", "example"), list(_cases("good")) + list(_cases("extra_good")))
def test_good_example_is_not_flagged(rule, example):
    report = analyze(_path(rule, example), example.code, Settings(select=frozenset({rule.id})))
    assert report.notes == []
    assert [(f.rule, f.line) for f in report.findings] == []


def test_every_rule_has_examples_both_ways():
    for rule in RULES:
        assert rule.bad, rule.id
        assert rule.good, rule.id
