"""Job runner for the multi-region scheduler.

Picks a job assignment from Postgres, runs it with a time budget and reports back.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import Awaitable, Callable

import asyncpg
import httpx

log = logging.getLogger("runner")

DEFAULT_BUDGET = timedelta(minutes=10)
CLAIM_LEASE = timedelta(minutes=2)

Job = Callable[[dict], Awaitable[None]]


async def claim_next(pool: asyncpg.Pool, region: str, runner_id: str) -> asyncpg.Record | None:
    lease_expires = datetime.now(timezone.utc) + CLAIM_LEASE  # expect: ARM104
    async with pool.acquire() as conn:
        return await conn.fetchrow(
            """
            update job_assignments
               set runner_id = $1, lease_expires_at = $2, state = 'running'
             where id = (select id from job_assignments
                          where region = $3 and state = 'ready'
                          order by priority desc, id
                          limit 1 for update skip locked)
            returning id, job_name, args
            """,
            runner_id, lease_expires, region,
        )


async def claim_next_v2(pool: asyncpg.Pool, region: str, runner_id: str) -> asyncpg.Record | None:
    async with pool.acquire() as conn:
        return await conn.fetchrow(
            """
            update job_assignments
               set runner_id = $1, lease_expires_at = now() + interval '2 minutes', state = 'running'  -- ok
             where id = (select id from job_assignments
                          where region = $2 and state = 'ready'
                          order by priority desc, id
                          limit 1 for update skip locked)
            returning id, job_name, args
            """,
            runner_id, region,
        )


async def run_with_budget(job: Job, args: dict, budget: timedelta = DEFAULT_BUDGET) -> bool:
    must_finish_by = datetime.now(timezone.utc) + budget  # expect: ARM103
    task = asyncio.create_task(job(args))
    while not task.done():
        if datetime.now(timezone.utc) > must_finish_by:
            task.cancel()
            return False
        await asyncio.sleep(1)
    return True


async def run_with_budget_v2(job: Job, args: dict, budget: timedelta = DEFAULT_BUDGET) -> bool:
    try:
        async with asyncio.timeout(budget.total_seconds()):  # ok: asyncio timeout (monotonic)
            await job(args)
        return True
    except TimeoutError:
        return False


async def report(http: httpx.AsyncClient, assignment_id: int, ok: bool) -> None:
    # ok: internal callback with request timeout, not a payment
    await http.put(f"http://scheduler-api/assignments/{assignment_id}",
                   json={"ok": ok, "finished_at": datetime.now(timezone.utc).isoformat()}, timeout=5.0)


def log_prefix(region: str) -> str:
    return f"[{region} {datetime.now(timezone.utc):%H:%M:%S}]"  # ok: display
