"""Auction bidding service (leilões de veículos).

Auctions close at `closes_at`; a bid in the last 2 minutes extends the close (anti-sniping).
"""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from fastapi import APIRouter, HTTPException
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from leilao.db import session_scope
from firebase_admin import messaging

router = APIRouter()
ANTI_SNIPE = timedelta(minutes=2)
LOT_HOLD_S = 120


@router.post("/auctions/{auction_id}/bids")
async def place_bid(auction_id: int, amount: Decimal, bidder_id: int, idem: str):
    async with session_scope() as db:
        # ok: expiry check done by the database clock (now()) inside the transaction
        row = (await db.execute(
            text("select id, closes_at from auctions where id = :a and closes_at > now() for update"),
            {"a": auction_id},
        )).first()
        if row is None:
            raise HTTPException(409, "auction closed")
        await db.execute(
            text(
                "insert into bids (auction_id, bidder_id, amount, idempotency_key) "
                "values (:a, :b, :m, :k) on conflict (idempotency_key) do nothing"
            ),
            {"a": auction_id, "b": bidder_id, "m": amount, "k": idem},
        )  # ok: ON CONFLICT
        await db.execute(
            text(
                "update auctions set closes_at = greatest(closes_at, now() + interval '2 minutes') "
                "where id = :a"
            ),
            {"a": auction_id},
        )  # ok: server-side extension with now()


async def extend_close_app_clock(db: AsyncSession, auction_id: int) -> None:
    new_close = datetime.now(timezone.utc) + ANTI_SNIPE  # expect: ARM104
    await db.execute(
        text("update auctions set closes_at = :c where id = :a"),
        {"c": new_close, "a": auction_id},
    )


async def create_auction(db: AsyncSession, lot_id: int, hours: int) -> None:
    await db.execute(
        text("insert into auctions (lot_id, opens_at, closes_at) values (:l, now(), :c)"),
        {"l": lot_id, "c": datetime.utcnow() + timedelta(hours=hours)},  # expect: ARM104
    )


class LotHold:
    """In-memory hold of a lot while the auctioneer confirms the hammer price."""

    def __init__(self) -> None:
        self.until = time.time() + LOT_HOLD_S  # expect: ARM103

    def active(self) -> bool:
        return time.time() < self.until


class CountdownTicker:
    """Pushes the remaining time to connected websocket clients (display)."""

    def __init__(self, closes_at: datetime) -> None:
        self.closes_at = closes_at

    def remaining_label(self) -> str:
        secs = int((self.closes_at - datetime.now(timezone.utc)).total_seconds())  # ok: display only
        return f"{secs // 60:02d}:{secs % 60:02d}"


async def notify_outbid(db: AsyncSession, bid_id: int, device_token: str) -> None:
    messaging.send(messaging.Message(  # expect: ARM402
        token=device_token,
        notification=messaging.Notification(title="Você foi superado", body=f"lance {bid_id}"),
    ))
    await db.execute(text("update bids set outbid_notified = true where id = :b"), {"b": bid_id})
    await db.commit()


async def debounce_bids(queue: asyncio.Queue) -> list:
    batch, t_end = [], time.monotonic() + 0.05  # ok: monotonic
    while time.monotonic() < t_end:
        try:
            batch.append(queue.get_nowait())
        except asyncio.QueueEmpty:
            await asyncio.sleep(0.005)
    return batch
