"""Text the App posts: inline comment bodies, the review body, the Check Run output.

Every inline comment ends with a hidden fingerprint marker; re-runs read it back to know what they
already said, and the "fixed" reply carries its own marker so it is never posted twice.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from analyzers import Finding, apply_edits
from analyzers.catalog import get_rule
from analyzers.citations import repo_skill_url
from analyzers.model import Edit

FINGERPRINT = re.compile(r"<!-- armadilhas:fingerprint=([0-9a-f]{8,64}) -->")
FIXED = re.compile(r"<!-- armadilhas:fixed=([0-9a-f]{8,64}) -->")
# A review body names the job that posted it, and the findings it lists instead of commenting on
# them inline; a slash-command reply names the comment it answers. Re-runs read them back.
REVIEW_KEY = re.compile(r"<!-- armadilhas:review=([0-9A-Za-z:@._-]{1,120}) -->")
LISTED = re.compile(r"<!-- armadilhas:listed=([0-9a-f,]*) -->")
REPLY_TO = re.compile(r"<!-- armadilhas:reply-to=(\d{1,20}) -->")
RULE_OF_COMMENT = re.compile(r"^\*\*(ARM\d{3})\b")
CHECK_NAME = "armadilhas"
MAX_OUTPUT_CHARS = 65535  # GitHub's cap on output.summary / output.text

_LABELS = {
    "en": {
        "instead": "Use instead",
        "fix": "Suggested fix",
        "fixed": "Fixed: `{rule}` is no longer reported here as of {sha}.",
        "review": "**armadilhas** found {n} distributed-systems pitfall{s} in the lines this pull request adds.",
        "overflow": "{n} more finding{s} not commented inline (limit of {limit} comments per review):",
        "unlisted": "… and {n} more, listed in the Check Run.",
        "title_none": "No pitfalls found",
        "title_some": "{n} pitfall{s} found",
        "rule": "Rule", "name": "Name", "count": "Findings",
        "notes": "Files not analysed",
        "rejected": "GitHub refused these inline comments; they are listed here instead:",
        "clean": "No findings on the lines this pull request adds.",
        "no_diff": "GitHub shows no diff for these files (too large), so they cannot take inline comments:",
        "medium": "Medium-confidence findings (commented inline only with `review.min_confidence: medium`):",
    },
    "pt-BR": {
        "instead": "Use em vez disso",
        "fix": "Correção sugerida",
        "fixed": "Corrigido: `{rule}` não aparece mais aqui em {sha}.",
        "review": "**armadilhas** encontrou {n} armadilha{s} de sistemas distribuídos nas linhas que este pull request adiciona.",
        "overflow": "Mais {n} achado{s} sem comentário na linha (limite de {limit} comentários por revisão):",
        "unlisted": "… e mais {n}, listados no Check Run.",
        "title_none": "Nenhuma armadilha encontrada",
        "title_some": "{n} armadilha{s} encontrada{s}",
        "rule": "Regra", "name": "Nome", "count": "Achados",
        "notes": "Arquivos não analisados",
        "rejected": "O GitHub recusou estes comentários na linha; eles estão listados aqui:",
        "clean": "Nenhum achado nas linhas que este pull request adiciona.",
        "no_diff": "O GitHub não mostra o diff destes arquivos (grandes demais), então eles não aceitam comentários na linha:",
        "medium": "Achados de confiança média (comentados na linha só com `review.min_confidence: medium`):",
    },
}


def labels(language: str) -> dict[str, str]:
    return _LABELS["pt-BR" if language == "pt-BR" else "en"]


def _plural(n: int) -> str:
    return "" if n == 1 else "s"


@dataclass(frozen=True)
class Suggestion:
    start_line: int
    end_line: int
    replacement: str  # the new text of lines start_line..end_line, without the final newline
    delete: bool = False  # the fix removes these lines: an empty suggestion block

    @property
    def block(self) -> str:
        """The fenced block, byte for byte: the fence is longer than any run of backticks inside."""
        longest = max((len(run) for run in _BACKTICKS.findall(self.replacement)), default=0)
        fence = "`" * max(3, longest + 1)
        if self.delete:
            return f"{fence}suggestion\n{fence}"
        return f"{fence}suggestion\n{self.replacement}\n{fence}"


_BACKTICKS = re.compile(r"`+")


def line_starts(text: str) -> list[int]:
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts


def edited_lines(text: str, edits: tuple[Edit, ...]) -> tuple[int, int] | None:
    """First and last line (1-based) the edits touch. An edit that ends right after a newline
    does not touch the next line; a pure insertion touches the line it is inserted into."""
    if not edits:
        return None
    lo = min(e.start for e in edits)
    hi = max(e.end for e in edits)
    first = text.count("\n", 0, lo) + 1
    last_offset = hi - 1 if hi > lo and hi > 0 and text[hi - 1] == "\n" else hi
    last = text.count("\n", 0, max(lo, last_offset)) + 1
    return first, max(first, last)


def suggestion_for(finding: Finding, text: str, start_line: int, end_line: int,
                   edits: tuple[Edit, ...] | None = None) -> Suggestion | None:
    """The suggestion block for commented lines `start_line..end_line`, if the fix's edits all
    fall inside them (a suggestion replaces exactly the commented lines, nothing else)."""
    edits = edits if edits is not None else (finding.fix.edits if finding.fix else ())
    if not edits:
        return None
    starts = line_starts(text)
    if start_line < 1 or end_line > len(starts) or start_line > end_line:
        return None
    lo = starts[start_line - 1]
    hi = starts[end_line] - 1 if end_line < len(starts) else len(text)
    # Whole-line edits may include the last line's newline; the block then ends with it too.
    with_newline = hi + 1 if hi < len(text) and text[hi] == "\n" else hi
    if any(not (lo <= e.start <= e.end <= with_newline) for e in edits):
        return None
    segment = apply_edits(text[lo:with_newline], [Edit(e.start - lo, e.end - lo, e.text) for e in edits])
    if with_newline > hi:
        if segment == "":
            return Suggestion(start_line, end_line, "", delete=True)
        if not segment.endswith("\n"):
            return None  # the fix joins the last line with the next one: no block can say that
        segment = segment[:-1]
    segment = "\n".join(line.rstrip("\r") for line in segment.split("\n"))
    return Suggestion(start_line, end_line, segment)


def citation_url(finding: Finding, repo_html_url: str, head_sha: str, skill_path: str | None) -> str:
    if skill_path:
        return repo_skill_url(repo_html_url, head_sha, skill_path, finding.citation.anchor)
    return finding.citation.url


def comment_body(finding: Finding, language: str, link: str, suggestion: Suggestion | None = None,
                 fix_description: str | None = None) -> str:
    words = labels(language)
    rule = get_rule(finding.rule)
    slug = f" · {rule.slug}" if rule else ""
    parts = [f"**{finding.rule}{slug}**: {finding.message}"]
    if rule:
        parts.append(rule.why.get(language).strip())
        parts.append(f"**{words['instead']}:** {rule.use_instead.get(language).strip()}")
    if suggestion is not None:
        title = f"{words['fix']}" + (f" ({fix_description})" if fix_description else "")
        parts.append(f"{title}:\n{suggestion.block}")
    parts.append(f"📖 [{finding.citation.skill} › {finding.citation.section}]({link})")
    parts.append(f"<!-- armadilhas:fingerprint={finding.fingerprint} -->")
    return "\n\n".join(parts)


def fixed_reply(rule_id: str, fingerprint: str, head_sha: str, language: str) -> str:
    text = labels(language)["fixed"].format(rule=rule_id, sha=head_sha[:7])
    return f"✅ {text}\n\n<!-- armadilhas:fixed={fingerprint} -->"


def fingerprint_of(body: str) -> str | None:
    match = FINGERPRINT.search(body or "")
    return match.group(1) if match else None


def fixed_marker_of(body: str) -> str | None:
    match = FIXED.search(body or "")
    return match.group(1) if match else None


def _finding_line(finding: Finding) -> str:
    return f"- `{finding.path}:{finding.line}` **{finding.rule}**: {finding.message}"


def review_key_of(body: str) -> str | None:
    match = REVIEW_KEY.search(body or "")
    return match.group(1) if match else None


def listed_of(body: str) -> set[str]:
    """Fingerprints a review body lists (findings beyond max_comments or without a diff)."""
    match = LISTED.search(body or "")
    return {fp for fp in match.group(1).split(",") if fp} if match else set()


def reply_to_of(body: str) -> int | None:
    match = REPLY_TO.search(body or "")
    return int(match.group(1)) if match else None


def with_reply_marker(text: str, comment_id: int) -> str:
    return f"{text}\n\n<!-- armadilhas:reply-to={int(comment_id)} -->"


def review_body(new_count: int, overflow: list[Finding], limit: int, language: str,
                unplaceable: list[Finding] = (), key: str = "") -> str:
    """The review's text. It lists what is not commented inline, as many lines as GitHub's cap
    allows (the rest are counted; the Check Run has them all), and ends with two markers: the job
    that posted it (`key`) and the fingerprints it lists, so a re-run neither repeats the review
    nor turns a listed finding into a second comment."""
    words = labels(language)
    total = new_count + len(overflow) + len(unplaceable)
    parts = [words["review"].format(n=total, s=_plural(total))]
    sections = [(words["overflow"].format(n=len(overflow), s=_plural(len(overflow)), limit=limit), overflow),
                (words["no_diff"], unplaceable)]
    budget = MAX_OUTPUT_CHARS - 400 - len(parts[0])
    listed: list[str] = []
    left = 0
    for title, findings in sections:
        if not findings:
            continue
        lines = []
        for finding in findings:
            line = _finding_line(finding)
            cost = len(line) + len(finding.fingerprint) + 2
            if left or cost > budget - len(title):
                left += 1
                continue
            budget -= cost
            lines.append(line)
            listed.append(finding.fingerprint)
        if lines:
            budget -= len(title)
            parts.extend([title, "\n".join(lines)])
    if left:
        parts.append(words["unlisted"].format(n=left))
    return "\n\n".join(parts) + review_marks(key, listed)


def review_marks(key: str, listed: list[str] = ()) -> str:
    marks = f"\n\n<!-- armadilhas:review={key} -->" if key else ""
    return marks + (f"\n<!-- armadilhas:listed={','.join(listed)} -->" if listed else "")


def check_output(findings: list[Finding], notes: list[str], rejected: list[Finding], language: str) -> dict:
    """Title, summary table per rule and annotations (the client sends them 50 per request)."""
    words = labels(language)
    n = len(findings)
    title = words["title_none"] if n == 0 else words["title_some"].format(n=n, s=_plural(n))
    parts: list[str] = []
    if findings:
        counts = Counter(f.rule for f in findings)
        rows = [f"| {words['rule']} | {words['name']} | {words['count']} |", "|---|---|---:|"]
        for rule_id in sorted(counts):
            meta = get_rule(rule_id)
            rows.append(f"| {rule_id} | {meta.slug if meta else ''} | {counts[rule_id]} |")
        parts.append("\n".join(rows))
    else:
        parts.append(words["clean"])
    quiet = [f for f in findings if f.confidence != "high"]
    if quiet:
        # Listed here rather than commented inline (review.min_confidence), so they are not lost.
        parts.append(words["medium"] + "\n" + "\n".join(_finding_line(f) for f in quiet))
    if rejected:
        parts.append(words["rejected"] + "\n" + "\n".join(_finding_line(f) for f in rejected))
    if notes:
        parts.append(f"**{words['notes']}**\n" + "\n".join(f"- {note}" for note in notes))
    annotations = []
    for f in findings:
        annotation = {
            "path": f.path,
            "start_line": f.line,
            "end_line": max(f.line, f.end_line),
            "annotation_level": "warning" if f.confidence == "high" else "notice",
            "title": (f"{f.rule} {get_rule(f.rule).slug if get_rule(f.rule) else ''}".strip()
                      + ("" if f.confidence == "high" else f" ({f.confidence} confidence)"))[:255],
            "message": f"{f.message}\n{f.citation.url}"[:60000],
        }
        if f.end_line == f.line and f.end_col > f.col:
            annotation["start_column"] = f.col
            annotation["end_column"] = f.end_col
        annotations.append(annotation)
    return {"title": title, "summary": _cap("\n\n".join(parts)), "annotations": annotations}


def _cap(text: str) -> str:
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    return text[: MAX_OUTPUT_CHARS - 20] + "\n\n… (truncated)"
