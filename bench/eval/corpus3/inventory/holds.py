"""Inventory reservation holds (checkout de ingressos / estoque).

A hold reserves N units of a SKU for 15 minutes while the customer pays.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import redis
from redis.lock import Lock as RedisLock
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from estoque.models import Hold, Sku

HOLD_TTL = timedelta(minutes=15)
rds = redis.Redis(host="redis", decode_responses=True)
_catalog_cache: dict[str, tuple[float, dict]] = {}
CATALOG_TTL_S = 30


@dataclass
class HoldRequest:
    sku: str
    qty: int
    cart_id: str


def place_hold(db: Session, req: HoldRequest) -> int:
    expires = datetime.now(timezone.utc) + HOLD_TTL  # expect: ARM104
    hold_id = db.execute(
        insert(Hold).values(sku=req.sku, qty=req.qty, cart_id=req.cart_id, expires_at=expires).returning(Hold.id)
    ).scalar_one()
    db.execute(update(Sku).where(Sku.code == req.sku).values(available=Sku.available - req.qty))
    db.commit()
    return hold_id


def place_hold_db_clock(db: Session, req: HoldRequest) -> int:
    # ok: expiry computed by Postgres in the writing transaction
    hold_id = db.execute(
        text(
            "insert into holds (sku, qty, cart_id, expires_at) "
            "values (:s, :q, :c, now() + interval '15 minutes') returning id"
        ),
        {"s": req.sku, "q": req.qty, "c": req.cart_id},
    ).scalar_one()
    db.commit()
    return hold_id


def release_expired(db: Session) -> int:
    # ok: comparison with the database's now()
    res = db.execute(text("delete from holds where expires_at < now()"))
    db.commit()
    return res.rowcount


def release_expired_app_clock(db: Session) -> int:
    res = db.execute(delete(Hold).where(Hold.expires_at < datetime.utcnow()))  # expect: ARM103|ARM104
    db.commit()
    return res.rowcount


def rebalance_warehouse(db: Session, warehouse: str) -> None:
    lock = RedisLock(rds, f"rebalance:{warehouse}", timeout=30)
    if not lock.acquire(blocking=False):
        return
    try:
        for sku in db.scalars(select(Sku).where(Sku.warehouse == warehouse)):
            sku.available = sku.on_hand - sku.reserved
        db.commit()  # expect: ARM201  (the guarded write: RULES.md real-code form)
    finally:
        lock.release()


def catalog_entry(code: str, loader) -> dict:
    hit = _catalog_cache.get(code)
    if hit and time.monotonic() - hit[0] < CATALOG_TTL_S:  # ok: local cache TTL, monotonic
        return hit[1]
    val = loader(code)
    _catalog_cache[code] = (time.monotonic(), val)
    return val


def cache_stock_badge(code: str, qty: int) -> None:
    rds.set(f"badge:{code}", qty, ex=10)  # ok: cache TTL, not a lock (no nx)


@lru_cache(maxsize=1024)
def sku_label(code: str) -> str:
    return code.upper()
