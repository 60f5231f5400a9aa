"""ARM301, round 13: a liveness verdict of one module reported where another module acts on it
(the project index lists the verdicts), and the engine's router between ARM301 and ARM103/104.

Look-alikes: a caller that only displays the verdict, a same-named function in a project where
it is no liveness verdict, a monotonic reading of the process's own supervision stamp, a record
in a terminal state aged out by retention."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index
from analyzers.python.engine import prefer_detector
from tests.rules.helpers import HEARTBEAT, flagged

VERDICTS = """
from oslo_config import cfg
from oslo_utils import timeutils


def probe_is_up(probe):
    stamp = probe["updated_at"] or probe["created_at"]
    gap = timeutils.utcnow() - stamp
    return abs(gap.total_seconds()) <= cfg.CONF.probe_down_time


def probe_is_down(probe):
    return not probe_is_up(probe)
"""


MARK_DOWN = """
from fleet import checks


def mark_down(db, ctx):
    for probe in db.probe_list(ctx):
        if not checks.probe_is_up(probe):
            db.probe_update(ctx, probe["id"], {"state": "down"})
"""


def in_project(files: dict[str, str], path: str) -> list[tuple[str, int, str]]:
    texts = {name: textwrap.dedent(text) for name, text in files.items()}
    report = analyze(path, texts[path], HEARTBEAT, project=build_project_index(texts))
    return [(f.rule, f.line, f.confidence) for f in report.findings]


def test_caller_marking_down_on_the_verdict_is_reported():
    files = {"fleet/checks.py": VERDICTS, "fleet/janitor.py": MARK_DOWN}
    assert in_project(files, "fleet/janitor.py") == [("ARM301", 7, "medium")]


def test_caller_of_a_forwarding_verdict_stealing_a_lock_is_reported():
    caller = """
    from fleet import checks


    def acquire(store, owner, me):
        if owner != me and checks.probe_is_down(owner):
            store.steal(owner, me)
    """
    files = {"fleet/checks.py": VERDICTS, "fleet/locks.py": caller}
    assert in_project(files, "fleet/locks.py") == [("ARM301", 6, "medium")]


def test_caller_that_only_shows_the_verdict_is_quiet():
    caller = """
    from fleet import checks


    def listing(db, ctx):
        rows = []
        for probe in db.probe_list(ctx):
            if checks.probe_is_up(probe):
                rows.append({"id": probe["id"], "up": True})
        return rows
    """
    files = {"fleet/checks.py": VERDICTS, "fleet/api.py": caller}
    assert in_project(files, "fleet/api.py") == []


def test_same_name_without_a_liveness_verdict_in_the_project_is_quiet():
    checks = """
    def probe_is_up(probe):
        return probe.enabled
    """
    files = {"fleet/checks.py": checks, "fleet/janitor.py": MARK_DOWN}
    assert in_project(files, "fleet/janitor.py") == []


def test_monotonic_supervision_of_own_children_is_quiet():
    code = """
    import time


    def reap(self):
        for worker in self.workers:
            if worker.stopping_at and time.monotonic() - worker.stopping_at > self.stop_wait:
                worker.kill()
    """
    assert flagged(code, HEARTBEAT, "pool/supervisor.py") == []


def test_terminal_state_retention_is_quiet():
    code = """
    import time


    def gc(self, tasks):
        now = time.time()
        doomed = []
        for task in tasks:
            if task.status == "crashed" and now > task.last_update + self.crashed_keep:
                doomed.append(task)
        self.backend.drop(doomed)
    """
    assert flagged(code, HEARTBEAT, "pool/gc.py") == []


def test_router_keeps_wall_clock_findings_on_detector_lines_as_medium():
    code = """
    import time


    def sweep(self, members):
        for member in members:
            if time.time() - member["last_heartbeat"] > self.heartbeat_threshold:
                self.remove(member["id"])
        deadline = time.time() + 30
        while time.time() < deadline:
            self.poll()
    """
    report = analyze("fleet/sweeper.py", textwrap.dedent(code), Settings(select=frozenset({"ARM103", "ARM301"})))
    # the silence check is both a fixed window and a wall-clock age: both reported, the wall-clock
    # one as medium so the App's inline comment there is the detector's by default
    assert [(f.rule, f.line, f.confidence) for f in report.findings] == [
        ("ARM103", 7, "medium"), ("ARM301", 7, "high"), ("ARM103", 9, "high")]


def test_prefer_detector_keeps_everything_without_a_detector():
    assert prefer_detector([], ()) == []


def test_cutoff_helper_of_another_module_ages_a_record_property():
    helpers = """
    import datetime

    from oslo_config import cfg
    from oslo_utils import timeutils


    def probe_expired_time():
        return timeutils.utcnow() - datetime.timedelta(seconds=cfg.CONF.probe_down_time)
    """
    model = """
    from fleet import helpers
    from fleet.db import base


    class Probe(base.PersistentObject):
        @property
        def is_up(self):
            return self.updated_at and self.updated_at >= helpers.probe_expired_time()
    """
    files = {"fleet/helpers.py": helpers, "fleet/probe.py": model}
    assert in_project(files, "fleet/probe.py") == [("ARM301", 9, "high")]


def test_failed_state_constant_in_the_branch_is_an_action():
    code = """
    from oslo_config import cfg
    from oslo_utils import timeutils


    def expire(ctx, notifications):
        for item in notifications:
            if timeutils.is_older_than(item.updated_at, cfg.CONF.expired_interval):
                item.status = Status.FAILED
                item.save()
    """
    assert flagged(code, HEARTBEAT, "fleet/engine.py") == [("ARM301", 8)]


def test_stamp_of_unknown_meaning_is_quiet():
    code = """
    import datetime

    from django.utils import timezone


    def cleanup(Answer, months):
        cutoff = timezone.now() - datetime.timedelta(days=30 * months)
        Answer.objects.filter(is_spam=True, marked_as_spam__lt=cutoff).delete()
    """
    assert flagged(code, HEARTBEAT, "fleet/spam.py") == []


def test_cutoff_helper_aging_a_creation_stamp_is_quiet():
    code = """
    import datetime

    from django.utils import timezone


    def old_limit():
        return timezone.now() - datetime.timedelta(days=30)


    def purge(Report):
        for report in Report.objects.all():
            if report.created_at < old_limit():
                report.delete()
    """
    assert flagged(code, HEARTBEAT, "fleet/reports.py") == []
