"""Recall of the clock and heartbeat rules on shapes a third labelled corpus exposed: ARM104
auction closes written through a variable or a SQLAlchemy params dict, and a job lease assigned
inside `with session.begin()`; ARM103 deadlines read back as a clamped "time left" in another
method and TTL checks on a wall-clock stamp passed in; ARM301 verdict functions that return a
fixed-threshold silence comparison. Each shape has look-alikes that must stay quiet."""
from __future__ import annotations

from analyzers import Settings

from .helpers import CLOCK, HEARTBEAT, flagged


# --- ARM104 ---------------------------------------------------------------------------------------

def test_auction_close_through_a_variable_and_a_params_dict():
    code = """\
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import AsyncSession

    ANTI_SNIPE = timedelta(minutes=2)


    async def extend_close(db: AsyncSession, auction_id: int) -> None:
        new_close = datetime.now(timezone.utc) + ANTI_SNIPE
        await db.execute(
            text("update auctions set closes_at = :c where id = :a"),
            {"c": new_close, "a": auction_id},
        )


    async def create_auction(db: AsyncSession, lot_id: int, hours: int) -> None:
        await db.execute(
            text("insert into auctions (lot_id, opens_at, closes_at) values (:l, now(), :c)"),
            {"l": lot_id, "c": datetime.utcnow() + timedelta(hours=hours)},
        )
    """
    assert flagged(code, CLOCK) == [("ARM104", 10), ("ARM104", 20)]


def test_auction_close_computed_by_the_database_or_only_read_stays_clean():
    code = """\
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import text


    async def extend_close(db, auction_id):
        await db.execute(
            text("update auctions set closes_at = greatest(closes_at, now() + interval '2 minutes') where id = :a"),
            {"a": auction_id},
        )


    async def closing_soon(db):
        horizon = datetime.now(timezone.utc) + timedelta(hours=1)
        rows = await db.execute(text("select id from auctions where closes_at < :h"), {"h": horizon})
        return rows.scalars().all()


    async def log_bid(db, auction_id, amount):
        await db.execute(
            text("insert into bid_log (auction_id, amount, closed_at) values (:a, :m, :c)"),
            {"a": auction_id, "m": amount, "c": datetime.now(timezone.utc) + timedelta(seconds=0)},
        )
    """
    assert flagged(code, CLOCK) == []


def test_job_lease_assigned_on_a_loaded_row_inside_session_begin():
    code = """\
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from fleet.models import Job

    JOB_LEASE = timedelta(minutes=10)


    def claim_next_job(db: Session, runner_id: str):
        with db.begin():
            job = db.execute(
                select(Job).where(Job.status == "queued").limit(1).with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if job is None:
                return None
            job.status = "running"
            job.runner_id = runner_id
            job.lease_expires_at = datetime.now(timezone.utc) + JOB_LEASE
        return job
    """
    assert flagged(code, CLOCK) == [("ARM104", 20)]


def test_in_memory_lease_without_a_session_transaction_stays_clean():
    code = """\
    from datetime import datetime, timedelta, timezone
    from threading import Lock

    LEASE = timedelta(seconds=30)


    class LocalClaim:
        pass


    def claim_locally(lock: Lock, claims: dict, key: str):
        claim = LocalClaim()
        with lock:
            claim.lease_expires_at = datetime.now(timezone.utc) + LEASE
            claims[key] = claim
        return claim
    """
    assert flagged(code, Settings(select=frozenset({"ARM104"}))) == []


# --- ARM103 ---------------------------------------------------------------------------------------

def test_retry_budget_deadline_read_back_as_time_left_in_another_method():
    code = """\
    import time


    class RetryBudget:
        def __init__(self, total_s: float) -> None:
            self.deadline = time.time() + total_s

        def remaining(self) -> float:
            return max(0.0, self.deadline - time.time())
    """
    assert flagged(code, CLOCK) == [("ARM103", 6)]


def test_elapsed_time_clamped_or_monotonic_budget_stays_clean():
    code = """\
    import time


    class Stopwatch:
        def __init__(self) -> None:
            self.started = time.time()

        def elapsed(self) -> float:
            return max(0.0, time.time() - self.started)


    class RetryBudget:
        def __init__(self, total_s: float) -> None:
            self.deadline = time.monotonic() + total_s

        def remaining(self) -> float:
            return max(0.0, self.deadline - time.monotonic())
    """
    assert flagged(code, CLOCK) == []


def test_quote_ttl_checked_against_a_wall_clock_stamp_passed_in():
    code = """\
    import time

    QUOTE_TTL_S = 30


    def quote_is_fresh(quote_created: float) -> bool:
        return time.time() - quote_created < QUOTE_TTL_S


    def cache_entry_valid(entry) -> bool:
        if time.time() - entry.stored_at > CACHE_MAX_AGE:
            return False
        return True
    """
    assert flagged(code, CLOCK) == [("ARM103", 7), ("ARM103", 11)]


def test_age_checks_against_non_ttl_limits_or_heartbeats_stay_clean():
    code = """\
    import time

    SLOW_REQUEST_S = 2.0
    QUOTE_TTL_S = 30


    def report_slow(started: float, log) -> None:
        if time.time() - started > SLOW_REQUEST_S:
            log.warning("slow request")


    def render_age(created: float) -> str:
        return f"{time.time() - created:.0f}s ago"


    def peer_silent(last_ping: float) -> bool:
        return time.time() - last_ping > QUOTE_TTL_S


    def quote_is_fresh(quote_created: float) -> bool:
        return time.monotonic() - quote_created < QUOTE_TTL_S
    """
    assert flagged(code, CLOCK) == []


# --- ARM301 ---------------------------------------------------------------------------------------

def test_failover_verdict_returns_a_fixed_silence_through_a_variable():
    code = """\
    import time


    def should_failover_primary(primary_last_ping: float) -> bool:
        silent = time.monotonic() - primary_last_ping
        return silent > 30


    def is_replica_dead(replica) -> bool:
        return time.monotonic() - replica.last_heartbeat >= 45
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 6), ("ARM301", 10)]


def test_silence_returned_by_non_verdict_functions_or_quorum_stays_clean():
    code = """\
    import time


    def silence_of(primary_last_ping: float) -> float:
        return time.monotonic() - primary_last_ping


    def ping_is_late(primary_last_ping: float) -> bool:
        silent = time.monotonic() - primary_last_ping
        return silent > 30


    def is_primary_alive(primary_last_ping: float) -> bool:
        return time.monotonic() - primary_last_ping < 30


    def should_failover(votes: dict[str, bool], peers: int) -> bool:
        suspected = sum(1 for v in votes.values() if v)
        return suspected >= peers - 1
    """
    assert flagged(code, HEARTBEAT) == []
