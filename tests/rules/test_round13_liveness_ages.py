"""ARM301, round 13: the general form. The age of a stamp another process wrote, compared with a
fixed window, in any spelling, when the stamp is a liveness stamp or the result declares the
writer gone; and the router that keeps one comment (ARM301) per such site.

Look-alikes: a window read from the stamp's own record, a window computed from observed
latency, a process timing its own work, a token's or session's age, an age only logged, a job's
creation stamp purged by retention."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze
from tests.rules.helpers import HEARTBEAT, flagged

BOTH = Settings(select=frozenset({"ARM103", "ARM104", "ARM301"}))


def graded(code: str, settings: Settings = HEARTBEAT, path: str = "fleet/health.py") -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), settings)
    return [(f.rule, f.line, f.confidence) for f in report.findings]


# --- flagged ---------------------------------------------------------------------------------
def test_age_check_helper_on_a_stored_beat_is_a_verdict():
    code = """
    from oslo_config import cfg
    from oslo_utils import timeutils


    def is_probe_down(heartbeat_at):
        return timeutils.is_older_than(heartbeat_at, cfg.CONF.probe_down_time)
    """
    assert flagged(code, HEARTBEAT, "fleet/health.py") == [("ARM301", 7)]


def test_two_step_difference_with_abs_on_a_service_row():
    code = """
    from oslo_config import cfg
    from oslo_utils import timeutils


    def backend_is_up(row):
        stamp = row["updated_at"] or row["created_at"]
        gap = timeutils.utcnow() - stamp
        seconds = gap.total_seconds()
        return abs(seconds) <= cfg.CONF.backend_down_time
    """
    assert graded(code) == [("ARM301", 10, "high")]


def test_delta_seconds_then_a_failed_state():
    code = """
    from oslo_utils import timeutils

    DOWN_AFTER = 60


    def refresh(member, store):
        lag = timeutils.delta_seconds(member.last_seen_up, timeutils.utcnow())
        if lag > DOWN_AFTER:
            store.set_state(member.id, "failed")
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 9)]


def test_stamp_plus_window_against_now_deletes_job():
    code = """
    import time


    class Janitor:
        def sweep(self, jobs):
            now = time.time()
            doomed = []
            for job in jobs:
                if job.state == "running" and now > job.last_update + self.running_timeout:
                    doomed.append(job)
            self.backend.drop(doomed)
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 10)]


def test_parsed_progress_stamp_older_than_window_is_resubmitted():
    code = """
    import datetime

    STALE_AFTER = datetime.timedelta(minutes=10)


    def maybe_retry(task, runner):
        touched = datetime.datetime.strptime(task["last_updated"], "%Y-%m-%dT%H:%M:%S")
        if datetime.datetime.utcnow() - touched > STALE_AFTER:
            runner.resubmit(task["id"])
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 9)]


def test_django_lookup_on_progress_stamp_resets_rows():
    code = """
    import datetime

    from django.utils.timezone import now


    def release_stuck(Outbox):
        return Outbox.objects.filter(
            state="sending",
            updated__lt=now() - datetime.timedelta(minutes=30),
        ).update(state="queued")
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 10)]


PEER = """
import datetime

import iso8601


class Peer:
    def __init__(self, name, lastseen, lifetime=60):
        self.lifetime = datetime.timedelta(seconds=lifetime)
        self.lastseen = iso8601.parse_date(lastseen)
        self.deadline = self.lastseen + self.lifetime
        self.is_dead = self.deadline <= datetime.datetime.now(datetime.timezone.utc)
"""


def test_peer_flag_from_parsed_stamp_and_lifetime():
    assert flagged(PEER, HEARTBEAT) == [("ARM301", 12)]


def test_router_keeps_one_comment_per_detector_site():
    # ARM103 would also describe the deadline built at line 11 and compared at line 12
    assert [(r, line) for r, line, _ in graded(PEER, BOTH)] == [("ARM301", 12)]


# --- never flagged -----------------------------------------------------------------------------
def test_window_read_from_the_same_record_is_configuration():
    code = """
    import time


    def expire(monitors):
        for monitor in monitors:
            if time.time() - monitor.last_heartbeat > monitor.timeout:
                monitor.delete()
    """
    assert flagged(code, HEARTBEAT) == []


def test_window_from_observed_latency_is_adaptive():
    code = """
    import time


    def sweep(self, peers):
        for peer in peers:
            if time.time() - peer.last_heartbeat > 3 * self.p99_interval(peer):
                self.evict(peer)
    """
    assert flagged(code, HEARTBEAT) == []


def test_own_start_stamp_is_an_in_process_deadline():
    code = """
    import time


    def run(proc):
        started = time.time()
        while proc.poll() is None:
            if time.time() - started > 30:
                proc.kill()
    """
    assert flagged(code, HEARTBEAT) == []


def test_token_and_session_ages_are_not_detectors():
    code = """
    import datetime

    from django.utils.timezone import now


    def prune(Session, token):
        Session.objects.filter(updated_at__lt=now() - datetime.timedelta(days=14)).delete()
        if now() - token.last_updated > datetime.timedelta(hours=1):
            token.delete()
    """
    assert flagged(code, HEARTBEAT) == []


def test_age_only_logged_is_display():
    code = """
    import logging
    import time

    log = logging.getLogger(__name__)


    def report(job):
        if time.time() - job.updated_at > 600:
            log.warning("job %s is slow", job.id)
    """
    assert flagged(code, HEARTBEAT) == []


def test_creation_stamp_retention_is_not_a_detector():
    code = """
    import datetime

    from django.utils.timezone import now


    def purge(Event):
        Event.objects.filter(created_at__lt=now() - datetime.timedelta(days=30)).delete()
    """
    assert flagged(code, HEARTBEAT) == []


def test_progress_stamp_with_no_consequence_is_quiet():
    code = """
    import time


    def describe(job):
        idle = time.time() - job.updated_at > 600
        return {"id": job.id, "idle": idle}
    """
    assert flagged(code, HEARTBEAT) == []


def test_expiry_kept_against_now_minus_a_buffer_is_not_an_age():
    code = """
    import time

    BUFFER_MS = 5000


    def purge(self):
        cutoff = time.time() * 1000 - BUFFER_MS
        for key in list(self.leases):
            kept = [lease for lease in self.leases[key] if lease.expires_at_ms > cutoff]
            if not kept:
                self.leases.pop(key)
    """
    assert flagged(code, HEARTBEAT) == []
