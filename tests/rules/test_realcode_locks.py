"""ARM201 on the shapes real repositories use (RULES.md, "How the pitfalls look in real code"):
the acquisition of an expiring lock is the evidence even when the guarded work is out of sight;
look-alikes (probes, read-only sections, locks that never expire, counters handing out tokens)
stay quiet."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

LOCKS = Settings(select=frozenset({"ARM201"}))


def flagged(code: str, path: str = "app/locking.py") -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), LOCKS)
    assert report.notes == []
    return [(f.rule, f.line, f.confidence) for f in report.findings]


def test_a_lock_librarys_acquire_is_flagged_at_medium():
    code = """\
    import uuid


    class Lease:
        def __init__(self, client, name, expire=60):
            self._client = client
            self._name = "lease:" + name
            self._expire = expire
            self._id = uuid.uuid4().hex

        def acquire(self):
            acquired = self._client.set(self._name, self._id, nx=True, ex=self._expire)
            return bool(acquired)

        def __enter__(self):
            self.acquire()
            return self
    """
    assert flagged(code) == [("ARM201", 12, "medium")]


def test_context_manager_helper_guarding_a_method_of_the_class():
    code = """\
    from contextlib import contextmanager

    import redis


    @contextmanager
    def exclusive(client, name, expire):
        lock = client.lock(name, timeout=expire)
        if lock.acquire(blocking=False):
            try:
                yield
            finally:
                lock.release()


    class Sweeper:
        def sweep(self, client):
            with exclusive(client, "sweeper", 300):
                for tag in client.zrange("pending", 0, 10):
                    self.requeue(tag, client)
    """
    assert flagged(code) == [("ARM201", 8, "medium")]


def test_lua_script_taking_an_expiring_lock():
    code = '''\
    class Backend:
        ACQUIRE = """
        local holder = redis.call('get', KEYS[1])
        if not holder or holder == ARGV[1] then
            return redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
        end
        return false"""

        RENEW = """
        local holder = redis.call('get', KEYS[1])
        -- armadilhas: ignore[ARM201]
        if holder == ARGV[1] then return redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) end"""
    '''
    # At the SET line inside the script (where the lease is written), so that a suppression
    # comment can sit beside it.
    assert flagged(code) == [("ARM201", 5, "medium")]


def test_a_cache_key_version_is_not_a_fencing_token():
    code = """\
    from django_redis.cache import RedisCache


    class LockingCache(RedisCache):
        def fill(self, key, make, version=None):
            with self.lock("fill:" + key, expire=30):
                value = make()
                self.set(key, value, timeout=300, version=version)
                return value
    """
    assert flagged(code) == [("ARM201", 8, "high")]


# --- look-alikes ----------------------------------------------------------------------------------


def test_probe_read_only_section_and_lock_without_lifetime_are_quiet():
    code = """\
    import redis

    r = redis.Redis()


    def someone_holds(key):
        ok = r.set("lock:" + key, "probe", nx=True, ex=5)
        if ok:
            r.delete("lock:" + key)
        return not ok


    def cached(key):
        with r.lock("fill:" + key, timeout=5):
            return r.get(key)


    class Forever:
        def acquire(self, client, name):
            return client.lock(name).acquire(blocking=False)
    """
    assert flagged(code) == []


def test_lock_handing_out_a_counter_token_is_quiet():
    code = """\
    import uuid


    class FencedLease:
        def acquire(self, client, name):
            if client.set("lease:" + name, uuid.uuid4().hex, nx=True, px=30000):
                return client.incr("lease-token:" + name)
            return None
    """
    assert flagged(code) == []


def test_in_process_locks_are_quiet():
    code = """\
    import asyncio
    import threading


    class Pool:
        def __init__(self):
            self._lock = threading.Lock()
            self._alock = asyncio.Lock()

        def take(self):
            self._lock.acquire(timeout=5)
            self.rebalance()
    """
    assert flagged(code) == []


# --- a lease stamped on a row by a conditional update ------------------------------------------
# The claim is the compare-and-set itself; the claimed row is handed to the caller, so the work
# it guards is out of sight (medium), unless a write follows in the same function (high, there).


def test_orm_and_document_claims_of_a_lease_column_are_flagged():
    code = """\
    from datetime import timedelta

    from django.utils import timezone

    from .models import Outbox


    class OutboxBroker:
        def __init__(self, collection):
            self.collection = collection

        def claim(self, limit):
            claimed = []
            for row in Outbox.objects.filter(locked_until__lt=timezone.now())[:limit]:
                lease = timezone.now() + timedelta(seconds=90)
                if Outbox.objects.filter(pk=row.pk, locked_until=row.locked_until).update(locked_until=lease):
                    claimed.append(row)
            return claimed

        def claim_document(self, cutoff):
            return self.collection.find_one_and_update(
                {"lock": {"$lt": cutoff}}, {"$set": {"lock": timezone.now()}}
            )

        def claim_and_send(self, row, mailer):
            if Outbox.objects.filter(pk=row.pk, lease_expires_at__lt=timezone.now()).update(
                lease_expires_at=timezone.now() + timedelta(minutes=5)
            ):
                Outbox.objects.filter(pk=row.pk).update(sent=True)
                Outbox.objects.filter(pk=row.pk).update(lease_expires_at=None)
    """
    assert flagged(code) == [("ARM201", 16, "medium"), ("ARM201", 21, "medium"), ("ARM201", 29, "high")]


def test_row_updates_that_are_not_lease_claims_are_quiet():
    code = """\
    from django.utils import timezone

    from .models import Article, Outbox


    def publish(article_id):
        Article.objects.filter(pk=article_id, locked=False).update(locked=True)


    def release(row):
        Outbox.objects.filter(pk=row.pk).update(locked_until=None)


    def touch(row):
        Outbox.objects.filter(pk=row.pk).update(locked_until=timezone.now())


    def stamp(collection, doc_id):
        collection.find_one_and_update({"_id": doc_id}, {"$set": {"lock": timezone.now()}})
    """
    assert flagged(code) == []


# --- WATCH / EXISTS / PSETEX: SET NX PX spelt as a transaction ------------------------------------


def test_watched_claim_of_an_in_progress_key_is_flagged():
    code = """\
    import redis.asyncio as redis
    from redis.exceptions import WatchError


    class Runner:
        async def start(self, job_id):
            busy_key = f"jobs:in-progress:{job_id}"
            async with self.redis.pipeline(transaction=True) as pipe:
                await pipe.watch(busy_key)
                if await pipe.exists(busy_key):
                    return False
                pipe.multi()
                pipe.psetex(busy_key, 60_000, b"1")
                try:
                    await pipe.execute()
                except WatchError:
                    return False
            self.spawn(self.execute_job(job_id))
            return True
    """
    assert flagged(code) == [("ARM201", 13, "medium")]


def test_watched_insert_if_absent_of_a_record_is_quiet():
    code = """\
    import redis.asyncio as redis
    from redis.exceptions import WatchError


    async def enqueue(pool, job_id, payload, ttl_ms):
        record_key = f"jobs:record:{job_id}"
        async with pool.pipeline(transaction=True) as pipe:
            await pipe.watch(record_key)
            if await pipe.exists(record_key):
                return None
            pipe.multi()
            pipe.psetex(record_key, ttl_ms, payload)
            pipe.zadd("jobs:queue", {job_id: 0})
            try:
                await pipe.execute()
            except WatchError:
                return None
        return job_id
    """
    assert flagged(code) == []


def test_lua_script_that_hands_out_a_counter_token_is_quiet():
    code = '''\
    CLAIM = """
    if redis.call('exists', KEYS[1]) == 1 then return false end
    local token = redis.call('incr', KEYS[2])
    redis.call('set', KEYS[1], token, 'PX', ARGV[1])
    return token"""
    '''
    assert flagged(code) == []
