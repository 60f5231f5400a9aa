"""GitHubGateway (the App) and InstallationClient (one installation) on top of PyGithub.

PyGithub does the HTTP, JWTs and installation tokens (`Auth.AppAuth` mints a token lazily and
renews it shortly before it expires); this module adds the bot's retry policy (calls.py), a
fresh token on 401, and converts PyGithub objects into our plain models.
"""
from __future__ import annotations

import base64
import binascii
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from github import Auth, Github, GithubIntegration, GithubObject, UnknownObjectException

from .. import metrics
from . import calls
from .errors import GitHubError, ReviewRejected
from .models import ChangedFile, CheckRunInfo, PostedComment, PostedReview, PullRequestInfo
from .retry import RetryPolicy

T = TypeVar("T")
MAX_FILES = 3000  # GitHub lists at most 3000 files of a pull request
ANNOTATIONS_PER_REQUEST = 50  # Checks API limit per create/update request
_PERMISSION = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}


def _opt(value):
    return GithubObject.NotSet if value is None else value


class GitHubGateway:
    """The App's entry point. Constructing it does no network I/O."""

    def __init__(self, app_id: int | str, private_key: str, api_url: str = "https://api.github.com", *,
                 max_wait: float = 60.0, sleep: Callable[[float], None] = time.sleep, test_mode: bool = False,
                 clock: Callable[[], float] = time.time, timeout: float = 15.0):
        self.api_url = api_url.rstrip("/")
        self._app_auth = Auth.AppAuth(app_id, private_key)
        if test_mode and sleep is time.sleep:
            sleep = _no_sleep
        self._sleep = sleep
        self._policy = RetryPolicy(max_wait=max_wait, clock=clock)
        self._timeout = timeout
        self._clients: dict[int, InstallationClient] = {}
        self._lock = threading.Lock()
        self._slug: str | None = None

    def installation(self, installation_id: int) -> "InstallationClient":
        with self._lock:
            client = self._clients.get(installation_id)
            if client is None:
                client = InstallationClient(self, int(installation_id))
                self._clients[installation_id] = client
            return client

    def app_slug(self) -> str:
        if self._slug is None:
            integration = GithubIntegration(auth=self._app_auth, base_url=self.api_url, timeout=int(self._timeout),
                                            retry=None, seconds_between_requests=None, seconds_between_writes=None)
            try:
                self._slug = self._run(lambda: integration.get_app().slug, "GET /app")
            finally:
                integration.close()
        return self._slug

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    def _run(self, call: Callable[[], T], what: str, remint: Callable[[], None] | None = None,
             idempotent: bool = True) -> T:
        with metrics.github_call(what):
            return calls.run(call, what=what, policy=self._policy, sleep=self._sleep, remint=remint,
                             idempotent=idempotent)

    def _connect(self, installation_id: int) -> Github:
        return Github(auth=self._app_auth.get_installation_auth(installation_id), base_url=self.api_url,
                      timeout=int(self._timeout), per_page=100, retry=None, lazy=True,
                      seconds_between_requests=None, seconds_between_writes=None)


def _no_sleep(seconds: float) -> None:
    pass


