"""Round 9: expiring locks taken through library APIs whose guarded work is elsewhere — a
session advisory lock on a side connection, a client lock handed back by a method, a lock
class built with a lease, a claim primitive with a lifetime, a once-only task base, an etcd
put bound to a lease, an ORM row claim — and the look-alikes that stay quiet."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

LOCKS = Settings(select=frozenset({"ARM201"}))


def lines(code: str, path: str = "app/jobs.py") -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), LOCKS)
    assert report.notes == []
    return [(f.rule, f.line, f.confidence) for f in report.findings]


# --- session advisory locks --------------------------------------------------------------------
def test_session_advisory_lock_on_a_side_connection_is_flagged_at_the_statement():
    code = '''
    import sqlalchemy


    def rebuild_search_index(engine, rebuild):
        side = engine.connect()
        ok = side.execute(
            sqlalchemy.text("SELECT pg_try_advisory_lock(4242)")
        ).scalar()
        if not ok:
            return False
        rebuild(engine)
        return True
    '''
    assert lines(code) == [("ARM201", 8, "medium")]


def test_session_advisory_lock_held_by_an_object_across_calls_is_flagged():
    code = '''
    class SchemaGuard:
        def __init__(self, pool, key):
            self.pool = pool
            self.key = key

        async def take(self):
            async with self.pool.acquire() as conn:
                return await conn.fetchval("select pg_advisory_lock($1)", self.key)
    '''
    assert lines(code, "svc/guard.py") == [("ARM201", 9, "medium")]


def test_transaction_scoped_and_same_cursor_advisory_locks_are_quiet():
    code = '''
    def move_stock(conn, sku, qty):
        with conn.cursor() as cur:
            cur.execute("select pg_advisory_xact_lock(%s)", (sku,))
            cur.execute("update stock set qty = qty - %s where sku = %s", (qty, sku))


    def migrate(conn):
        with conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(7)")
            cur.execute("CREATE TABLE IF NOT EXISTS versions (v int)")
    '''
    assert lines(code) == []


def test_docstring_naming_an_advisory_lock_is_quiet():
    code = '''
    def note():
        """We considered pg_advisory_lock(key) here and chose a queue instead."""
        return None
    '''
    assert lines(code) == []


# --- client locks handed on, lease classes, claim primitives ------------------------------------
def test_backend_method_returning_a_client_lock_with_a_timeout_is_flagged():
    code = '''
    class ReportStore:
        def __init__(self, client, hold_for):
            self.client = client
            self.hold_for = hold_for

        def mutex_for(self, report_id):
            return self.client.lock(
                f"report-mutex:{report_id}",
                timeout=self.hold_for,
            )
    '''
    assert lines(code, "reports/store.py") == [("ARM201", 8, "medium")]


def test_lock_method_delegating_to_the_client_and_kernel_file_locks_are_quiet():
    code = '''
    from django.core.files import locks


    class Backend:
        def lock(self, key, timeout=None):
            return self._client.lock(key, timeout=timeout)


    def grab(handle):
        locks.lock(handle, locks.LOCK_EX | locks.LOCK_NB)
    '''
    assert lines(code, "core/backend.py") == []


def test_lock_class_built_with_a_lease_around_a_cache_fill_is_flagged():
    code = '''
    from somecache.lock import RedLock


    async def warm(store, name, compute):
        async with RedLock(store, f"warm:{name}", lease=5):
            value = await compute(name)
            await store.set(name, value)
    '''
    # round 13: the general form sees the lock's `async with`, so the finding moves to the
    # guarded write (RULES: at the write when it is visible in the same function)
    assert lines(code, "svc/warm.py") == [("ARM201", 8, "high")]


def test_lock_entered_around_logging_only_is_quiet():
    code = '''
    async def show(store):
        async with store.lock("demo", 30):
            print("held:", await store.is_locked("demo"))
    '''
    assert lines(code, "svc/show.py") == []


def test_claim_primitive_with_a_lifetime_in_a_lock_helper_is_flagged():
    code = '''
    class Batch:
        async def _hold(self, item):
            lock_name = f"batch-hold:{item}"
            if await self.store.set_lock(lock_name, self.owner, expire=20):
                self.held.add(lock_name)
    '''
    assert lines(code, "svc/batch.py") == [("ARM201", 5, "medium")]


def test_set_if_absent_with_an_expiry_electing_a_refresher_is_flagged():
    code = '''
    async def maybe_refresh(store, key, refresh):
        if not await store.set(key + ":refresh-lock", "1", expire=15, exist=False):
            return
        await refresh(key)
    '''
    assert lines(code, "svc/refresh.py") == [("ARM201", 3, "medium")]


def test_flag_with_a_lifetime_set_by_the_same_primitive_is_quiet():
    code = '''
    async def trip(store, name, cooldown):
        await store.set_lock(name + ":tripped", value=1, expire=cooldown)
    '''
    assert lines(code, "svc/breaker.py") == []


def test_lock_decorator_with_a_ttl_is_flagged():
    code = '''
    from lockkit import locked


    @locked("nightly-export", ttl=600)
    def nightly_export(db):
        db.execute("insert into exports select * from staging")
    '''
    assert lines(code, "jobs/export.py") == [("ARM201", 5, "medium")]


# --- once-only task bases, etcd leases, ORM row claims -----------------------------------------
def test_task_with_a_once_only_base_is_flagged_at_its_decorator():
    code = '''
    from celery import shared_task
    from celery_once import QueueOnce


    @shared_task(base=QueueOnce, once={"graceful": True})
    def settle_invoice(invoice_id):
        Invoice.objects.filter(pk=invoice_id).update(settled=True)
    '''
    assert lines(code, "billing/tasks.py") == [("ARM201", 6, "medium")]


def test_plain_task_is_quiet():
    code = '''
    from celery import shared_task


    @shared_task(bind=True, max_retries=3)
    def settle_invoice(self, invoice_id):
        Invoice.objects.filter(pk=invoice_id).update(settled=True)
    '''
    assert lines(code, "billing/tasks.py") == []


def test_etcd_create_if_absent_put_on_a_lease_is_flagged():
    code = '''
    def take_leadership(etcd, name, me, ttl):
        lease = etcd.lease(ttl)
        won, _ = etcd.transaction(
            compare=[etcd.transactions.version(name) == 0],
            success=[etcd.transactions.put(name, me, lease=lease)],
            failure=[],
        )
        return won
    '''
    assert lines(code, "cluster/leader.py") == [("ARM201", 4, "medium")]


def test_etcd_put_without_a_lease_is_quiet():
    code = '''
    def publish(etcd, name, value):
        etcd.transaction(
            compare=[etcd.transactions.version(name) == 0],
            success=[etcd.transactions.put(name, value)],
            failure=[],
        )
    '''
    assert lines(code, "cluster/config.py") == []


def test_orm_update_stamping_holder_and_time_is_flagged():
    code = '''
    from django.utils import timezone


    def reserve(job_id, worker):
        free = Job.objects.filter(pk=job_id, claimed_by__isnull=True)
        return free.update(claimed_by=worker, claimed_at=timezone.now())
    '''
    assert lines(code, "queue/reserve.py") == [("ARM201", 7, "medium")]


def test_dict_update_and_status_only_update_are_quiet():
    code = '''
    def describe(row, worker, now):
        info = {}
        info.update(locked_by=worker, locked_at=now)
        Job.objects.filter(pk=row.pk).update(status="done")
        return info
    '''
    assert lines(code, "queue/describe.py") == []


# --- Lua: SETEX guarding only reads ------------------------------------------------------------
def test_lua_setex_guard_whose_work_follows_in_python_is_flagged():
    code = """
    SWEEP = '''
    if redis.call('EXISTS', KEYS[1]) == 0 then
        redis.call('SETEX', KEYS[1], ARGV[1], 1)
        return redis.call('LRANGE', KEYS[2], 0, -1)
    end
    '''
    """
    assert lines(code, "queue/sweep.py") == [("ARM201", 4, "medium")]


def test_lua_setex_throttle_doing_its_work_in_the_script_is_quiet():
    code = """
    PROMOTE = '''
    if redis.call('EXISTS', KEYS[1]) == 0 then
        redis.call('SETEX', KEYS[1], ARGV[1], 1)
        for _, v in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], 0, ARGV[2])) do
            redis.call('RPUSH', KEYS[3], v)
        end
    end
    '''
    """
    assert lines(code, "queue/promote.py") == []


def test_lock_of_an_object_in_another_sense_is_quiet():
    code = '''
    def freeze(api, ctx, server, why):
        api.lock(ctx, server, reason=why)
    '''
    assert lines(code, "api/servers.py") == []


def test_lock_with_a_positional_lifetime_handed_back_is_flagged():
    code = '''
    def mutex(client, name, hold_ttl):
        return client.lock(name, hold_ttl)
    '''
    assert lines(code, "svc/mutex.py") == [("ARM201", 3, "medium")]
