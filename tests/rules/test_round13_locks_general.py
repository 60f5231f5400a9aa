"""Round 13: the general form of a distributed lock acquisition (`_lock_general`). A call or a
`with` whose callee's name says lock / lease / mutex / semaphore / singleton / leader / election,
that is not an in-process primitive and that comes from another library, a client of a store,
or carries a lifetime; then the usual guarded-write judgement. Look-alikes: standard
library and file locks, names that only mention a lock, transaction-scoped locks, markers that
are never released, and locks built but not taken here."""
from __future__ import annotations

from analyzers import Settings

from .helpers import flagged

LOCKS = Settings(select=frozenset({"ARM201"}))


# --- flagged ------------------------------------------------------------------------------------
def test_lease_lock_from_another_library_guarding_a_save_is_flagged_at_the_write():
    code = '''
    from shared_locks import board_lock

    from .models import Board


    def rename(board_id, name):
        with board_lock(f"board-{board_id}", ttl=30):
            board = Board.objects.get(pk=board_id)
            board.name = name
            board.save()
    '''
    assert flagged(code, LOCKS, "boards/services.py") == [("ARM201", 11)]


def test_lease_lock_around_the_parent_class_work_is_flagged_at_the_acquisition():
    code = '''
    from shared_locks import column_lock


    class ColumnViewSet(BaseViewSet):
        def create(self, request, *args, **kwargs):
            with column_lock("column-creation-{}".format(request.data["board"]), expire=60):
                return super().create(request, *args, **kwargs)
    '''
    assert flagged(code, LOCKS, "boards/api.py") == [("ARM201", 7)]


def test_zookeeper_recipe_lock_on_a_client_attribute_is_flagged():
    code = '''
    from zkclients import ZKClient


    async def publish(client: ZKClient, path, payload, runner):
        lock = client.recipes.Lock(path)
        async with lock:
            await runner.process(payload)
    '''
    assert flagged(code, LOCKS, "zkapp/publish.py") == [("ARM201", 6)]


def test_verb_taking_a_lock_with_a_lifetime_until_its_release_is_flagged_at_the_write():
    code = '''
    def rebuild(store, db, shelf_id):
        if not store.acquire_lock(f"shelf:{shelf_id}", owner="me", ttl=60):
            return
        db.execute("update shelves set rebuilt = true where id = %s", (shelf_id,))
        store.release_lock(f"shelf:{shelf_id}")
    '''
    assert flagged(code, LOCKS, "shelves/tasks.py") == [("ARM201", 5)]


def test_set_if_absent_spelt_as_a_condition_token_is_flagged_at_the_write():
    code = '''
    from coredis.tokens import PureToken


    async def run_once(redis, db, job_id):
        key = f"job:{job_id}"
        if await redis.set(key, "1", condition=PureToken.NX, px=30000):
            await db.execute("update jobs set done = true where id = $1", job_id)
            await redis.delete(key)
    '''
    assert flagged(code, LOCKS, "jobs/runner.py") == [("ARM201", 8)]


def test_lock_with_a_lifetime_around_a_hash_delete_and_a_task_run_is_flagged():
    code = '''
    class Schedule:
        def remove(self, job_hash):
            with self.client.lock(self.lock_key, timeout=10, blocking_timeout=20):
                self.client.hdel(self.namespace, job_hash)

        def perform(self):
            lock = self.redis.lock(self.key, timeout=self.timeout + 5)
            if not lock.acquire(blocking=True, blocking_timeout=0):
                raise RuntimeError("busy")
            try:
                return self.task.run_wrapped(self.params)
            finally:
                lock.release()
    '''
    assert flagged(code, LOCKS, "sched/schedule.py") == [("ARM201", 5), ("ARM201", 8)]


def test_lock_on_a_database_session_around_an_imported_module_function_stays_quiet():
    # RULES counts a session lock only on a side connection: on this one, a lost session takes
    # the guarded writes down with the lock, so two holders cannot overlap
    code = '''
    from shop.billing import ledger


    def close_books(site):
        with site.db.lock("close-books", blocking=False):
            ledger.close_all_open_entries(site.db)
    '''
    assert flagged(code, LOCKS, "shop/cron.py") == []


def test_cache_client_lock_without_lifetime_around_logging_stays_quiet():
    code = '''
    import logging

    from shop.billing import ledger

    log = logging.getLogger(__name__)


    def report(client):
        with client.lock("report"):
            log.info("reporting")
            ledger.get_totals()
    '''
    assert flagged(code, LOCKS, "shop/report.py") == []


