"""Round 23, unfenced locks: what gives a lock its lifetime, and which session it lives on.

Read in the misses and flagged look-alikes of round 22's half (now `test13`):

- a library client's lock built with no lifetime (`cache.lock(name, blocking_timeout=10)` on
  Django's cache, `r.lock(name)` on a redis-py client) is held until released: no second holder
  can take it from a paused one, so it is not reported (RULES: a lock without a lifetime);
- a session advisory lock taken on a cursor of Django's default connection shares its session
  with the ORM work it guards (a side connection, or another alias, is still reported);
- a lock entered through a conditional (`GlobalLock(key, lock_ttl=...) if not testing else
  empty_context()`) is the lock its body runs under;
- memcache clients spell the lifetime of an add `time=` (python-memcached, pylibmc): a lock
  class claiming its key that way expires like any other (`time=0` never expires).
"""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

LOCK = Settings(select=frozenset({"ARM201"}))


def flagged(code: str, path: str = "app/worker.py") -> list[tuple[str, int]]:
    report = analyze(path, textwrap.dedent(code), LOCK)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


# --- a library client's lock with or without a lifetime -------------------------------------

CREDENTIALS = """\
import httpx
from django.core.cache import cache


def get_api_credentials(base_url):
    with cache.lock("credentials-lock", {lifetime}blocking_timeout=10):
        response = httpx.post(base_url + "/auth/sign_in", data={{"email": "bot"}})
        cache.set("credentials", dict(response.headers), 86400)
        return response.headers
"""


def test_django_cache_lock_with_a_timeout_is_flagged_at_the_guarded_write():
    assert flagged(CREDENTIALS.format(lifetime="timeout=30, ")) == [("ARM201", 7)]


def test_django_cache_lock_without_a_timeout_never_lapses_and_stays_quiet():
    assert flagged(CREDENTIALS.format(lifetime="")) == []


def test_redis_client_lock_without_a_timeout_stays_quiet_with_one_it_is_flagged():
    code = """\
    import redis

    conn = redis.StrictRedis()


    def write_report(rows):
        with conn.lock("nightly-report"{lifetime}):
            with open("/mnt/shared/report.csv", "w") as out:
                out.write("\\n".join(rows))
    """
    assert flagged(code.format(lifetime="")) == []
    assert flagged(code.format(lifetime=", timeout=60")) == [("ARM201", 8)]


def test_a_projects_own_cache_lock_may_default_to_a_lifetime_and_is_still_judged():
    code = """\
    from jobs.cache import get_cache


    class JobTask:
        def delay_or_cache(self, cache_key, publish):
            cache = get_cache()
            with cache.lock("lock:%s" % cache_key):
                task = publish()
                cache.set("herd:%s" % cache_key, task.id, 900)
    """
    assert flagged(code) == [("ARM201", 9)]


# --- a session advisory lock on Django's default connection -----------------------------------


def test_session_advisory_lock_on_djangos_default_connection_stays_quiet():
    code = """\
    import binascii
    import contextlib

    from django.db import connection


    @contextlib.contextmanager
    def pg_advisory_lock(name):
        lock_id = binascii.crc32(name.encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", (lock_id,))
            yield
            cursor.execute("SELECT pg_advisory_unlock(%s)", (lock_id,))
    """
    assert flagged(code) == []


def test_session_advisory_lock_on_another_alias_or_a_new_connection_is_flagged():
    code = """\
    import contextlib

    import psycopg
    from django.db import connections


    @contextlib.contextmanager
    def aliased_lock(lock_id):
        with connections["locks"].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", (lock_id,))
            yield
            cursor.execute("SELECT pg_advisory_unlock(%s)", (lock_id,))


    @contextlib.contextmanager
    def side_lock(dsn, lock_id):
        conn = psycopg.connect(dsn)
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", (lock_id,))
            yield
            cursor.execute("SELECT pg_advisory_unlock(%s)", (lock_id,))
    """
    assert flagged(code) == [("ARM201", 10), ("ARM201", 19)]


# --- a lock entered through a conditional expression ----------------------------------------------

GC_WORKER = """\
from contextlib import contextmanager

from data.database import Repository
from data.model.gc import garbage_collect_repo
from util.locking import GlobalLock, LockNotAcquiredException


@contextmanager
def empty_context():
    yield None


class GarbageCollectionWorker:
    def collect(self, repo_ref, skip_lock_for_testing=False):
        try:
            with (
                {item}
            ):
                repository = Repository.get(id=repo_ref.id)
                garbage_collect_repo(repository)
        except LockNotAcquiredException:
            return
"""


def test_lock_skipped_only_in_tests_by_a_conditional_is_flagged():
    item = 'GlobalLock("REPO_GC_%s" % repo_ref.id, lock_ttl=3600) if not skip_lock_for_testing else empty_context()'
    assert flagged(GC_WORKER.format(item=item), "workers/gc/gcworker.py") == [("ARM201", 17)]


def test_conditional_between_two_real_context_managers_is_not_taken_for_a_lock():
    item = "open(repo_ref.path) if skip_lock_for_testing else open(repo_ref.backup)"
    assert flagged(GC_WORKER.format(item=item), "workers/gc/gcworker.py") == []


