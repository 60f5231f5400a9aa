"""Liveness verdicts reported where they are acted on.

A function or property that answers whether a party is alive from a fixed-window age
(rules/_liveness_ages: `service_is_up`, `is_agent_down`, a model's `is_active` property) is the
detector, but the failover happens at its callers: the branch on its answer marks the party down,
steals its lock, reschedules its work. The project index lists the verdicts of every module (and
the verdicts that only negate or forward another one); ARM301 then reports each such call whose
branch takes the party out (medium: the window itself is reported at the verdict).
"""
from __future__ import annotations

import re

import libcst as cst

from ..imports import dotted
from ..walk import children
from ._liveness_ages import (
    _GONE_LIST,
    VERDICT,
    AgeTrigger,
    FunctionFlow,
    _branch,
    _descendants,
    find_liveness_ages,
    module_functions,
    returns_cutoff,
)
from ._liveness_stalled import _fails_item

# A def whose name could be a verdict: the only files the index parses for this.
_VERDICT_DEF = re.compile(
    r"def\s+\w*(?:alive|dead|_up|down|health|active|stale|lost|uptodate|up_to_date|responsive|reachable|online|offline)\w*\s*\(",
    re.IGNORECASE,
)


# A caller file worth reading: it names something like a verdict.
VERDICT_CALL_TRIGGER = re.compile(
    r"(?:alive|dead|_up|_down|healthy|is_active|up_?to_?date|online|offline|responsive)\b|(?:stale|lost|dead)_\w+\(", re.IGNORECASE
)


# A function returning the clock minus a window, written in one or two steps.
_CUTOFF_TEXT = re.compile(r"(?:return|=)\s*\(?\s*[\w.]*(?:utcnow|now|time)\([^()]*\)\s*-", re.IGNORECASE)


def cutoffs_of_module(module: cst.Module) -> set[str]:
    """Names of the module's functions that return `now - window`."""
    return {func.name.value for func, cls in module_functions(module) if returns_cutoff(FunctionFlow(func, dotted, cls))}


def verdicts_of_module(module: cst.Module, known: frozenset[str] = frozenset(), cutoffs: frozenset[str] = frozenset()) -> set[str]:
    """Names of the module's verdict functions: those that return a fixed-window age (found by
    the general form), and, given `known`, those that return (the negation of) a known verdict."""
    out: set[str] = set()
    for func, cls in module_functions(module):
        name = func.name.value
        if not VERDICT.search(name):
            continue
        if not known:
            flow = FunctionFlow(func, dotted, cls, cutoffs)
            found = find_liveness_ages(flow)
            if any(f.verdict for f in found) or (found and _returns_gone_list(flow)):
                out.add(name)
        elif any(_returns_verdict(node, known) for node in _descendants(func.body)):
            out.add(name)
    return out


def _returns_gone_list(flow: FunctionFlow) -> bool:
    """`return stale_trial_ids`: the function hands its callers the parties it found silent."""
    return any(
        isinstance(node, cst.Return) and isinstance(node.value, cst.Name) and _GONE_LIST.search(node.value.value)
        for node in _descendants(flow.func.body)
    )


def _returns_verdict(node: cst.CSTNode, known: frozenset[str]) -> bool:
    if not isinstance(node, cst.Return) or node.value is None:
        return False
    value = node.value
    while isinstance(value, cst.UnaryOperation):
        value = value.expression
    return isinstance(value, cst.Call) and (dotted(value.func) or "").rsplit(".", 1)[-1] in known


def index_cutoffs(items: list[tuple[str, str]], parse) -> frozenset[str]:
    """Names of the project's cutoff helpers (`service_expired_time()`: now minus a window)."""
    found: set[str] = set()
    for _, text in items:
        if "def " in text and _CUTOFF_TEXT.search(text):
            module = parse(text)
            if module is not None:
                found |= cutoffs_of_module(module)
    return frozenset(found)


def index_verdicts(items: list[tuple[str, str]], parse, cutoffs: frozenset[str] = frozenset()) -> frozenset[str]:
    """The verdict names of a project, from (path, text) of its files; `parse` returns a module
    or None. Two passes: verdicts computing the age, then verdicts forwarding one of those."""
    trigger = AgeTrigger()
    candidates = [(path, text) for path, text in items if _VERDICT_DEF.search(text)]
    found: set[str] = set()
    for _, text in candidates:
        if trigger.search(text):
            module = parse(text)
            if module is not None:
                found |= verdicts_of_module(module, cutoffs=cutoffs)
    if not found:
        return frozenset()
    known = frozenset(found)
    calls = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, known))) + r")\s*\(")
    for _, text in candidates:
        if calls.search(text):
            module = parse(text)
            if module is not None:
                found |= verdicts_of_module(module, known)
    return frozenset(found)


def acted_on(module: cst.Module, verdicts: frozenset[str]):
    """Calls or property reads of a verdict tested by a branch that takes the party out."""
    for func, cls in module_functions(module):
        flow = FunctionFlow(func, dotted, cls)
        for stmt in _descendants(func.body):
            if isinstance(stmt, (cst.If, cst.While)):
                use = _verdict_in(stmt.test, verdicts)
            elif isinstance(stmt, cst.For):
                use = _verdict_in(stmt.iter, verdicts)  # `for trial_id in storage._get_stale_trial_ids(...)`
            else:
                continue
            if use is not None and (_branch(flow, stmt) == "action" or (isinstance(stmt, cst.For) and _fails_item(flow, stmt.body))):
                yield use


def _verdict_in(test: cst.CSTNode, verdicts: frozenset[str]) -> cst.CSTNode | None:
    stack = [test]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            name = (dotted(node.func) or "").rsplit(".", 1)[-1]
            if name in verdicts:
                return node
        elif isinstance(node, cst.Attribute) and node.attr.value in verdicts:
            return node  # a property
        stack.extend(children(node))
    return None
