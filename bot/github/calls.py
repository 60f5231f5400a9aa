"""Run one PyGithub call under the bot's retry policy, turning PyGithub's exceptions into ours."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import requests
from github import GithubException

from .errors import GitHubError, RateLimited
from .retry import RetryPolicy

log = logging.getLogger(__name__)
T = TypeVar("T")


def run(
    call: Callable[[], T],
    *,
    what: str,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    remint: Callable[[], None] | None = None,
    idempotent: bool = True,
) -> T:
    """call() until it succeeds, sleeping through `sleep` as GitHub asks.

    `remint` is called once on a 401 (an installation token expired or was revoked early), then
    the call is retried; a second 401 is final. A call that creates something (`idempotent=False`)
    is not repeated after a 5xx or a timeout: GitHub may have applied it before failing to answer,
    and a blind retry would post it twice. The error goes up instead and the whole job runs again,
    which skips what already landed (fingerprints, the Check Run's external_id). Rate-limit answers
    are refusals, so those are retried either way.
    """
    server_tries = rate_tries = 0
    reminted = False
    while True:
        try:
            return call()
        except GithubException as exc:
            status = exc.status
            message = _message(exc)
            if status == 401 and remint is not None and not reminted:
                reminted = True
                log.info("GitHub answered 401 to %s; minting a new installation token", what)
                remint()
                continue
            if status in (403, 429):
                rate_tries += 1
                wait = policy.rate_delay(status, exc.headers or {}, message, rate_tries)
                if wait is not None:
                    if wait > policy.max_wait or rate_tries >= policy.rate_attempts:
                        retry_at = policy.clock() + wait
                        raise RateLimited(f"GitHub rate limit on {what}: retry after {wait:.0f}s", retry_at,
                                          status) from None
                    log.warning("GitHub rate limit on %s (%s); waiting %.1fs", what, status, wait)
                    sleep(wait)
                    continue
            if status is not None and status >= 500 and idempotent:
                server_tries += 1
                delay = policy.server_delay(server_tries)
                if delay is not None:
                    log.warning("GitHub answered %s to %s; retrying in %.1fs", status, what, delay)
                    sleep(delay)
                    continue
            raise GitHubError(f"GitHub answered {status} to {what}: {message}", status, exc.data) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            server_tries += 1
            delay = policy.server_delay(server_tries) if idempotent else None
            if delay is None:
                raise GitHubError(f"GitHub unreachable for {what}: {type(exc).__name__}") from None
            log.warning("GitHub unreachable for %s (%s); retrying in %.1fs", what, type(exc).__name__, delay)
            sleep(delay)


def _message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict):
        return str(data.get("message") or "")
    return str(data or "")
