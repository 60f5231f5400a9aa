"""Webhooks from carrier partners (Loggi, Jadlog, Correios proxy).

Partners retry on any non-2xx for up to 24h, so every handler must be idempotent.
"""
from __future__ import annotations

from datetime import datetime, timezone

import asyncpg
from fastapi import APIRouter, Depends, Request

router = APIRouter(prefix="/webhooks")


async def get_db(request: Request) -> asyncpg.Connection:
    return request.app.state.db


@router.post("/loggi")
async def loggi_webhook(payload: dict, db: asyncpg.Connection = Depends(get_db)):
    await db.execute(
        "INSERT INTO tracking_events (event_id, shipment_id, status, occurred_at) VALUES ($1, $2, $3, $4)",  # expect: ARM403
        payload["id"], payload["tracking_code"], payload["status"], payload["timestamp"],
    )
    return {"ok": True}


@router.post("/jadlog")
async def jadlog_webhook(payload: dict, db: asyncpg.Connection = Depends(get_db)):
    # ok: dedup on the partner's event id
    await db.execute(
        """
        insert into tracking_events (event_id, shipment_id, status, occurred_at)
        values ($1, $2, $3, $4)
        on conflict (event_id) do nothing
        """,
        payload["eventId"], payload["shipment"], payload["status"], payload["date"],
    )
    return {"ok": True}


@router.post("/correios")
async def correios_webhook(request: Request, db: asyncpg.Connection = Depends(get_db)):
    body = await request.json()
    async with db.transaction():
        await db.execute(
            """
            insert into webhook_deliveries (delivery_id, partner, payload)  -- expect: ARM403
            values ($1, 'correios', $2)
            """,
            body["delivery"], body,
        )
        await db.execute(
            "update shipments set last_status = $1, updated_at = now() where code = $2",
            body["status"], body["code"],
        )  # ok: plain update
    return {"received_at": datetime.now(timezone.utc).isoformat()}  # ok: display


async def create_shipment(db: asyncpg.Connection, code: str, customer_id: int) -> None:
    # ok: ordinary CRUD from the back-office form
    await db.execute(
        "insert into shipments (code, customer_id, created_at) values ($1, $2, now())",
        code, customer_id,
    )
