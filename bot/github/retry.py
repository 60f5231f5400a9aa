"""How long to wait before asking GitHub again, following GitHub's rate-limit guidance:

- 5xx or no answer: exponential backoff, a few attempts.
- 403/429 with `Retry-After`: wait that many seconds.
- 403/429 with `x-ratelimit-remaining: 0`: wait until `x-ratelimit-reset`.
- 403/429 that is a secondary limit without either header: wait at least a minute, doubling.
- Any other 403 (e.g. "Resource not accessible by integration") is a real refusal: no retry.

PyGithub runs with retry=None so that this module is the only place that decides (its own
GithubRetry ignores 429 without Retry-After, see FACTS.md).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

_SECONDARY_HINTS = ("secondary rate limit", "abuse detection", "rate limit exceeded", "wait a few minutes",
                    "retry your request again later")


@dataclass(frozen=True)
class RetryPolicy:
    max_wait: float = 60.0  # longest single wait we sleep through; beyond it: RateLimited
    server_attempts: int = 4  # total tries on 5xx / connection errors
    rate_attempts: int = 3  # total tries on 403/429 rate limiting
    base_delay: float = 1.0
    max_delay: float = 30.0
    secondary_wait: float = 60.0
    clock: Callable[[], float] = field(default=time.time)

    def server_delay(self, attempt: int) -> float | None:
        """Backoff before try number attempt+1 after a 5xx, or None when out of attempts."""
        if attempt >= self.server_attempts:
            return None
        return min(self.base_delay * 2 ** (attempt - 1), self.max_delay)

    def rate_delay(self, status: int, headers: Mapping[str, str], message: str, attempt: int) -> float | None:
        """Seconds GitHub asks us to wait, or None when the answer is not rate limiting."""
        lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
        retry_after = _number(lowered.get("retry-after"))
        if retry_after is not None:
            return max(retry_after, 0.0)
        if lowered.get("x-ratelimit-remaining") == "0":
            reset = _number(lowered.get("x-ratelimit-reset"))
            if reset is not None:
                return max(reset - self.clock(), 0.0)
        if status == 429 or any(hint in (message or "").lower() for hint in _SECONDARY_HINTS):
            return self.secondary_wait * 2 ** (attempt - 1)
        return None


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
