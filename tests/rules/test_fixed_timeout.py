"""ARM301: fixed-timeout failure detectors in realistic membership, worker-registry and scheduler
code; throttles, request timeouts, TTLs, adaptive thresholds and quorum-gated suspicion stay quiet."""
from __future__ import annotations

import textwrap

import pytest

from analyzers import Settings, analyze

ONLY = Settings(select=frozenset({"ARM301"}))


def flagged(code: str, settings: Settings = ONLY):
    report = analyze("app/cluster.py", textwrap.dedent(code), settings)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


def test_membership_manager_with_timedelta_constant_and_status_assignment():
    code = """\
    from datetime import datetime, timedelta

    NODE_TIMEOUT = timedelta(seconds=15)


    class ClusterMembership:
        def __init__(self, store):
            self.store = store

        def sweep(self):
            now = datetime.utcnow()
            for member in self.store.members():
                if now - member.last_heartbeat > NODE_TIMEOUT:
                    member.status = "dead"
                    self.store.save(member)
    """
    assert flagged(code) == [("ARM301", 13)]


def test_skill_anti_pattern_shape_with_time_since_variable():
    code = """\
    def check(node, time_since_last_heartbeat):
        if time_since_last_heartbeat > 30:
            declare_dead(node)
            failover()
    """
    assert flagged(code) == [("ARM301", 2)]


def test_rq_like_worker_registry_requeues_jobs():
    code = """\
    import time

    import redis

    WORKER_TTL = 420
    r = redis.Redis()


    def clean_registries():
        now = time.time()
        for worker_id, beat in r.hgetall("workers:heartbeat").items():
            if now - float(beat) > WORKER_TTL:
                for job_id in r.smembers(f"worker:{worker_id.decode()}:jobs"):
                    r.rpush("queue:default", job_id)
                requeue_jobs_of(worker_id)
                r.hdel("workers:heartbeat", worker_id)
    """
    assert flagged(code) == [("ARM301", 12)]


def test_alive_branch_with_eviction_in_else():
    code = """\
    import time

    class Pool:
        TIMEOUT = 10

        def refresh(self):
            for host, seen in list(self.last_ping.items()):
                if time.monotonic() - seen < self.TIMEOUT:
                    continue
                else:
                    self.evict(host)
    """
    assert flagged(code) == [("ARM301", 8)]


def test_cutoff_form_with_sqlalchemy_delete():
    code = """\
    from datetime import datetime, timedelta

    from .models import Node

    STALE_AFTER = timedelta(minutes=2)


    def purge(session):
        cutoff = datetime.utcnow() - STALE_AFTER
        session.query(Node).filter(Node.last_seen < cutoff).delete()
        session.commit()
    """
    assert flagged(code) == [("ARM301", 10)]


def test_comprehension_collecting_dead_workers_then_reassigning():
    code = """\
    import time

    DEAD_AFTER = 45


    async def monitor(registry, scheduler):
        now = time.time()
        dead = [w for w in registry.workers() if now - w.last_heartbeat >= DEAD_AFTER]
        for worker in dead:
            await scheduler.reassign(worker)
    """
    assert flagged(code) == [("ARM301", 8)]


def test_stamp_plus_constant_form_with_failover():
    code = """\
    import time

    LEADER_LEASE = 5.0


    def watch(leader, elect):
        if leader.last_heartbeat + LEADER_LEASE < time.time():
            elect.start_election()
    """
    assert flagged(code) == [("ARM301", 7)]


def test_literal_threshold_and_dict_status_update():
    code = """\
    import time

    def tick(db):
        for row in db.fetch_workers():
            if time.time() - row["last_seen"] > 60:
                db.update_worker(row["worker_id"], {"status": "offline"})
    """
    assert flagged(code) == [("ARM301", 5)]


def test_suppression_comment():
    code = """\
    def check(node, time_since_last_heartbeat):
        if time_since_last_heartbeat > 30:  # armadilhas: ignore[ARM301]
            declare_dead(node)
    """
    assert flagged(code) == []


@pytest.mark.parametrize(
    "code",
    [
        # request timeout
        """\
        import requests
        def ping(node):
            return requests.get(f"http://{node}/health", timeout=5).ok
        """,
        # throttled upsert of a heartbeat (comparison without a death consequence)
        """\
        import time
        HEARTBEAT_GRANULARITY = 30
        class Reporter:
            def beat(self):
                now = time.time()
                if now - self.last_heartbeat > HEARTBEAT_GRANULARITY:
                    self.db.upsert_heartbeat(self.worker_id, now)
                    self.last_heartbeat = now
        """,
        # (`def is_alive(node): return time.time() - node.last_heartbeat < 30` is a liveness
        # verdict since RULES.md's real-code forms: tests/rules/test_realcode_timeouts.py)
        # adaptive threshold from observed latency
        """\
        import time
        def sweep(nodes):
            now = time.time()
            for node in nodes:
                if now - node.last_heartbeat > 3 * node.rtt_p99:
                    node.status = "dead"
        """,
        # phi accrual detector
        """\
        import math, time
        PHI_THRESHOLD = 8
        def check(node, history):
            phi = -math.log10(history.survival(time.time() - node.last_heartbeat))
            if phi > PHI_THRESHOLD:
                node.status = "dead"
        """,
        # suspicion that needs a quorum
        """\
        import time
        SUSPECT_AFTER = 10
        def check(node, cluster):
            if time.time() - node.last_heartbeat > SUSPECT_AFTER:
                cluster.suspect(node)
                if cluster.quorum_agrees(node):
                    cluster.mark_dead(node)
        """,
        # only marks suspect
        """\
        import time
        def check(node):
            if time.time() - node.last_heartbeat > 10:
                node.status = "suspect"
        """,
        # cache TTL eviction (no heartbeat)
        """\
        import time
        TTL = 60
        def get(cache, key):
            entry = cache.get(key)
            if entry and time.time() - entry.stored_at > TTL:
                cache.pop(key)
        """,
        # user presence with last_seen: not a node
        """\
        from datetime import datetime, timedelta
        IDLE = timedelta(minutes=5)
        def presence(user):
            if datetime.utcnow() - user.last_seen > IDLE:
                user.status = "offline"
        """,
        # configurable threshold passed in by the caller
        """\
        import time
        def sweep(nodes, timeout):
            for node in nodes:
                if time.time() - node.last_heartbeat > timeout:
                    node.mark_dead()
        """,
    ],
)
def test_look_alikes_are_not_flagged(code):
    assert flagged(code) == []
