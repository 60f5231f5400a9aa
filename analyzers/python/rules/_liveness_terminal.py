"""Whether a test or a query selects items already in a terminal state (finished, failed, dead).

An age test on such items is retention (`status == "done" and updated < now - keep`), never a
verdict on a party. Two spellings only look terminal: a state excluded (`status != FINISHED`,
`~Q(state__in=FINAL_STATES)`, `.notin_(...)`, `.exclude(...)`: the items still running, which is
where a stalled-work detector looks), and a window named for the verdict it leads to
(`self._dead_interval`, `EXPIRE_TIMEOUT`).
"""
from __future__ import annotations

import re

import libcst as cst

from ..imports import dotted
from ..walk import children

TERMINAL = re.compile(
    r"(?<![A-Za-z0-9])(?:crashed|failed|finished|done|completed?|succeeded|success|cancell?ed|errored|dead|closed|archived)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# Operators and calls that exclude what they name.
_EXCLUDING_OPS = (cst.NotEqual, cst.NotIn, cst.IsNot)
_EXCLUDING_CALLS = re.compile(r"(?:^|\.)(?:notin_|not_in|exclude|not_|isnot|is_not)$")
# A duration named for its verdict: `_dead_interval`, `FAILED_AFTER`, `done_timeout`.
_WINDOW_WORD = re.compile(r"interval|timeout|after|ttl|delay|period|window|seconds|secs|minutes|hours|threshold|grace|limit")


def selects_terminal(node: cst.CSTNode) -> bool:
    """A terminal state named in `node` outside any exclusion and outside window names."""
    stack = [node]
    while stack:
        current = stack.pop()
        if _excludes(current):
            continue
        if isinstance(current, (cst.Attribute, cst.Name)):
            text = dotted(current)
            if text:
                if TERMINAL.search(text) and not _WINDOW_WORD.search(text.rsplit(".", 1)[-1].lower()):
                    return True
                continue
        if isinstance(current, cst.SimpleString) and TERMINAL.search(current.value):
            return True
        stack.extend(children(current))
    return False


def _excludes(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.Comparison):
        return all(isinstance(target.operator, _EXCLUDING_OPS) for target in node.comparisons)
    if isinstance(node, cst.UnaryOperation):
        return isinstance(node.operator, (cst.BitInvert, cst.Not))
    if isinstance(node, cst.Call):
        return bool(_EXCLUDING_CALLS.search(dotted(node.func) or ""))
    return False
