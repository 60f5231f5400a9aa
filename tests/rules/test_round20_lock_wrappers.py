"""Round 20, unfenced locks: the project's own lock wrappers, followed to where they are used.

Read in the misses of round 19's half (now `test10`): the lock is taken with a lifetime inside a
wrapper of another module and the writes are at the caller:

- a context manager over a claim of a shared key with a lifetime (`cache.add(lock_id, oid,
  EXPIRE)`, `set(key, v, nx=True, ex=5)`), not only over a call named for a lock;
- an object of a project class entered in a `with`, whose `__enter__` takes such a lock itself or
  through a method of its own (`self.acquire()`);
- a context-manager method called on an object of a project class (`manager.locked(kind)`, the
  manager built with the lock's lifetime as a constructor keyword);
- a method of another module's lock object that returns whether its expiring claim won
  (`if not lock.try_acquire_lock(key): return`, `lock = DistributedLock()` a module global).

Look-alikes stay quiet: a wrapper over an in-process lock, a claim with no lifetime, a class whose
`__enter__` opens a file, and the same callers with a fencing token.
"""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index

LOCK = Settings(select=frozenset({"ARM201"}))


def flagged(code: str, path: str, modules: dict[str, str]) -> list[tuple[str, int]]:
    code = textwrap.dedent(code)
    project = build_project_index([*((p, textwrap.dedent(t)) for p, t in modules.items()), (path, code)])
    report = analyze(path, code, LOCK, project=project)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


UTILS = """\
from contextlib import contextmanager

from django.core.cache import cache

LOCK_EXPIRE = 60 * 10


@contextmanager
def redis_lock(lock_id, oid):
    timeout_at = LOCK_EXPIRE - 3
    status = cache.add(lock_id, oid, LOCK_EXPIRE)
    try:
        yield status
    finally:
        if status:
            cache.delete(lock_id)


@contextmanager
def local_guard(lock_id, oid):
    status = cache.add(lock_id, oid)
    try:
        yield status
    finally:
        cache.delete(lock_id)
"""

TASKS = """\
from alerts.models import Alert
from core.utils import redis_lock

OUTAGES_LOCK = "agent-outages-task-lock"


def agent_outages_task(oid, agents):
    with redis_lock(OUTAGES_LOCK, oid) as acquired:
        if not acquired:
            return "already running"
        for agent in agents:
            Alert.objects.create(agent=agent, kind="outage")
    return "ok"
"""


def test_a_context_manager_over_an_expiring_cache_claim_is_held_at_its_callers():
    assert flagged(TASKS, "alerts/tasks.py", {"core/utils.py": UTILS}) == [("ARM201", 12)]


def test_a_claim_with_no_lifetime_cannot_lapse_under_its_holder():
    code = TASKS.replace("import redis_lock", "import local_guard").replace("with redis_lock(", "with local_guard(")
    assert flagged(code, "alerts/tasks.py", {"core/utils.py": UTILS}) == []


SPIDER_LOCK = """\
import threading

from spider.db import RedisDB


class RedisLock:
    def __init__(self, key, *, lock_timeout=86400, redis_cli=None):
        self.redis_conn = redis_cli or RedisDB().get_redis_obj()
        self.lock_key = "redis_lock:{}".format(key)
        self.lock_timeout = lock_timeout
        self.locked = False

    def __enter__(self):
        if not self.locked:
            self.acquire()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.release()

    def acquire(self):
        if self.redis_conn.set(self.lock_key, 1, nx=True, ex=5):
            self.locked = True

    def release(self):
        if self.locked:
            self.redis_conn.delete(self.lock_key)
            self.locked = False


class Journal:
    def __init__(self, path):
        self.path = path

    def __enter__(self):
        self.handle = open(self.path, "a")
        return self.handle

    def __exit__(self, *exc):
        self.handle.close()
"""

SCHEDULER = """\
from spider.utils.redis_lock import RedisLock


class Scheduler:
    def __init__(self, redis, name):
        self._redis = redis
        self._name = name

    def start(self, requests):
        with RedisLock(key=self._name) as lock:
            if lock.locked:
                for request in requests:
                    self._redis.zadd(self._name + ":requests", {request: 0})
"""


