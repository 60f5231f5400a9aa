"""Optional LLM-written fix for a finding that has no deterministic fix.

The model proposes a replacement for the flagged lines; we accept it only when applying it
leaves code that still parses and that the analyzers no longer flag for that rule on that spot,
without any new finding or note anywhere in the file, and when it is an edit of those lines rather
than a rewrite. Anything else (timeouts, 429/5xx, replies without a code block, broken code, an
exhausted budget) yields None: an LLM fix is a bonus, never a blocker, and nothing the model
writes reaches the pull request except a validated suggestion.

Guard rails (LlmLimits): per-PR budgets of calls and tokens kept in the shared state store, a
per-call timeout without retries, a process-wide concurrency limit, a cache keyed by fingerprint,
rule and model (a recheck costs nothing), and redaction of key- or token-like strings before
anything leaves the process. The PR's code is fenced in the prompt as data.
"""
from __future__ import annotations

import ast
import difflib
import logging
import re
import textwrap
import threading
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from string import Template

import analyzers
from analyzers import Edit, Finding, Fix, Settings

from .llm_state import LlmState, cache_key

log = logging.getLogger(__name__)

PROMPT_VERSION = "2"  # part of the cache key: a new prompt asks again
_SUPPRESSION = re.compile(r"armadilhas:\s*ignore", re.IGNORECASE)
_EXTENSION = {"python": ".py", "sql": ".sql"}
MIN_SIMILARITY = 0.5  # a fix edits the flagged lines; a reply this different replaces them
DESCRIPTION = "Rewrite the flagged code so {rule} no longer applies (suggested by an LLM; review before applying)"

# Strings that look like credentials. Each match (its `s` group when it has one) is replaced by a
# placeholder before the prompt is built and put back into the model's answer, so the secret never
# leaves the process.
_SECRETS = [re.compile(p) for p in (
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
    r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{10,}",  # Stripe
    r"\bsk-(?:proj-|ant-)?[0-9A-Za-z_-]{16,}",  # OpenAI, Anthropic
    r"\bgh[pousr]_[0-9A-Za-z]{20,}|\bgithub_pat_[0-9A-Za-z_]{20,}",  # GitHub
    r"\bxox[abposr]-[0-9A-Za-z-]{10,}",  # Slack
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",  # AWS access key id
    r"\bAIza[0-9A-Za-z_-]{35}\b",  # Google API key
    r"\beyJ[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}",  # JWT
    r"[a-z][a-z0-9+.-]*://[^/\s:@]+:(?P<s>[^/\s@]+)@",  # the password of user:password@ in URLs
    r"(?i)(?:secret|token|passw(?:or)?d|api[_-]?key|private[_-]?key|credential)[\w-]*[\"']?\s*[:=]\s*"
    r"[\"'](?P<s>[^\"'\s]{8,})[\"']",  # a literal assigned to a secret-sounding name
)]
_PLACEHOLDER = re.compile(r"ARMADILHAS_REDACTED_\d+")


@dataclass(frozen=True)
class LlmLimits:
    max_calls_per_pr: int = 10
    max_tokens_per_pr: int = 30_000
    max_output_tokens: int = 800
    timeout: float = 20.0  # seconds per call; no retries
    concurrency: int = 4  # calls in flight at once, per process

    @classmethod
    def from_settings(cls, settings) -> "LlmLimits":
        defaults = cls()
        return cls(**{name: getattr(settings, f"llm_{name}", getattr(defaults, name))
                      for name in ("max_calls_per_pr", "max_tokens_per_pr", "max_output_tokens", "timeout",
                                   "concurrency")})


def redact(text: str) -> tuple[str, dict[str, str]]:
    """`text` with credential-like strings replaced by placeholders, and the way back."""
    found: dict[str, str] = {}

    def swap(match: re.Match) -> str:
        group = "s" if "s" in match.re.groupindex and match.group("s") is not None else 0
        secret = match.group(group)
        placeholder = found.setdefault(secret, f"ARMADILHAS_REDACTED_{len(found) + 1}")
        start, end = match.start(group) - match.start(), match.end(group) - match.start()
        whole = match.group(0)
        return whole[:start] + placeholder + whole[end:]

    for pattern in _SECRETS:
        text = pattern.sub(swap, text)
    return text, {placeholder: secret for secret, placeholder in found.items()}


