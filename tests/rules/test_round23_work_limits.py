"""Round 23, noise mend: a worker timing the job it runs against that job's own time limit.

Read in the noise corpus (redash's RQ worker): `(utcnow() - self.monitor_started).seconds >
job.timeout + self.grace_period` is the parent process enforcing the hard time limit of the job
its child runs. The window is the job's own limit (configuration of each job, RULES.md), the
instant is one this object keeps: no silent party is declared dead. A silence aged against a
timeout read from settings handed in stays a fixed-timeout detector.
"""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

TIMEOUT = Settings(select=frozenset({"ARM301", "ARM302"}))


def findings(code: str) -> list[tuple[str, int]]:
    report = analyze("app/worker.py", textwrap.dedent(code), TIMEOUT)
    return [(f.rule, f.line) for f in report.findings]


def test_job_hard_limit_enforced_by_its_worker_is_quiet():
    code = """\
        from rq.worker import HerokuWorker

        from app.utils import utcnow


        class HardLimitingWorker(HerokuWorker):
            grace_period = 15

            def soft_limit_exceeded(self, job):
                if job.timeout != -1:
                    seconds_under_monitor = (utcnow() - self.monitor_started).seconds
                    return seconds_under_monitor > job.timeout + self.grace_period
                return False

            def monitor_work_horse(self, job, queue):
                self.monitor_started = utcnow()
                while True:
                    if self.soft_limit_exceeded(job):
                        self.kill_horse()
                        break
    """
    assert findings(code) == []


def test_peer_silence_against_a_settings_timeout_handed_in_is_flagged():
    code = """\
        import time


        class PeerWatcher:
            def on_pong(self, peer):
                self.last_pong = time.time()

            def check(self, peer, settings):
                if time.time() - self.last_pong > settings.timeout:
                    self.disconnect(peer)
                    self.mark_dead(peer)
    """
    assert findings(code) == [("ARM301", 9)]
