"""Which lines of a pull request can carry an inline comment.

GitHub rejects a whole review (422 "line must be part of the diff") if one comment points outside
the hunks, so every comment is checked here first (reviewdog's lesson: filtering to the diff is its
own layer). Lines are numbers on the RIGHT side (the head version of the file).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass
class Hunk:
    start: int  # first RIGHT-side line
    end: int  # last RIGHT-side line (inclusive); start - 1 when the hunk only deletes
    added: set[int] = field(default_factory=set)

    def contains(self, line: int) -> bool:
        return self.start <= line <= self.end


@dataclass
class FileDiff:
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def added(self) -> set[int]:
        lines: set[int] = set()
        for hunk in self.hunks:
            lines |= hunk.added
        return lines

    def hunk_of(self, line: int) -> Hunk | None:
        for hunk in self.hunks:
            if hunk.contains(line):
                return hunk
        return None

    def is_added(self, line: int) -> bool:
        hunk = self.hunk_of(line)
        return hunk is not None and line in hunk.added

    def commentable(self, line: int) -> bool:
        """Added and context lines of a hunk both accept RIGHT-side comments."""
        return self.hunk_of(line) is not None

    def span_commentable(self, start: int, end: int) -> bool:
        """A multi-line comment needs both ends in the same hunk."""
        hunk = self.hunk_of(end)
        return hunk is not None and hunk.contains(start)


def parse_patch(patch: str | None) -> FileDiff:
    """Parse the `patch` of one file as GitHub returns it (hunks only, no ---/+++ header)."""
    diff = FileDiff()
    if not patch:
        return diff
    hunk: Hunk | None = None
    right = 0
    for raw in patch.split("\n"):
        match = _HUNK.match(raw)
        if match:
            start = int(match.group(3))
            count = int(match.group(4)) if match.group(4) is not None else 1
            hunk = Hunk(start=start, end=start + count - 1)
            diff.hunks.append(hunk)
            right = start
            continue
        if hunk is None:
            continue
        if raw.startswith("+"):
            hunk.added.add(right)
            right += 1
        elif raw.startswith(" "):
            right += 1
        elif raw.startswith("-") or raw.startswith("\\"):
            continue  # deleted line / "\ No newline at end of file"
        elif raw == "" and right <= hunk.end:
            right += 1  # a context line whose leading space was stripped by a tool on the way
    return diff


def diff_texts(base: str | None, head: str, context: int = 3) -> FileDiff:
    """Our own diff for files GitHub sent without a patch (too large, or past its limits)."""
    base_lines = (base or "").splitlines()
    head_lines = head.splitlines()
    patch = "\n".join(
        line
        for line in difflib.unified_diff(base_lines, head_lines, n=context, lineterm="")
        if not line.startswith(("--- ", "+++ "))
    )
    return parse_patch(patch)
