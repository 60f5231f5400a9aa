"""Round 21, unfenced locks: a project lock helper reported where it guards work.

Read in the misses of round 20's half (now `test11`): the lock with a lifetime is taken in a
helper of another module and the labellers put the pitfall at the caller:

- a decorator of the project (`@share_lock()`, `@lock(lock_name=...)`) whose wrapper takes an
  expiring claim and calls the decorated function while holding it: reported at the decorator
  of a function that writes, and no longer at the wrapper's own claim;
- a function of a project module named for locking (`import utils.locking as lock`, then
  `if not lock.acquire(key): return`) that returns whether its expiring claim won;
- a context manager whose claim is taken by a function of its own module
  (`acquired = acquire_redis_lock(redis, key, id)`, `if redis.set(..., ex=5, nx=True): return True`);
- `self.lock.acquire()` on another module's class named for a lock whose constructor builds an
  expiring lock and whose `acquire` returns that lock's acquisition.

Look-alikes stay quiet: a decorator with a claim of no lifetime, a decorator over an in-process
lock, a decorated function that writes nothing, a locking module whose claim has no lifetime.
"""
from __future__ import annotations

from .test_round20_lock_wrappers import flagged  # the project index built from the modules given


SHARE_LOCK = """\
import functools
import time

from django.core.cache import cache


def share_lock(ttl=300, identify=None):
    def wrapper(func):
        @functools.wraps(func)
        def _inner(*args, **kwargs):
            token = str(time.time())
            cache_key = "celery_%s" % func.__name__ if identify is None else identify
            if cache.get(cache_key):
                return
            cache.set(cache_key, token, ttl)
            try:
                return func(*args, **kwargs)
            finally:
                if cache.get(cache_key) == token:
                    cache.delete(cache_key)

        return _inner

    return wrapper
"""

TRANSIT = """\
from celery.task import periodic_task

from itsm.component.utils.lock import share_lock
from itsm.ticket.models import Ticket


@periodic_task(run_every=60)
@share_lock()
def status_auto_transit():
    for ticket in Ticket.objects.filter(status="RUNNING"):
        Ticket.objects.filter(id=ticket.id).update(status=ticket.next_status())


@periodic_task(run_every=60)
@share_lock()
def count_tickets():
    return Ticket.objects.filter(status="RUNNING").count()
"""


def test_a_project_lock_decorator_is_reported_at_the_decorated_function_that_writes():
    assert flagged(TRANSIT, "itsm/ticket/tasks.py", {"itsm/component/utils/lock.py": SHARE_LOCK}) == [("ARM201", 8)]


def test_a_decorated_job_that_only_deletes_is_idempotent_work():
    code = """\
    from common.utils.lock import share_lock
    from chat.models import Chat


    @share_lock(ttl=30)
    def clean_chat_job(cutoff):
        Chat.objects.filter(update_time__lt=cutoff).delete()
    """
    assert flagged(code, "common/job/clean_chat_job.py", {"common/utils/lock.py": SHARE_LOCK}) == []


def test_the_lock_decorator_itself_is_left_to_its_callers():
    assert flagged(SHARE_LOCK, "itsm/component/utils/lock.py", {"itsm/ticket/tasks.py": TRANSIT}) == []


def test_a_decorator_whose_key_has_no_lifetime_is_no_lock():
    helper = SHARE_LOCK.replace("cache.set(cache_key, token, ttl)", "cache.set(cache_key, token)")
    assert flagged(TRANSIT, "itsm/ticket/tasks.py", {"itsm/component/utils/lock.py": helper}) == []


def test_a_decorator_over_an_in_process_lock_is_quiet():
    helper = """\
    import functools
    import threading

    _guard = threading.Lock()


    def share_lock(ttl=300, identify=None):
        def wrapper(func):
            @functools.wraps(func)
            def _inner(*args, **kwargs):
                with _guard:
                    return func(*args, **kwargs)

            return _inner

        return wrapper
    """
    assert flagged(TRANSIT, "itsm/ticket/tasks.py", {"itsm/component/utils/lock.py": helper}) == []


CACHE_LOCK = """\
from functools import wraps

from django.conf import settings
from django.core.cache import cache


class CacheLock:
    def __init__(self, lock_name, timeout):
        self.lock_name = lock_name
        self.lock_timeout = timeout
        self._locked = not self._init()

    @property
    def locked(self):
        return self._locked

    def _init(self):
        return cache.add(self.lock_name, True, timeout=self.lock_timeout)

    def release(self):
        return cache.delete(self.lock_name)


def lock(lock_name="", *, timeout=settings.DEFAULT_CACHE_LOCK_TIMEOUT):
    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            _lock = CacheLock(lock_name=lock_name, timeout=timeout)
            if _lock.locked:
                return
            try:
                return func(*args, **kwargs)
            finally:
                _lock.release()

        return wrapper

    return decorator
"""

NOTICE = """\
from apps.notice.models import NoticeLog
from core.lock import lock


@lock(lock_name="celery:send_notice_from_db")
def send_notice_from_db(sender):
    for log in NoticeLog.objects.filter(is_sent=False):
        sender.send(log.receivers, log.content)
        log.is_sent = True
        log.save(update_fields=["is_sent"])
"""


def test_a_decorator_over_a_project_lock_class_with_a_lifetime_is_reported_at_the_decorated_task():
    assert flagged(NOTICE, "apps/notice/tasks.py", {"core/lock.py": CACHE_LOCK}) == [("ARM201", 5)]


def test_the_lock_class_a_decorator_builds_is_left_to_the_decorated_tasks():
    assert flagged(CACHE_LOCK, "core/lock.py", {"apps/notice/tasks.py": NOTICE}) == []


