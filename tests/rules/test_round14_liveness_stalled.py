"""ARM301, round 14: stalled work. An item whose instant (whatever it is called) is older than a
fixed window is declared failed or handed back, when the item is still held by a worker (a live
state, a claim flag, never closed) or the branch records the failure itself.

Look-alikes: retention that deletes old rows, a reservation that merely expires, a cadence read
from each item's own setting, a failure decided by a further nested test, a window the caller
hands in, a token's age."""
from __future__ import annotations

from tests.rules.helpers import HEARTBEAT, flagged


# --- flagged ---------------------------------------------------------------------------------
def test_any_instant_older_than_a_window_then_marked_failed():
    code = """
    from datetime import timedelta

    from django.utils import timezone


    def sync_request(request):
        if request.created < timezone.now() - timedelta(days=3):
            request.status = Request.FAILED
            request.save()
            return
        request.poll()
    """
    assert flagged(code, HEARTBEAT, "sync/tracker.py") == [("ARM301", 8)]


def test_lookups_in_a_dict_on_items_a_worker_still_handles():
    code = """
    from myapp.utils import date


    class Reaper:
        def reset_claims(self):
            query = {
                "scheduled_at__lte": date.add_millis(date.get_utc_now(), -self.threshold_ms),
                "handling": True,
            }
            for item in Queue.query(**query):
                item.handling = False
                Queue.save(item)
    """
    assert flagged(code, HEARTBEAT, "sched/reaper.py") == [("ARM301", 8)]


def test_open_rows_in_combined_q_objects_are_closed_as_timed_out():
    code = """
    from datetime import timedelta

    from django.db.models import Q
    from django.utils import timezone


    def close_open_records(hours=6):
        limit = timezone.now() - timedelta(hours=hours)
        rows = Record.objects.filter(Q(ended_at__isnull=True) & Q(touched__lt=limit))
        for row in rows:
            row.ended_at = timezone.now()
            row.end_cause = "Idle-Timeout"
            row.save()
    """
    assert flagged(code, HEARTBEAT, "records/cleanup.py") == [("ARM301", 10)]


def test_held_rows_selected_by_age_are_handed_to_the_caller():
    code = """
    from datetime import datetime, timedelta

    from sqlmodel import Session, select

    RUN_LIMIT = timedelta(minutes=90)


    def overdue_runs(engine):
        with Session(engine) as session:
            result = session.exec(
                select(Run).filter(Run.status == "in_progress").filter(Run.began <= datetime.utcnow() - RUN_LIMIT)
            )
            rows = result.all()
        return rows
    """
    assert flagged(code, HEARTBEAT, "runs/store.py") == [("ARM301", 12)]


def test_cutoff_keyword_of_an_active_items_finder():
    code = """
    import datetime

    from oslo_config import cfg
    from oslo_utils import timeutils


    def sweep(db):
        limit = timeutils.utcnow() - datetime.timedelta(seconds=cfg.CONF.scan_limit)
        for row in db.list_active_scans(begun_before=limit):
            row.finish(Events.timeout)
    """
    assert flagged(code, HEARTBEAT, "scans/cache.py") == [("ARM301", 10)]


# --- never flagged ---------------------------------------------------------------------------
def test_retention_that_deletes_old_rows_is_quiet():
    code = """
    from datetime import timedelta

    from django.utils import timezone


    def purge_exports():
        cutoff = timezone.now() - timedelta(days=14)
        Export.objects.filter(created_at__lt=cutoff, status="processing").delete()
    """
    assert flagged(code, HEARTBEAT, "exports/tasks.py") == []


def test_a_reservation_that_merely_expires_is_quiet():
    code = """
    from datetime import timedelta

    from django.utils import timezone


    def lapse(order):
        if order.created < timezone.now() - timedelta(minutes=30):
            order.status = Order.EXPIRED
            order.save()
    """
    assert flagged(code, HEARTBEAT, "shop/orders.py") == []


def test_each_items_own_interval_is_a_cadence():
    code = """
    from datetime import datetime, timedelta


    def due(workflows, last_runs):
        now = datetime.utcnow()
        for wf in workflows:
            if last_runs[wf.id] + timedelta(seconds=wf.interval) <= now:
                wf.status = "failed"
    """
    assert flagged(code, HEARTBEAT, "flows/scheduler.py") == []


def test_a_failure_decided_by_a_nested_test_belongs_to_that_test():
    code = """
    from datetime import datetime, timedelta


    def tick(run, session):
        now = datetime.utcnow()
        if run.began + timedelta(minutes=5) <= now:
            session.start_next(run)
            if session.broken():
                run.status = "failed"
    """
    assert flagged(code, HEARTBEAT, "flows/tick.py") == []


def test_a_window_the_caller_hands_in_is_quiet():
    code = """
    from django.utils import timezone


    def close(records, window):
        for record in records:
            if record.created < timezone.now() - window:
                record.status = "failed"
    """
    assert flagged(code, HEARTBEAT, "records/close.py") == []


def test_a_tokens_age_is_not_a_stalled_item():
    code = """
    from datetime import timedelta

    from django.utils import timezone


    def revoke(token):
        if token.created < timezone.now() - timedelta(hours=1):
            token.status = "failed"
    """
    assert flagged(code, HEARTBEAT, "auth/tokens.py") == []


def test_an_activity_state_reset_with_a_note_mentioning_confirmation():
    code = """
    from datetime import timedelta

    from django.utils.timezone import now


    def reset_stuck_mails():
        return Mail.objects.filter(
            state=MailStates.SENDING,
            changed__lt=now() - timedelta(hours=1),
        ).update(state=MailStates.DRAFT, error={"error": "Timed out waiting for delivery confirmation"})
    """
    assert flagged(code, HEARTBEAT, "mail/queue.py") == [("ARM301", 10)]


def test_rows_nobody_has_taken_yet_are_quiet():
    code = """
    from datetime import timedelta

    from django.utils.timezone import now


    def old_invites():
        return Invite.objects.filter(state="pending", created__lt=now() - timedelta(days=7))
    """
    assert flagged(code, HEARTBEAT, "people/invites.py") == []


def test_old_items_collected_for_deletion_are_retention():
    code = """
    import time

    KEEP = 30 * 86400


    def sweep(entries):
        to_delete = []
        for entry in entries:
            if time.time() - entry.created > KEEP:
                to_delete.append(entry)
        return to_delete
    """
    assert flagged(code, HEARTBEAT, "files/sweep.py") == []
