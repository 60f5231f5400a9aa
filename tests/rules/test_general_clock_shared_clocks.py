"""ARM104 where this client's clock meets other clients' readings inside Redis: a wall-clock
reading handed to a server-side script as an argument, a sorted-set score built by a comprehension
or bound to a name first, and a heartbeat stamped as a score for some other node to age."""
from __future__ import annotations

from .helpers import CLOCK, flagged


def test_wall_clock_passed_to_a_registered_script():
    code = """
    import time

    WINDOW = "local n = redis.call('zcount', KEYS[1], ARGV[3] - ARGV[2], '+inf') return n"


    class Limiter:
        def __init__(self, redis, limit, per):
            self.window = redis.register_script(WINDOW)
            self.limit, self.per = limit, per

        def hit(self, key):
            return self.window(keys=[key], args=[self.limit, self.per, time.time()])
    """
    assert flagged(code, CLOCK, "app/limits.py") == [("ARM104", 13)]


def test_wall_clock_passed_to_eval():
    code = """
    import time

    SWEEP = "return redis.call('zremrangebyscore', KEYS[1], 0, ARGV[1])"


    def sweep(redis, key, max_age):
        cutoff = time.time() - max_age
        return redis.eval(SWEEP, 1, key, cutoff)
    """
    assert flagged(code, CLOCK, "app/sweeper.py") == [("ARM104", 9)]


def test_run_at_scores_built_by_a_comprehension():
    code = """
    import time


    def schedule_later(redis, queue, job_ids, delay):
        due = {job_id: time.time() + delay for job_id in job_ids}
        redis.zadd(f"scheduled:{queue}", due)
    """
    assert flagged(code, CLOCK, "app/jobs.py") == [("ARM104", 6)]


def test_heartbeat_scores_stamped_for_other_workers_to_age():
    code = """
    import time


    class Worker:
        def heartbeat(self, queue, task_ids):
            now = time.time()
            scores = {task_id: now for task_id in task_ids}
            self.redis.zadd(f"active:{queue}", scores)
    """
    assert flagged(code, CLOCK, "app/worker.py") == [("ARM104", 8)]


def test_monotonic_reading_passed_to_a_script_stays_quiet():
    code = """
    import time


    def pace(redis, script, key):
        started = time.monotonic()
        script(keys=[key], args=[1])
        return time.monotonic() - started
    """
    assert flagged(code, CLOCK, "app/pace.py") == []


def test_script_given_only_counts_stays_quiet():
    code = """
    def bump(redis, script, key, amount):
        return script(keys=[key], args=[amount, 60])
    """
    assert flagged(code, CLOCK, "app/bump.py") == []


def test_recent_items_scored_by_time_outside_liveness_stay_quiet():
    code = """
    import time


    def remember_view(redis, user_id, item_id):
        redis.zadd(f"recent:{user_id}", {item_id: time.time()})
        redis.zremrangebyrank(f"recent:{user_id}", 0, -51)
    """
    assert flagged(code, CLOCK, "app/recent.py") == []


def test_helper_turning_a_delay_into_an_absolute_instant():
    code = """
    from datetime import datetime, timedelta


    def resolve_when(when):
        if when is None:
            return None
        if isinstance(when, timedelta):
            when = datetime.utcnow() + when
        return when
    """
    assert flagged(code, CLOCK, "app/scheduling.py") == [("ARM104", 9)]


def test_helper_checking_timedelta_without_the_clock_stays_quiet():
    code = """
    from datetime import timedelta


    def as_seconds(value):
        if isinstance(value, timedelta):
            value = value.total_seconds()
        return value
    """
    assert flagged(code, CLOCK, "app/units.py") == []
