"""ARM301, round 10: detectors written as query-builder statements and lease deadlines.

- a SQL-function age of a heartbeat column (`date_diff`, `age_seconds`) compared with a window
  that is a bound parameter or a `coalesce` with a shared fallback, in an UPDATE that marks rows
  offline;
- a poller's last poll (`last_polled`) older than a window handed down as a `*_timeout`
  parameter, the selected ids executed, read and then marked unavailable through other names;
- rows whose lease deadline (`leased_until`, `lock_expires_at`) has passed, released or requeued.
Look-alikes: a cache purge by `expires_at`, a holder checking its own lease, a caller-chosen
`threshold`, a listing that only returns rows."""
from __future__ import annotations

import textwrap

from analyzers import analyze
from tests.rules.helpers import HEARTBEAT, flagged


def graded(code: str, path: str = "svc/reaper.py") -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), HEARTBEAT)
    return [(f.rule, f.line, f.confidence) for f in report.findings]


def test_sql_function_age_against_bound_multiplier_marks_agents_offline():
    code = """
    import sqlalchemy as sa

    from fleet.models import Agent, AgentState


    async def flag_silent_agents(session, factor, default_every):
        stmt = (
            sa.update(Agent)
            .values(state=AgentState.OFFLINE)
            .where(
                sa.func.seconds_diff(Agent.last_heartbeat_at)
                > sa.func.coalesce(Agent.beat_every, sa.bindparam("fallback")) * sa.bindparam("factor"),
            )
        )
        await session.execute(stmt, {"fallback": default_every, "factor": factor})
    """
    assert flagged(code, HEARTBEAT, "fleet/sweeper.py") == [("ARM301", 12)]


def test_last_poll_older_than_timeout_parameter_followed_through_results():
    code = """
    from datetime import timedelta

    import sqlalchemy as sa

    from farm.clock import utc_now
    from farm.models import Runner


    async def retire_runners(session, poll_timeout_seconds: int) -> None:
        limit = utc_now() - timedelta(seconds=poll_timeout_seconds)
        query = sa.select(Runner.id).where(Runner.last_polled < limit)
        rows = await session.execute(query)
        runner_ids = rows.scalars().all()
        await mark_runners_unavailable(runner_ids)
    """
    assert flagged(code, HEARTBEAT, "farm/retire.py") == [("ARM301", 12)]


def test_caller_chosen_threshold_in_a_listing_stays_quiet():
    code = """
    from farm.clock import utc_now


    class Board:
        def silent_runners(self, threshold):
            now = utc_now()
            return [r for r in self.runners.values() if r["last_polled"] < now - threshold]
    """
    assert flagged(code, HEARTBEAT, "farm/board.py") == []


def test_poll_stamp_listing_without_consequence_stays_quiet():
    code = """
    from datetime import timedelta

    import sqlalchemy as sa

    from farm.clock import utc_now
    from farm.models import Runner


    async def runner_report(session, poll_timeout_seconds: int):
        limit = utc_now() - timedelta(seconds=poll_timeout_seconds)
        rows = await session.execute(sa.select(Runner.id).where(Runner.last_polled < limit))
        return {"quiet": len(rows.all())}
    """
    assert flagged(code, HEARTBEAT, "farm/report.py") == []


def test_rows_past_their_lease_deadline_requeued_medium():
    code = """
    from datetime import datetime, timezone

    import sqlalchemy as sa


    class TaskTable:
        async def sweep(self, conn):
            now = datetime.now(timezone.utc)
            query = sa.select(self.tasks.c.id).where(
                self.tasks.c.owner.isnot(None),
                self.tasks.c.leased_until < now,
            )
            for row in await conn.execute(query):
                await self._requeue(conn, row.id)
    """
    assert graded(code, "work/tasks.py") == [("ARM301", 12, "medium")]


def test_document_lease_deadline_in_a_loop_reassigned_medium():
    code = """
    import time


    def reassign_orphans(store, jobs):
        for job in jobs:
            if time.time() > job["lock_expires_at"]:
                store.reassign(job["id"])
    """
    assert graded(code, "work/orphans.py") == [("ARM301", 7, "medium")]


def test_cache_purge_and_own_lease_check_stay_quiet():
    code = """
    from datetime import datetime, timezone


    class Store:
        def tidy(self, conn):
            conn.execute(self.cache.delete().where(self.cache.c.expires_at < datetime.now(timezone.utc)))

        def still_mine(self, job, now):
            if job.lock_expires_at < now:
                raise LeaseLost(job.id)

        def renew_soon(self, job, now):
            if job.leased_until > now:
                return False
            return True
    """
    assert flagged(code, HEARTBEAT, "work/store.py") == []


def test_reservations_skipped_while_their_lease_holds_the_rest_redelivered_medium():
    code = """
    class Outbox:
        def sweep(self, clock_now):
            current_time = clock_now()
            for key, held in list(self.held.items()):
                if held.lease_deadline > current_time:
                    continue
                self.held.pop(key)
                self.requeue(key)
    """
    assert graded(code, "mail/outbox.py") == [("ARM301", 6, "medium")]


def test_helper_named_for_stale_items_returning_its_selection_is_flagged():
    code = """
    from datetime import timedelta


    class Board:
        def _find_dead_runs(self, now, beat_timeout: timedelta):
            found = [r for r in self.runs.values() if now - r["heartbeat"] >= beat_timeout]
            found.sort(key=lambda r: r["id"])
            return found

        def _recent_runs(self, now, beat_timeout: timedelta):
            found = [r for r in self.runs.values() if now - r["heartbeat"] < beat_timeout]
            return found
    """
    assert graded(code, "runs/board.py") == [("ARM301", 7, "high")]
