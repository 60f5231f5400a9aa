"""Unified diffs the way GitHub shows them in `pulls/{n}/files[].patch`, and the hunk maps the
fake needs to decide whether a review comment's line is "part of the diff".

GitHub's `patch` is the git diff of one file without the `diff --git`/`---`/`+++` header lines:
it starts at the first `@@` line and uses 3 lines of context.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

_NO_EOL = "\\ No newline at end of file"


def unified_patch(old: str, new: str, context: int = 3) -> str:
    """The hunks between two texts, git-style (including the "No newline" marker)."""
    diff = list(difflib.unified_diff(_split(old), _split(new), n=context, lineterm=""))
    patch: list[str] = []
    for line in diff[2:]:  # drop the "---"/"+++" file header, as GitHub does
        if line.endswith(_EOL_MARK):
            patch.append(line[: -len(_EOL_MARK)])
            patch.append(_NO_EOL)
        else:
            patch.append(line)
    return "\n".join(patch)


_EOL_MARK = "\x00noeol"


def _split(text: str) -> list[str]:
    """Lines without terminators; the last one tagged when the text lacks a final newline."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
        return lines
    lines[-1] = lines[-1] + _EOL_MARK
    return lines


def count_changes(patch: str) -> tuple[int, int]:
    additions = deletions = 0
    for line in patch.splitlines():
        if line.startswith("+"):
            additions += 1
        elif line.startswith("-"):
            deletions += 1
    return additions, deletions


@dataclass
class Hunk:
    right: set[int] = field(default_factory=set)  # new-file lines shown (added or context)
    left: set[int] = field(default_factory=set)  # old-file lines shown (deleted or context)


@dataclass
class HunkMap:
    hunks: list[Hunk]
    # `position` (deprecated API): 1-based index of a line below the first "@@" header,
    # counting later "@@" lines too; maps to (side, line).
    positions: dict[int, tuple[str, int]]

    def hunk_of(self, side: str, line: int) -> int | None:
        for index, hunk in enumerate(self.hunks):
            if line in (hunk.right if side == "RIGHT" else hunk.left):
                return index
        return None


def hunk_map(patch: str | None) -> HunkMap:
    hunks: list[Hunk] = []
    positions: dict[int, tuple[str, int]] = {}
    if not patch:
        return HunkMap(hunks, positions)
    old_no = new_no = 0
    position = 0
    for raw in patch.split("\n"):
        if raw.startswith("@@"):
            if hunks:
                position += 1
            old_no, new_no = _hunk_starts(raw)
            hunks.append(Hunk())
            continue
        if not hunks:
            continue
        position += 1
        if raw.startswith("\\"):
            continue
        hunk = hunks[-1]
        if raw.startswith("+"):
            hunk.right.add(new_no)
            positions[position] = ("RIGHT", new_no)
            new_no += 1
        elif raw.startswith("-"):
            hunk.left.add(old_no)
            positions[position] = ("LEFT", old_no)
            old_no += 1
        else:
            hunk.right.add(new_no)
            hunk.left.add(old_no)
            positions[position] = ("RIGHT", new_no)
            old_no += 1
            new_no += 1
    return HunkMap(hunks, positions)


def _hunk_starts(header: str) -> tuple[int, int]:
    # "@@ -12,7 +12,9 @@ def f():" -> (12, 12)
    parts = header.split(" ")
    old = parts[1][1:].split(",")[0]
    new = parts[2][1:].split(",")[0]
    return int(old), int(new)
