"""ARM103/ARM104 on the forms real projects write: clock readings through helpers, aliases
and clock objects; deadlines handed between methods; expiries compared in queries."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

from .helpers import CLOCK, flagged


def graded(code: str, path: str = "app/module.py") -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), CLOCK)
    assert report.notes == []
    return [(f.rule, f.line, f.confidence) for f in report.findings]


# --- readings through other names ------------------------------------------------------------
def test_module_helper_wrapping_time_time_is_followed_one_level():
    code = """
    import time


    def now_ms():
        return int(time.time() * 1000)


    def wait_for(client, timeout_ms=5000):
        deadline = now_ms() + timeout_ms
        while now_ms() < deadline:
            if client.poll():
                return True
        return False
    """
    assert graded(code) == [("ARM103", 10, "high")]


def test_module_alias_of_utcnow_and_method_returning_the_clock():
    code = """
    import datetime

    utcnow = datetime.datetime.utcnow


    class Poller:
        def _now(self):
            return utcnow()

        def wait(self, job, seconds):
            give_up = self._now() + datetime.timedelta(seconds=seconds)
            while not job.done:
                if self._now() > give_up:
                    raise TimeoutError(job)
                job.refresh()
    """
    assert flagged(code, CLOCK) == [("ARM103", 12)]


def test_injected_clock_defaulting_to_time_time():
    code = """
    import time


    class RateWindow:
        def __init__(self, per_seconds, clock=time.time):
            self._clock = clock
            self._per = per_seconds
            self._opened = self._clock()

        def expired(self):
            return self._clock() - self._opened > self._per
    """
    assert flagged(code, CLOCK) == [("ARM103", 9)]


def test_clock_objects_and_pendulum_readings():
    code = """
    import pendulum


    class Lease:
        def __init__(self, clock, ttl):
            self.clock = clock
            self.until = self.clock.now() + ttl

        def held(self):
            return self.clock.now() < self.until


    def wait(conn):
        deadline = pendulum.now().add(seconds=30)
        while pendulum.now() < deadline:
            conn.poll()
    """
    assert graded(code) == [("ARM103", 8, "high"), ("ARM103", 15, "high")]


def test_helpers_known_only_by_name_are_medium_confidence():
    code = """
    from app.metrics import time
    from .utils import utcnow
    from datetime import timedelta


    class Batcher:
        def send_soon(self):
            if self.next_deadline is not None and time() < self.next_deadline:
                return
            self.next_deadline = time() + self.interval


    def wait(c):
        deadline = utcnow() + timedelta(seconds=30)
        while utcnow() < deadline:
            c.poll()
    """
    assert graded(code) == [("ARM103", 11, "medium"), ("ARM103", 15, "medium")]


def test_look_alike_helpers_stay_quiet():
    code = """
    import time
    from datetime import timedelta

    from sqlalchemy import func
    from trio import current_time
    from app.clock import monotonic_now


    def elapsed():
        return time.monotonic()


    def wait(c, timeout):
        deadline = elapsed() + timeout
        while elapsed() < deadline:
            c.poll()


    def wait_trio(c):
        deadline = current_time() + 5
        while current_time() < deadline:
            c.poll()


    def wait_mono(c):
        deadline = monotonic_now() + 5
        while monotonic_now() < deadline:
            c.poll()


    def expired_rows(session, Token):
        return session.query(Token).filter(Token.created_at < func.now() - timedelta(days=1))


    def label(clock):
        return f"report-{clock.now():%Y%m%d}.csv"
    """
    assert flagged(code, CLOCK) == []


# --- ARM104: expiries and leases compared in queries against the app clock -------------------
def test_expiry_compared_with_the_app_clock_in_orm_sql_and_mongo_queries():
    code = """
    import time
    from datetime import datetime

    from django.utils import timezone


    def purge_tokens(Token):
        Token.objects.filter(expires__lt=timezone.now()).delete()


    def live_sessions(session, Session):
        return session.query(Session).filter(Session.expires_at > datetime.utcnow()).all()


    def purge_cache(conn):
        now = time.time()
        conn.execute("DELETE FROM cache WHERE expires < ?", (now,))


    def purge_messages(coll):
        coll.delete_many({"expire_at": {"$lt": datetime.utcnow()}})
    """
    assert flagged(code, CLOCK) == [("ARM104", 9), ("ARM104", 13), ("ARM104", 18), ("ARM104", 22)]


def test_orm_queue_lease_claimed_through_a_method_and_scanned_against_the_clock():
    code = """
    from datetime import timedelta

    from django.utils import timezone


    class OrmBroker:
        def lease_end(self):
            return timezone.now() + timedelta(seconds=60)

        def dequeue(self, queue):
            ready = queue.filter(lock__lt=timezone.now())
            for task in ready:
                queue.filter(id=task.id, lock=task.lock).update(lock=self.lease_end())
    """
    # the lease is armed in the helper; that is where the fix (the database's clock) goes
    assert flagged(code, CLOCK) == [("ARM104", 9), ("ARM104", 12)]


def test_run_at_scores_written_to_a_redis_sorted_set():
    code = """
    import time


    def now_ms():
        return int(time.time() * 1000)


    def enqueue(redis, queue, job_id, defer_ms):
        score = now_ms() + defer_ms
        redis.zadd(queue, {job_id: score})
    """
    assert flagged(code, CLOCK) == [("ARM104", 10)]


def test_query_look_alikes_stay_quiet():
    code = """
    import time
    from datetime import timedelta

    from django.db.models.functions import Now
    from django.utils import timezone


    def expiring_soon(Subscription):
        return Subscription.objects.filter(trial_ends_at__lt=timezone.now() + timedelta(days=3))


    def purge_with_db_clock(Token):
        Token.objects.filter(expires__lt=Now()).delete()


    def dead_workers(Worker):
        return Worker.objects.filter(last_seen__lt=timezone.now() - timedelta(seconds=30))


    def this_week(Order):
        return Order.objects.filter(created_at__gte=timezone.now() - timedelta(days=7))


    def mark_seen(redis, worker):
        redis.zadd("workers", {worker: time.time()})


    def recent(cur):
        cur.execute("select * from orders where created_at > %s", (time.time() - 3600,))
    """
    assert flagged(code, CLOCK) == []


# --- deadlines handed between methods: in-memory TTL stores ------------------------------------
def test_ttl_store_keeping_value_and_expiry_tuples_per_key():
    code = """
    import time


    class TTLCache:
        def __init__(self):
            self._entries = {}

        def _expiry(self, ttl):
            return time.time() + ttl

        def put(self, key, value, ttl=60):
            self._entries[key] = (value, self._expiry(ttl))

        def get(self, key):
            value, expires = self._entries[key]
            if expires < time.time():
                del self._entries[key]
                return None
            return value


    class Memo:
        def __init__(self):
            self._store = {}

        def remember(self, key, value, ttl):
            self._store[key] = (value, time.time() + ttl)

        def recall(self, key):
            entry = self._store.get(key)
            if entry is None or entry[1] < time.time():
                return None
            return entry[0]
    """
    # the first store's deadline is armed inside its helper: that is the line a fix edits
    assert flagged(code, CLOCK) == [("ARM103", 10), ("ARM103", 28)]


def test_ttl_store_look_alikes_stay_quiet():
    code = """
    import time


    class MonotonicCache:
        def __init__(self):
            self._entries = {}

        def put(self, key, value, ttl=60):
            self._entries[key] = (value, time.monotonic() + ttl)

        def get(self, key):
            value, expires = self._entries[key]
            return None if expires < time.monotonic() else value


    class History:
        def __init__(self):
            self._rows = []

        def record(self, event):
            self._rows.append((event, time.time()))

        def describe(self, index):
            event, stamp = self._rows[index]
            return f"{event} at {time.ctime(stamp)}"
    """
    assert flagged(code, CLOCK) == []
