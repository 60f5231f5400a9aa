"""Errors the GitHub layer raises. Messages are short and safe to show users (no tracebacks,
no tokens); `status` is GitHub's HTTP status, or None when GitHub could not be reached."""
from __future__ import annotations


class GitHubError(Exception):
    def __init__(self, message: str, status: int | None = None, data: object = None):
        super().__init__(message)
        self.status = status
        self.data = data


class ReviewRejected(GitHubError):
    """GitHub answered 422 to a review: nothing of it was posted (reviews are all or nothing)."""

    def __init__(self, message: str, errors: list, data: object = None):
        super().__init__(message, 422, data)
        self.errors = errors


class RateLimited(GitHubError):
    """GitHub asked us to wait longer than the client's max_wait; retry the work at `retry_at`."""

    def __init__(self, message: str, retry_at: float, status: int | None = None):
        super().__init__(message, status)
        self.retry_at = retry_at
