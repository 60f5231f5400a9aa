"""Round 8: mutual exclusion that expires, recognised by its data flow rather than by names —
a key checked, written with a lifetime and deleted after the work; a lock built by a factory
handed in over a shared store with a lifetime; lock implementations of any name."""
from __future__ import annotations

from analyzers import Settings

from .helpers import flagged

LOCKS = Settings(select=frozenset({"ARM201"}))


# --- check, write with a lifetime, delete ----------------------------------------------------
def test_task_decorator_taking_a_cache_key_for_a_day_is_flagged_at_the_write():
    code = '''
    from functools import wraps

    from app.cache import scoped_cache

    _running = scoped_cache("jobs")


    def single_run(job):
        @wraps(job)
        def run(*args, **kwargs):
            if _running.get(job.__name__):
                return None
            _running.set(job.__name__, "1", 24 * 3600)
            try:
                return job(*args, **kwargs)
            finally:
                _running.delete(job.__name__)
        return run
    '''
    assert flagged(code, LOCKS, "app/jobs.py") == [("ARM201", 14)]


def test_check_then_set_with_timeout_guarding_a_visible_write_points_at_the_write():
    code = '''
    from django.core.cache import cache


    def recompute_totals(conn, account_id):
        key = f"totals:{account_id}"
        if cache.get(key) is not None:
            return
        cache.set(key, "busy", timeout=300)
        try:
            with conn.cursor() as cur:
                cur.execute("update totals set amount = 0 where account = %s", (account_id,))
        finally:
            cache.delete(key)
    '''
    assert flagged(code, LOCKS, "app/totals.py") == [("ARM201", 12)]


def test_add_with_timeout_released_in_finally_on_any_store_is_flagged():
    code = '''
    from app.registry import store


    def nightly_export(write_report):
        if store.add("export", 1, 3600):
            try:
                write_report()
            finally:
                store.delete("export")
    '''
    assert flagged(code, LOCKS, "app/export.py") == [("ARM201", 6)]


def test_cache_fill_that_never_deletes_its_key_is_not_flagged():
    code = '''
    from django.core.cache import cache


    def profile(user_id, load):
        key = f"profile:{user_id}"
        if cache.get(key) is None:
            cache.set(key, load(user_id), 600)
        return cache.get(key)
    '''
    assert flagged(code, LOCKS, "app/profile.py") == []


def test_check_then_set_without_lifetime_is_not_an_expiring_lock():
    code = '''
    from app.cache import scoped_cache

    _running = scoped_cache("jobs")


    def run_once(job):
        if _running.get("job"):
            return
        _running.set("job", "1")
        try:
            job()
        finally:
            _running.delete("job")
    '''
    assert flagged(code, LOCKS, "app/jobs.py") == []


def test_set_with_lifetime_of_a_key_read_outside_any_test_is_not_a_claim():
    code = '''
    from app.cache import scoped_cache

    store = scoped_cache("drafts")


    def refresh_draft(draft_id, render):
        old = store.get(draft_id)
        store.set(draft_id, render(old), 60)
        publish(draft_id)
        store.delete(draft_id)
    '''
    assert flagged(code, LOCKS, "app/drafts.py") == []


# --- a lock built by a factory handed in -------------------------------------------------------
def test_decorator_running_the_function_under_a_factory_lock_with_expiry_is_flagged():
    code = '''
    import functools


    def serialized(cache, lock_factory, expire=None):
        def decorator(func):
            lock = lock_factory(cache, func.__qualname__, expire=expire)

            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                with lock:
                    return func(*args, **kwargs)

            return wrapper

        return decorator
    '''
    assert flagged(code, LOCKS, "lib/decorators.py") == [("ARM201", 11)]


def test_factory_lock_without_lifetime_is_not_flagged():
    code = '''
    import functools


    def serialized(cache, lock_factory):
        def decorator(func):
            lock = lock_factory(cache, func.__qualname__)

            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                with lock:
                    return func(*args, **kwargs)

            return wrapper

        return decorator
    '''
    assert flagged(code, LOCKS, "lib/decorators.py") == []


def test_block_or_clock_factories_are_not_lock_factories():
    code = '''
    def render(cache, make_block, ttl):
        block = make_block(cache, "sidebar", timeout=ttl)
        with block:
            block.emit()
    '''
    assert flagged(code, LOCKS, "lib/render.py") == []


