"""ARM301 on visibility-timeout takeovers: a claim stamps a time on a row or document and the
dequeue takes over claims older than now minus a fixed window. A per-row timeout, a window
derived from observed latency, a read-only count of expired claims and a claim of free rows
only stay quiet."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

TIMEOUTS = Settings(select=frozenset({"ARM301"}))


def flagged(code: str, path: str = "app/broker.py") -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), TIMEOUTS)
    assert report.notes == []
    return [(f.rule, f.line, f.confidence) for f in report.findings]


_DJANGO = """\
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from jobs.models import Envelope


class TableQueue:
    def lease_until(self):
        return timezone.now() + timedelta(seconds={window})

    def pull(self, queue):
        ready = Envelope.objects.filter(queue=queue, claimed_until__lt=timezone.now())[:10]
        taken = []
        for envelope in ready:
            won = Envelope.objects.filter(pk=envelope.pk, claimed_until=envelope.claimed_until).update(
                claimed_until=self.lease_until()
            )
            if won:
                taken.append(envelope)
        return taken
"""


def test_django_claim_taking_over_rows_past_a_settings_window_is_medium():
    assert flagged(_DJANGO.format(window="settings.JOB_VISIBILITY")) == [("ARM301", 14, "medium")]


def test_django_claim_with_a_per_row_timeout_is_quiet():
    code = _DJANGO.replace("def lease_until(self):", "def lease_until(self, envelope):").replace(
        "self.lease_until()", "self.lease_until(envelope)"
    )
    assert flagged(code.format(window="envelope.visibility")) == []


def test_window_from_observed_latency_is_quiet():
    assert flagged(_DJANGO.format(window="3 * self.p99_latency")) == []


def test_mongo_find_one_and_update_over_stale_claims_is_medium():
    code = """\
    from datetime import datetime, timedelta

    VISIBILITY = 90


    def expired_before():
        return datetime.utcnow() - timedelta(seconds=VISIBILITY)


    def next_message(collection):
        doc = collection.find_one_and_update(
            {"locked_at": {"$lte": expired_before()}},
            {"$set": {"locked_at": datetime.utcnow()}},
        )
        return doc
    """
    assert flagged(code) == [("ARM301", 11, "medium")]


def test_counting_expired_claims_is_a_report_not_a_takeover():
    code = """\
    from datetime import datetime, timedelta


    def stuck(collection):
        return collection.count_documents({"locked_at": {"$lte": datetime.utcnow() - timedelta(minutes=5)}})
    """
    assert flagged(code) == []


def test_claiming_only_free_rows_is_quiet():
    code = """\
    from datetime import timedelta

    from django.utils import timezone

    from jobs.models import Envelope


    def pull(queue):
        for envelope in Envelope.objects.filter(queue=queue, claimed_until__isnull=True)[:10]:
            Envelope.objects.filter(pk=envelope.pk, claimed_until__isnull=True).update(
                claimed_until=timezone.now() + timedelta(seconds=60)
            )
    """
    assert flagged(code) == []
