"""Rate limiting + small retry helpers shared by the SaaS API services."""
from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from datetime import datetime, timedelta
from typing import Callable, TypeVar

import redis
import requests

T = TypeVar("T")

r = redis.Redis(host="ratelimit-redis", socket_timeout=0.2)


class SlidingWindow:
    """In-process sliding window limiter (per API replica)."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self.hits: dict[str, deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()  # ok: in-process

    def allow(self, key: str) -> bool:
        now = time.monotonic()  # ok: monotonic window
        with self.lock:
            q = self.hits[key]
            while q and now - q[0] > self.window_s:
                q.popleft()
            if len(q) >= self.limit:
                return False
            q.append(now)
            return True


def allow_global(tenant: str, limit_per_min: int) -> bool:
    """Fixed window in Redis shared by all replicas; the window key expires on its own."""
    bucket = int(time.time() // 60)  # ok: window bucket id, not a deadline
    key = f"rl:{tenant}:{bucket}"
    pipe = r.pipeline()
    pipe.incr(key)
    pipe.expire(key, 90)  # ok: cache TTL
    count, _ = pipe.execute()
    return count <= limit_per_min


def retry_for(fn: Callable[[], T], seconds: float = 10.0) -> T:
    retry_until = datetime.now() + timedelta(seconds=seconds)  # expect: ARM103
    delay = 0.1
    while True:
        try:
            return fn()
        except requests.RequestException:
            if datetime.now() >= retry_until:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def retry_for_v2(fn: Callable[[], T], seconds: float = 10.0) -> T:
    retry_until = time.monotonic() + seconds  # ok
    delay = 0.1
    while True:
        try:
            return fn()
        except requests.RequestException:
            if time.monotonic() >= retry_until:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def fetch_plan_limits(tenant: str) -> dict:
    # ok: request timeout
    return requests.get(f"http://plans.internal/tenants/{tenant}/limits", timeout=(1, 3)).json()


def retry_after_header(reset_in_s: int) -> dict[str, str]:
    # ok: relative delay only, plus a human-readable server date
    return {"Retry-After": str(reset_in_s), "X-Server-Time": datetime.now().isoformat(timespec="seconds")}
