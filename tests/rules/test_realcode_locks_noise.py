"""ARM201 look-alikes found by the noise review of whole codebases: a cache fill behind stampede
protection (medium: a paused holder can only put back an older derived value) and a scan whose
every write is an optimistic WATCH/MULTI transaction (quiet). Each next to the form that stays
flagged at high confidence."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

LOCKS = Settings(select=frozenset({"ARM201"}))


def flagged(code: str, path: str = "app/caching.py") -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), LOCKS)
    assert report.notes == []
    return [(f.rule, f.line, f.confidence) for f in report.findings]


def test_lock_around_a_double_checked_cache_fill_is_medium():
    # A paused holder can still put back an older derived value after the next holder's fill:
    # a pitfall of small consequence, so it is reported at medium (Check Run only by default).
    code = """\
    from django.core.cache import cache


    def cached_price_table(region, build, ttl=300):
        key = f"prices:{region}"
        table = cache.get(key)
        if table is not None:
            return table
        with cache.lock(f"fill:{key}", timeout=30):
            table = cache.get(key)
            if table is not None:
                return table
            table = build(region)
            cache.set(key, table, timeout=ttl)
            return table
    """
    assert flagged(code) == [("ARM201", 14, "medium")]


def test_cache_class_method_filling_under_its_own_lock_is_medium():
    code = """\
    import redis


    class SharedCache:
        def __init__(self, url):
            self.client = redis.Redis.from_url(url)

        def get(self, key):
            return self.client.get(key)

        def set(self, key, value, timeout=None):
            self.client.set(key, value, ex=timeout)

        def lock(self, name, expire=None):
            return self.client.lock(name, timeout=expire)

        def get_or_compute(self, key, producer, timeout=60, expire=20):
            value = self.get(key)
            if value is not None:
                return value
            with self.lock("compute:" + key, expire=expire):
                value = self.get(key)
                if value is not None:
                    return value
                value = producer()
                self.set(key, value, timeout=timeout)
                return value
    """
    assert flagged(code) == [("ARM201", 26, "medium")]


def test_read_modify_write_of_the_same_key_under_a_lock_is_still_flagged():
    code = """\
    import redis

    r = redis.Redis()


    def take_ticket(event_id):
        with r.lock(f"tickets:{event_id}", timeout=10):
            left = int(r.get(f"left:{event_id}") or 0)
            if left > 0:
                r.set(f"left:{event_id}", left - 1)
    """
    assert flagged(code) == [("ARM201", 10, "high")]


_SCAN_UNDER_MUTEX = """\
from contextlib import contextmanager
from time import time

import redis


class Busy(Exception):
    pass


@contextmanager
def single_scanner(client, name, expire):
    lock = client.lock(name, timeout=expire)
    held = False
    try:
        held = lock.acquire(blocking=False)
        if not held:
            raise Busy()
        yield
    finally:
        if held:
            lock.release()


class Redeliverer:
    def __init__(self, client, timeout=3600):
        self.client = client
        self.timeout = timeout

    def sweep(self, batch=10):
        cutoff = time() - self.timeout
        try:
            with single_scanner(self.client, "sweep-mutex", 300):
                overdue = self.client.zrangebyscore("inflight", 0, cutoff, start=0, num=batch)
                for tag in overdue:
                    self.redeliver(tag)
        except Busy:
            pass

    def redeliver(self, tag):
{body}
"""

_OPTIMISTIC = """\
        def move(pipe):
            payload = pipe.hget("inflight:payloads", tag)
            pipe.multi()
            pipe.zrem("inflight", tag)
            pipe.hdel("inflight:payloads", tag)
            if payload:
                pipe.lpush("ready", payload)

        self.client.transaction(move, "inflight:payloads")
"""

_BLIND = """\
        payload = self.client.hget("inflight:payloads", tag)
        self.client.zrem("inflight", tag)
        self.client.lpush("ready", payload)
"""


def test_lock_whose_guarded_writes_are_all_watch_multi_transactions_is_not_flagged():
    assert flagged(_SCAN_UNDER_MUTEX.format(body=_OPTIMISTIC), path="app/redeliver.py") == []


def test_same_scan_with_blind_writes_is_still_flagged():
    assert flagged(_SCAN_UNDER_MUTEX.format(body=_BLIND), path="app/redeliver.py") == [("ARM201", 13, "medium")]
