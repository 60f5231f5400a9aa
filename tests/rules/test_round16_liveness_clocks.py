"""ARM301, round 16: the current time told by something other than a clock call the age forms
know by name: a project helper that reads the wall clock (this module's own or an imported one,
as the project index knows it) and the database's clock in a query builder (SQLAlchemy
`func.now()`, Django `Now()`). The stamp, the fixed window and the verdict are judged as before.

Look-alikes: a helper returning a monotonic reading (the process's own supervision), a helper
returning a deadline, a function that returns no clock at all, the database clock aging
records out by retention, and a window computed from observed latency."""
from __future__ import annotations

import textwrap

from analyzers import analyze, build_project_index
from tests.rules.helpers import HEARTBEAT, flagged


def in_project(files: dict[str, str], path: str) -> list[tuple[str, int]]:
    texts = {name: textwrap.dedent(text) for name, text in files.items()}
    report = analyze(path, texts[path], HEARTBEAT, project=build_project_index(texts))
    return [(f.rule, f.line) for f in report.findings]


CLOCKS = """
import time
from datetime import datetime, timezone


def epoch_ms():
    return int(time.time() * 1000)


def utc_instant():
    return datetime.now(timezone.utc)


def tick():
    return time.monotonic()


def lease_end():
    return time.time() + 30
"""


def _reaper(helper: str, module: str) -> str:
    return f"""
    from fleet.{module} import {helper}

    SILENCE_MS = 90_000


    class Reaper:
        def sweep(self, db):
            cutoff = {helper}() - SILENCE_MS
            for agent in db.agents():
                if agent.reported_at < cutoff:
                    db.mark_lost(agent)
    """


def test_imported_helper_reading_the_wall_clock_is_now():
    files = {"fleet/clocks.py": CLOCKS, "fleet/reaper.py": _reaper("epoch_ms", "clocks")}
    assert in_project(files, "fleet/reaper.py") == [("ARM301", 11)]


def test_helper_of_the_same_module_is_now_in_an_async_sweep():
    code = """
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    from .models import Runner


    def _utc():
        return datetime.now(timezone.utc)


    async def retire_silent_runners(session):
        limit = _utc() - timedelta(minutes=2)
        await session.execute(
            update(Runner).where(Runner.reported_at < limit).values(state="offline")
        )
    """
    assert in_project({"ci/runners.py": code}, "ci/runners.py") == [("ARM301", 16)]


def test_helper_value_passed_through_an_attribute_window():
    code = """
    from datetime import timedelta

    from myproj.clocks import utc_instant


    class ExecutorMonitor:
        def __init__(self, settings):
            self.grace = timedelta(seconds=settings.EXECUTOR_GRACE)

        def check(self, executors, scheduler):
            now = utc_instant()
            for executor in executors:
                if executor.state == "running" and now - executor.last_report > self.grace:
                    scheduler.reschedule_tasks_of(executor)
    """
    files = {"myproj/clocks.py": CLOCKS, "myproj/monitor.py": code}
    assert in_project(files, "myproj/monitor.py") == [("ARM301", 14)]


def test_database_clock_in_a_sqlalchemy_query_is_now():
    code = """
    from datetime import timedelta

    from sqlalchemy import func

    GRACE = 120


    def expire_workers(session, Worker):
        session.query(Worker).filter(
            Worker.reported_at < func.now() - timedelta(seconds=GRACE)
        ).update({"state": "dead"})
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 11)]


def test_database_clock_in_a_django_lookup_is_now():
    code = """
    from datetime import timedelta

    from django.db.models.functions import Now

    from .models import Node


    def drop_silent_nodes():
        Node.objects.filter(reported_at__lt=Now() - timedelta(seconds=45)).delete()
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 10)]


# --- look-alikes ---------------------------------------------------------------------------------
def test_monotonic_helper_ages_only_this_process_own_stamp():
    code = """
    from fleet.clocks import tick

    STALL = 30


    class Loop:
        def watchdog(self, jobs):
            for job in jobs:
                if tick() - job.reported_at > STALL:
                    job.cancel()
    """
    assert in_project({"fleet/clocks.py": CLOCKS, "fleet/loop.py": code}, "fleet/loop.py") == []


def test_helper_returning_a_deadline_is_not_now():
    code = """
    from fleet.clocks import lease_end


    def renew(db, agent):
        if agent.reported_at < lease_end() - 10:
            db.mark_lost(agent)
    """
    assert in_project({"fleet/clocks.py": CLOCKS, "fleet/renew.py": code}, "fleet/renew.py") == []


def test_function_returning_no_clock_is_not_now():
    code = """
    def _budget():
        return 500


    def sweep(db, agents):
        for agent in agents:
            if agent.reported_at < _budget() - 30:
                db.mark_lost(agent)
    """
    assert in_project({"fleet/budget.py": code}, "fleet/budget.py") == []


def test_database_clock_aging_finished_records_is_retention():
    code = """
    from datetime import timedelta

    from sqlalchemy import delete, func

    from .models import Event


    def purge(session):
        session.execute(delete(Event).where(Event.created_at < func.now() - timedelta(days=30)))
    """
    assert flagged(code, HEARTBEAT) == []


def test_database_clock_with_a_window_from_observed_latency_is_adaptive():
    code = """
    from datetime import timedelta

    from sqlalchemy import func


    def expire_workers(session, Worker, stats):
        window = timedelta(seconds=3 * stats.p99_interval)
        session.query(Worker).filter(Worker.reported_at < func.now() - window).update({"state": "dead"})
    """
    assert flagged(code, HEARTBEAT) == []


def test_same_shape_without_any_clock_is_quiet():
    """The control of the first flag test: the helper alone makes the age."""
    numbers = """
    def base_value():
        return 10_000
    """
    files = {"fleet/numbers.py": numbers, "fleet/reaper.py": _reaper("base_value", "numbers")}
    assert in_project(files, "fleet/reaper.py") == []


def test_sqlalchemy_core_update_statement_takes_the_silent_rows():
    code = """
    import time

    from sqlalchemy import update

    SILENCE = 300


    def mark_offline(conn, agents):
        conn.execute(update(agents).where(agents.c.reported_at < time.time() - SILENCE).values(state="offline"))
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 10)]


def test_sqlalchemy_core_select_for_display_is_quiet():
    code = """
    import time

    from sqlalchemy import select

    SILENCE = 300


    def recent_reports(conn, agents):
        return conn.execute(select(agents).where(agents.c.reported_at > time.time() - SILENCE)).all()
    """
    assert flagged(code, HEARTBEAT) == []


def test_delete_statement_of_old_in_flight_rows_is_retention():
    code = """
    import time


    class Stats:
        def prune(self, Inflight):
            now = time.time()
            Inflight.delete().where(Inflight.queue == self.name, Inflight.started < now - 21600).execute()
    """
    assert flagged(code, HEARTBEAT) == []


def test_own_stamp_taken_with_the_module_helper_is_this_process_own():
    code = """
    import threading
    import time


    def _time():
        return time.time()


    class Heartbeater(threading.Thread):
        min_interval = 5

        def _heartbeat_expected(self):
            elapsed = _time() - self.previous_heartbeat
            if elapsed >= self.interval:
                return True
            if self.forced and elapsed > self.min_interval:
                return True

        def do_heartbeat(self):
            self.api.heartbeat()
            self.previous_heartbeat = _time()
    """
    assert in_project({"agent/beats.py": code}, "agent/beats.py") == []
