"""ARM301, round 8: the age of a held item's start/claim/update stamp (the item still marked
running) against one window for all, whose outcome fails or requeues it; next to look-alikes
that must stay quiet (no held state, a per-item window, no verdict)."""
from __future__ import annotations

from tests.rules.helpers import HEARTBEAT, flagged


def medium(code: str, path: str = "app/jobs.py") -> list[tuple[str, int, str]]:
    import textwrap

    from analyzers import analyze

    report = analyze(path, textwrap.dedent(code), HEARTBEAT)
    return [(f.rule, f.line, f.confidence) for f in report.findings]


def test_running_rows_older_than_a_fixed_window_failed_by_a_django_update_are_flagged():
    code = """
    from datetime import timedelta

    from django.utils import timezone

    from .models import Export


    def fail_stuck_exports():
        limit = timezone.now() - timedelta(hours=2)
        Export.objects.filter(status="running", started_at__lt=limit).update(status="failed")
    """
    assert medium(code) == [("ARM301", 11, "medium")]


def test_claimed_rows_requeued_by_claim_age_are_flagged():
    code = """
    from django.utils import timezone

    RECLAIM_AFTER = 300


    def reclaim(Job):
        cutoff = timezone.now() - timezone.timedelta(seconds=RECLAIM_AFTER)
        Job.objects.filter(status__in=["claimed", "processing"], claimed_at__lte=cutoff).update(status="queued")
    """
    assert medium(code) == [("ARM301", 9, "medium")]


def test_old_rows_without_a_held_state_are_not_flagged():
    code = """
    from datetime import timedelta

    from django.utils import timezone

    from .models import Export


    def purge_exports():
        limit = timezone.now() - timedelta(days=30)
        Export.objects.filter(status="done", started_at__lt=limit).delete()
    """
    assert flagged(code, HEARTBEAT, "app/jobs.py") == []


def test_held_task_failed_after_a_fixed_time_since_its_last_update_is_flagged():
    code = """
    MAX_SILENCE = 600


    def sweep(tasks, now):
        for task in tasks:
            if task.state == "running" and (now - task.updated_at).total_seconds() > MAX_SILENCE:
                task.state = "failed"
                task.save()
    """
    assert medium(code) == [("ARM301", 7, "medium")]


def test_held_task_with_its_own_timeout_is_not_flagged():
    code = """
    def sweep(tasks, now):
        for task in tasks:
            if task.state == "running" and (now - task.started_at).total_seconds() > task.timeout:
                task.state = "failed"
                task.save()
    """
    assert flagged(code, HEARTBEAT, "app/jobs.py") == []


def test_held_task_whose_age_is_only_shown_is_not_flagged():
    code = """
    def describe(task, now):
        if task.state == "running" and (now - task.started_at).total_seconds() > 600:
            return "long-running"
        return "ok"
    """
    assert flagged(code, HEARTBEAT, "app/jobs.py") == []
