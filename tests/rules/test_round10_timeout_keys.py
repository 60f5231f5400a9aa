"""ARM301, round 10: liveness decided by a store's expiry.

- members whose beat key (kept alive with a fixed lifetime) is missing are removed;
- Redis Streams claims of messages idle longer than a fixed `min_idle_time`.
Look-alikes: a cache miss refilled, a missing beat key only logged, a claim wrapper passing its
caller's idle time on, a claim with no idle wait."""
from __future__ import annotations

import textwrap

from analyzers import analyze
from tests.rules.helpers import HEARTBEAT


def graded(code: str, path: str = "mesh/roster.py") -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), HEARTBEAT)
    assert report.notes == []
    return [(f.rule, f.line, f.confidence) for f in report.findings]


def test_member_whose_alive_key_expired_is_dropped():
    code = """
    class Roster:
        def prune(self, client):
            for peer in list(self.peers):
                if client.exists(f"alive:{peer}") == 0:
                    self.peers.discard(peer)
                    self.rebalance()
    """
    assert graded(code) == [("ARM301", 5, "medium")]


def test_values_of_many_beat_keys_zipped_with_members_then_evicted():
    code = """
    async def live_workers(cache, ids):
        values = await cache.get_many([f"worker-heartbeat-{i}" for i in ids])
        for worker_id, value in zip(ids, values):
            if value is None:
                await evict_worker(worker_id)
    """
    assert graded(code, "pool/sweep.py") == [("ARM301", 5, "medium")]


def test_cache_miss_refilled_and_missing_beat_only_logged_stay_quiet():
    code = """
    import logging


    def profile(cache, user_id, load):
        value = cache.get(f"profile:{user_id}")
        if value is None:
            value = load(user_id)
            cache.set(f"profile:{user_id}", value, 300)
        return value


    def report(client, peer):
        if not client.get(f"health:{peer}"):
            logging.info("no recent health record for %s", peer)
    """
    assert graded(code, "mesh/report.py") == []


def test_stream_claim_with_a_configured_idle_time_is_flagged():
    code = """
    STALE_MS = 120_000


    async def recover(redis, stream, group, me):
        _, messages, _ = await redis.xautoclaim(stream, group, me, min_idle_time=STALE_MS, count=50)
        for message_id, fields in messages:
            await handle(message_id, fields)
    """
    assert graded(code, "bus/recover.py") == [("ARM301", 6, "medium")]


def test_stream_claim_wrappers_and_zero_idle_stay_quiet():
    code = """
    class Group:
        def take(self, *ids, **kwargs):
            idle = kwargs.pop("min_idle_time", None) or 0
            return self.db.xclaim(self.key, self.group, self.me, idle, ids)

        def grab(self, *ids):
            return self.db.xclaim(self.key, self.group, self.me, 0, ids)
    """
    assert graded(code, "bus/group.py") == []