def unredact(text: str, back: dict[str, str]) -> str | None:
    """Put the secrets back; None if the model invented a placeholder we never sent."""
    if any(p not in back for p in _PLACEHOLDER.findall(text)):
        return None
    return _PLACEHOLDER.sub(lambda m: back[m.group(0)], text)


class LlmFixer:
    """The job's fixer. `for_pull_request` binds the budget to one PR; calling the fixer itself
    charges a shared budget (for callers that have no PR, e.g. a manual run)."""

    def __init__(self, client, model: str, limits: LlmLimits = LlmLimits(), state: LlmState | None = None):
        self.client = client
        self.model = model
        self.limits = limits
        self.state = state
        self._slots = threading.BoundedSemaphore(max(1, limits.concurrency))

    def for_pull_request(self, repo: str, number: int):
        pr = f"{repo.lower()}#{number}"
        return lambda finding, text, language: self.fix(finding, text, language, pr=pr)

    def __call__(self, finding: Finding, text: str, language: str) -> Fix | None:
        return self.fix(finding, text, language, pr="-")

    def fix(self, finding: Finding, text: str, language: str | None, *, pr: str) -> Fix | None:
        """A validated Fix for `finding` in `text`, or None. Never raises."""
        try:
            return self._fix(finding, text, language, pr)
        except Exception as exc:  # an optional helper must not break the review
            log.warning("LLM fix for %s at %s:%s failed: %s: %s", finding.rule, finding.path, finding.line,
                        type(exc).__name__, exc)
            return None

    def _fix(self, finding: Finding, text: str, language: str | None, pr: str) -> Fix | None:
        language = language or analyzers.language_of(finding.path) or "python"
        settings = Settings()
        lines = text.splitlines(keepends=True)
        if not (1 <= finding.line <= finding.end_line <= len(lines)):
            return None
        key = cache_key(finding.fingerprint, finding.rule, self.model, PROMPT_VERSION) if finding.fingerprint else None
        if key and self.state is not None:
            cached = self.state.cached(key)
            if cached is not None:
                log.info("LLM fix for %s from the cache", finding.fingerprint)
                return _validated(finding, text, lines, cached, language, settings) if cached else None
        system, user, back = _render(finding, lines, language, 15)
        estimate = (len(system) + len(user)) // 3 + self.limits.max_output_tokens
        if self.state is not None and not self.state.reserve(pr, estimate, self.limits.max_calls_per_pr,
                                                             self.limits.max_tokens_per_pr):
            log.info("LLM budget of %s spent: no fix asked for %s", pr, finding.fingerprint)
            return None
        if not self._slots.acquire(timeout=self.limits.timeout):
            log.info("LLM concurrency limit: no slot for %s within %.0fs", finding.fingerprint, self.limits.timeout)
            return None
        try:
            reply, used = _ask(self.client, self.model, system, user, self.limits)
        finally:
            self._slots.release()
        if self.state is not None:
            self.state.spend(pr, (used or estimate) - estimate)
        replacement = _code_block(reply)
        if replacement is not None:
            replacement = unredact(replacement, back)
        fix = _validated(finding, text, lines, replacement, language, settings) if replacement else None
        if key and self.state is not None:
            self.state.remember(key, _replacement_of(fix, text) if fix else "")
        return fix


def make_fixer(settings, state: LlmState | None = None):
    """The App's fixer from its settings: the real `openai` client, limits, state in the shared store."""
    import openai

    from .llm_state import make_state

    limits = LlmLimits.from_settings(settings)
    client = openai.OpenAI(base_url=settings.openai_base_url, api_key=settings.openai_api_key, max_retries=0,
                           timeout=limits.timeout)
    return LlmFixer(client, settings.llm_model, limits, state if state is not None else make_state(settings))


