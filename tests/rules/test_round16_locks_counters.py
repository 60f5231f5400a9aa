"""`SET key n NX EX period` that seeds a counter the same function then counts down (a token
bucket, a per-period quota) is not a lock: the key holds a count, never an owner, and nothing is
guarded by it. The same SET NX followed by work on another key stays a lock."""
from __future__ import annotations

from analyzers import Settings

from .helpers import flagged

LOCKS = Settings(select=frozenset({"ARM201"}))

BUCKET = """\
class RateLimit:
    def __init__(self, redis, key, max_calls, period):
        self.redis = redis
        self.key = key
        self.max_calls = max_calls
        self.period = period

    def is_rate_limited(self):
        with self.redis.pipeline() as pipe:
            pipe.set(self.key, self.max_calls, nx=True, ex=self.period)
            pipe.decrby(self.key, 1)
            _, remaining = pipe.execute()
        return remaining < 0

    def allow(self, user_id):
        key = f"quota:{user_id}"
        self.redis.set(key, 0, nx=True, ex=60)
        return self.redis.incr(key) <= self.max_calls
"""


def test_a_key_seeded_once_per_period_and_counted_is_a_bucket_not_a_lock():
    assert flagged(BUCKET, LOCKS) == []


def test_a_set_nx_lease_guarding_a_write_is_still_a_lock():
    code = """\
    def rebuild(redis, db, report_id):
        key = f"lock:report:{report_id}"
        if redis.set(key, "worker-1", nx=True, ex=30):
            db.execute("update reports set body = %s where id = %s", (build(report_id), report_id))
            redis.incr("reports:rebuilt")
            redis.delete(key)
    """
    assert flagged(code, LOCKS) == [("ARM201", 4)]  # reported at the guarded write
