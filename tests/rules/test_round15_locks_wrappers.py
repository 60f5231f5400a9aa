"""Round 15: expiring locks taken inside the project's own wrappers (`_lock_wrappers`). A context
manager that holds a lock with a lifetime around its `yield` (maybe through another such context
manager, maybe in another module) makes its caller's `with` body the guarded region; a method
that builds and returns a lock with a lifetime makes its caller's `acquire()` the acquisition.
Look-alikes: the same wrappers around an in-process lock, a context manager that only times its
body, and factories returning an in-process lock or a connection pool."""
from __future__ import annotations

from analyzers import Settings

from .helpers import flagged
from .test_round14_locks_provenance import flagged_in  # one module analysed with the project index of all

LOCKS = Settings(select=frozenset({"ARM201"}))


_LOCKS_MODULE = '''
from contextlib import contextmanager

import redis


def client():
    return redis.Redis(host="kv")


@contextmanager
def held(key, ttl=30):
    lock = client().lock(key, timeout=ttl, blocking_timeout=5)
    got = lock.acquire()
    try:
        yield got
    finally:
        if got:
            lock.release()


@contextmanager
def board_lock(board_id, ttl=30):
    with held(f"board:{board_id}", ttl) as got:
        yield got


@contextmanager
def local_guard(key):
    import threading
    guard = threading.Lock()
    with guard:
        yield True


@contextmanager
def timed(label):
    import time
    start = time.monotonic()
    yield
    print(label, time.monotonic() - start)
'''

_SERVICE = '''
from shop.stores.locks import board_lock, local_guard, timed
from shop.models import fetch_board, save_board


def add_card(board_id, card):
    with board_lock(board_id) as got:
        if not got:
            raise RuntimeError("busy")
        board = fetch_board(board_id)
        board.cards.append(card)
        save_board(board)


def add_card_locally(board_id, card):
    with local_guard(board_id):
        board = fetch_board(board_id)
        save_board(board)


def add_card_timed(board_id, card):
    with timed("add"):
        board = fetch_board(board_id)
        save_board(board)
'''


def test_context_manager_two_levels_deep_in_another_module_makes_the_with_body_guarded():
    files = {
        "shop/stores/locks.py": _LOCKS_MODULE,
        "shop/services/boards.py": _SERVICE,
        "shop/models.py": "def fetch_board(i):\n    return i\n\n\ndef save_board(b):\n    return b\n",
    }
    assert flagged_in(files, "shop/services/boards.py") == [("ARM201", 7)]


def test_method_returning_an_expiring_lock_is_the_acquisition_where_its_value_is_acquired():
    code = '''
    import redis_lock


    class Monitor:
        def sweep(self, keys):
            for key in keys:
                lock = self._make_lock(key)
                if lock.acquire(blocking=False):
                    self._handle(key)
                    lock.release()

        def _make_lock(self, key):
            return redis_lock.Lock(self.conn, key, expire=60, auto_renewal=True)

        def _handle(self, key):
            self.conn.delete(key)
    '''
    assert flagged(code, LOCKS, "app/monitor.py") == [("ARM201", 9)]


def test_factories_returning_in_process_locks_or_pools_stay_quiet():
    code = '''
    import threading

    import asyncpg


    class Monitor:
        def sweep(self, keys):
            for key in keys:
                guard = self._guard()
                if guard.acquire(timeout=3):
                    self._handle(key)
                    guard.release()

        async def drain(self, keys):
            pool = self._pool()
            async with pool.acquire() as conn:
                await conn.execute("delete from pending where k = any($1)", keys)

        def _guard(self):
            return threading.Lock()

        def _pool(self):
            return asyncpg.create_pool(dsn=self.dsn, timeout=30)

        def _handle(self, key):
            self.conn.delete(key)
    '''
    assert flagged(code, LOCKS, "app/monitor.py") == []