def propose_fix(finding: Finding, text: str, client, model: str, *, language: str | None = None,
                settings: Settings | None = None, context_lines: int = 15, timeout: float = 30.0) -> Fix | None:
    """One uncached, unbudgeted attempt (kept for callers outside the App). Never raises."""
    fixer = LlmFixer(client, model, LlmLimits(timeout=timeout), state=None)
    return fixer.fix(finding, text, language, pr="-")


def _validated(finding: Finding, text: str, lines: list[str], replacement: str | None, language: str,
               settings: Settings) -> Fix | None:
    if not replacement:
        return None
    edit = _edit_for(lines, finding, replacement)
    if edit is None:
        return None
    original = text[edit.start:edit.end]
    if difflib.SequenceMatcher(None, original, edit.text, autojunk=False).ratio() < MIN_SIMILARITY:
        return None  # not an edit of the flagged lines: a rewrite (or a deletion) we do not offer
    new_text = analyzers.apply_edits(text, (edit,))
    if not _accept(finding, text, new_text, edit, language, settings):
        return None
    return Fix(description=DESCRIPTION.format(rule=finding.rule), edits=(edit,), applicability="unsafe")


def _replacement_of(fix: Fix, text: str) -> str:
    return fix.edits[0].text


def _template() -> tuple[Template, Template]:
    text = resources.files("prompts").joinpath("fix_finding.md").read_text(encoding="utf-8")
    system, _, user = text.partition("\n# User\n")
    return Template(system.replace("# System\n", "", 1).strip()), Template(user.strip())


def _fence(*texts: str) -> str:
    longest = max((len(run) for t in texts for run in re.findall(r"`+", t)), default=0)
    return "`" * max(3, longest + 1)


_SPLIT = "\n\0armadilhas-split\0\n"


def _render(finding: Finding, lines: list[str], language: str, context_lines: int) -> tuple[str, str, dict]:
    from analyzers.catalog import get_rule

    meta = get_rule(finding.rule)
    first = max(1, finding.line - context_lines)
    last = min(len(lines), finding.end_line + context_lines)
    context = "".join(
        f"{'>' if finding.line <= n <= finding.end_line else ' '} {n:>4} | {lines[n - 1].rstrip()}\n"
        for n in range(first, last + 1)
    ).rstrip("\n")
    flagged = "".join(lines[finding.line - 1 : finding.end_line]).rstrip("\n")
    # One redaction over both, so a secret gets the same placeholder in each.
    joined, back = redact(context + _SPLIT + flagged)
    if joined.count(_SPLIT) == 1:
        context, flagged = joined.split(_SPLIT)
    else:  # a match ran across the two: give up on this finding rather than leak anything
        raise ValueError("redaction crossed the prompt's parts")
    system, user = _template()
    values = {
        "path": finding.path.replace("`", ""),
        "language": language,
        "start_line": finding.line,
        "end_line": finding.end_line,
        "rule_id": finding.rule,
        "rule_slug": meta.slug if meta else finding.rule,
        "message": finding.message,
        "use_instead": meta.use_instead.en if meta else "",
        "context": context,
        "flagged": flagged,
        "fence": _fence(context, flagged),
    }
    return system.safe_substitute(values), user.safe_substitute(values), back


def _ask(client, model: str, system: str, user: str, limits: LlmLimits) -> tuple[str, int | None]:
    """The reply's text and the tokens it cost. Any API error, 429, 5xx or timeout raises (-> no fix)."""
    response = client.chat.completions.create(
        model=model,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
        temperature=0,
        max_tokens=limits.max_output_tokens,
        timeout=limits.timeout,
    )
    usage = getattr(response, "usage", None)
    used = getattr(usage, "total_tokens", None) if usage is not None else None
    return response.choices[0].message.content or "", used


_FENCE_OPEN = re.compile(r"^(`{3,})[^\n`]*\n", re.MULTILINE)


def _code_block(reply: str) -> str | None:
    """The first fenced block of the reply (any fence length), or None."""
    opening = _FENCE_OPEN.search(reply or "")
    if opening is None:
        return None
    fence = opening.group(1)
    closing = re.compile(rf"^{fence}`*[ \t]*$", re.MULTILINE).search(reply, opening.end())
    if closing is None:
        return None
    code = reply[opening.end():closing.start()]
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