# --- work imported from the application, run under an expiring lock ----------------------------
def test_beat_emitting_work_under_a_redis_lock_with_timeout_is_flagged_at_the_lock():
    code = '''
    import redis

    from app.schedule import enqueue_due_jobs

    conn = redis.Redis()


    def tick():
        with conn.lock("beat:tick", timeout=60):
            enqueue_due_jobs()
    '''
    assert flagged(code, LOCKS, "app/beat.py") == [("ARM201", 10)]


def test_reading_imported_config_under_a_redis_lock_is_not_flagged():
    code = '''
    import redis

    from app.settings import load_settings

    conn = redis.Redis()


    def settings():
        with conn.lock("settings", timeout=5):
            return load_settings()
    '''
    assert flagged(code, LOCKS, "app/settings_view.py") == []


def test_imported_work_under_an_in_process_lock_is_not_flagged():
    code = '''
    import threading

    from app.schedule import enqueue_due_jobs

    _tick = threading.Lock()


    def tick():
        with _tick:
            enqueue_due_jobs()
    '''
    assert flagged(code, LOCKS, "app/beat.py") == []


# --- lock implementations, whatever the class is called ----------------------------------------
def test_class_with_acquire_and_release_adding_a_key_with_positional_timeout_is_flagged():
    code = '''
    import uuid


    class Guard:
        def __init__(self, cache, key, seconds=30):
            self.cache, self.key, self.seconds = cache, key, seconds

        def acquire(self):
            return bool(self.cache.add(self.key, uuid.uuid4().hex, self.seconds))

        def release(self):
            self.cache.delete(self.key)
    '''
    assert flagged(code, LOCKS, "lib/guard.py") == [("ARM201", 10)]


def test_lock_shaped_class_setting_the_key_it_deletes_on_unlock_is_flagged():
    code = '''
    class Leader:
        def __init__(self, store, key, ttl):
            self.store, self.key, self.ttl = store, key, ttl

        def lock(self):
            if self.store.get(self.key):
                return False
            self.store.set(self.key, "1", self.ttl)
            return True

        def unlock(self):
            self.store.delete(self.key)
    '''
    assert flagged(code, LOCKS, "lib/leader.py") == [("ARM201", 9)]


def test_pool_with_acquire_and_release_over_a_local_set_is_not_flagged():
    code = '''
    class Pool:
        def __init__(self):
            self._busy = set()

        def acquire(self, item):
            self._busy.add(item)

        def release(self, item):
            self._busy.discard(item)
    '''
    assert flagged(code, LOCKS, "lib/pool.py") == []


def test_lock_shaped_class_counting_holders_without_deleting_is_not_flagged():
    code = '''
    class Gate:
        def acquire(self):
            count = int(self.store.get(self.key) or 0)
            self.store.set(self.key, count + 1, self.ttl)

        def release(self):
            self.store.decr(self.key)
    '''
    assert flagged(code, LOCKS, "lib/gate.py") == []


def test_lock_shaped_class_handing_out_a_counter_token_is_not_flagged():
    code = '''
    class Guard:
        def acquire(self):
            if self.cache.add(self.key, 1, self.seconds):
                return self.cache.incr(self.key + ":fence")
            return None

        def release(self):
            self.cache.delete(self.key)
    '''
    assert flagged(code, LOCKS, "lib/guard.py") == []


# --- Lua claims spelt SETNX + PEXPIRE ------------------------------------------------------------
def test_lua_script_doing_setnx_then_pexpire_is_flagged_at_the_setnx():
    code = '''
    ACQUIRE = """
    if redis.call('SETNX', KEYS[1], ARGV[1]) == 1 then
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return 1
    end
    return 0
    """


    def register(client):
        return client.register_script(ACQUIRE)
    '''
    assert flagged(code, LOCKS, "lib/scripts.py") == [("ARM201", 3)]


def test_lua_script_handing_out_a_counter_with_setnx_is_not_flagged():
    code = '''
    ACQUIRE = """
    if redis.call('SETNX', KEYS[1], ARGV[1]) == 1 then
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return redis.call('INCR', KEYS[2])
    end
    return 0
    """
    '''
    assert flagged(code, LOCKS, "lib/scripts.py") == []


# --- lock files broken when stale --------------------------------------------------------------
def test_lock_file_broken_after_a_staleness_limit_is_flagged_at_the_exclusive_create():
    code = '''
    import os
    import time


    class FileLock:
        def __init__(self, path, stale_after=60):
            self.path, self.stale_after = path, stale_after

        def acquire(self):
            while True:
                try:
                    fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                    os.close(fd)
                    return
                except FileExistsError:
                    if time.time() - os.path.getmtime(self.path) > self.stale_after:
                        os.remove(self.path)
                    time.sleep(0.1)

        def release(self):
            os.remove(self.path)
    '''
    assert flagged(code, LOCKS, "lib/filelock.py") == [("ARM201", 13)]


