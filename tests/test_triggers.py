"""Asking a trigger's alternatives one by one answers exactly as the whole regex would."""
from __future__ import annotations

import re

import pytest

from analyzers.python.engine import select_rules
from analyzers.python.rule import RULE_CLASSES
from analyzers.python.triggers import TextTriggers, alternatives
from analyzers.settings import Settings

PATTERNS = [
    re.compile(r"\btime(?:_ns)?\s*\(|(?:\b|_)(?:utc)?now\s*\(|redis\.lock|a\|b|[|]x"),
    re.compile(r"(a|b)\1|zz"),  # a reference to a group: searched whole
    re.compile(r"""(?x) foo \| | bar  # a comment | with a bar"""),
    re.compile(r"setnx", re.IGNORECASE),
    re.compile(r"(?i)Lock\(|lease_"),
]
TEXTS = ["", "t = time ()", "x.utcnow()", "a|b", "|x", "aa", "ab", "foo |", "bar", "SETNX", "lock(", "LEASE_", "release"]


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.pattern[:20])
def test_alternatives_match_as_the_whole_pattern(pattern):
    for text in TEXTS:
        assert TextTriggers(text).match(pattern) is bool(pattern.search(text)), text


def test_splits_plain_alternations_only():
    assert len(alternatives(PATTERNS[0])) == 5
    assert alternatives(PATTERNS[1]) == (PATTERNS[1],)
    assert alternatives(PATTERNS[2]) == (PATTERNS[2],)


def test_objects_that_are_not_regexes_are_asked_as_they_are():
    class Words:
        def search(self, text):
            return "a" in text and "b" in text

    assert TextTriggers("cab").match(Words()) and not TextTriggers("ca").match(Words())


def test_every_rule_is_selected_as_by_its_triggers_alone():
    texts = ["import time\nt = time.time()\n", "r.lock('k', timeout=5)\n", "stripe.Charge.create()\n", "x = 1\n"]
    for text in texts:
        expected = [cls for cls in RULE_CLASSES if cls.TRIGGERS.search(text)
                    and any(Settings().enabled(rule_id) for rule_id in cls.rule_ids())]
        assert select_rules(text, Settings()) == expected
