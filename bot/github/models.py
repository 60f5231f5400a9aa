"""Plain values the bot gets from GitHub, independent of PyGithub's classes."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import GitHubError, RateLimited, ReviewRejected

__all__ = ["ChangedFile", "CheckRunInfo", "GitHubError", "PostedComment", "PostedReview", "PullRequestInfo", "RateLimited",
           "ReviewRejected"]


@dataclass(frozen=True)
class PullRequestInfo:
    repo: str  # base repo full_name "owner/name"
    number: int
    head_sha: str
    head_repo: str  # full_name of the head repo (forks differ)
    base_ref: str
    default_branch: str
    state: str  # "open" | "closed"
    draft: bool
    html_url: str
    repo_html_url: str


@dataclass(frozen=True)
class ChangedFile:
    path: str
    status: str  # added | modified | removed | renamed | copied | changed | unchanged
    patch: str | None  # None when GitHub omitted it (binary or large diff)
    previous_path: str | None


@dataclass(frozen=True)
class PostedComment:
    id: int
    path: str
    line: int | None
    body: str
    in_reply_to_id: int | None
    user_login: str
    review_id: int | None = None  # the review it was posted with (None: a reply or a lone comment)


@dataclass(frozen=True)
class PostedReview:
    """A submitted review's body (where the App's markers say which job posted it) or an issue comment."""
    id: int
    body: str
    user_login: str


@dataclass(frozen=True)
class CheckRunInfo:
    id: int
    status: str  # queued | in_progress | completed
    conclusion: str | None
