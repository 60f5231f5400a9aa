"""Multi-region job scheduler — per-region leader.

Each region runs 3 scheduler replicas; one of them is the leader and is the only one that
writes the schedule table for that region.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import time

import asyncpg
import redis.asyncio as aioredis

log = logging.getLogger("scheduler.leader")

NODE_ID = f"{socket.gethostname()}:{os.getpid()}"
LEASE_S = 15


class RegionLeader:
    def __init__(self, region: str, rds: aioredis.Redis, pool: asyncpg.Pool) -> None:
        self.region = region
        self.rds = rds
        self.pool = pool
        self._tick_lock = asyncio.Lock()  # ok: in-process, serialises ticks in this replica

    async def try_lead(self) -> bool:
        key = f"sched:leader:{self.region}"
        return bool(await self.rds.set(key, NODE_ID, nx=True, ex=LEASE_S))  # expect: ARM201

    async def tick(self) -> None:
        async with self._tick_lock:
            if not await self.try_lead():
                return
            due = await self._compute_due_jobs()
            async with self.pool.acquire() as conn:
                await conn.executemany(
                    "update scheduled_jobs set next_run_at = $1, owner = $2 where id = $3",
                    [(j["next"], NODE_ID, j["id"]) for j in due],
                )

    async def _compute_due_jobs(self) -> list[dict]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "select id, cron_expr, next_run_at from scheduled_jobs "
                "where region = $1 and next_run_at <= now()",  # ok
                self.region,
            )
        return [{"id": r["id"], "next": r["next_run_at"]} for r in rows]


class FencedRegionLeader(RegionLeader):
    """Same election, but every write carries a monotonically increasing token."""

    async def acquire(self) -> int | None:
        key = f"sched:leader:{self.region}"
        ok = await self.rds.set(key, NODE_ID, nx=True, ex=LEASE_S)  # ok: fenced below
        if not ok:
            return None
        return int(await self.rds.incr(f"sched:fence:{self.region}"))

    async def tick(self) -> None:
        token = await self.acquire()
        if token is None:
            return
        due = await self._compute_due_jobs()
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                updated = await conn.execute(
                    """
                    update scheduler_regions
                       set last_token = $2, leader = $3
                     where region = $1 and last_token < $2
                    """,
                    self.region, token, NODE_ID,
                )
                if updated.endswith(" 0"):
                    log.warning("fenced out in %s (token %s)", self.region, token)
                    return
                await conn.executemany(
                    "update scheduled_jobs set next_run_at = $1, fence = $2 "
                    "where id = $3 and fence < $2",
                    [(j["next"], token, j["id"]) for j in due],
                )


async def run_forever(leader: RegionLeader) -> None:
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()  # ok: event-loop monotonic clock
        try:
            await asyncio.wait_for(leader.tick(), timeout=5)  # ok: request timeout
        except asyncio.TimeoutError:
            log.warning("tick timed out")
        await asyncio.sleep(max(0.0, 1.0 - (loop.time() - started)))