def test_claim_queued_on_a_pipeline_is_flagged_at_the_claim_not_at_its_neighbour():
    code = '''
    from coredis.tokens import PureToken


    class Runner:
        async def run(self, task, task_id, timeout):
            async with self.redis.pipeline(transaction=False) as pipe:
                locked = pipe.set(self.prefix + task.name, task_id, get=True, condition=PureToken.NX, px=timeout)
                pipe.set(self.prefix + "running", 1, px=timeout)
            if await locked is not None:
                return
            await self.execute(task)
            await self.redis.delete(self.prefix + task.name)
    '''
    assert flagged(code, LOCKS, "runner/worker.py") == [("ARM201", 8)]


# --- quiet --------------------------------------------------------------------------------------
def test_standard_library_and_file_locks_stay_quiet():
    code = '''
    import asyncio
    import threading
    from threading import RLock

    from filelock import FileLock
    from django.core.files import locks

    _guard = RLock()


    def bump(db, handle):
        with threading.Lock():
            db.execute("update counters set n = n + 1")
        with FileLock("/var/run/app.lock", timeout=10):
            db.execute("update counters set n = n + 1")
        locks.lock(handle, locks.LOCK_EX)
        handle.write("x")


    async def abump(db):
        async with asyncio.Semaphore(5):
            await db.execute("update counters set n = n + 1")
    '''
    assert flagged(code, LOCKS, "counters/bump.py") == []


def test_names_that_only_mention_a_lock_and_transaction_locks_stay_quiet():
    code = '''
    from sqlalchemy import func


    def tidy(store, db, item):
        key = store.lock_key(item)
        store.release_lock(key)
        if store.is_locked(key):
            return
        db.execute(func.pg_advisory_xact_lock(42))
        db.execute("update items set tidy = true where id = %s", (item,))
    '''
    assert flagged(code, LOCKS, "items/tidy.py") == []


def test_marker_set_with_a_lifetime_and_never_released_stays_quiet():
    code = '''
    async def trip(store, db, name, cooldown):
        await store.set_lock(name + ":tripped", value=1, expire=cooldown)
        await db.execute("update breakers set open = true where name = $1", name)
    '''
    assert flagged(code, LOCKS, "svc/breaker.py") == []


def test_project_lock_helper_without_lifetime_or_client_stays_quiet():
    code = '''
    from billing.util import make_lock


    def settle(db, account):
        with make_lock(account):
            db.execute("update accounts set settled = true where id = %s", (account,))
    '''
    assert flagged(code, LOCKS, "billing/settle.py") == []


def test_lock_built_but_not_taken_here_stays_quiet():
    code = '''
    def describe(client, name):
        lock = client.recipes.Lock(name)
        return repr(lock)
    '''
    assert flagged(code, LOCKS, "locks/describe.py") == []


def test_cache_add_markers_never_given_back_stay_quiet():
    code = '''
    from django.core.cache import cache

    from media.tasks import regenerate


    def queue_regeneration(pk):
        lock_key = f"regen-lock:{pk}"
        if not cache.add(lock_key, True, timeout=60):
            return
        regenerate.apply_async(kwargs={"pk": pk})


    def may_remind(group_id, process_id):
        return cache.add(f"remind-lock-{group_id}", process_id, 600)
    '''
    assert flagged(code, LOCKS, "media/thumbs.py") == []


def test_lock_class_entered_with_an_eternal_lifetime_stays_quiet():
    code = '''
    class Lock:
        def __init__(self, client, name):
            self.client = client
            self.name = name

        def __enter__(self):
            self.acquire(blocking=True, lock_ttl=None)
            return self

        def __exit__(self, *exc):
            self.release()
    '''
    assert flagged(code, LOCKS, "kv/lock.py") == []


def test_optimistic_lock_checked_by_compare_and_set_stays_quiet():
    code = '''
    from kvcache.lock import OptimisticLock


    async def refresh(cache, compute):
        async with OptimisticLock(cache, "key") as lock:
            value = await compute()
            await lock.cas(value)
    '''
    assert flagged(code, LOCKS, "views/refresh.py") == []


def test_session_advisory_lock_from_another_library_guarding_a_save_stays_quiet():
    # no lifetime, and the ORM writes go through the connection that holds the lock
    code = '''
    from pg_session_locks import advisory_lock

    from .models import Board


    def rename(board_id, name):
        with advisory_lock(f"board-{board_id}"):
            board = Board.objects.get(pk=board_id)
            board.name = name
            board.save()
    '''
    assert flagged(code, LOCKS, "boards/services.py") == []


def test_permission_check_named_after_a_lock_stays_quiet():
    # a moderator's "lock this thread" flag: `allows_lock` asks permission, it takes nothing
    code = '''
    from django.shortcuts import get_object_or_404

    from forum.models import Thread


    def toggle_lock(request, thread_id):
        thread = get_object_or_404(Thread, pk=thread_id)
        if not thread.allows_lock(request.user):
            raise PermissionError
        thread.is_locked = not thread.is_locked
        thread.save()
    '''
    assert flagged(code, LOCKS, "forum/views.py") == []
