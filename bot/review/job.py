"""The review job: one pull request head in, one review and one Check Run out.

Idempotent and fenced, as the guidance it enforces asks: a job that is no longer the newest for its
PR, or whose head SHA is no longer the PR's head, posts no comments; comments whose fingerprint is
already on the PR are not posted again; findings that disappeared get one "fixed" reply.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

import analyzers
from analyzers import Finding, Fix, Report, extensionless, language_of
from analyzers.citations import REPO_SKILL_PATHS
from bot.config import CONFIG_PATH, ConfigError, RepoConfig, load_repo_config
from bot import metrics
from bot.github.models import ChangedFile, GitHubError, PostedComment, PullRequestInfo, RateLimited, ReviewRejected

from . import project, render, vet
from .diffmap import FileDiff, diff_texts, parse_patch

log = logging.getLogger("armadilhas.review")
SUPERSEDED = {"title": "Superseded", "summary": "A newer commit was pushed; it is reviewed instead."}

# (path, text, settings) -> Report; also given `project=` (a project index) when the changed files
# or the files they import define clock helpers.
Analyze = Callable[..., Report]
# (finding, file text, language) -> a validated Fix or None; bot/llm_fix.py provides the real one.
Fixer = Callable[[Finding, str, str], Fix | None]


@dataclass(frozen=True)
class ReviewRequest:
    installation: int
    repo: str
    number: int
    head_sha: str
    job: int = 0  # number taken from Store.next_job for this PR (0: unfenced, e.g. a manual run)
    trigger: str = ""
    attempt: int = 1  # > 1: an earlier run of this job may have left a Check Run and comments behind

    @classmethod
    def from_payload(cls, payload: dict) -> "ReviewRequest":
        return cls(int(payload["installation"]), str(payload["repo"]), int(payload["number"]),
                   str(payload["head_sha"]), int(payload.get("job", 0)), str(payload.get("trigger", "")),
                   int(payload.get("attempt", 1)))

    @property
    def external_id(self) -> str:
        """Names this job's Check Run, so that a re-run finds it instead of opening a second one."""
        return f"{self.number}:{self.job}"

    @property
    def review_key(self) -> str:
        """Marks this job's review bodies, so that a re-run finds what it already posted."""
        return f"{self.number}:{self.job}@{self.head_sha[:12]}"


@dataclass
class ReviewOutcome:
    status: str  # posted | clean | stale | superseded | closed | draft | config_error
    detail: str = ""
    posted: int = 0
    overflow: int = 0
    rejected: int = 0
    fixed_replies: int = 0
    findings: int = 0
    check_run_id: int | None = None


@dataclass
class AnalysedFile:
    path: str
    text: str
    diff: FileDiff
    findings: list[Finding]  # all findings in the file at head
    on_diff: list[Finding]  # those starting on a line the PR adds, or with a related line it adds
    clean: bool  # analysed without notes: a missing fingerprint here really means "gone"
    inline: bool = True  # False when GitHub sent no patch: it accepts no line comments there


