"""Round 12, ARM103: in-process deadlines in two more shapes: a fresh reading moved ahead by the
wait about to start (`now + backoff < deadline`), and the time left before a deadline built in
the expression from an earlier reading (`max(start + count * interval - time.time(), 0)`)."""
from __future__ import annotations

from .helpers import CLOCK, flagged


def test_reading_plus_backoff_against_a_deadline():
    code = """
    import random
    import time


    def call_with_retries(send, budget=60.0):
        deadline = time.time() + budget
        attempt = 0
        while True:
            try:
                return send()
            except ConnectionError:
                now = time.time()
                pause = min(2 ** attempt + random.random(), 30)
                if now + pause < deadline:
                    time.sleep(pause)
                    attempt += 1
                    continue
                raise
    """
    assert flagged(code, CLOCK, "client/retry.py") == [("ARM103", 7)]


def test_reading_plus_backoff_on_the_monotonic_clock_is_fine():
    code = """
    import time


    def call_with_retries(send, budget=60.0):
        deadline = time.monotonic() + budget
        while True:
            try:
                return send()
            except ConnectionError:
                if time.monotonic() + 2.0 < deadline:
                    time.sleep(2.0)
                    continue
                raise
    """
    assert flagged(code, CLOCK, "client/retry.py") == []


def test_two_deadlines_compared_without_a_reading_are_left_alone():
    code = """
    from datetime import timedelta


    def outlives(first, second, grace: timedelta):
        return first.ends + grace < second.ends
    """
    assert flagged(code, CLOCK, "client/plans.py") == []


def test_time_left_built_from_a_start_and_a_tick_count():
    code = """
    import itertools
    import time


    def tick_delays(interval):
        first = time.time()
        for n in itertools.count(1):
            yield max(first + n * interval - time.time(), 0)
    """
    assert flagged(code, CLOCK, "service/ticker.py") == [("ARM103", 7)]


def test_clamped_elapsed_time_is_not_a_deadline():
    code = """
    import time


    def uptime(started):
        first = time.time()
        return max(time.time() - first, 0)
    """
    assert flagged(code, CLOCK, "service/uptime.py") == []
