"""ARM301 on the shapes real repositories use (RULES.md, "How the pitfalls look in real code"):
thresholds from settings, options and defaults, ORM and Redis registries, liveness verdicts;
each with the look-alikes that must stay quiet."""
from __future__ import annotations

from .helpers import HEARTBEAT, flagged


def test_sqlalchemy_update_of_workers_silent_past_a_parameter_default():
    code = """\
    from datetime import datetime, timedelta

    from sqlalchemy import update

    from .models import Worker


    def reap(session, timeout=60):
        cutoff = datetime.utcnow() - timedelta(seconds=timeout)
        session.execute(
            update(Worker).where(Worker.last_seen < cutoff).values(status="dead")
        )
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 11)]


def test_select_of_tasks_by_stale_heartbeat_then_requeue():
    code = """\
    from datetime import datetime, timedelta

    from sqlalchemy import select

    from .models import Task
    from .settings import settings


    def recover_orphans(session, queue):
        limit = datetime.utcnow() - timedelta(seconds=settings.task_heartbeat_timeout)
        orphans = session.scalars(select(Task).where(Task.heartbeat_at < limit)).all()
        for task in orphans:
            queue.requeue(task.id)
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 11)]


def test_django_filter_with_a_settings_window_then_delete():
    code = """\
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from .models import ClusterNode


    def prune_nodes():
        cutoff = timezone.now() - timedelta(seconds=settings.NODE_TIMEOUT)
        ClusterNode.objects.filter(last_heartbeat__lt=cutoff).delete()
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 11)]


def test_worker_silence_compared_with_a_configured_ttl_then_restart():
    code = """\
    from time import time

    import dask


    class Scheduler:
        def __init__(self, worker_ttl=None):
            self.worker_ttl = parse_timedelta(worker_ttl or dask.config.get("scheduler.worker-ttl"))
            self.workers = {}

        async def check_worker_ttl(self):
            now = time()
            ttl = max(self.worker_ttl, 10 * self.heartbeat_interval())
            to_restart = []
            for ws in self.workers.values():
                last_seen = now - ws.last_seen
                if last_seen > ttl:
                    to_restart.append(ws.address)
            await self.restart_workers(to_restart)
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 17)]


def test_threshold_handed_in_without_a_default_is_the_callers_choice():
    code = """\
    import time


    def sweep(nodes, timeout):
        for node in nodes:
            if time.time() - node.last_heartbeat > timeout:
                node.mark_dead()
    """
    assert flagged(code, HEARTBEAT) == []


def test_liveness_verdict_methods_with_a_config_window():
    code = """\
    import time


    class Worker:
        def __init__(self, worker_id):
            self.id = worker_id
            self.last_active = time.time()

        def prune(self, config):
            if self.last_active + config.worker_disconnect_delay < time.time():
                return True

        @property
        def alive(self):
            return time.time() - self.last_heartbeat < HEARTBEAT_GRACE


    HEARTBEAT_GRACE = 30
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 10), ("ARM301", 15)]


def test_redis_registry_scored_by_heartbeat_time_swept_then_requeued():
    code = """\
    import time


    class Registry:
        heartbeat_timeout = 90

        def sweep(self, redis, queue):
            cutoff = time.time() - self.heartbeat_timeout
            dead = redis.zrangebyscore("workers:heartbeats", 0, cutoff)
            for worker_id in dead:
                queue.requeue_jobs_of(worker_id)
            redis.zremrangebyscore("workers:heartbeats", 0, time.time() - 300)
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 9), ("ARM301", 12)]


def test_unacked_messages_past_visibility_timeout_are_restored():
    code = """\
    from time import time


    class QoS:
        visibility_timeout = 3600

        def restore_visible(self, client, num=10):
            ceil = time() - self.visibility_timeout
            visible = client.zrevrangebyscore(self.unacked_index_key, ceil, 0, start=0, num=num)
            for tag in visible:
                self.restore_by_tag(tag, client)
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 9)]


def test_lease_refresh_silence_releases_the_lease():
    code = """\
    from time import time


    class SemaphoreExtension:
        def check_lease_timeout(self):
            now = time()
            for name, leases in self.leases.items():
                lease_timeout = self.lease_timeouts[name]
                for lease_id, last_refresh in list(leases.items()):
                    time_since_refresh = now - last_refresh
                    if time_since_refresh > lease_timeout:
                        self.release_lease(name, lease_id)
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 11)]


# --- look-alikes ----------------------------------------------------------------------------------


def test_rate_limiter_window_and_cache_expiry_are_not_detectors():
    code = """\
    import time


    def allow(redis, user_id, limit=100, window=60):
        key = f"rate:{user_id}"
        now = time.time()
        redis.zremrangebyscore(key, 0, now - window)
        redis.zadd(key, {str(now): now})
        return redis.zcard(key) <= limit


    def purge_cache(redis):
        redis.zremrangebyscore("cache:index", 0, time.time() - 3600)
    """
    assert flagged(code, HEARTBEAT) == []


def test_adaptive_and_per_entity_thresholds_are_not_detectors():
    code = """\
    import time


    class Monitor:
        def sweep(self, checks):
            now = time.time()
            for check in checks:
                if now - check.last_ping > check.timeout + check.grace:
                    check.status = "down"

        def sweep_nodes(self, nodes, stats):
            now = time.time()
            for node in nodes:
                threshold = 3 * stats.p99_interval(node.id)
                if now - node.last_heartbeat > threshold:
                    node.status = "dead"
    """
    assert flagged(code, HEARTBEAT) == []


def test_request_timeout_parameter_and_display_are_not_detectors():
    code = """\
    import time

    import requests


    def ping(url, timeout=5):
        return requests.get(url, timeout=timeout)


    def describe(worker, window=30):
        quiet = time.time() - worker.last_heartbeat
        return f"quiet for {quiet:.0f}s (window {window}s)"
    """
    assert flagged(code, HEARTBEAT) == []


def test_lease_silence_read_from_a_table_of_refresh_times():
    code = """\
    from time import time


    class SemaphoreExtension:
        def _check_lease_timeout(self):
            now = time()
            for name in list(self.leases):
                if lease_timeout := self.lease_timeouts.get(name):
                    for lease_id in list(self.leases[name]):
                        time_since_refresh = now - self.leases[name][lease_id]
                        if time_since_refresh > lease_timeout:
                            self._release_value(name=name, lease_id=lease_id)
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 11)]


def test_held_job_with_a_quiet_heartbeat_is_restamped_and_taken_over():
    code = """\
    from datetime import datetime, timezone


    class MemoryQueue:
        def __init__(self, manager_id):
            self.manager_id = manager_id
            self.jobs = {}

        def next_batch(self):
            now = datetime.now(timezone.utc)
            batch = []
            for job in self.jobs.values():
                if job["status"] == "queued":
                    job["status"] = "picked"
                    job["heartbeat"] = now
                    batch.append(job)
                elif job["status"] == "picked" and (now - job["heartbeat"]).total_seconds() > 45:
                    job["owner"] = self.manager_id
                    batch.append(job)
            return batch
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 17)]


def test_heartbeat_sender_restamping_its_own_or_a_peers_ping_is_quiet():
    code = """\
    import time

    PING_EVERY = 5


    class Pinger:
        def tick(self, peers):
            now = time.time()
            if now - self.last_heartbeat > PING_EVERY:
                self.last_heartbeat = now
                self.send_heartbeat()
            for peer in peers:
                if peer.state == "connected" and now - peer.last_ping > PING_EVERY:
                    peer.send_ping()
                    peer.last_ping_sent = now
    """
    assert flagged(code, HEARTBEAT) == []
