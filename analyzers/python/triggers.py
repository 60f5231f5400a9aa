"""Whether a rule's TRIGGERS occur in a file's text, answered once per file for all rules.

A trigger regex is one long alternation of API names. Python's regex engine scans such a pattern
by trying every alternative at every position of the text, since no literal prefix is common to
them; searched alone, most alternatives start with a literal and are found by a fast scan. A
file matches the alternation exactly when it matches one of its alternatives, so the rules ask
the alternatives one by one, and an alternative shared by several rules (the wall-clock readings
of ARM103 and ARM104) is searched once per file.
"""
from __future__ import annotations

import re
from re import _compiler, _parser  # the regex module's own parser: splits exactly as it matches

_ALTERNATIVES: dict[re.Pattern, tuple[re.Pattern, ...]] = {}


def alternatives(pattern: re.Pattern) -> tuple[re.Pattern, ...]:
    """The top-level alternatives of `pattern`, each compiled alone; (pattern,) when it has none
    or they cannot be searched apart (verbose syntax, references to groups)."""
    found = _ALTERNATIVES.get(pattern)
    if found is None:
        found = (pattern,)
        if isinstance(pattern.pattern, str) and not pattern.flags & re.VERBOSE and not pattern.groups:
            try:
                parsed = _parser.parse(pattern.pattern, pattern.flags)
                if len(parsed.data) == 1 and parsed.data[0][0] is _parser.BRANCH:
                    found = tuple(
                        _compiler.compile(_parser.SubPattern(parsed.state, list(branch.data)), pattern.flags)
                        for branch in parsed.data[0][1][1]
                    )
            except Exception:  # noqa: BLE001 - another Python's internals: search the whole pattern
                found = (pattern,)
        _ALTERNATIVES[pattern] = found
    return found


class TextTriggers:
    """One file's text and the answers given for it so far."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._seen: dict[re.Pattern, bool] = {}

    def match(self, trigger) -> bool:
        """`trigger.search(text)` as a truth value; `trigger` is a compiled regex or any object
        with `.search(text)` (those are asked as they are)."""
        if not isinstance(trigger, re.Pattern):
            return bool(trigger.search(self.text))
        for alternative in alternatives(trigger):
            hit = self._seen.get(alternative)
            if hit is None:
                hit = self._seen[alternative] = alternative.search(self.text) is not None
            if hit:
                return True
        return False
