"""ARM301 in general form: the age of a heartbeat stamp compared with a fixed window, whose
outcome declares the node down or requeues its work, whatever the project calls its helpers."""
from __future__ import annotations

from .helpers import HEARTBEAT, flagged


def test_verdict_assigned_to_a_down_flag():
    code = """\
    from datetime import datetime, timedelta


    def scheduler_banner(app_settings):
        last_ping = app_settings.get("scheduler_last_ping")
        offline = not last_ping or (datetime.utcnow() - last_ping) > timedelta(minutes=20)
        if offline:
            return "the scheduler looks dead"
        return None
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 6)]


def test_age_shown_to_a_user_is_quiet():
    code = """\
    from datetime import datetime, timedelta


    def ping_label(store):
        last_ping = store.get("scheduler_last_ping")
        recent = (datetime.utcnow() - last_ping) < timedelta(minutes=20)
        return "recent" if recent else "a while ago"
    """
    assert flagged(code, HEARTBEAT) == []


def test_hb_loop_variable_from_a_watch_table():
    code = """\
    import time

    GRACE = 45


    class RunWatcher:
        def __init__(self):
            self.watched = {}

        def sweep(self):
            now = time.time()
            for run_id, hb in list(self.watched.items()):
                if now - hb > GRACE:
                    self.mark_failed(run_id)
                    self.watched.pop(run_id, None)
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 13)]


def test_hb_with_latency_derived_window_is_quiet():
    code = """\
    import time


    class RunWatcher:
        def sweep(self):
            now = time.time()
            for run_id, hb in list(self.watched.items()):
                if now - hb > 3 * self.p99_gap(run_id):
                    self.mark_failed(run_id)
    """
    assert flagged(code, HEARTBEAT) == []


def test_cutoff_from_config_handed_to_a_lookup_then_requeued():
    code = """\
    import time

    ERROR, QUEUED = "error", "queued"


    class Worker:
        def requeue_silent_jobs(self):
            now = time.time()
            silent = self.store.active_jobs_before(now - self.config["ACTIVE_JOB_TIMEOUT"])
            for job_id in silent:
                job = self.load(job_id)
                if job.retriable:
                    job.move(from_state="active", to_state=QUEUED)
                else:
                    job.move(from_state="active", to_state=ERROR)
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 9)]


def test_cache_ttl_cutoff_handed_to_a_lookup_is_quiet():
    code = """\
    import time


    class Worker:
        def drop_old_entries(self):
            now = time.time()
            old = self.cache.entries_before(now - self.config["CACHE_TTL"])
            for key in old:
                self.cache.invalidate(key)
    """
    assert flagged(code, HEARTBEAT) == []


def test_cutoff_for_a_report_query_is_quiet():
    code = """\
    import time


    class Worker:
        def slow_jobs(self):
            now = time.time()
            rows = self.store.active_jobs_before(now - self.config["ACTIVE_JOB_TIMEOUT"])
            for job_id in rows:
                self.log.info("slow job", job_id=job_id)
    """
    assert flagged(code, HEARTBEAT) == []


def test_request_timeout_is_quiet():
    code = """\
    import requests

    TIMEOUT = 5


    def heartbeat(url):
        return requests.post(url, json={"alive": True}, timeout=TIMEOUT)
    """
    assert flagged(code, HEARTBEAT) == []
