"""Optional LLM-written fix for a finding that has no deterministic fix.

The model proposes a replacement for the flagged lines; we accept it only when applying it
leaves code that still parses and that the analyzers no longer flag for that rule on that spot,
without any new finding or note anywhere in the file. Anything else (timeouts, API errors,
replies without a code block, broken code) yields None: an LLM fix is a bonus, never a blocker.
"""
from __future__ import annotations

import ast
import logging
import re
import textwrap
from collections import Counter
from importlib import resources
from string import Template

import analyzers
from analyzers import Edit, Finding, Fix, Settings

log = logging.getLogger(__name__)

_FENCE = re.compile(r"^```[^\n`]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
_SUPPRESSION = re.compile(r"armadilhas:\s*ignore", re.IGNORECASE)
_EXTENSION = {"python": ".py", "sql": ".sql"}


def make_fixer(settings):
    """The job's fixer `(finding, text, language) -> Fix | None` from the App settings."""
    import openai

    client = openai.OpenAI(base_url=settings.openai_base_url, api_key=settings.openai_api_key, max_retries=1,
                           timeout=30.0)
    model = settings.llm_model

    def fixer(finding: Finding, text: str, language: str) -> Fix | None:
        return propose_fix(finding, text, client, model, language=language)

    return fixer


def propose_fix(finding: Finding, text: str, client, model: str, *, language: str | None = None,
                settings: Settings | None = None, context_lines: int = 15, timeout: float = 30.0) -> Fix | None:
    """A validated Fix for `finding` in `text`, or None. Never raises."""
    try:
        language = language or analyzers.language_of(finding.path) or "python"
        settings = settings or Settings()
        lines = text.splitlines(keepends=True)
        if not (1 <= finding.line <= finding.end_line <= len(lines)):
            return None
        prompt_system, prompt_user = _render(finding, lines, language, context_lines)
        reply = _ask(client, model, prompt_system, prompt_user, timeout)
        replacement = _code_block(reply)
        if replacement is None:
            return None
        edit = _edit_for(lines, finding, replacement)
        if edit is None:
            return None
        new_text = analyzers.apply_edits(text, (edit,))
        if not _accept(finding, text, new_text, edit, language, settings):
            return None
        return Fix(description=f"Rewrite the flagged code so {finding.rule} no longer applies (suggested by an "
                               "LLM; review before applying)", edits=(edit,))
    except Exception as exc:  # an optional helper must not break the review
        log.warning("LLM fix for %s at %s:%s failed: %s: %s", finding.rule, finding.path, finding.line,
                    type(exc).__name__, exc)
        return None


def _template() -> tuple[Template, Template]:
    text = resources.files("prompts").joinpath("fix_finding.md").read_text(encoding="utf-8")
    system, _, user = text.partition("\n# User\n")
    return Template(system.replace("# System\n", "", 1).strip()), Template(user.strip())


def _render(finding: Finding, lines: list[str], language: str, context_lines: int) -> tuple[str, str]:
    from analyzers.catalog import get_rule

    meta = get_rule(finding.rule)
    first = max(1, finding.line - context_lines)
    last = min(len(lines), finding.end_line + context_lines)
    context = "".join(
        f"{'>' if finding.line <= n <= finding.end_line else ' '} {n:>4} | {lines[n - 1].rstrip()}\n"
        for n in range(first, last + 1)
    ).rstrip("\n")
    flagged = "".join(lines[finding.line - 1 : finding.end_line]).rstrip("\n")
    system, user = _template()
    values = {
        "path": finding.path,
        "language": language,
        "start_line": finding.line,
        "end_line": finding.end_line,
        "rule_id": finding.rule,
        "rule_slug": meta.slug if meta else finding.rule,
        "message": finding.message,
        "use_instead": meta.use_instead.en if meta else "",
        "context": context,
        "flagged": flagged,
    }
    return system.safe_substitute(values), user.safe_substitute(values)


def _ask(client, model: str, system: str, user: str, timeout: float) -> str:
    response = client.chat.completions.create(
        model=model,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
        temperature=0,
        timeout=timeout,
    )
    return response.choices[0].message.content or ""


def _code_block(reply: str) -> str | None:
    match = _FENCE.search(reply or "")
    if match is None:
        return None
    code = match.group(1)
    if not code.strip() or _SUPPRESSION.search(code):
        return None  # "no safe fix", or an attempt to silence the rule instead of fixing it
    return code


def _edit_for(lines: list[str], finding: Finding, replacement: str) -> Edit | None:
    """Replace whole lines finding.line..end_line, keeping the original final newline."""
    start = sum(len(line) for line in lines[: finding.line - 1])
    flagged = lines[finding.line - 1 : finding.end_line]
    end = start + len("".join(flagged))
    original = "".join(flagged)
    new_lines = replacement.rstrip("\n").split("\n")
    if len(new_lines) > 3 * len(flagged) + 10:
        return None  # a rewrite this large is not a fix for these lines
    indent = _indent(flagged[0])
    first = next((line for line in new_lines if line.strip()), "")
    if _indent(first) != indent:
        # Models often return the snippet dedented; put it back at the flagged code's depth.
        block = textwrap.dedent("\n".join(new_lines))
        new_lines = textwrap.indent(block, indent).split("\n")
    newline = "\r\n" if original.endswith("\r\n") else "\n" if original.endswith("\n") else ""
    new_text = newline.join(new_lines) + newline if newline else "\n".join(new_lines)
    if new_text == original:
        return None
    return Edit(start, end, new_text)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _accept(finding: Finding, old: str, new: str, edit: Edit, language: str, settings: Settings) -> bool:
    if not _still_parses(old, new, language):
        return False
    path = finding.path if analyzers.language_of(finding.path, settings) == language else (
        finding.path + _EXTENSION.get(language, ".py"))
    before = analyzers.analyze(path, old, settings)
    after = analyzers.analyze(path, new, settings)
    if len(after.notes) > len(before.notes):
        return False
    first = finding.line
    last_new = first + edit.text.count("\n") - (1 if edit.text.endswith("\n") else 0)
    delta = (last_new - first) - (finding.end_line - first)
    # Findings other than this one, where they should be after the edit.
    expected = Counter()
    for f in before.findings:
        if f.rule == finding.rule and f.line == finding.line and f.col == finding.col:
            continue
        expected[(f.rule, f.line + delta if f.line > finding.end_line else f.line)] += 1
    for f in after.findings:
        if f.rule == finding.rule and first <= f.line <= last_new:
            return False  # the same pitfall is still there
        key = (f.rule, f.line)
        if expected[key] <= 0:
            return False  # the edit introduced a finding
        expected[key] -= 1
    return True


def _still_parses(old: str, new: str, language: str) -> bool:
    if language == "python":
        parse = ast.parse
    elif language == "sql":
        from pglast import parser

        parse = parser.parse_sql
    else:
        return True
    try:
        parse(old)
    except Exception:
        return True  # the file did not parse before either; the analyzers' notes decide
    try:
        parse(new)
    except Exception:
        return False
    return True