# --- a memcache lock class whose add spells its lifetime `time=` ----------------------------------

MEMCACHE_LOCK = """\
import os
import socket
from time import sleep


class MemcacheLock(object):
    def __init__(self, key, cache, time=30):
        self.key = key
        self.cache = cache
        self.time = time
        self.owns_lock = False

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, type, value, tb):
        self.release()

    def acquire(self):
        self.nonce = (socket.gethostname(), os.getpid())
        lock = None
        while not lock:
            lock = self.cache.add(self.key, self.nonce, {lifetime})
            if not lock:
                sleep(0.5)
        self.owns_lock = True

    def release(self):
        if self.owns_lock and self.cache.get(self.key) == self.nonce:
            self.cache.delete(self.key)
"""


def test_memcache_lock_class_adding_its_key_with_time_is_flagged_at_the_claim():
    assert flagged(MEMCACHE_LOCK.format(lifetime="time=self.time")) == [("ARM201", 24)]


def test_memcache_add_with_time_zero_never_expires_and_stays_quiet():
    assert flagged(MEMCACHE_LOCK.format(lifetime="time=0")) == []


# --- an update_<what> method of a fetched record, called under the lock --------------------------

CHANNEL_TASK = """\
from app import api


def task_update_conda_channel(self, channel_name, platforms):
    conda_store = self.worker.conda_store
    lock = conda_store.redis.lock("lock_channel_" + channel_name, timeout=60 * 15)
    is_locked = False
    try:
        is_locked = lock.acquire(blocking=False)
        if is_locked:
            with conda_store.session_factory() as db:
                channel = api.get_conda_channel(db, channel_name)
                channel.{call}
    finally:
        if is_locked:
            lock.release()
"""


def test_update_method_of_a_fetched_record_under_an_expiring_lock_is_out_of_sight_work():
    assert flagged(CHANNEL_TASK.format(call="update_packages(db, subdirs=platforms)")) == [("ARM201", 6)]


def test_read_or_in_memory_update_of_a_fetched_record_guards_nothing():
    assert flagged(CHANNEL_TASK.format(call="get_packages(db)")) == []
    assert flagged(CHANNEL_TASK.format(call="update({'name': channel_name})")) == []


# --- a decorator running the task it wraps under an expiring cache claim ---------------------------

SINGLETON_TASK = """\
import time
from functools import wraps

from django.core.cache import cache


def singleton_task(task):
    task_func = task.{attribute}

    @wraps(task_func)
    def wrapper(*args, **kwargs):
        lock_timeout = 300
        timeout_at = time.monotonic() + lock_timeout - 3
        has_lock = cache.add(task.name, 1, lock_timeout)
        if not has_lock:
            return None
        try:
            return task_func(*args, **kwargs)
        finally:
            if time.monotonic() < timeout_at:
                cache.delete(task.name)

    task.run = wrapper
    return task
"""


def test_decorator_running_a_part_of_the_task_it_received_under_a_cache_claim_is_flagged():
    assert flagged(SINGLETON_TASK.format(attribute="run"), "app/tasks.py") == [("ARM201", 14)]


def test_decorator_running_a_module_function_under_a_cache_claim_is_not_out_of_sight_work():
    code = SINGLETON_TASK.replace("task_func = task.{attribute}", "task_func = len")
    assert flagged(code, "app/tasks.py") == []


# --- a store class whose acquire_lock / release_lock claim a key with a lifetime ----------------------

STORE = """\
class BaseStore:
    LOCK_KEY = "celery:beat-lock"

    def __init__(self, client):
        self.client = client
        self.lock = None

    def {take}(self, lock_ttl=60):
        is_locked = self.client.add(self.LOCK_KEY, "lock", lock_ttl)
        if is_locked:
            self.lock = ("lock", lock_ttl)
        return is_locked

    def {give}(self):
        self.client.delete(self.LOCK_KEY)
        self.lock = None
"""


def test_store_class_with_acquire_lock_and_release_lock_is_a_lock_class():
    assert flagged(STORE.format(take="acquire_lock", give="release_lock"), "beatx/store/memcached.py") == [
        ("ARM201", 9)
    ]


def test_store_class_adding_a_key_without_a_release_method_is_not_a_lock_class():
    assert flagged(STORE.format(take="remember_once", give="forget_all"), "beatx/store/memcached.py") == []


# --- Singleton bases: celery-singleton's task base, or the in-process design pattern -----------

REGISTRY = """\
from threading import Lock

from {module} import Singleton


class SlaveRegistry(Singleton):
    def __init__(self):
        super().__init__()
        self._slaves = {{}}
        self._lock = Lock()

    def add_slave(self, slave):
        with self._lock:
            self._slaves[slave.url] = slave
"""


def test_class_deriving_from_a_projects_own_singleton_is_not_a_once_only_task():
    assert flagged(REGISTRY.format(module="app.util.singleton"), "app/master/slave.py") == []


def test_class_deriving_from_celery_singletons_base_is_a_once_only_task():
    assert flagged(REGISTRY.format(module="celery_singleton"), "app/master/slave.py") == [("ARM201", 6)]
