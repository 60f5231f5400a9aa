"""Round 10, ARM104: due times and expiries from this machine's clock handed on to another call
under their own name, and SQL composed with `SQL(...).format(...)` whose parameters carry this
machine's clock."""
from __future__ import annotations

import textwrap

from analyzers import analyze

from .helpers import CLOCK, flagged


def _with_confidence(code: str, path: str = "app/module.py") -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), CLOCK)
    return [(f.rule, f.line, f.confidence) for f in report.findings]


def test_due_time_handed_to_a_project_store_by_keyword_or_by_name():
    code = """
    import time
    from datetime import datetime, timedelta, timezone


    def postpone(backend, task, backoff):
        backend.reschedule(task.key, not_before=datetime.now(timezone.utc) + timedelta(seconds=backoff))


    def nap(journal, label, pause):
        wake_at = time.time() + pause
        journal.remember(label, wake_at)
    """
    assert _with_confidence(code, "flows/steps.py") == [("ARM104", 7, "medium"), ("ARM104", 11, "medium")]


def test_handoff_look_alikes_stay_quiet():
    code = """
    import asyncio
    import time
    from datetime import timedelta

    from django.utils import timezone
    from django.utils.http import http_date


    def wait_for_ready(probe, budget):
        deadline = time.time() + budget
        probe.poll_until(deadline)


    def remember_choice(response):
        response.set_cookie("choice", "1", expires=timezone.now() + timedelta(days=30))


    def cookie_header(response, max_age):
        expires_time = time.time() + max_age
        response["Expires"] = http_date(expires_time)


    def shaped(Slot, owner):
        return Slot(owner=owner, expires_at=time.time() + 60)


    async def later(loop, callback, delay):
        run_at = loop.time() + delay
        loop.call_at(run_at, callback)
    """
    assert flagged(code, CLOCK, "web/prefs.py") == []


def test_composed_sql_compares_a_due_column_with_this_clock():
    code = """
    import time

    from psycopg import sql


    async def due_jobs(cursor, table, batch):
        await cursor.execute(
            sql.SQL("SELECT id FROM {t} WHERE run_at <= %(now)s LIMIT %(n)s").format(t=sql.Identifier(table)),
            {"now": time.time(), "n": batch},
        )
        return await cursor.fetchall()


    async def park_queue(cursor, table, name, pause):
        until = time.time() + pause
        await cursor.execute(
            sql.SQL("UPDATE {t} SET resume_at = to_timestamp(%s) WHERE name = %s").format(t=sql.Identifier(table)),
            (until, name),
        )
    """
    assert flagged(code, CLOCK, "queue/pg.py") == [("ARM104", 10), ("ARM104", 16)]


def test_counting_composed_sql_stays_quiet():
    code = """
    import time
    from textwrap import dedent

    from psycopg import sql


    async def ready_count(cursor, table):
        await cursor.execute(
            sql.SQL(dedent(\"\"\"
                SELECT count(*) FROM {t}
                WHERE %(now)s >= run_at
            \"\"\")).format(t=sql.Identifier(table)),
            {"now": time.time()},
        )
        return (await cursor.fetchone())[0]
    """
    assert flagged(code, CLOCK, "queue/stats.py") == []
