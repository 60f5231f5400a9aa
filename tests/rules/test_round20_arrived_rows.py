"""Round 20, wall-clock: rows whose stored instant has come by this node's clock, then acted on.

Read in the misses of round 19's half (now `test10`, wall-clock cause 5): the column a query
compares with the app clock is named for what it ends (`finishes_at`, `trial_end_date`), not
for an expiry, so the named forms passed it by. What makes it an expiry being enforced is that
the rows whose instant has come are then written, one by one or in bulk, or work is dispatched
for each.

Look-alikes stay quiet: the same selection only returned or counted, the comparison the other
way (rows still to come), stamps of what already happened (`created_at <= now`), the database's
own clock, and a window moved back from now on a column of history (the cut-off forms' question).
"""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

WALL = Settings(select=frozenset({"ARM103", "ARM104"}))


def flagged(code: str, path: str = "app/tasks/expiry.py") -> list[tuple[str, int]]:
    report = analyze(path, textwrap.dedent(code), WALL)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


def test_sqlalchemy_rows_whose_end_has_come_get_their_state_changed():
    code = """\
    from datetime import datetime

    from app.models import BroadcastMessage, BroadcastStatusType, db


    def auto_expire_broadcast_messages():
        expired_broadcasts = BroadcastMessage.query.filter(
            BroadcastMessage.finishes_at <= datetime.now(),
            BroadcastMessage.status == BroadcastStatusType.BROADCASTING,
        ).all()

        for broadcast in expired_broadcasts:
            broadcast.status = BroadcastStatusType.COMPLETED
        db.session.commit()
    """
    assert flagged(code) == [("ARM104", 8)]


def test_work_dispatched_for_each_row_through_a_helper_clock_local():
    code = """\
    from helpers.clock import get_utc_now


    class TrialExpirationCronTask:
        def run_cron_task(self, db_session):
            now = get_utc_now()
            owners = (
                db_session.query(Owner.ownerid)
                .filter(Owner.plan == "trial", Owner.trial_end_date <= now)
                .yield_per(100)
            )
            for owner in owners:
                self.app.tasks["trial_expiration"].apply_async(kwargs=dict(ownerid=owner.ownerid))
    """
    assert flagged(code) == [("ARM104", 9)]


def test_django_lookup_whose_rows_are_updated_in_bulk():
    code = """\
    from django.utils import timezone


    def reopen_ports():
        Identity.objects.filter(autoenable__lte=timezone.now(), status="disabled").update(status="enabled")
    """
    assert flagged(code) == [("ARM104", 5)]


def test_now_on_the_left_reads_the_same():
    code = """\
    from datetime import datetime


    def start_due_campaigns(session):
        for campaign in session.query(Campaign).filter(datetime.utcnow() >= Campaign.starts_at):
            campaign.state = "running"
            session.add(campaign)
        session.commit()
    """
    assert flagged(code) == [("ARM104", 5)]


def test_look_alikes_stay_quiet():
    only_returned = """\
    from datetime import datetime


    def finished_broadcasts():
        return BroadcastMessage.query.filter(BroadcastMessage.finishes_at <= datetime.now()).all()
    """
    still_to_come = """\
    from datetime import datetime


    def close_upcoming(session):
        for event in session.query(Event).filter(Event.finishes_at >= datetime.now()):
            event.reminded = True
        session.commit()
    """
    history_stamp = """\
    from datetime import datetime


    def mark_seen(session):
        for message in session.query(Message).filter(Message.created_at <= datetime.now()):
            message.seen = True
        session.commit()
    """
    database_clock = """\
    from sqlalchemy import func


    def auto_expire(session):
        for broadcast in session.query(Broadcast).filter(Broadcast.finishes_at <= func.now()):
            broadcast.status = "completed"
        session.commit()
    """
    rows_only_read = """\
    from datetime import datetime


    def report(session):
        rows = session.query(Broadcast).filter(Broadcast.finishes_at <= datetime.now()).all()
        for row in rows:
            print(row.id, row.finishes_at)
    """
    calendar_date = """\
    from django.utils import timezone


    def send_reminders():
        for reminder in Reminder.objects.filter(active=True, reminder_date__lte=timezone.now()):
            reminder.active = False
            reminder.save()
    """
    for code in (only_returned, still_to_come, history_stamp, database_clock, rows_only_read, calendar_date):
        assert flagged(code) == [], code