def test_a_lock_decorator_decorating_nothing_in_view_is_judged_where_it_takes_its_lock():
    assert flagged(CACHE_LOCK, "core/lock.py", {}) == [("ARM201", 18)]


LOCKING = """\
from django.core.cache import cache

LOCK_TIMEOUT = 3600


def name(lock_key):
    return f"lock:{lock_key}"


def acquire(lock_key, timeout=LOCK_TIMEOUT):
    return cache.add(lock_key, True, timeout)


def release(lock_key):
    cache.delete(lock_key)
"""

WITHDRAWALS = """\
import utils.locking as lock
from reputation.models import Withdrawal
from researchhub.celery import app


@app.task
def check_pending_withdrawals():
    key = lock.name("check_pending_withdrawals")
    if not lock.acquire(key):
        return False
    try:
        for withdrawal in Withdrawal.objects.filter(paid_status="PENDING"):
            withdrawal.paid_status = "PAID"
            withdrawal.save()
    finally:
        lock.release(key)
"""


def test_a_locking_module_acquire_is_an_expiring_claim_at_its_caller():
    assert flagged(WITHDRAWALS, "src/reputation/tasks.py", {"src/utils/locking.py": LOCKING}) == [("ARM201", 9)]


def test_a_locking_module_whose_claim_has_no_lifetime_is_quiet():
    locking = LOCKING.replace("return cache.add(lock_key, True, timeout)", "return cache.add(lock_key, True)")
    assert flagged(WITHDRAWALS, "src/reputation/tasks.py", {"src/utils/locking.py": locking}) == []


REDIS_LOCK = """\
import time
from contextlib import contextmanager
from uuid import uuid4


@contextmanager
def redis_lock(redis_instance, key):
    lock_key = "lock_{}".format(key)
    lock_id = str(uuid4())
    try:
        lock_acquired = acquire_redis_lock(redis_instance, lock_key, lock_id)
        yield lock_acquired
    finally:
        release_redis_lock(redis_instance, lock_key, lock_id)


def acquire_redis_lock(redis_instance, lock_key, lock_id):
    cnt = 1
    while cnt < 500:
        if redis_instance.set(lock_key, lock_id, ex=5, nx=True):
            return True
        cnt += 1
        time.sleep(0.01)
    return False


def release_redis_lock(redis_instance, lock_key, lock_id):
    if redis_instance.get(lock_key) == lock_id:
        redis_instance.delete(lock_key)
"""

CALLBACK = """\
from django.conf import settings

from gcloud.taskflow3.models import TaskCallBackRecord
from gcloud.utils.redis_lock import redis_lock


class TaskCallBacker:
    def callback(self):
        with redis_lock(settings.redis_inst, key=f"callback_lock_{self.task_id}") as acquired:
            if not acquired:
                return None
            TaskCallBackRecord.objects.filter(id=self.record.id).update(retry=self.record.retry + 1)
"""


def test_a_context_manager_taking_its_lock_through_a_function_of_its_module_is_held_at_its_callers():
    assert flagged(CALLBACK, "gcloud/taskflow3/domains/callback.py", {"gcloud/utils/redis_lock.py": REDIS_LOCK}) == [
        ("ARM201", 12)
    ]


def test_the_same_function_claiming_with_no_lifetime_is_no_lock():
    helper = REDIS_LOCK.replace("redis_instance.set(lock_key, lock_id, ex=5, nx=True)", "redis_instance.set(lock_key, lock_id, nx=True)")
    assert flagged(CALLBACK, "gcloud/taskflow3/domains/callback.py", {"gcloud/utils/redis_lock.py": helper}) == []


COMMON_LOCKS = """\
from bkuser.common.cache import Cache


class RedisLock:
    def __init__(self, type_, suffix=None, timeout=None, blocking=True):
        cache = Cache("redis", "lock")
        self._lock = cache.lock(f"{type_}:{suffix}", timeout=timeout)
        self._blocking = blocking

    def acquire(self):
        return self._lock.acquire(blocking=self._blocking)

    def release(self):
        self._lock.release()
"""

SYNC_LOCKS = """\
from bkuser.common.locks import RedisLock


class DataSourceSyncTaskLock:
    def __init__(self, data_source_id, timeout):
        self._lock = RedisLock("sync", suffix=f"data_source:{data_source_id}", timeout=timeout, blocking=False)

    def acquire(self):
        return self._lock.acquire()

    def release(self):
        return self._lock.release()
"""

SYNC_CONTEXT = """\
from bkuser.apps.sync.locks import DataSourceSyncTaskLock


class DataSourceSyncTaskContext:
    def __init__(self, task):
        self.task = task
        self.lock = DataSourceSyncTaskLock(task.data_source_id, timeout=3600)

    def __enter__(self):
        if not self.lock.acquire():
            raise RuntimeError("failed to acquire data source sync lock")
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.lock.release()
"""


def test_acquiring_another_module_lock_class_whose_constructor_builds_an_expiring_lock_is_a_claim():
    modules = {"bkuser/common/locks.py": COMMON_LOCKS, "bkuser/apps/sync/locks.py": SYNC_LOCKS}
    assert flagged(SYNC_CONTEXT, "bkuser/apps/sync/contexts/data_source.py", modules) == [("ARM201", 10)]


def test_a_lock_class_built_without_a_lifetime_is_quiet_at_its_caller():
    modules = {
        "bkuser/common/locks.py": COMMON_LOCKS,
        "bkuser/apps/sync/locks.py": SYNC_LOCKS.replace(", timeout=timeout, blocking=False)", ", blocking=False)"),
    }
    assert flagged(SYNC_CONTEXT, "bkuser/apps/sync/contexts/data_source.py", modules) == []