def test_lock_directory_broken_when_old_is_flagged():
    code = '''
    import os
    import shutil
    import time


    def take_lock(lockdir, max_age=300):
        try:
            os.mkdir(lockdir)
            return True
        except FileExistsError:
            if os.stat(lockdir).st_mtime < time.time() - max_age:
                shutil.rmtree(lockdir)
            return False
    '''
    assert flagged(code, LOCKS, "tools/deploy.py") == [("ARM201", 9)]


def test_lock_file_never_broken_by_age_is_not_flagged():
    code = '''
    import os


    class FileLock:
        def acquire(self):
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            os.close(fd)

        def release(self):
            os.remove(self.path)
    '''
    assert flagged(code, LOCKS, "lib/filelock.py") == []


def test_file_cache_evicting_old_entries_is_not_a_lock():
    code = '''
    import os
    import time


    class DiskCache:
        def put(self, path, data):
            with open(path, "x") as fh:
                fh.write(data)

        def evict(self, path, ttl):
            if time.time() - os.path.getmtime(path) > ttl:
                os.remove(path)
    '''
    assert flagged(code, LOCKS, "lib/diskcache.py") == []


# --- lock rows created only if absent, expiring by age -----------------------------------------
def test_orm_lock_row_swept_by_age_before_create_is_flagged_at_the_create():
    code = '''
    from datetime import timedelta

    from django.db import IntegrityError
    from django.utils import timezone

    from app.models import TaskMutex


    def take(name, ttl=600):
        TaskMutex.objects.filter(created__lte=timezone.now() - timedelta(seconds=ttl)).delete()
        try:
            return TaskMutex.objects.create(name=name)
        except IntegrityError:
            return None


    def give_back(name):
        TaskMutex.objects.filter(name=name).delete()
    '''
    assert flagged(code, LOCKS, "app/mutex.py") == [("ARM201", 13)]


def test_orm_row_created_under_integrity_guard_with_its_own_expiry_and_released_is_flagged():
    code = '''
    from datetime import timedelta

    from django.db import IntegrityError
    from django.utils import timezone

    from app.models import Job


    def claim(job_key):
        try:
            Job.objects.create(key=job_key, expires_at=timezone.now() + timedelta(minutes=5))
        except IntegrityError:
            return False
        return True


    def finish(job_key):
        Job.objects.filter(key=job_key).delete()
    '''
    assert flagged(code, LOCKS, "app/claims.py") == [("ARM201", 12)]


def test_nonce_rows_swept_by_age_are_not_locks():
    code = '''
    from datetime import timedelta

    from django.db import IntegrityError
    from django.utils import timezone

    from app.models import Nonce


    def remember(value):
        Nonce.objects.filter(created__lt=timezone.now() - timedelta(hours=1)).delete()
        try:
            Nonce.objects.create(value=value)
        except IntegrityError:
            raise ValueError("replayed")
    '''
    assert flagged(code, LOCKS, "app/nonces.py") == []


def test_session_rows_swept_by_age_are_not_locks():
    code = '''
    from django.utils import timezone

    from app.models import Session


    def start(user):
        Session.objects.filter(expire_date__lt=timezone.now()).delete()
        return Session.objects.create(user=user)
    '''
    assert flagged(code, LOCKS, "app/sessions.py") == []


# --- a method of an object handed in, run under an expiring lock -------------------------------
def test_job_run_under_a_django_cache_lock_with_timeout_is_flagged_at_the_lock():
    code = '''
    from django.core.cache import cache


    def run_cron(job):
        with cache.lock(f"cron:{job.name}", timeout=300):
            job.run()
    '''
    assert flagged(code, LOCKS, "app/cron.py") == [("ARM201", 6)]


def test_in_memory_and_read_calls_under_an_expiring_lock_are_not_work():
    code = '''
    from django.core.cache import cache


    def snapshot(names, client):
        seen = []
        with cache.lock("snapshot", timeout=30):
            for name in names:
                seen.append(name.strip())
            members = client.zrangebyscore("queue", 0, 10)
        return seen, members
    '''
    assert flagged(code, LOCKS, "app/snapshot.py") == []
