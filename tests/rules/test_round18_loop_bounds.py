"""A wall-clock deadline that bounds a `while` loop decides when the loop stops, even in a function
named for the statistics or progress it collects: a clock step makes it run on or end at once.
Elsewhere in such functions the clock still only stamps or shows what was measured."""
from __future__ import annotations

from .helpers import CLOCK, flagged


def test_a_collectors_loop_bounded_by_a_wall_clock_deadline_is_flagged():
    code = """\
    import time


    class Podman:
        def _collect_single_container_stats(self, container_id, duration, interval):
            samples = []
            end_time = time.time() + duration
            while time.time() < end_time and not self.stopped:
                samples.append(self.sample(container_id))
                time.sleep(interval)
            return samples
    """
    assert flagged(code, CLOCK) == [("ARM103", 7)]


def test_the_same_functions_stamps_flushes_and_progress_stay_quiet():
    code = """\
    import time


    class Podman:
        def _collect_single_container_stats(self, container_id, samples):
            started = time.time()
            for sample in samples:
                sample["timestamp"] = time.time()
                if time.time() - started > self.flush_every:
                    self.flush()
                    started = time.time()

        def render_progress(self, done, total, started):
            while done < total:
                done = self.step()
                eta = (time.time() - started) / done * (total - done)
                self.show(eta)
    """
    assert flagged(code, CLOCK) == []


def test_a_loop_over_stamps_kept_earlier_only_buckets_them():
    code = """\
    from time import time


    class TaskStreamPlugin:
        def transition(self, key):
            now = time()
            self.time[-1] = now
            while self.time[-1] - self.time[-2] > self.dt:
                self.time[-1] = self.time[-2] + self.dt
                self.time.append(now)
    """
    # a diagnostics module: its readings observe, except where a loop waits on the clock
    assert flagged(code, CLOCK, path="app/diagnostics/progress.py") == []


def test_a_walk_over_calendar_months_is_not_a_deadline():
    code = """\
    import datetime
    from dateutil.relativedelta import relativedelta


    class HostMetricSummaryMonthlyTask:
        def execute(self, month):
            while month <= datetime.date.today().replace(day=1):
                self.summarise(month)
                month += relativedelta(months=1)
    """
    assert flagged(code, CLOCK) == []
