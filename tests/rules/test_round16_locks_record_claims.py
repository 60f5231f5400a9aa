"""Round 16: a record claimed by time, in the spellings round 15's conditional write did not
cover. The cause is one: a shared record is taken over when the stamp it carries is old, and
whoever took it holds it until its own stamp grows old in turn. Two more spellings:

- the record is loaded (chosen by its stamp's age, or aged after loading), its stamp and its
  holder are overwritten through attributes, and the record is written back (`save()`, a session
  `commit()`/`flush()`): the check and the stamp are two statements instead of one;
- the conditional write pushes the stamp into the future (`retry_at = now + lease`): a
  visibility timeout, whose lifetime is the write itself, so no holder field is needed.

Look-alikes that stay quiet: a last-seen throttle (no holder, stamp not in the future), a
reschedule whose stamp is never tested, a stamp on an object that is never written back, a
record whose stamp is never aged, a stamp pushed forward by a writer that never reads whether it won
(a postponement)."""
from __future__ import annotations

from analyzers import Settings

from .helpers import flagged

LOCKS = Settings(select=frozenset({"ARM201"}))


# --- loaded, aged, re-stamped through attributes, written back -----------------------------------


def test_sqlalchemy_row_chosen_by_stale_stamp_then_restamped_and_committed_is_flagged():
    code = '''
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import and_, select


    def now_utc():
        return datetime.now(timezone.utc)


    class Runner:
        def next_job(self, session, me):
            stale = now_utc() - timedelta(seconds=60)
            query = select(Job).where(and_(Job.state == "running", Job.beat_at < stale)).limit(1)
            job = session.execute(query).scalar_one_or_none()
            if job is None:
                return None
            job.beat_at = now_utc()
            job.worker = me
            session.commit()
            return job
    '''
    assert flagged(code, LOCKS, "app/runner.py") == [("ARM201", 18)]


def test_async_session_variant_with_the_holder_from_an_attribute_is_flagged():
    code = '''
    import datetime

    from sqlalchemy import select


    class Claimer:
        async def claim(self, session, cutoff):
            result = await session.execute(select(Task).where(Task.touched < cutoff))
            task = result.scalars().first()
            if task:
                task.touched = datetime.datetime.utcnow()
                task.node = self.node_id
                await session.flush()
            return task
    '''
    assert flagged(code, LOCKS, "app/claims.py") == [("ARM201", 12)]


def test_django_record_aged_in_an_if_through_a_local_then_saved_is_flagged():
    code = '''
    from django.utils import timezone


    def take_over(name, host, limit):
        record = Slot.objects.get(name=name)
        idle = timezone.now() - record.taken_at
        if idle > limit:
            record.taken_at = timezone.now()
            record.taken_by = host
            record.save()
            return True
        return False
    '''
    assert flagged(code, LOCKS, "app/slots.py") == [("ARM201", 9)]


def test_last_seen_throttle_without_a_holder_stays_quiet():
    code = '''
    from django.utils import timezone


    def touch(user_id):
        user = Member.objects.get(pk=user_id)
        if timezone.now() - user.last_seen > INTERVAL:
            user.last_seen = timezone.now()
            user.save(update_fields=["last_seen"])
    '''
    assert flagged(code, LOCKS, "app/members.py") == []


def test_restamp_with_an_owner_but_no_age_test_stays_quiet():
    code = '''
    from django.utils import timezone


    def assign(doc_id, editor):
        doc = Document.objects.get(pk=doc_id)
        doc.edited_at = timezone.now()
        doc.editor = editor
        doc.save()
    '''
    assert flagged(code, LOCKS, "app/docs.py") == []


def test_aged_and_restamped_object_never_written_back_stays_quiet():
    code = '''
    import time


    class Cache:
        def refresh(self, entry, me):
            if time.time() - entry.loaded_at > self.ttl:
                entry.loaded_at = time.time()
                entry.loader = me
            return entry
    '''
    assert flagged(code, LOCKS, "app/cache.py") == []


# --- the stamp pushed into the future: a visibility timeout ----------------------------------------


def test_django_due_stamp_pushed_forward_is_a_claim_without_a_holder():
    code = '''
    from datetime import timedelta

    from django.utils import timezone


    class Item(models.Model):
        @classmethod
        def claim(cls, item, seconds=60):
            moved = cls.objects.filter(
                pk=item.pk,
                due_at=item.due_at,
                due_at__lte=timezone.now(),
            ).update(
                due_at=timezone.now() + timedelta(seconds=seconds),
            )
            return moved == 1
    '''
    assert flagged(code, LOCKS, "app/items.py") == [("ARM201", 15)]


def test_sqlalchemy_visibility_pushed_by_a_lease_attribute_is_flagged():
    code = '''
    from sqlalchemy import func, update


    class Inbox:
        def hide(self, session, message_id):
            stmt = (
                update(Message)
                .where(Message.id == message_id, Message.visible_after <= func.now())
                .values(visible_after=func.now() + self.lease)
            )
            return session.execute(stmt).rowcount == 1
    '''
    assert flagged(code, LOCKS, "app/inbox.py") == [("ARM201", 10)]


def test_reschedule_never_tested_and_stamp_to_now_stay_quiet():
    code = '''
    from datetime import timedelta

    from django.utils import timezone


    def postpone(pk, delay):
        # a reschedule: nothing tests the stamp, nobody is kept out
        Task.objects.filter(pk=pk).update(run_at=timezone.now() + timedelta(seconds=delay))


    def space_out(pk, cut):
        # a throttle: the stamp goes to now, no holder, nothing held until a future time
        Task.objects.filter(pk=pk, sent_at__lt=cut).update(sent_at=timezone.now())
    '''
    assert flagged(code, LOCKS, "app/tasks.py") == []


def test_stamp_pushed_forward_without_reading_who_won_is_a_postponement_and_stays_quiet():
    code = '''
    import datetime

    from sqlalchemy import and_, update


    def postpone_finished(session, group_id):
        # finished rows pushed back so that others look at them later: nobody learns it won
        stmt = update(Item).where(
            and_(Item.group_id == group_id, Item.touched_at < datetime.datetime.utcnow())
        ).values({Item.touched_at: datetime.datetime.utcnow() + datetime.timedelta(minutes=20)})
        session.execute(stmt)
    '''
    assert flagged(code, LOCKS, "app/items.py") == []
