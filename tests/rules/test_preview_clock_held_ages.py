"""Preview form. A wall-clock reading checked against an instant held where the function cannot see it made (a
field of the object, a slot of a record or message, a parameter, a value unpacked from a cookie)
together with an amount of time: the code decides by this clock whether that much time has
passed since the instant. Kept on this object or in a parameter it is an in-process deadline
(ARM103); held by another record it was stamped by whichever node wrote it (ARM104).

Look-alikes stay quiet: logging and metrics, monotonic clocks, request timeouts, in-process
locks, dedup keys, thresholds that are the record's own setting, file stamps, symmetric skew
tolerances, windows of days, query criteria (the query forms judge those) and rows for display."""
from __future__ import annotations

from analyzers import Settings

from .helpers import CLOCK, flagged

# The form runs in preview only (README, "Preview forms"): its noise is above the bar.
PREVIEW = Settings(select=CLOCK.select, preview=True)


def test_the_age_of_a_field_of_this_object_against_its_setting_is_an_in_process_deadline():
    code = """\
    import time


    class Child:
        def transition(self):
            now = time.time()
            if self.state == "starting" and now - self.spawned_at > self.config.grace:
                self.promote()
    """
    assert flagged(code, PREVIEW) == [("ARM103", 6)]
    # in the default set since round 20: a stamp aged against a lifetime (a grace period)
    assert flagged(code, CLOCK) == [("ARM103", 6)]


def test_a_field_plus_its_interval_due_against_the_clock_datetime_and_scaled():
    code = """\
    from datetime import datetime


    class Poller:
        def poll(self, forced=False):
            if not forced and self.previous + self.every > datetime.utcnow():
                return None
            return self.fetch()

        def idle(self):
            waited = (datetime.utcnow() - self.last_item).total_seconds() * 1000
            return waited > self.idle_ms
    """
    assert flagged(code, PREVIEW) == [("ARM103", 6), ("ARM103", 11)]


def test_a_stamp_carried_by_a_message_or_row_is_aged_with_two_clocks():
    code = """\
    import time


    def accept(event, max_age):
        age = time.time() - event["emitted"] / 1000
        if age > max_age:
            return False
        return True


    async def sweep(store, keep_for):
        now = time.time()
        for job in await store.finished():
            if now - job.finished_on < keep_for:
                continue
            await store.drop(job)
    """
    assert flagged(code, PREVIEW) == [("ARM104", 5), ("ARM104", 12)]


def test_a_stamp_handed_in_as_a_parameter_or_unpacked_from_a_cookie():
    code = """\
    import time
    from time import time as epoch


    def took_too_long(started, limit):
        if epoch() - started > limit:
            raise TimeoutError(limit)


    def check_cookie(value, ttl):
        uid, stamp, kind = value.split(":")
        if int(time.time()) > int(stamp) + ttl:
            raise PermissionError(uid)
        return uid
    """
    assert flagged(code, PREVIEW) == [("ARM103", 6), ("ARM103", 12)]


def test_a_project_clock_helper_reads_the_clock_too():
    code = """\
    from datetime import datetime, timedelta


    def utc_now():
        return datetime.utcnow()


    def expire(sessions, idle):
        for session in sessions:
            if session.touched_on + idle < utc_now():
                session.close()
    """
    assert flagged(code, PREVIEW) == [("ARM104", 10)]


def test_logging_metrics_and_monotonic_are_not_deadlines():
    code = """\
    import logging
    import time

    log = logging.getLogger(__name__)


    class Worker:
        def finish(self):
            if time.time() - self.started > self.slow_after:
                log.warning("slow job %s", self.name)

        def sample(self, gauge):
            gauge.observe(time.time() - self.started)

        def wait(self):
            return time.monotonic() - self.started > self.limit
    """
    assert flagged(code, PREVIEW) == []


def test_request_timeouts_locks_and_dedup_keys_are_not_checks_of_a_held_instant():
    code = """\
    import threading
    import time

    import requests

    _lock = threading.Lock()


    def fetch(url, timeout):
        with _lock:
            return requests.get(url, timeout=timeout)


    def bucket_key(name, width):
        return f"{name}:{int(time.time() // width)}"
    """
    assert flagged(code, PREVIEW) == []