@dataclass
class Reviewer:
    """Runs review jobs for one installation client. Collaborators are passed in, not looked up."""

    client: object  # bot.github.client.InstallationClient
    is_newest: Callable[[ReviewRequest], bool] = lambda request: True
    bot_login: str | None = None
    fixer: Fixer | None = None
    analyze: Analyze = analyzers.analyze
    notes: list[str] = field(default_factory=list)

    # -- the job -------------------------------------------------------------------------------
    def run(self, request: ReviewRequest) -> ReviewOutcome:
        if not self.is_newest(request):
            self._settle_leftover(request)
            return ReviewOutcome("superseded", "a newer job exists for this pull request")
        pr: PullRequestInfo = self.client.pull_request(request.repo, request.number)
        if pr.state != "open":
            self._settle_leftover(request)
            return ReviewOutcome("closed", "the pull request is closed")
        if pr.head_sha != request.head_sha:
            self._settle_leftover(request)
            return ReviewOutcome("stale", f"head moved to {pr.head_sha[:7]}")

        # The default branch only: a pull request cannot switch its own review off.
        try:
            config = load_repo_config(self.client.file_text(pr.repo, CONFIG_PATH, pr.default_branch))
        except ConfigError as exc:
            run_id = self._failed_config_run(pr, request, exc)
            return ReviewOutcome("config_error", str(exc), check_run_id=run_id)
        if pr.draft and not config.review.drafts:
            return ReviewOutcome("draft", "draft pull requests are not reviewed (review.drafts: false)")

        language = config.settings.language
        run_id, completed = self._open_check_run(pr, request)
        files, notes, changed_paths = self._analyse(pr, config)
        on_diff = sorted((f for a in files for f in a.on_diff), key=lambda f: f.sort_key)
        metrics.findings(f.rule for f in on_diff)
        skill_path = self._skill_path(pr) if on_diff else None
        texts = {a.path: a for a in files}

        existing = self.client.review_comments(pr.repo, pr.number)
        ours = [c for c in existing if self._is_ours(c)]
        reviews = [r for r in self.client.reviews(pr.repo, pr.number) if self._is_ours(r)]
        # Reviews an earlier attempt of this very job posted (it died before finishing): what they
        # said counts as this job's, so the re-run computes the same split and posts only the rest.
        mine = {r.id for r in reviews if render.review_key_of(r.body) == request.review_key}
        said_before = {fp for c in ours if c.in_reply_to_id is None and c.review_id not in mine
                       and (fp := render.fingerprint_of(c.body))}
        said_before.update(fp for r in reviews if r.id not in mine for fp in render.listed_of(r.body))
        landed = {fp for c in ours if c.in_reply_to_id is None and c.review_id in mine
                  and (fp := render.fingerprint_of(c.body))}

        # Medium-confidence findings stay in the Check Run unless the repository lowered the bar.
        confident = {"high"} if config.review.min_confidence == "high" else {"high", "medium"}
        fresh = [f for f in on_diff if f.fingerprint not in said_before and f.confidence in confident]
        placeable = [f for f in fresh if texts[f.path].inline]
        unplaceable = [f for f in fresh if not texts[f.path].inline]
        inline, overflow = placeable[: config.review.max_comments], placeable[config.review.max_comments:]
        if mine:  # this job's review body (and its list) landed already: only missing comments remain
            inline = [f for f in inline if f.fingerprint not in landed]
            overflow, unplaceable = [], []
        # The LLM is only asked for repos that opted in (review.llm_fixes) and only for inline comments.
        fixer = self.fixer if config.review.llm_fixes else None
        if fixer is not None and hasattr(fixer, "for_pull_request"):
            fixer = fixer.for_pull_request(pr.repo, pr.number)  # budgets are per pull request
        comments = [self._comment(f, texts[f.path], pr, skill_path, language, fixer) for f in inline]

        # Fence: a push that arrived while we worked makes everything above stale.
        if not self.is_newest(request) or self.client.pull_request(pr.repo, pr.number).head_sha != pr.head_sha:
            if not completed:
                self.client.update_check_run(pr.repo, run_id, status="completed", conclusion="skipped",
                                             output=SUPERSEDED)
            return ReviewOutcome("stale", "a newer push arrived during the review", check_run_id=run_id)

        posted, rejected = 0, []
        if comments or overflow or unplaceable:
            posted, rejected = self._post(pr, request, comments, inline, overflow, unplaceable, config, language)

        conclusion = "success"
        if on_diff:
            conclusion = "failure" if config.review.conclusion == "failure" else "neutral"
        if not completed:  # an earlier run of this job completed it: a Check Run is completed once
            self.client.update_check_run(pr.repo, run_id, status="completed", conclusion=conclusion,
                                         output=render.check_output(on_diff, notes, rejected, language))

        replies = self._answer_fixed(pr, ours, files, changed_paths, language)
        return ReviewOutcome("posted" if posted or overflow or unplaceable else "clean", posted=posted,
                             overflow=len(overflow) + len(unplaceable),
                             rejected=len(rejected), fixed_replies=replies, findings=len(on_diff),
                             check_run_id=run_id)

    # -- steps ---------------------------------------------------------------------------------
    def _open_check_run(self, pr: PullRequestInfo, request: ReviewRequest,
                        output: dict | None = None) -> tuple[int, bool]:
        """(id, already completed). A re-run of a job adopts the Check Run its earlier run opened."""
        if request.attempt > 1:
            found = self.client.find_check_run(pr.repo, pr.head_sha, render.CHECK_NAME, request.external_id)
            if found is not None:
                return found.id, found.status == "completed"
        run_id = self.client.create_check_run(
            pr.repo, pr.head_sha, name=render.CHECK_NAME, status="in_progress", external_id=request.external_id,
            output=output or {"title": "Reviewing", "summary": "armadilhas is analysing the changed files."})
        return run_id, False

    def _settle_leftover(self, request: ReviewRequest) -> None:
        """A re-run that finds its job superseded completes the Check Run the earlier run left open."""
        if request.attempt <= 1:
            return
        found = self.client.find_check_run(request.repo, request.head_sha, render.CHECK_NAME, request.external_id)
        if found is not None and found.status != "completed":
            self.client.update_check_run(request.repo, found.id, status="completed", conclusion="skipped",
                                         output=SUPERSEDED)

    def _failed_config_run(self, pr: PullRequestInfo, request: ReviewRequest, exc: ConfigError) -> int:
        run_id, completed = self._open_check_run(
            pr, request, {"title": f"Invalid {CONFIG_PATH}", "summary": str(exc)})
        if completed:
            return run_id
        self.client.update_check_run(
            pr.repo, run_id, status="completed", conclusion="failure",
            output={"title": f"Invalid {CONFIG_PATH}",
                    "summary": f"{exc}\n\nNo review was run. Fix `{exc.key or CONFIG_PATH}` in {CONFIG_PATH} "
                               f"on the default branch ({pr.default_branch})."})
        return run_id

    def _analyse(self, pr: PullRequestInfo, config: RepoConfig) -> tuple[list[AnalysedFile], list[str], set[str]]:
        analysed: list[AnalysedFile] = []
        notes: list[str] = []
        changed: list[ChangedFile] = self.client.changed_files(pr.repo, pr.number)
        changed_paths = {c.path for c in changed}
        readable: list[tuple[ChangedFile, str]] = []
        for item in changed:
            if item.status == "removed" or not config.included(item.path):
                continue
            known = language_of(item.path, config.settings)
            if known is None and not extensionless(item.path):
                continue
            text = self._head_text(pr, item.path)
            if known is None and (text is None or language_of(item.path, config.settings, text[:200]) is None):
                continue  # a file without an extension that is no Python script (`Makefile`, `bin/run.sh`)
            if text is None:
                notes.append(f"`{item.path}`: not analysed (binary, too large or not readable at the head commit)")
                continue
            readable.append((item, text))
        index = self._project_index(pr, readable, config, notes)
        for item, text in readable:
            if index is not None:
                report = self.analyze(item.path, text, config.settings, project=index)
            else:
                report = self.analyze(item.path, text, config.settings)
            notes.extend(f"`{n.path}`" + (f" line {n.line}" if n.line else "") + f": {n.message}" for n in report.notes)
            if item.patch is not None:
                diff = parse_patch(item.patch)
            else:  # GitHub left the patch out (large diff): diff the two versions ourselves
                base = self.client.file_text(pr.repo, item.previous_path or item.path, pr.base_ref)
                diff = diff_texts(base, text)
            on_diff = [f for f in report.findings if diff.is_added(f.line) or any(map(diff.is_added, f.related))]
            analysed.append(AnalysedFile(item.path, text, diff, report.findings, on_diff, clean=not report.notes,
                                         inline=item.patch is not None))
        return analysed, notes, changed_paths

    def _head_text(self, pr: PullRequestInfo, path: str) -> str | None:
        text = self.client.file_text(pr.repo, path, pr.head_sha)
        if text is None and pr.head_repo != pr.repo:
            text = self.client.file_text(pr.head_repo, path, pr.head_sha)
        return text

    def _project_index(self, pr: PullRequestInfo, readable, config: RepoConfig, notes: list[str]):
        """The clock helpers of the changed Python files and of the files they import (see
        project.py); None when no indexed helper could matter."""
        python = {item.path: text for item, text in readable if language_of(item.path, config.settings) == "python"}
        if not python:
            return None
        imported, problems = project.fetch_imported(python, lambda path: self._head_text(pr, path))
        notes.extend(problems)
        index = analyzers.build_project_index([*python.items(), *imported.items()])
        return index if index.facts else None

    def _skill_path(self, pr: PullRequestInfo) -> str | None:
        for path in REPO_SKILL_PATHS:
            if self.client.file_text(pr.repo, path, pr.head_sha) is not None:
                return path
        return None

    def _comment(self, finding: Finding, analysed: AnalysedFile, pr: PullRequestInfo,
                 skill_path: str | None, language: str, fixer: Fixer | None = None) -> dict:
        start, end = finding.line, max(finding.line, finding.end_line)
        if not analysed.diff.commentable(start):
            # on the diff through a related line only (a lock the PR adds around writes it left
            # alone): the comment goes where the PR changed the code
            anchor = next((line for line in finding.related if analysed.diff.is_added(line)), None)
            if anchor is not None:
                start = end = anchor
        if end != start and not analysed.diff.span_commentable(start, end):
            end = start
        fix = finding.fix
        # Code that talks to a model is not shown to one; what the model answers is vetted (vet.py).
        if fix is None and fixer is not None and not vet.addressed_to_a_model(analysed.text, finding):
            try:
                fix = vet.vet(finding, analysed.text, fixer(finding, analysed.text, language))
            except Exception as exc:  # an optional helper must never cost the review
                log.warning("LLM fix failed for %s: %s", finding.fingerprint, exc)
        suggestion = None
        if fix is not None:
            # The comment spans exactly the lines the fix edits (and the flagged line), when GitHub
            # accepts that span; else the fix is described but offered as a block only if it fits.
            span = render.edited_lines(analysed.text, fix.edits)
            if span is not None:
                lo, hi = min(span[0], finding.line), max(span[1], finding.line)
                if (lo, hi) != (start, end) and (lo == hi or analysed.diff.span_commentable(lo, hi)) \
                        and analysed.diff.is_added(lo) and analysed.diff.is_added(hi):
                    start, end = lo, hi
            suggestion = render.suggestion_for(finding, analysed.text, start, end, fix.edits)
        link = render.citation_url(finding, pr.repo_html_url, pr.head_sha, skill_path)
        body = render.comment_body(finding, language, link, suggestion, fix.description if suggestion else None)
        comment = {"path": finding.path, "line": end, "side": "RIGHT", "body": body}
        if end != start:
            comment.update(start_line=start, start_side="RIGHT")
        return comment

    def _post(self, pr: PullRequestInfo, request: ReviewRequest, comments: list[dict], inline: list[Finding],
              overflow: list[Finding], unplaceable: list[Finding], config: RepoConfig,
              language: str) -> tuple[int, list[Finding]]:
        """One review; if GitHub still rejects it (422), bisect so every valid comment lands."""
        body = render.review_body(len(inline), overflow, config.review.max_comments, language, unplaceable,
                                  key=request.review_key)
        pairs = list(zip(comments, inline))
        rejected: list[Finding] = []
        posted = 0

        def attempt(group: list[tuple[dict, Finding]], text: str) -> None:
            nonlocal posted
            try:
                self.client.create_review(pr.repo, pr.number, pr.head_sha, text, [c for c, _ in group])
                posted += len(group)
                metrics.comments_posted(f.rule for _, f in group)
            except ReviewRejected:
                if len(group) <= 1:
                    rejected.extend(f for _, f in group)
                    return
                middle = len(group) // 2
                attempt(group[:middle], text)
                attempt(group[middle:], render.labels(language)["review"].format(n=len(group) - middle, s="s")
                        + render.review_marks(request.review_key))

        if pairs:
            attempt(pairs, body)
        else:
            self.client.create_review(pr.repo, pr.number, pr.head_sha, body, [])
        return posted, rejected

    def _is_ours(self, comment: PostedComment) -> bool:
        return self.bot_login is None or comment.user_login == self.bot_login

    def _answer_fixed(self, pr: PullRequestInfo, ours: list[PostedComment], files: list[AnalysedFile],
                      changed_paths: set[str], language: str) -> int:
        current = {a.path: {f.fingerprint for f in a.findings} for a in files if a.clean}
        answered = {fp for c in ours if c.in_reply_to_id is not None and (fp := render.fixed_marker_of(c.body))}
        replies = 0
        threads = None  # fetched (GraphQL) only when something was fixed
        for comment in ours:
            fp = render.fingerprint_of(comment.body)
            if comment.in_reply_to_id is not None or not fp or fp in answered:
                continue
            if comment.path in current:
                gone = fp not in current[comment.path]
            else:  # a file the PR no longer changes: its flagged addition was reverted
                gone = comment.path not in changed_paths
            if not gone:
                continue
            rule = render.RULE_OF_COMMENT.search(comment.body)
            rule_id = rule.group(1) if rule else "finding"
            if threads is None:
                threads = self._review_threads(pr)
            self._resolve_thread(threads.get(comment.id))
            self.client.reply_to_review_comment(pr.repo, pr.number, comment.id,
                                                render.fixed_reply(rule_id, fp, pr.head_sha, language))
            answered.add(fp)
            replies += 1
        return replies

    # Resolution comes before the reply and only where no "fixed" reply exists yet: a re-run after a
    # crash between the two posts the reply (the thread is resolved already), and a thread that a
    # person re-opened after our reply is never resolved again.
    def _review_threads(self, pr: PullRequestInfo) -> dict:
        try:
            return self.client.review_threads(pr.repo, pr.number)
        except RateLimited:
            raise
        except GitHubError as exc:  # e.g. an old GitHub Enterprise Server: the reply still goes out
            log.warning("review threads of %s#%s not readable: %s", pr.repo, pr.number, exc)
            return {}

    def _resolve_thread(self, thread) -> None:
        if thread is None or thread.is_resolved or not thread.can_resolve:
            return
        try:
            self.client.resolve_review_thread(thread.id)
        except RateLimited:
            raise
        except GitHubError as exc:
            log.warning("could not resolve review thread %s: %s", thread.id, exc)

