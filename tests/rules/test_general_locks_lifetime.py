"""Locks with a lifetime recognised by shape: a library's own lock classes, imported lock
classes given a lifetime, ZooKeeper session-bound recipes."""
from __future__ import annotations

from analyzers import Settings

from .helpers import flagged

LOCKS = Settings(select=frozenset({"ARM201"}))


def test_lock_class_adding_a_key_with_expiry_is_flagged_at_the_claim():
    code = '''
    import time

    class SpinLock:
        def __init__(self, store, key, expire=None):
            self._store, self._key, self._expire = store, key, expire

        def acquire(self):
            while True:
                if self._store.add(self._key, None, expire=self._expire):
                    return
                time.sleep(0.01)

        def release(self):
            self._store.delete(self._key)
    '''
    assert flagged(code, LOCKS, "lib/recipes.py") == [("ARM201", 10)]


def test_reentrant_lock_class_storing_its_owner_with_expiry_is_flagged():
    code = '''
    import os

    class ReentrantLock:
        def acquire(self):
            owner = "%s" % os.getpid()
            value, count = self._store.get(self._key, default=(None, 0))
            if owner == value or count == 0:
                self._store.set(self._key, (owner, count + 1), expire=self._expire)
    '''
    assert flagged(code, LOCKS, "lib/recipes.py") == [("ARM201", 9)]


def test_lua_lock_class_with_ttl_is_flagged():
    code = '''
    class Lock:
        def acquire(self, block=True):
            ok = self.db.run_script("lock_acquire", keys=[self.key], args=[self.owner_id, self.ttl])
            return ok == 1
    '''
    assert flagged(code, LOCKS, "lib/lock.py") == [("ARM201", 4)]


def test_zookeeper_ephemeral_node_claim_in_a_lock_class_is_flagged():
    code = '''
    from kazoo.exceptions import NodeExistsError

    class ItemLocker:
        def take(self, item):
            try:
                self.client.create(self.path + "/" + item, self.me, ephemeral=True)
            except NodeExistsError:
                return False
            return True
    '''
    assert flagged(code, LOCKS, "coord/items.py") == [("ARM201", 7)]


def test_kazoo_recipe_taken_by_a_caller_is_flagged():
    code = '''
    from kazoo.client import KazooClient

    class Leader:
        def __init__(self, zk):
            self.lock = zk.Lock("/app/leader", "node-1")

        def run(self, work):
            with self.lock:
                work()

    def rebuild(zk):
        lock = zk.Semaphore("/app/rebuild", max_leases=2)
        lock.acquire(timeout=30)
    '''
    assert flagged(code, LOCKS, "coord/leader.py") == [("ARM201", 9), ("ARM201", 14)]


def test_imported_lock_class_built_with_a_connection_and_timeout_is_flagged():
    code = '''
    from .semaphores import Semaphore

    def reserve(conn, queue, worker_id):
        sem = Semaphore(conn, "qlock:" + queue, worker_id, max_locks=1, timeout=60)
        acquired, count = sem.acquire()
        return acquired
    '''
    assert flagged(code, LOCKS, "worker/queues.py") == [("ARM201", 6)]


def test_semaphore_count_in_a_cache_and_membership_nodes_stay_quiet():
    code = '''
    from kazoo.client import KazooClient

    class CountingSemaphore:
        def acquire(self):
            value = self._store.get(self._key, default=self._value)
            if value > 0:
                self._store.set(self._key, value - 1, expire=self._expire)

    class Party:
        def join(self):
            self.client.create(self.create_path, self.data, ephemeral=True)

    class TokenLock:
        def acquire(self):
            token = self.r.incr("fence")
            return self.r.set(self.key, token, nx=True, px=self.ttl)
    '''
    assert flagged(code, LOCKS, "lib/limits.py") == []


def test_release_and_reset_scripts_and_in_process_locks_stay_quiet():
    code = '''
    import threading
    from filelock import FileLock

    class Lock:
        def release(self):
            self.release_script(keys=[self.key], args=[self.owner_id, self.ttl])

        def reset(self):
            self.reset_script(keys=[self.key], args=[self.signal_expire])

    def local(path, conn):
        with FileLock(path, timeout=10):
            pass
        guard = threading.Lock()
        with guard:
            pass
    '''
    assert flagged(code, LOCKS, "lib/lock.py") == []
