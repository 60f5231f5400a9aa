"""ARM201, round 12: leases on back ends the lock rules did not know.

- a MongoDB lock document claimed by an update that sets a holder only where there is none, when
  the module takes over documents whose stamp is old (or the claim writes an expiry itself);
- a DynamoDB lock item put only if absent (`attribute_not_exists`) in a lock's code, in a module
  that gives the item a lifetime;
- a lock client's acquire method that writes the lock record through its own helper
  (`self._add_new_lock_to_table(lock)`);
- a kazoo recipe lock kept in an attribute (built by `client.Lock(...)` or typed as one) and
  acquired by a wrapper.
Look-alikes: an upsert that sets no holder, a holder claim nobody takes over by age, a module that
hands out a fencing token, an idempotency record put only if absent, a threading lock kept in an
attribute, and a kazoo-free module with a `Lock(...)` attribute."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

LOCKS = Settings(select=frozenset({"ARM201"}))


def lines(code: str, path: str = "cachelib/backends/store.py") -> list[tuple[str, int]]:
    report = analyze(path, textwrap.dedent(code), LOCKS)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


# --- MongoDB lock documents ------------------------------------------------------------------

_MONGO_STALE = """
import datetime
import os

import pymongo


class DocumentMutex:
    STALE_AFTER = 600

    def __init__(self, db, name):
        self.db = db
        self.name = name

    def _drop_stale(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        self.db.mutexes.delete_many({"_id": self.name, "taken_at": {"$lt": now - datetime.timedelta(seconds=self.STALE_AFTER)}})
        return now

    def take(self):
        now = self._drop_stale()
        try:
            self.db.mutexes.update_one(
                {"_id": self.name, "holder": None},
                {"$set": {"holder": os.getpid(), "taken_at": now}},
                upsert=True,
            )
            return True
        except pymongo.errors.DuplicateKeyError:
            return False
"""


def test_mongo_holder_claim_taken_over_when_stale_is_flagged_at_the_claim():
    assert lines(_MONGO_STALE) == [("ARM201", 23)]


def test_mongo_claim_writing_its_own_expiry_is_flagged():
    code = """
    def claim_job(jobs, job_id, worker, until):
        return jobs.find_one_and_update(
            {"_id": job_id, "owner": {"$exists": False}},
            {"$set": {"owner": worker, "lease_until": until}},
        )
    """
    assert lines(code) == [("ARM201", 3)]


def test_mongo_holder_claim_never_taken_over_is_not_flagged():
    # a one-shot claim cleared by its holder: no lifetime, no second holder
    code = _MONGO_STALE.replace('"taken_at": {"$lt": now - datetime.timedelta(seconds=self.STALE_AFTER)}', '"holder": None')
    assert lines(code) == []


def test_mongo_upsert_setting_no_holder_is_not_flagged():
    code = """
    def bump(db, page, now):
        db.counters.update_one({"_id": page, "owner": None}, {"$set": {"seen_at": now}, "$inc": {"n": 1}}, upsert=True)
        db.counters.delete_many({"seen_at": {"$lt": now}})
    """
    assert lines(code) == []


def test_mongo_claim_in_a_module_with_a_fencing_token_is_not_flagged():
    code = _MONGO_STALE.replace('"taken_at": now}', '"taken_at": now, "fencing_token": self.next_token()}')
    assert lines(code) == []


# --- DynamoDB lock items ---------------------------------------------------------------------

_DYNAMO = """
import time


class TableMutex:
    def __init__(self, table, owner, lease_seconds=20):
        self.table = table
        self.owner = owner
        self.lease_seconds = lease_seconds

    def try_lock(self, name):
        item = {"name": name, "owner": self.owner, "lease_duration": self.lease_seconds}
        try:
            self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(#n)", ExpressionAttributeNames={"#n": "name"})
        except self.table.meta.client.exceptions.ConditionalCheckFailedException:
            return False
        return True
"""


def test_dynamodb_lock_item_put_only_if_absent_is_flagged():
    assert lines(_DYNAMO) == [("ARM201", 14)]


def test_dynamodb_idempotency_record_put_only_if_absent_is_not_flagged():
    code = """
    def save_first_delivery(table, event_id, ttl):
        table.put_item(
            Item={"event_id": event_id, "expires": ttl},
            ConditionExpression="attribute_not_exists(event_id)",
        )
    """
    assert lines(code) == []


def test_dynamodb_lock_item_with_no_lifetime_is_not_flagged():
    code = _DYNAMO.replace(', "lease_duration": self.lease_seconds', "").replace(", lease_seconds=20", "").replace(
        "        self.lease_seconds = lease_seconds\n", ""
    )
    assert lines(code) == []


# --- a lock client writing its record through its own helper --------------------------------

_CLIENT = """
import time
import uuid


class ItemLockClient:
    def __init__(self, table, lease_duration):
        self.table = table
        self.lease_duration = lease_duration

    def acquire_lock(self, key):
        record = {"key": key, "version": str(uuid.uuid4()), "lease_duration": self.lease_duration}
        current = self._read_lock(key)
        if current is None:
            self._add_new_lock_record(record)
        else:
            time.sleep(self.lease_duration)
            self._overwrite_stale_lock_record(record, current)
        return record

    def _read_lock(self, key):
        return self.table.get_item(Key={"key": key}).get("Item")

    def _add_new_lock_record(self, record):
        self.table.put_item(Item=record)

    def _overwrite_stale_lock_record(self, record, current):
        self.table.put_item(Item=record)
"""


def test_lock_client_acquire_through_its_own_record_helpers_is_flagged_at_the_last_take():
    assert lines(_CLIENT) == [("ARM201", 18)]


def test_lock_client_helpers_reading_only_are_not_takes():
    code = _CLIENT.replace("self._add_new_lock_record(record)", "return None").replace(
        "self._overwrite_stale_lock_record(record, current)", "return current"
    )
    assert lines(code) == []


# --- kazoo recipe locks held in an attribute --------------------------------------------------

_KAZOO = """
from kazoo.recipe import lock as zk_lock


class NamedLock:
    def __init__(self, name: str, lock: zk_lock.Lock) -> None:
        self.name = name
        self._lock = lock

    def acquire(self, blocking=True, timeout=None):
        return bool(self._lock.acquire(blocking=blocking, timeout=timeout))

    def release(self):
        self._lock.release()
"""


def test_kazoo_lock_typed_attribute_acquired_by_a_wrapper_is_flagged():
    assert lines(_KAZOO) == [("ARM201", 11)]


def test_kazoo_lock_built_from_the_client_and_kept_in_an_attribute_is_flagged():
    code = """
    from kazoo.client import KazooClient


    class Election:
        def __init__(self, hosts, path, me):
            self._zk = KazooClient(hosts=hosts)
            self._lock = self._zk.Lock(path, me)

        def become_leader(self):
            return self._lock.acquire(blocking=False)
    """
    assert lines(code) == [("ARM201", 11)]


def test_threading_lock_in_a_kazoo_module_is_not_flagged():
    code = _KAZOO.replace("lock: zk_lock.Lock", "lock: threading.Lock").replace(
        "from kazoo.recipe import lock as zk_lock", "import threading\nfrom kazoo.recipe import lock as zk_lock"
    )
    assert lines(code) == []


def test_lock_attribute_in_a_module_without_kazoo_is_not_flagged():
    code = """
    import threading


    class Guarded:
        def __init__(self, factory):
            self._lock = factory.Lock()

        def enter(self):
            return self._lock.acquire(timeout=5)
    """
    assert lines(code) == []


# --- job-board claims with an expiry ----------------------------------------------------------


def test_board_claim_with_an_expiry_is_flagged():
    code = """
    def take_next(board, me, lease_seconds):
        for job in board.iterjobs(only_unclaimed=True):
            board.claim(job, me, expiry=lease_seconds)
            return job
    """
    assert lines(code, path="workers/conductor.py") == [("ARM201", 4)]


def test_board_claim_bound_to_an_expiry_by_partial_is_flagged():
    code = """
    import functools


    def configure(board, conf):
        board.claim = functools.partial(
            board.claim,
            expiry=conf.claim_expiry,
        )
    """
    assert lines(code, path="workers/setup.py") == [("ARM201", 6)]


def test_board_claim_without_a_lifetime_is_not_flagged():
    code = """
    def take_next(board, me):
        for job in board.iterjobs(only_unclaimed=True):
            board.claim(job, me)
            return job
    """
    assert lines(code, path="workers/conductor.py") == []


def test_claim_function_that_is_not_a_method_is_not_flagged():
    code = """
    from coupons import claim


    def redeem(user, code, days):
        return claim(user, code, expiry=days)
    """
    assert lines(code, path="shop/coupons_view.py") == []


def test_board_claim_defined_with_an_expiry_parameter_is_not_a_claim():
    code = """
    class Board:
        def claim(self, job, who, expiry=None):
            return self._store.claim_owner(job, who)
    """
    assert lines(code, path="workers/board.py") == []


# --- a lock class stealing the lock from a holder judged dead ---------------------------------

_STEALING = """
from app.objects import lock_rows
from app.services import liveness


class RowLock:
    def __init__(self, ctx, item_id, node_id):
        self.ctx = ctx
        self.item_id = item_id
        self.node_id = node_id

    def acquire(self, retry=True):
        holder = lock_rows.Lock.create(self.ctx, self.item_id, self.node_id)
        if holder is None:
            return
        if liveness.node_alive(self.ctx, holder):
            raise RuntimeError("busy")
        result = lock_rows.Lock.steal(self.ctx, self.item_id, holder, self.node_id)
        if result is True and retry:
            return self.acquire(retry=False)
"""


def test_lock_class_stealing_from_a_holder_judged_dead_is_flagged_at_the_steal():
    assert lines(_STEALING, path="app/engine/row_lock.py") == [("ARM201", 18)]


def test_lock_class_without_lifetime_or_steal_is_not_flagged():
    code = _STEALING.replace(
        "        result = lock_rows.Lock.steal(self.ctx, self.item_id, holder, self.node_id)\n", "        result = None\n"
    )
    assert lines(code, path="app/engine/row_lock.py") == []


# --- acquisitions asking a server for a lease --------------------------------------------------

_SLOTS = """
from contextlib import asynccontextmanager

from app.limits.client import acquire_slots_with_lease


@asynccontextmanager
async def slots(names, lease_duration=300):
    response = await acquire_slots_with_lease(names=names, lease_duration=lease_duration)
    try:
        yield response
    finally:
        await response.release()
"""


def test_acquisition_asking_for_a_lease_is_flagged():
    assert lines(_SLOTS, path="app/limits/context.py") == [("ARM201", 9)]


def test_acquire_wrapper_passing_the_lease_on_is_not_flagged():
    code = """
    from app.limits.client import acquire_slots_with_lease


    def acquire_slots(names, lease_duration):
        return acquire_slots_with_lease(names=names, lease_duration=lease_duration)
    """
    assert lines(code, path="app/limits/sync.py") == []


def test_acquire_with_a_wait_or_a_ttl_only_is_not_flagged():
    code = """
    def call_api(limiter, session, url):
        limiter.acquire(timeout=5, ttl=60)
        return session.get(url)
    """
    assert lines(code, path="app/limits/calls.py") == []


# --- lease rows inserted if absent and deleted once expired ------------------------------------

_LEADER_ROW = '''
from psycopg import sql

SWEEP = sql.SQL("DELETE FROM {t} WHERE expires_at < %(now)s").format(t=sql.Identifier("leader"))
TAKE = sql.SQL(
    "INSERT INTO {t} (id, worker_id, expires_at) VALUES (1, %(me)s, %(until)s) ON CONFLICT DO NOTHING"
).format(t=sql.Identifier("leader"))


async def try_lead(cur, me, now, until):
    await cur.execute(SWEEP, {"now": now})
    await cur.execute(TAKE, {"me": me, "until": until})
    return cur.rowcount == 1
'''


def test_lease_row_inserted_if_absent_and_swept_once_expired_is_flagged_at_the_insert():
    assert lines(_LEADER_ROW, path="workers/leadership.py") == [("ARM201", 6)]


def test_insert_if_absent_sweeping_another_table_is_not_flagged():
    code = _LEADER_ROW.replace('sql.SQL("DELETE FROM {t} WHERE expires_at < %(now)s").format(t=sql.Identifier("leader"))',
                               'sql.SQL("DELETE FROM {t} WHERE expires_at < %(now)s").format(t=sql.Identifier("sessions"))')
    assert lines(code, path="workers/leadership.py") == []


def test_dedupe_row_inserted_if_absent_without_expiry_is_not_flagged():
    code = """
    def remember(cur, event_id, worker_id, now):
        cur.execute("DELETE FROM seen WHERE received_at < %s", (now,))
        cur.execute("INSERT INTO seen (event_id, worker_id, received_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    (event_id, worker_id, now))
    """
    assert lines(code, path="workers/inbox.py") == []