def test_a_project_lock_class_entered_in_a_with_is_held_over_its_body():
    assert flagged(SCHEDULER, "spider/core/scheduler.py", {"spider/utils/redis_lock.py": SPIDER_LOCK}) == [
        ("ARM201", 13)
    ]


def test_a_project_class_whose_enter_opens_a_file_is_no_lock():
    code = SCHEDULER.replace("RedisLock", "Journal").replace("key=self._name", "self._name").replace(
        "if lock.locked:", "if lock:"
    )
    assert flagged(code, "spider/core/scheduler.py", {"spider/utils/redis_lock.py": SPIDER_LOCK}) == []


MANAGER = """\
from contextlib import contextmanager

from shared.redis import get_redis_connection


class LockManager:
    def __init__(self, repoid, commitid, lock_timeout=300, redis_connection=None):
        self.repoid = repoid
        self.commitid = commitid
        self.lock_timeout = lock_timeout
        self.redis_connection = redis_connection or get_redis_connection()

    @contextmanager
    def locked(self, kind):
        name = f"{kind}_lock_{self.repoid}_{self.commitid}"
        with self.redis_connection.lock(name, timeout=self.lock_timeout, blocking_timeout=5):
            yield
"""

NOTIFY = """\
from services.lock_manager import LockManager


def notify(db_session, repoid, commitid, hard_limit):
    lock_manager = LockManager(repoid=repoid, commitid=commitid, lock_timeout=max(80, hard_limit))
    with lock_manager.locked("notify"):
        db_session.execute("UPDATE commits SET notified = true WHERE id = :id", {"id": commitid})
"""


def test_a_context_manager_method_of_a_project_lock_manager_is_held_over_its_body():
    assert flagged(NOTIFY, "tasks/notify.py", {"services/lock_manager.py": MANAGER}) == [("ARM201", 7)]


def test_the_same_manager_with_a_fencing_token_is_quiet():
    code = NOTIFY.replace(
        'db_session.execute("UPDATE commits SET notified = true WHERE id = :id", {"id": commitid})',
        'db_session.execute("UPDATE commits SET notified = true, fencing_token = :t WHERE id = :id '
        'AND fencing_token < :t", {"id": commitid, "t": lock_manager.token})',
    )
    assert flagged(code, "tasks/notify.py", {"services/lock_manager.py": MANAGER}) == []


def test_a_manager_method_over_an_in_process_lock_is_quiet():
    manager = MANAGER.replace("from shared.redis import get_redis_connection", "import threading").replace(
        "with self.redis_connection.lock(name, timeout=self.lock_timeout, blocking_timeout=5):",
        "with threading.Lock():",
    )
    assert flagged(NOTIFY, "tasks/notify.py", {"services/lock_manager.py": manager}) == []


DISTRIBUTED = """\
from app.redis import init_redis_client


class DistributedLock:
    def __init__(self, prefix="LOCK_KEY", lock_timeout=30):
        self.prefix = prefix
        self.lock_timeout = lock_timeout
        self.redis_client = init_redis_client()

    def try_acquire_lock(self, key, timeout=None):
        acquired = self.redis_client.set(f"{self.prefix}_{key}", "1", nx=True, ex=timeout or self.lock_timeout)
        return acquired is True

    def release_lock(self, key):
        self.redis_client.delete(f"{self.prefix}_{key}")
"""

SCHEDULE = """\
from app.utils.distributed_lock import DistributedLock

lock = DistributedLock()


class PipelineScheduler:
    def start(self, run, db):
        if not lock.try_acquire_lock(f"pipeline_run_{run.id}"):
            return
        try:
            db.execute("INSERT INTO block_runs (run_id) VALUES (%s)", (run.id,))
        finally:
            lock.release_lock(f"pipeline_run_{run.id}")
"""


def test_a_method_of_a_module_level_project_lock_object_is_a_claim_with_its_lifetime():
    # reported at the call: the lock is taken there, its claim in the other module
    assert flagged(SCHEDULE, "app/scheduler.py", {"app/utils/distributed_lock.py": DISTRIBUTED}) == [("ARM201", 8)]


def test_a_lock_function_whose_claim_has_no_lifetime_is_quiet():
    locks = DISTRIBUTED.replace(', nx=True, ex=timeout or self.lock_timeout)', ', nx=True)')
    assert flagged(SCHEDULE, "app/scheduler.py", {"app/utils/distributed_lock.py": locks}) == []

