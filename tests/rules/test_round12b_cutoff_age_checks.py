"""ARM104: oslo.utils `timeutils.is_older_than(stamp, seconds)` reads the wall clock inside; a
loaded record's stamp aged by it where the branch acts is a stamp cut-off with two clocks."""
from __future__ import annotations

from .helpers import CLOCK, flagged

PATH = "engine/manager.py"


def test_alert_stamp_aged_before_marking_it_failed():
    code = """
        from oslo_utils import timeutils

        def expire_alerts(alerts, limit):
            for alert in alerts:
                if timeutils.is_older_than(alert.raised_time, limit):
                    alert.status = "failed"
                    alert.save()
    """
    assert flagged(code, CLOCK, PATH) == [("ARM104", 6)]


def test_new_alert_older_than_retry_window_is_processed_again():
    code = """
        from oslo_utils import timeutils

        class Engine:
            def resume_stuck(self, ctx, alerts, retry_after):
                for alert in alerts:
                    if alert.state == "new" and timeutils.is_older_than(
                            alert.raised_time, retry_after):
                        self._process_alert(ctx, alert)
    """
    assert flagged(code, CLOCK, PATH) == [("ARM104", 7)]


def test_is_newer_than_on_a_record_that_raises():
    code = """
        from oslo_utils import timeutils

        def check_token(token, margin):
            if not timeutils.is_newer_than(token.issued_at, margin):
                raise ValueError("stale")
    """
    assert flagged(code, CLOCK, PATH) == [("ARM104", 5)]


def test_local_start_time_stays_quiet():
    code = """
        from oslo_utils import timeutils

        def wait_for(handle, started_at, timeout):
            if timeutils.is_older_than(started_at, timeout):
                raise TimeoutError(handle)
    """
    assert flagged(code, CLOCK, PATH) == []


def test_check_that_only_logs_stays_quiet():
    code = """
        import logging
        from oslo_utils import timeutils

        LOG = logging.getLogger(__name__)

        def report(alerts, limit):
            for alert in alerts:
                if timeutils.is_older_than(alert.raised_time, limit):
                    LOG.warning("old alert %s", alert.id)
    """
    assert flagged(code, CLOCK, PATH) == []


def test_day_sized_retention_stays_quiet():
    code = """
        from oslo_utils import timeutils

        def purge(rows, keep_days):
            for row in rows:
                if timeutils.is_older_than(row.created_at, keep_days * 86400):
                    row.delete()
    """
    assert flagged(code, CLOCK, PATH) == []


def test_service_liveness_stamp_is_left_to_arm301():
    code = """
        from oslo_utils import timeutils

        def reap(services, down_time):
            for service in services:
                if timeutils.is_older_than(service.updated_at, down_time):
                    service.delete()
    """
    assert flagged(code, CLOCK, PATH) == []


def test_other_library_named_alike_stays_quiet():
    code = """
        from mylib import is_older_than

        def expire(alerts, limit):
            for alert in alerts:
                if is_older_than(alert.raised_time, limit):
                    alert.delete()
    """
    assert flagged(code, CLOCK, PATH) == []
