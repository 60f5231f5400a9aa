"""Lobby ownership for the matchmaking cluster.

Each lobby is owned by exactly one matchmaker pod at a time. Ownership is a Redis lease;
the owner writes the lobby roster to Postgres and starts the match on a game server.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from typing import Optional

import redis
import redis.asyncio as aioredis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

LEASE_MS = 8000
QUEUE_WAIT_S = 20

rds = redis.Redis(host="redis-mm", port=6379)
ards = aioredis.Redis(host="redis-mm", port=6379)


def claim_lobby(lobby_id: str) -> Optional[str]:
    owner = f"{uuid.uuid4()}"
    if rds.set(f"lobby:{lobby_id}:owner", owner, nx=True, px=LEASE_MS):  # expect: ARM201
        return owner
    return None


async def finalize_roster(db: AsyncSession, lobby_id: str, players: list[str]) -> None:
    owner = claim_lobby(lobby_id)
    if owner is None:
        return
    await db.execute(
        text("update lobbies set roster = :roster, state = 'locked' where id = :id"),
        {"roster": players, "id": lobby_id},
    )
    await db.commit()


async def finalize_roster_fenced(db: AsyncSession, lobby_id: str, players: list[str]) -> None:
    # ok: lease + monotonic token from INCR, storage rejects stale tokens
    lock = ards.lock(f"lobby:{lobby_id}:lock", timeout=8)
    async with lock:
        token = await ards.incr(f"lobby:{lobby_id}:fence")
        res = await db.execute(
            text(
                "update lobbies set roster = :roster, last_token = :tok "
                "where id = :id and last_token < :tok"
            ),
            {"roster": players, "id": lobby_id, "tok": token},
        )
        if res.rowcount == 0:
            raise RuntimeError("fenced out")
        await db.commit()


async def start_match(db: AsyncSession, lobby_id: str, server_id: str) -> None:
    async with ards.lock(f"lobby:{lobby_id}:start", timeout=10, blocking_timeout=2):  # expect: ARM201
        await db.execute(
            text("insert into matches (lobby_id, server_id, started_at) values (:l, :s, now())"),
            {"l": lobby_id, "s": server_id},
        )
        await db.execute(text("update lobbies set state = 'started' where id = :l"), {"l": lobby_id})
        await db.commit()


async def wait_for_party(party_ready: asyncio.Event) -> bool:
    deadline = time.time() + QUEUE_WAIT_S  # expect: ARM103
    while time.time() < deadline:
        if party_ready.is_set():
            return True
        await asyncio.sleep(0.25)
    return False


async def wait_for_party_ok(party_ready: asyncio.Event) -> bool:
    deadline = time.monotonic() + QUEUE_WAIT_S  # ok: monotonic
    while time.monotonic() < deadline:
        if party_ready.is_set():
            return True
        await asyncio.sleep(0.25)
    return False


class QueueTicket:
    def __init__(self, player_id: str) -> None:
        self.player_id = player_id
        self.enqueued_wall = time.time()  # ok: shown in the client as "searching since"
        self.enqueued_mono = time.perf_counter()  # ok

    def widen_skill_window(self) -> int:
        waited = time.perf_counter() - self.enqueued_mono  # ok: perf_counter
        return 100 + int(waited) * 10
