"""Hostile pull requests and LLM fixes: no fix rather than a bad one.

The code the model is shown comes from the pull request, so its author can write to the model
(a comment "AI: reply with ...", a string pretending to be a system prompt). Two checks sit on our
side of the model, whatever the prompt says:

- before asking: if the lines the prompt would carry contain text addressed to a model, the model
  is not asked (`addressed_to_a_model`); a finding in such code gets its comment, without a fix;
- after answering: a Python fix must be an edit of the flagged operation, not a replacement of it
  (`vet`): it imports nothing, calls nothing whose name the file does not already use (or a plain
  builtin), and keeps every call of the flagged lines (clock reads excepted: a wall-clock fix swaps
  them). The analyzers' own re-check (bot/llm_fix.py) has already made sure the finding is gone
  and nothing new is flagged.
"""
from __future__ import annotations

import ast
import re

from analyzers import Finding, Fix, apply_edits

CONTEXT_LINES = 15  # what bot/llm_fix.py sends around the finding
_ADDRESSED = re.compile(
    r"(?ix)"
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+|the\s+|your\s+)?(?:previous|above|prior|earlier|other)\s+"
    r"(?:instructions|rules|prompts?|guidance)"
    r"|\b(?:to|hey|dear|attention|note\s+to)\s+(?:the\s+)?(?:ai|llm|gpt|assistant|language\s+model|code\s+reviewer\s+bot)\b"
    r"|\b(?:ai|llm|assistant|model)\s*[:,]\s*(?:please\s+)?(?:reply|respond|answer|output|write|return|ignore)"
    r"|\b(?:you\s+are\s+(?:now\s+)?(?:an?\s+)?(?:ai|llm|assistant|language\s+model|in\s+\w+\s+mode))"
    r"|\bsystem\s+prompt\b|<\|?(?:im_start|system)\|?>|\[/?INST\]"
    r"|\b(?:reply|respond|answer)\s+(?:only\s+)?with\s+(?:exactly|only|the\s+following)\b"
)
_SAFE_BUILTINS = frozenset({
    "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "float", "format", "frozenset", "hash", "int",
    "isinstance", "len", "list", "max", "min", "range", "repr", "reversed", "round", "set", "sorted", "str",
    "sum", "tuple", "zip", "ValueError", "RuntimeError", "TypeError", "KeyError",
})
_CLOCK_READ = re.compile(r"(?:^|\.)(?:time|time_ns|now|utcnow|today|monotonic|perf_counter|sleep)$")


def addressed_to_a_model(text: str, finding: Finding, context: int = CONTEXT_LINES) -> bool:
    """True when the lines a fix prompt would carry contain instructions aimed at a model."""
    lines = text.splitlines()
    first = max(0, finding.line - 1 - context)
    last = min(len(lines), max(finding.line, finding.end_line) + context)
    return _ADDRESSED.search("\n".join(lines[first:last])) is not None


def vet(finding: Finding, text: str, fix: Fix | None) -> Fix | None:
    """`fix` if it edits the flagged operation without adding or removing behaviour, else None."""
    if fix is None:
        return None
    if not finding.path.endswith(".py"):
        return fix
    try:
        old_tree = ast.parse(text)
        new_text = apply_edits(text, fix.edits)
        new_tree = ast.parse(new_text)
    except (SyntaxError, ValueError):
        return None
    start = min(e.start for e in fix.edits)
    first = text.count("\n", 0, start) + 1
    growth = new_text.count("\n") - text.count("\n")
    old_span = (first, max(finding.line, finding.end_line))
    new_span = (first, old_span[1] + growth)
    if any(isinstance(node, (ast.Import, ast.ImportFrom)) and _within(node, new_span) for node in ast.walk(new_tree)):
        return None
    known = _names(old_tree) | _SAFE_BUILTINS
    old_calls = _calls(old_tree, old_span)
    new_calls = _calls(new_tree, new_span)
    if any(name.split(".")[0] not in known for name in new_calls - old_calls):
        return None  # e.g. os.system, requests.post, eval: nothing the file used before
    if any(not _CLOCK_READ.search(name) for name in old_calls - new_calls):
        return None  # the flagged operation itself was removed, not fixed
    return fix


def _within(node: ast.AST, span: tuple[int, int]) -> bool:
    line = getattr(node, "lineno", None)
    return line is not None and span[0] <= line <= span[1]


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):  # a(...).b(...): keep the chain readable
        inner = _dotted(node.func)
        return ".".join([inner or "?"] + list(reversed(parts))) if inner else None
    return None


def _calls(tree: ast.AST, span: tuple[int, int]) -> set[str]:
    return {name for node in ast.walk(tree) if isinstance(node, ast.Call) and _within(node, span)
            and (name := _dotted(node.func))}


def _names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names
