"""Rate limiting / throttling helpers shared by the API workers."""
import threading
import time
from datetime import datetime, timezone

import redis

_r = redis.Redis()


class TokenBucket:
    """In-process token bucket; monotonic clock."""

    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.updated = time.monotonic()
        self._lock = threading.Lock()  # ok: in-process lock

    def allow(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


def sliding_window_allow(key: str, limit: int, window_s: int = 60) -> bool:
    # ok: Redis-side TTL; expiry enforced by Redis itself, no lock
    pipe = _r.pipeline()
    pipe.incr(f"sw:{key}")
    pipe.expire(f"sw:{key}", window_s)
    count, _ = pipe.execute()
    return count <= limit


class AlertThrottle:
    """Avoid paging on-call more than once every N minutes per alert."""

    def __init__(self, min_interval_s: float = 600):
        self.min_interval_s = min_interval_s
        self.last_sent: dict[str, float] = {}

    def should_send(self, alert: str) -> bool:
        now = time.monotonic()
        if now - self.last_sent.get(alert, -1e18) < self.min_interval_s:  # ok: throttle, monotonic
            return False
        self.last_sent[alert] = now
        return True


def request_log_line(method: str, path: str, status: int, dur_ms: float) -> str:
    ts = datetime.now(timezone.utc).isoformat()  # ok: log timestamp
    return f"{ts} {method} {path} {status} {dur_ms:.1f}ms"


def retry_after_header(reset_epoch: int) -> dict:
    # ok: header value for the client, nothing persisted or checked here
    return {"Retry-After": str(max(0, reset_epoch - int(time.time())))}
