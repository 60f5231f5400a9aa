"""Round 8, wall-clock in process and round trips: values whose two ends meet through a container,
a stamp written out as text and read back, injectable clock parameters, refills by elapsed time,
and helpers that turn a delay into an absolute instant."""
from __future__ import annotations

from .helpers import CLOCK, flagged


# --- a container keeps (stamp, item); entries are dropped by age ------------------------------
def test_queue_of_stamped_entries_dropped_by_age_is_flagged():
    code = """\
        import time
        from collections import deque


        class RecentEvents:
            def __init__(self, window):
                self.window = window
                self.events = deque()

            def record(self, event):
                self.events.append((time.time(), event))
                self.prune()

            def prune(self):
                oldest_allowed = time.time() - self.window
                while self.events and self.events[0][0] < oldest_allowed:
                    self.events.popleft()
    """
    assert flagged(code, CLOCK, "app/events.py") == [("ARM103", 15)]


def test_queue_of_monotonic_stamps_is_quiet():
    code = """\
        import time
        from collections import deque


        class RecentEvents:
            def __init__(self, window):
                self.window = window
                self.events = deque()

            def record(self, event):
                self.events.append((time.monotonic(), event))

            def prune(self):
                oldest_allowed = time.monotonic() - self.window
                while self.events and self.events[0][0] < oldest_allowed:
                    self.events.popleft()
    """
    assert flagged(code, CLOCK, "app/events.py") == []


# --- a stamp written as text into shared storage and compared again ----------------------------
def test_shared_list_of_text_stamps_compared_with_local_clock_is_arm104():
    code = """\
        import time


        def allow(redis_list, limit, period):
            if len(redis_list) < limit:
                redis_list.prepend(str(time.time()))
                return True
            first = redis_list[-1]
            if time.time() - float(first) < period:
                return False
            redis_list.prepend(str(time.time()))
            return True
    """
    assert flagged(code, CLOCK, "app/throttle.py") == [("ARM104", 9)]


def test_lease_end_serialised_into_a_node_and_parsed_back_is_arm104():
    code = """\
        import datetime
        import json

        FMT = "%Y-%m-%dT%H:%M:%S"


        def try_take(store, path, me, hold):
            now = datetime.datetime.utcnow()
            raw = store.read(path)
            if raw:
                record = json.loads(raw)
                until = datetime.datetime.strptime(record["until"], FMT)
                if record["owner"] != me and now < until:
                    return False
            record = {"owner": me, "until": (now + hold).strftime(FMT)}
            store.write(path, json.dumps(record))
            return True
    """
    assert flagged(code, CLOCK, "app/lease.py") == [("ARM104", 15)]


def test_text_stamp_that_is_only_logged_is_quiet():
    code = """\
        import time


        def remember(history, item):
            history.append(str(time.time()))
            log.info("last entry at %s", history[-1])
    """
    assert flagged(code, CLOCK, "app/history.py") == []


# --- injectable clock parameters ----------------------------------------------------------------
def test_clock_parameter_default_called_in_a_closure_is_followed():
    code = """\
        import time


        def rate_limited(calls, period, clock=time.time, pause=time.sleep):
            def wrap(func):
                def inner(*args):
                    started = clock()
                    result = func(*args)
                    if clock() - started > period:
                        raise RuntimeError("too slow")
                    return result
                return inner
            return wrap
    """
    assert flagged(code, CLOCK, "app/limits.py") == [("ARM103", 7)]


def test_monotonic_clock_parameter_is_quiet():
    code = """\
        import time


        def rate_limited(period, clock=time.monotonic):
            def wrap(func):
                def inner(*args):
                    started = clock()
                    result = func(*args)
                    if clock() - started > period:
                        raise RuntimeError("too slow")
                    return result
                return inner
            return wrap
    """
    assert flagged(code, CLOCK, "app/limits.py") == []


def test_clock_parameter_handed_from_constructor_to_method_is_followed():
    code = """\
        import datetime


        class Hold:
            def __init__(self, path, span, now_func=datetime.datetime.utcnow):
                self.ok = self._take(path, span, now_func)

            def _take(self, path, span, now_func):
                limit = now_func() + span
                while now_func() < limit:
                    if try_once(path):
                        return True
                return False
    """
    assert flagged(code, CLOCK, "app/hold.py") == [("ARM103", 9)]


# --- refills by elapsed time -------------------------------------------------------------------
def test_token_bucket_refilled_by_elapsed_wall_clock_is_flagged():
    code = """\
        import time


        class Bucket:
            def __init__(self, store, key, capacity, per_second):
                self.store, self.key = store, key
                self.capacity, self.per_second = capacity, per_second

            def take(self):
                stamp, tokens = self.store.load(self.key)
                now = time.time()
                tokens += (now - stamp) * self.per_second
                if tokens < 1:
                    return False
                self.store.save(self.key, (now, min(tokens, self.capacity) - 1))
                return True
    """
    assert flagged(code, CLOCK, "app/bucket.py") == [("ARM103", 12)]


def test_accumulated_elapsed_time_that_is_only_logged_is_quiet():
    code = """\
        import time


        def run_all(jobs):
            spent = 0.0
            for job in jobs:
                t0 = time.time()
                job()
                spent += time.time() - t0
            if spent > 60:
                log.warning("jobs took %.1fs", spent)
    """
    assert flagged(code, CLOCK, "app/runner.py") == []


def test_milliseconds_of_a_cutoff_stay_a_cutoff():
    code = """\
        import time


        def purge(zset, ttl):
            cutoff_ms = (time.time() - ttl) * 1000
            return [m for m in zset if m < cutoff_ms]
    """
    assert flagged(code, CLOCK, "app/purge.py") == []


def test_time_left_before_a_fixed_window_closes_is_a_deadline():
    code = """\
        import time

        WINDOW = 600


        class Pool:
            def __init__(self):
                self.started = time.time()

            def maybe_recycle(self):
                left = WINDOW - (time.time() - self.started)
                if left <= 0:
                    self.recycle()
    """
    assert flagged(code, CLOCK, "app/pool.py") == [("ARM103", 8)]


# --- a helper that turns a delay into an absolute instant ---------------------------------------
def test_helper_converting_a_delay_into_epoch_seconds_is_reported_where_armed():
    code = """\
        import calendar
        import datetime


        def to_epoch(when):
            if isinstance(when, datetime.timedelta):
                when = datetime.datetime.utcnow() + when
            if when:
                return calendar.timegm(when.utctimetuple())
            return None
    """
    assert flagged(code, CLOCK, "app/timing.py") == [("ARM104", 7)]


def test_helper_converting_a_given_datetime_only_is_quiet():
    code = """\
        import calendar


        def to_epoch(when):
            return calendar.timegm(when.utctimetuple())
    """
    assert flagged(code, CLOCK, "app/timing.py") == []
