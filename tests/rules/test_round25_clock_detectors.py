"""Round 25: a wall-clock age that decides a party is gone is also a fixed-timeout detector
(analyzers/python/clock_detectors.py).

test15's F1: eleven failure detectors found only as wall-clock findings (ARM103/ARM104) on their
line, because ARM301's own forms did not know the stamp or the verdict: a generation `is_stale`
once `utcnow() - start_time` passes its TTL, signals `stuck` in sending for N minutes marked
failed, a batch job declared lost after its status command fails for a fixed delay. The code
around the wall-clock finding names the verdict; the same line is reported as ARM301 too.
Ages of cached data, sessions and tokens stay ARM104's alone.
"""
from __future__ import annotations

import textwrap

from analyzers import DEFAULT, analyze


def findings(code: str, path: str = "app/jobs.py") -> list[tuple[str, int]]:
    report = analyze(path, textwrap.dedent(code), DEFAULT)
    return sorted((f.rule, f.line) for f in report.findings)


LOST = """\
import time


class BatchBackend:
    def update_state(self, job):
        status = self._run_status_command(job)
        if status is None:
            try:
                job.stat_failed_at
            except AttributeError:
                job.stat_failed_at = time.time()
                return job.state
            if (time.time() - job.stat_failed_at) <= self.accounting_delay:
                return job.state
            else:
                # {comment}
                job.state = "{state}"
        return job.state
"""


def test_a_job_declared_lost_after_a_wall_clock_silence_is_a_detector_too():
    found = findings(LOST.format(comment="no accounting either: the job is lost", state="UNKNOWN"))
    assert {rule for rule, line in found if line == 13} == {"ARM104", "ARM301"}


def test_the_same_age_with_no_verdict_named_is_wall_clock_only():
    found = findings(LOST.format(comment="give the accounting command its turn", state="CHECKING"))
    assert found == [("ARM104", 13)]


CACHE = """\
from datetime import timedelta

from django.utils import timezone

from .models import CachedPage


def drop_stale_cache():
    before = timezone.now() - timedelta(minutes=30)
    CachedPage.objects.filter(stored_at__lte=before).delete()
"""


def test_stale_cache_entries_are_no_party_declared_gone():
    assert [rule for rule, _ in findings(CACHE) if rule == "ARM301"] == []


STUCK = """\
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import Signal, Status
from .workflows import workflow


def fail_stuck_sending_signals():
    before = timezone.now() - timedelta(minutes=float(settings.SEND_FAIL_TIMEOUT_MINUTES))
    signals = Signal.objects.filter(status__state=workflow.TE_VERZENDEN,
                                    status__target_api=Status.TARGET_API_SIGMAX,
                                    status__updated_at__lte=before)
    for signal in signals:
        Signal.actions.update_status(data={"state": workflow.VERZENDEN_MISLUKT}, signal=signal)
"""


def test_a_cut_off_named_first_and_compared_on_the_next_line_is_the_detector_s_age():
    found = findings(STUCK)
    assert {rule for rule, line in found if line == 11} == {"ARM104", "ARM301"}


BEAT = """\
from django.utils import timezone

from .models import Job


class Heartbeat:
    def beat(self):
        # the worker is alive: stamp it so the sweeper does not declare it dead
        Job.objects.filter(id=self.job_id).update(
            last_heartbeat=timezone.now(),
            force_stop=False,
        )
"""


def test_writing_a_heartbeat_stamp_is_no_verdict_on_anyone():
    assert [rule for rule, _ in findings(BEAT) if rule == "ARM301"] == []
