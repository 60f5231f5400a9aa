"""ARM104 on expiries a module computes for the rest of its package: a public function that
returns `now() + lifetime`, whose callers (in other modules) store or queue the value."""
from __future__ import annotations

import textwrap

from analyzers import analyze

from .helpers import CLOCK, flagged


def test_public_helper_returning_an_expiry_from_the_app_clock():
    code = """
    from datetime import datetime, timedelta

    from django.conf import settings
    from django.utils import timezone


    def get_reset_expiration(request=None):
        issued = getattr(request, "issued_at", None)
        if issued is None:
            return timezone.now() + timedelta(hours=settings.RESET_HOURS)
        return issued + timedelta(hours=settings.RESET_HOURS)


    def resolve_run_time(eta=None, delay=None):
        if delay is not None:
            when = datetime.utcnow() + timedelta(seconds=delay)
            return when
        return eta
    """
    assert flagged(code, CLOCK, "app/scheduling.py") == [("ARM104", 11), ("ARM104", 17)]
    report = analyze("app/scheduling.py", textwrap.dedent(code), CLOCK)
    assert {f.confidence for f in report.findings} == {"medium"}


def test_in_process_deadlines_caches_and_plain_dates_stay_quiet():
    code = """
    import time
    from datetime import date, timedelta


    def deadline_after(timeout):
        return time.time() + timeout


    def next_week():
        return date.today() + timedelta(days=7)


    def cache_expiry(ttl):
        return time.time() + ttl


    def _lease_expiry(ttl):
        return time.time() + ttl


    def token_expiration(token, lifetime):
        return token.issued_at + lifetime


    def retry_window(delay):
        return time.time(), time.time() + delay


    class Planner:
        def expires_at(self, ttl):
            return time.time() + ttl
    """
    assert flagged(code, CLOCK, "app/timing.py") == []