class InstallationClient:
    """Calls made with one installation's token. Every call retries per the gateway's policy."""

    def __init__(self, gateway: GitHubGateway, installation_id: int):
        self._gateway = gateway
        self.installation_id = installation_id
        self._lock = threading.Lock()
        self._github = gateway._connect(installation_id)

    def close(self) -> None:
        self._github.close()

    def _remint(self) -> None:
        # A fresh AppInstallationAuth has no cached token: the next call mints a new one.
        with self._lock:
            old, self._github = self._github, self._gateway._connect(self.installation_id)
        old.close()

    def _run(self, call: Callable[[Github], T], what: str, idempotent: bool = True) -> T:
        try:
            return self._gateway._run(lambda: call(self._github), what, remint=self._remint, idempotent=idempotent)
        finally:  # what the last answer said; PyGithub keeps it without another request
            metrics.rate_limit(self.installation_id, self._github.requester.rate_limiting[0])

    # -- reading ---------------------------------------------------------------------------
    def pull_request(self, repo: str, number: int) -> PullRequestInfo:
        def fetch(gh: Github) -> PullRequestInfo:
            pr = gh.get_repo(repo).get_pull(number)
            base_repo = pr.base.repo
            head_repo = pr.head.repo
            return PullRequestInfo(
                repo=base_repo.full_name,
                number=pr.number,
                head_sha=pr.head.sha,
                # A deleted fork has no head repo; its commits stay reachable from the base repo.
                head_repo=head_repo.full_name if head_repo is not None else base_repo.full_name,
                base_ref=pr.base.ref,
                default_branch=base_repo.default_branch,
                state=pr.state,
                draft=bool(pr.draft),
                html_url=pr.html_url,
                repo_html_url=base_repo.html_url,
            )

        return self._run(fetch, f"GET pull request {repo}#{number}")

    def changed_files(self, repo: str, number: int) -> list[ChangedFile]:
        def fetch(gh: Github) -> list[ChangedFile]:
            files: list[ChangedFile] = []
            for f in gh.get_repo(repo).get_pull(number).get_files():
                files.append(ChangedFile(f.filename, f.status, f.patch, f.previous_filename))
                if len(files) >= MAX_FILES:
                    break
            return files

        return self._run(fetch, f"GET files of {repo}#{number}")

    def file_text(self, repo: str, path: str, ref: str) -> str | None:
        def fetch(gh: Github) -> str | None:
            try:
                content = gh.get_repo(repo).get_contents(path, ref=ref)
            except UnknownObjectException:
                return None
            if isinstance(content, list) or content.type != "file":
                return None  # a directory, symlink or submodule
            if content.encoding != "base64" or content.content is None:
                return None  # over 1 MB: GitHub sends no content with this media type
            try:
                data = base64.b64decode(content.content)
            except (binascii.Error, ValueError):
                return None
            if b"\0" in data:
                return None
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                return None

        return self._run(fetch, f"GET contents {repo}/{path}@{ref[:12]}")

    def review_comments(self, repo: str, number: int) -> list[PostedComment]:
        def fetch(gh: Github) -> list[PostedComment]:
            comments = []
            for c in gh.get_repo(repo).get_pull(number).get_review_comments():
                # Read the listed JSON itself: GitHub omits keys like in_reply_to_id, and asking
                # PyGithub for a missing attribute costs one extra GET per comment.
                raw = c._rawData
                comments.append(PostedComment(
                    id=raw["id"], path=raw.get("path") or "", line=raw.get("line"), body=raw.get("body") or "",
                    in_reply_to_id=raw.get("in_reply_to_id"), user_login=(raw.get("user") or {}).get("login", ""),
                    review_id=raw.get("pull_request_review_id")))
            return comments

        return self._run(fetch, f"GET review comments of {repo}#{number}")

    def reviews(self, repo: str, number: int) -> list[PostedReview]:
        """Submitted reviews of a pull request (their bodies carry the App's per-job markers)."""
        def fetch(gh: Github) -> list[PostedReview]:
            return [_posted(r._rawData) for r in gh.get_repo(repo).get_pull(number).get_reviews()]

        return self._run(fetch, f"GET reviews of {repo}#{number}")

    def issue_comments(self, repo: str, number: int) -> list[PostedReview]:
        """Conversation comments of an issue or pull request (slash commands and the App's replies)."""
        def fetch(gh: Github) -> list[PostedReview]:
            return [_posted(c._rawData) for c in gh.get_repo(repo).get_issue(number).get_comments()]

        return self._run(fetch, f"GET issue comments of {repo}#{number}")

    def permission(self, repo: str, username: str) -> str:
        def fetch(gh: Github) -> str:
            return gh.get_repo(repo).get_collaborator_permission(username)

        try:
            value = self._run(fetch, f"GET permission of {username} on {repo}")
        except GitHubError as exc:
            if exc.status == 404:
                return "none"
            raise
        return _PERMISSION.get(value, "none")

    def review_threads(self, repo: str, number: int) -> dict[int, ReviewThread]:
        """The PR's review threads by the id of their first comment (GraphQL: REST has no threads)."""
        owner, name = repo.split("/", 1)

        def fetch(gh: Github) -> dict[int, ReviewThread]:
            threads: dict[int, ReviewThread] = {}
            cursor = None
            for _page in range(MAX_FILES // 100):  # bounded, like the REST listings
                _, data = gh.requester.graphql_query(REVIEW_THREADS, {"owner": owner, "name": name, "number": number,
                                                                      "cursor": cursor})
                pull = (((data.get("data") or {}).get("repository") or {}).get("pullRequest") or {})
                connection = pull.get("reviewThreads") or {}
                for node in connection.get("nodes") or []:
                    first = ((node.get("comments") or {}).get("nodes") or [{}])[0] or {}
                    if first.get("databaseId") is not None:
                        threads[int(first["databaseId"])] = ReviewThread(
                            node["id"], bool(node.get("isResolved")), bool(node.get("viewerCanResolve")))
                page = connection.get("pageInfo") or {}
                if not page.get("hasNextPage"):
                    break
                cursor = page.get("endCursor")
            return threads

        return self._run(fetch, f"GraphQL review threads of {repo}#{number}")

    # -- writing ---------------------------------------------------------------------------
    def resolve_review_thread(self, thread_id: str) -> bool:
        """Mark a review thread resolved (GraphQL resolveReviewThread); True if it now is."""
        def post(gh: Github) -> bool:
            _, data = gh.requester.graphql_query(RESOLVE_THREAD, {"id": thread_id})
            thread = (((data.get("data") or {}).get("resolveReviewThread") or {}).get("thread") or {})
            return bool(thread.get("isResolved"))

        # Resolving twice is harmless, so a failed attempt may be repeated.
        return self._run(post, f"GraphQL resolve review thread {thread_id}")

    def create_review(self, repo: str, number: int, commit_sha: str, body: str, comments: list[dict]) -> int:
        def post(gh: Github) -> int:
            r = gh.get_repo(repo)
            review = r.get_pull(number).create_review(commit=r.get_commit(commit_sha), body=body, event="COMMENT",
                                                      comments=list(comments))
            return review.id

        try:
            return self._run(post, f"POST review on {repo}#{number}", idempotent=False)
        except GitHubError as exc:
            if exc.status == 422:
                errors = exc.data.get("errors", []) if isinstance(exc.data, dict) else []
                raise ReviewRejected(str(exc), list(errors or []), exc.data) from None
            raise

    def reply_to_review_comment(self, repo: str, number: int, comment_id: int, body: str) -> int:
        def post(gh: Github) -> int:
            return gh.get_repo(repo).get_pull(number).create_review_comment_reply(comment_id, body).id

        return self._run(post, f"POST reply to review comment {comment_id} on {repo}#{number}", idempotent=False)

    def create_issue_comment(self, repo: str, number: int, body: str) -> int:
        def post(gh: Github) -> int:
            return gh.get_repo(repo).get_issue(number).create_comment(body).id

        return self._run(post, f"POST comment on {repo}#{number}", idempotent=False)

    def add_reaction(self, repo: str, number: int, comment_id: int, content: str) -> None:
        def post(gh: Github) -> None:
            gh.get_repo(repo).get_issue(number).get_comment(comment_id).create_reaction(content)

        self._run(post, f"POST reaction on comment {comment_id} in {repo}")

    def create_check_run(self, repo: str, head_sha: str, *, name: str, status: str, external_id: str | None = None,
                         output: dict | None = None, details_url: str | None = None,
                         conclusion: str | None = None) -> int:
        first, rest = _split_annotations(output)

        def post(gh: Github) -> int:
            run = gh.get_repo(repo).create_check_run(
                name=name, head_sha=head_sha, status=status, external_id=_opt(external_id),
                output=_opt(first), details_url=_opt(details_url), conclusion=_opt(conclusion))
            return run.id

        check_run_id = self._run(post, f"POST check run on {repo}@{head_sha[:12]}", idempotent=False)
        self._send_annotations(repo, check_run_id, output, rest)
        return check_run_id

    def find_check_run(self, repo: str, head_sha: str, name: str, external_id: str) -> CheckRunInfo | None:
        """Our Check Run for this head and job, if a previous attempt of the job created one."""
        def fetch(gh: Github) -> CheckRunInfo | None:
            for run in gh.get_repo(repo).get_commit(head_sha).get_check_runs(check_name=name):
                raw = run._rawData
                if raw.get("external_id") == external_id:
                    return CheckRunInfo(raw["id"], raw.get("status") or "", raw.get("conclusion"))
            return None

        return self._run(fetch, f"GET check runs of {repo}@{head_sha[:12]}")

    def update_check_run(self, repo: str, check_run_id: int, *, status: str | None = None,
                         conclusion: str | None = None, output: dict | None = None) -> None:
        first, rest = _split_annotations(output)

        def patch(gh: Github) -> None:
            gh.get_repo(repo).get_check_run(check_run_id).edit(
                status=_opt(status), conclusion=_opt(conclusion), output=_opt(first))

        self._run(patch, f"PATCH check run {check_run_id} on {repo}")
        self._send_annotations(repo, check_run_id, output, rest)

    def _send_annotations(self, repo: str, check_run_id: int, output: dict | None, batches: list[list]) -> None:
        # Each PATCH appends its annotations; title/summary/text are resent unchanged.
        for batch in batches:
            more = {k: v for k, v in (output or {}).items() if k != "annotations"}
            more["annotations"] = batch

            def patch(gh: Github, more=more) -> None:
                gh.get_repo(repo).get_check_run(check_run_id).edit(output=more)

            self._run(patch, f"PATCH annotations of check run {check_run_id} on {repo}")


def _posted(raw: dict) -> PostedReview:
    return PostedReview(id=raw["id"], body=raw.get("body") or "", user_login=(raw.get("user") or {}).get("login", ""))


REVIEW_THREADS = """
query($owner: String!, $name: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes { id isResolved viewerCanResolve comments(first: 1) { nodes { databaseId } } }
      }
    }
  }
}
"""
RESOLVE_THREAD = """
mutation($id: ID!) {
  resolveReviewThread(input: {threadId: $id}) { thread { id isResolved } }
}
"""


@dataclass(frozen=True)
class ReviewThread:
    id: str  # GraphQL node id (PRRT_...)
    is_resolved: bool
    can_resolve: bool


def _split_annotations(output: dict | None) -> tuple[dict | None, list[list]]:
    """The output to send first (with at most 50 annotations) and the remaining batches of 50."""
    if not output or not output.get("annotations"):
        return output, []
    annotations = list(output["annotations"])
    first = dict(output, annotations=annotations[:ANNOTATIONS_PER_REQUEST])
    rest = [annotations[i : i + ANNOTATIONS_PER_REQUEST]
            for i in range(ANNOTATIONS_PER_REQUEST, len(annotations), ANNOTATIONS_PER_REQUEST)]
    return first, rest