def test_a_threshold_kept_on_the_same_record_is_the_records_own_setting():
    code = """\
    import time


    def overdue(checks):
        now = time.time()
        return [c for c in checks if now - c.opened > c.patience]


    def alert(check):
        if time.time() - check.opened > check.patience:
            check.notify()
    """
    assert flagged(code, PREVIEW) == []


def test_file_stamps_skew_tolerances_and_day_windows_are_left_alone():
    code = """\
    import os
    import time
    from datetime import datetime, timedelta


    def stale(path, limit):
        if time.time() - os.path.getmtime(path) > limit:
            os.remove(path)


    def verify(parts, window):
        if abs(time.time() - int(parts["timestamp"])) > window:
            raise PermissionError("replayed")


    def prune(entry, keep_days):
        if datetime.utcnow() - entry.created > timedelta(days=keep_days):
            entry.delete()


    def ended(course):
        return course.end_date < datetime.utcnow() - timedelta(hours=1)
    """
    assert flagged(code, PREVIEW) == []


def test_query_criteria_and_rows_for_display_decide_nothing_here():
    code = """\
    import time
    from datetime import datetime, timedelta


    def recent(session, Model, span):
        return session.query(Model).filter(Model.when >= datetime.utcnow() - span).all()


    def table(roles):
        now = time.time()
        rows = []
        for role in roles:
            rows.append([role.name, role.scheduled + role.delay < now])
        return rows
    """
    assert flagged(code, PREVIEW) == []


def test_a_local_copied_from_a_record_is_the_records_instant():
    code = """\
    import time


    def reap(entries, patience):
        for entry in entries:
            opened = entry.opened
            if time.time() - opened > patience:
                entry.close()
    """
    assert flagged(code, PREVIEW) == [("ARM103", 7)]


def test_a_reading_against_one_held_value_alone_is_left_to_the_named_forms():
    code = """\
    from datetime import datetime


    class Subscription:
        def in_trial(self):
            return self.trial_end is not None and datetime.utcnow() < self.trial_end

        def status(self, course):
            if datetime.utcnow() > course.closes:
                return "closed"
            return "open"
    """
    assert flagged(code, PREVIEW) == []


# Round 18: what the blind noise review of round 17 judged false, in general form.


def test_a_stamp_refreshed_in_the_same_function_is_a_write_throttle():
    code = """\
    from django.utils import timezone


    def touch(token, interval):
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= interval:
            Token.objects.filter(pk=token.pk).update(last_used_at=now)


    def stale(token, interval):
        now = timezone.now()
        if token.issued_at is None or (now - token.issued_at).total_seconds() >= interval:
            Token.objects.filter(pk=token.pk).delete()
    """
    assert flagged(code, PREVIEW) == [("ARM104", 11)]


def test_a_window_built_from_the_records_own_setting_is_per_entity():
    code = """\
    import datetime
    from redash import utils


    def should_notify(alert):
        return alert.last_triggered_at + datetime.timedelta(seconds=alert.rearm) < utils.utcnow()


    def overdue(job):
        return job.claimed_at + datetime.timedelta(seconds=LEASE_SECONDS) < utils.utcnow()
    """
    assert flagged(code, PREVIEW) == [("ARM104", 10)]


def test_cache_freshness_and_when_work_last_ran_are_not_expiries():
    code = """\
    import datetime
    from django.conf import settings
    from django.utils.timezone import now


    class Source:
        def needs_update(self):
            return self.last_job_run + datetime.timedelta(seconds=self.update_cache_timeout) <= now()


    def needs_sync(ticket):
        threshold = datetime.timedelta(seconds=settings.SYNC_THRESHOLD)
        return ticket.last_synced_at < now() - threshold


    def stale(ticket):
        window = datetime.timedelta(seconds=settings.RESERVATION_SECONDS)
        return ticket.reserved_at < now() - window
    """
    assert flagged(code, PREVIEW) == [("ARM104", 18)]


def test_a_day_written_in_hours_is_a_day_window():
    code = """\
    from datetime import timedelta
    from django.utils import timezone


    class Invite:
        @property
        def is_expired(self):
            return timezone.now() > self.created + timedelta(hours=24)

        @property
        def is_stale(self):
            return timezone.now() > self.created + timedelta(hours=2)
    """
    assert flagged(code, PREVIEW) == [("ARM103", 12)]
