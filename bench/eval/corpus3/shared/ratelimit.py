"""Rate limiting + circuit breaker helpers used by outbound integrations."""
from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone


@dataclass
class TokenBucket:
    rate: float
    capacity: float
    tokens: float = 0.0
    updated: float = field(default_factory=time.monotonic)

    def allow(self) -> bool:
        now = time.monotonic()  # ok: monotonic
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class CircuitBreaker:
    def __init__(self, failure_threshold: int = 5, reset_after_s: float = 30.0) -> None:
        self.failures = 0
        self.threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self.opened_at: float | None = None
        self._lock = asyncio.Lock()  # ok: in-process

    def is_open(self) -> bool:
        if self.opened_at is None:
            return False
        return time.monotonic() - self.opened_at < self.reset_after_s  # ok: monotonic

    def record_failure(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = time.monotonic()


class SlidingWindow:
    def __init__(self, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self.hits: deque[float] = deque()

    def hit(self) -> bool:
        now = time.perf_counter()  # ok
        while self.hits and now - self.hits[0] > self.window_s:
            self.hits.popleft()
        if len(self.hits) >= self.limit:
            return False
        self.hits.append(now)
        return True


class DailyQuota:
    """Per-tenant SMS quota that resets at midnight UTC (calendar logic, not a lease)."""

    def __init__(self) -> None:
        self.day = datetime.now(timezone.utc).date()  # ok: calendar day bucket
        self.used = 0

    def take(self) -> bool:
        today = datetime.now(timezone.utc).date()
        if today != self.day:
            self.day, self.used = today, 0
        self.used += 1
        return self.used <= 1000


class RetryBudget:
    def __init__(self, total_s: float) -> None:
        self.deadline = time.time() + total_s  # expect: ARM103

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.time())
