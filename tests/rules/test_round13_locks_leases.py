"""Round 13: leases without a lock API (ARM201). Lease rows written through the ORM or SQLAlchemy
core with a filter on the lease column (the column named for a lock or lease and ending in a
time), and sorted-set leases (a member scored with now + ttl, removed or swept later). Look-alikes:
plain status updates, a delayed-job queue with the same Redis calls."""
from __future__ import annotations

from analyzers import Settings

from .helpers import flagged

LOCKS = Settings(select=frozenset({"ARM201"}))


def test_orm_lease_stamped_on_rows_chosen_by_their_lease_column_is_flagged():
    code = '''
    from django.db import models, transaction


    class Runner(models.Model):
        @classmethod
        def take(cls, number, lock_expiry):
            with transaction.atomic():
                chosen = list(cls.objects.filter(run_locked_until__isnull=True)[:number].select_for_update())
                cls.objects.filter(pk__in=[c.pk for c in chosen]).update(
                    run_locked_until=lock_expiry
                )
            return chosen
    '''
    assert flagged(code, LOCKS, "runners/models.py") == [("ARM201", 10)]


def test_sqlalchemy_update_claiming_a_null_lease_column_is_flagged_at_the_statement():
    code = '''
    from datetime import datetime, timezone

    from sqlalchemy import update

    from .models import Invoice


    async def take_invoice(session, invoice_id):
        statement = (
            update(Invoice)
            .where(Invoice.id == invoice_id, Invoice.sending_lock_taken_at.is_(None))
            .values(sending_lock_taken_at=datetime.now(timezone.utc))
        )
        result = await session.execute(statement)
        return result.rowcount > 0
    '''
    assert flagged(code, LOCKS, "invoices/repository.py") == [("ARM201", 11)]


def test_sorted_set_lease_taken_on_enter_and_removed_on_exit_is_flagged():
    code = '''
    import time

    HOLDERS = "holders"


    class SlotGuard:
        def __init__(self, conn, name, duration=5):
            self.conn = conn
            self.name = name
            self.duration = duration

        def __enter__(self):
            self.conn.zremrangebyscore(HOLDERS, 0, time.time())
            if not self.conn.zadd(HOLDERS, {self.name: time.time() + self.duration}, nx=True):
                raise RuntimeError("taken")
            return self

        def __exit__(self, *exc):
            self.conn.zrem(HOLDERS, self.name)
    '''
    assert flagged(code, LOCKS, "slots/guard.py") == [("ARM201", 15)]


def test_plain_status_update_and_delayed_queue_stay_quiet():
    code = '''
    import time

    from django.utils import timezone


    def finish(Task, ids):
        Task.objects.filter(pk__in=ids, status="running").update(status="done", finished_at=timezone.now())


    class DelayedJobs:
        def __init__(self, conn):
            self.conn = conn

        def schedule(self, job, delay):
            self.conn.zadd("delayed", {job: time.time() + delay})

        def done(self, job):
            self.conn.zrem("delayed", job)
    '''
    assert flagged(code, LOCKS, "jobs/delayed.py") == []
