"""ARM201, round 10: lock back ends whose acquisition hands out no token.

- the acquire method of a lock class that takes the lock by writing to an outside store with a
  lifetime (a `ttl=` argument, an expiry put in the record, a lifetime appended to the
  arguments, a lease duration set on a lease object) and answers only yes or no;
- leader election by grabbing a lock and running leader work;
- MySQL `GET_LOCK`, a session lock like a session advisory lock;
- a SQLAlchemy update stamping a holder and a lease deadline (`.values(held_by=..., held_until=...)`).
Look-alikes: a lock class on a local OS primitive, a lock class that hands out a fencing token,
an acquire without any lifetime, a leader lock that passes an epoch, a plain `.values()` write."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

LOCKS = Settings(select=frozenset({"ARM201"}))


def lines(code: str, path: str = "coord/locks.py") -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), LOCKS)
    assert report.notes == []
    return [(f.rule, f.line, f.confidence) for f in report.findings]


def test_consul_style_lock_class_writing_a_key_with_ttl_is_flagged_at_the_write():
    code = """
    import uuid


    class ConsulMutex:
        def __init__(self, kv, name, ttl=15):
            self.kv = kv
            self.name = name
            self.ttl = ttl

        def acquire(self):
            holder = uuid.uuid4().hex
            taken = self.kv.put(self.name, holder, create_only=True, ttl=self.ttl)
            if taken:
                self.holder = holder
            return bool(taken)
    """
    assert lines(code) == [("ARM201", 13, "medium")]


def test_lease_record_with_expiry_written_to_blob_storage_is_flagged():
    code = """
    import json
    from datetime import datetime, timedelta, timezone


    class BlobLease:
        def _try_acquire(self, owner):
            record = self.bucket.read(self.path)
            if record and record["until"] > datetime.now(timezone.utc).isoformat():
                return False
            body = {"owner": owner, "expires_at": (datetime.now(timezone.utc) + timedelta(seconds=30)).isoformat()}
            self.bucket.write(self.path, json.dumps(body))
            return True
    """
    assert lines(code, "coord/blob.py") == [("ARM201", 12, "medium")]


def test_lifetime_appended_to_arguments_of_an_add_is_flagged():
    code = """
    class CouchbaseLock:
        def acquire(self):
            args = [self.key, self.token_value]
            if self.expire:
                args.append(self.expire)
            return self.bucket.insert(*args) is not None
    """
    assert lines(code, "coord/couch.py") == [("ARM201", 7, "medium")]


def test_local_os_lock_class_and_lifetime_free_acquire_stay_quiet():
    code = """
    import fcntl
    import threading


    class HostLock(threading.Thread):
        def acquire(self, ttl=None):
            self.handle.write(str(ttl))
            return True


    class SpoolLock:
        def acquire(self, timeout=None):
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            self.fd.write("held")
            return True
    """
    assert lines(code, "coord/local.py") == []


def test_lock_class_handing_out_a_fencing_token_stays_quiet():
    code = """
    class TokenLease:
        def acquire(self, owner):
            token = self.store.incr("fence:" + self.name)
            self.store.put(self.name, {"owner": owner, "token": token}, ttl=self.ttl)
            return token
    """
    assert lines(code, "coord/fenced.py") == []


def test_leader_chosen_by_grabbing_a_lock_then_leader_work_is_flagged():
    code = """
    class Scheduler:
        def tick(self):
            primary_mutex = self.backend.mutex("scheduler-primary")
            if primary_mutex.acquire(blocking=False):
                self.enqueue_due_jobs()
    """
    assert lines(code, "sched/loop.py") == [("ARM201", 5, "medium")]


def test_leader_lock_passing_an_epoch_stays_quiet():
    code = """
    class Scheduler:
        def tick(self):
            leader_lock = self.backend.mutex("scheduler-primary")
            if leader_lock.acquire(blocking=False):
                epoch = self.backend.incr("scheduler-epoch")
                self.enqueue_due_jobs(epoch=epoch)
    """
    assert lines(code, "sched/loop.py") == []


def test_mysql_get_lock_is_a_session_lock():
    code = """
    def run_exclusive(conn, name, work):
        cur = conn.cursor()
        cur.execute("SELECT GET_LOCK(%s, 10)", (name,))
        if cur.fetchone()[0] == 1:
            work()
    """
    assert lines(code, "ops/mysql_jobs.py") == [("ARM201", 4, "medium")]


def test_sqlalchemy_update_stamping_holder_and_lease_deadline_is_flagged():
    code = """
    import sqlalchemy as sa


    async def claim_batches(conn, batches, me, until):
        stmt = sa.update(batches).where(batches.c.id.in_([1, 2])).values(claimed_by=me, claimed_until=until)
        await conn.execute(stmt)
    """
    assert lines(code, "etl/claims.py") == [("ARM201", 6, "medium")]


def test_plain_values_write_stays_quiet():
    code = """
    import sqlalchemy as sa


    async def rename(conn, people, pid, name):
        await conn.execute(sa.update(people).where(people.c.id == pid).values(name=name, updated_by=pid))
    """
    assert lines(code, "crm/people.py") == []


def test_decorator_running_the_wrapped_function_under_a_factory_made_lease_lock():
    code = """
    import functools

    from coordlib import LeaseLock


    def exclusive(name, ttl=30):
        make_lock = functools.partial(LeaseLock, name=name, ttl=ttl)

        def wrap(fn):
            @functools.wraps(fn)
            def run(*args, **kwargs):
                held = make_lock()
                with held:
                    return fn(*args, **kwargs)
            return run
        return wrap
    """
    assert lines(code, "coord/exclusive.py") == [("ARM201", 14, "medium")]


def test_factory_lock_guarding_only_local_steps_stays_quiet():
    code = """
    import functools

    from coordlib import LeaseLock

    make_lock = functools.partial(LeaseLock, name="report", ttl=30)


    def build_report(rows):
        with make_lock():
            total = sum(r.amount for r in rows)
        return total
    """
    assert lines(code, "coord/report.py") == []
