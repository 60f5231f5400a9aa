"""ARM201 on locks of coordination services and on lock classes a module defines itself:
etcd locks, Consul session locks, semaphores that evict holders by age, lock classes documented
with lease timeouts, and context managers that hold an expiring lock across their `yield`.
Look-alikes (in-process locks, plain KV writes, rate limiters, locks without a lease, context
managers whose bodies this module shows) stay quiet."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

LOCKS = Settings(select=frozenset({"ARM201"}))


def flagged(code: str, path: str = "app/coordination.py") -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), LOCKS)
    assert report.notes == []
    return [(f.rule, f.line, f.confidence) for f in report.findings]


def test_etcd_lock_guarding_a_key_delete_in_the_module_is_flagged_at_the_lock():
    code = """\
    from contextlib import contextmanager

    import etcd


    class Mailbox:
        def __init__(self, client):
            self.client = client

        @contextmanager
        def _exclusive(self, box):
            lock = etcd.Lock(self.client, box)
            lock.acquire(blocking=True, lock_ttl=15)
            try:
                yield
            finally:
                lock.release()

        def take(self, box):
            with self._exclusive(box):
                item = self.client.read(f"/boxes/{box}", sorted=True).children[0]
                self.client.delete(key=item.key)
                return item.value
    """
    assert flagged(code) == [("ARM201", 12, "high")]


def test_exported_context_manager_holding_an_etcd3_lock_across_yield_is_medium():
    code = """\
    from contextlib import contextmanager

    import etcd3

    client = etcd3.client(host="etcd")


    @contextmanager
    def leadership(name):
        lock = client.lock(f"leaders/{name}", ttl=20)
        lock.acquire()
        try:
            yield
        finally:
            lock.release()
    """
    assert flagged(code) == [("ARM201", 10, "medium")]


def test_consul_session_lock_acquired_by_a_kv_put_is_medium():
    code = """\
    import consul


    class Coordinator:
        def __init__(self):
            self.client = consul.Consul()

        def _session(self):
            return self.client.session.create(name="sweeper", ttl=30)

        def claim(self, shard):
            session_id = self._session()
            if self.client.kv.put(f"shards/{shard}/owner", "sweeper", acquire=session_id):
                self.session_id = session_id
                return
            raise RuntimeError("shard busy")
    """
    assert flagged(code) == [("ARM201", 13, "medium")]


def test_sorted_set_semaphore_evicting_old_holders_is_flagged_where_acquired():
    code = """\
    import functools
    import time
    import uuid


    class SlotPool:
        def __init__(self, conn, name, slots=2, max_age=600):
            self.conn = conn
            self.key = "slots:" + name
            self.slots = slots
            self.max_age = max_age

        def acquire(self):
            holder = uuid.uuid4().hex
            now = time.time()
            pipe = self.conn.pipeline(True)
            pipe.zremrangebyscore(self.key, "-inf", now - self.max_age)
            pipe.zadd(self.key, {holder: now})
            pipe.zrank(self.key, holder)
            if pipe.execute()[-1] < self.slots:
                return holder
            self.conn.zrem(self.key, holder)

        def release(self, holder):
            self.conn.zrem(self.key, holder)


    def limited(conn, name, slots):
        pool = SlotPool(conn, name, slots)

        def wrap(job):
            @functools.wraps(job)
            def run(*args, **kwargs):
                holder = pool.acquire()
                if holder is None:
                    raise RuntimeError("no free slot")
                try:
                    return job(*args, **kwargs)
                finally:
                    pool.release(holder)
            return run
        return wrap
    """
    assert flagged(code) == [("ARM201", 34, "medium")]


def test_sorted_set_semaphore_nobody_acquires_here_is_flagged_at_the_stamp():
    code = """\
    import time


    class Permits:
        def __init__(self, conn, key, limit, timeout):
            self.conn, self.key, self.limit, self.timeout = conn, key, limit, timeout

        def acquire(self, who):
            now = time.time()
            self.conn.zremrangebyscore(self.key, 0, now - self.timeout)
            self.conn.zadd(self.key, {who: now})
            return self.conn.zrank(self.key, who) < self.limit
    """
    assert flagged(code) == [("ARM201", 11, "medium")]


def test_lock_class_documented_with_lease_timeouts_is_flagged_at_acquire():
    code = """\
    from cluster.leases import LeaseClient


    class ClusterLock(LeaseClient):
        \"\"\"A named lock held on the coordinator.

        Holders refresh their lease in the background; when the lease-timeout passes
        without a refresh the coordinator frees the lock for the next caller.
        \"\"\"

        def acquire(self, timeout=None):
            return super().acquire(max_holders=1, timeout=timeout)
    """
    assert flagged(code) == [("ARM201", 12, "medium")]


# --- look-alikes -------------------------------------------------------------------------------


def test_in_process_lock_held_across_a_yield_is_quiet():
    code = """\
    import threading
    from contextlib import contextmanager

    _guard = threading.Lock()


    @contextmanager
    def exclusive():
        with _guard:
            yield
    """
    assert flagged(code) == []


def test_consul_kv_put_without_a_session_is_a_plain_write():
    code = """\
    import consul


    def publish(client: consul.Consul, name, address):
        client.kv.put(f"services/{name}", address)
    """
    assert flagged(code) == []


def test_sliding_window_rate_limiter_is_not_a_semaphore():
    code = """\
    import time


    class RateLimiter:
        def __init__(self, conn, key, per_minute):
            self.conn, self.key, self.per_minute = conn, key, per_minute

        def allow(self, request_id):
            now = time.time()
            self.conn.zremrangebyscore(self.key, 0, now - 60)
            self.conn.zadd(self.key, {request_id: now})
            return self.conn.zcard(self.key) <= self.per_minute
    """
    assert flagged(code) == []


def test_age_evicting_semaphore_that_hands_out_a_counter_token_is_quiet():
    code = """\
    import time


    class FencedPermits:
        def __init__(self, conn, key, limit, timeout):
            self.conn, self.key, self.limit, self.timeout = conn, key, limit, timeout

        def acquire(self, who):
            now = time.time()
            self.conn.zremrangebyscore(self.key, 0, now - self.timeout)
            self.conn.zadd(self.key, {who: now})
            if self.conn.zrank(self.key, who) < self.limit:
                return self.conn.incr(self.key + ":token")
    """
    assert flagged(code) == []


def test_lock_class_without_a_lease_is_quiet():
    code = """\
    from cluster.rpc import Coordinator


    class GroupLock(Coordinator):
        \"\"\"Holds several named locks on the coordinator until release() is called.\"\"\"

        def acquire(self, names, timeout=None):
            return self.call("group_lock_acquire", names=names, timeout=timeout)
    """
    assert flagged(code) == []


def test_expiring_lock_context_manager_entered_here_around_reads_is_quiet():
    code = """\
    from contextlib import contextmanager

    import etcd3

    client = etcd3.client()


    @contextmanager
    def holding(name):
        lock = client.lock(name, ttl=30)
        lock.acquire()
        try:
            yield
        finally:
            lock.release()


    def snapshot(name):
        with holding(name):
            value, _ = client.get(f"config/{name}")
            return value
    """
    assert flagged(code) == []
