"""Fare quotes and surge multipliers.

A quote is shown to the rider and must be honoured by whichever API node receives the
booking request, so it lives in Redis (shared) — not in process memory.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import redis

r = redis.Redis.from_url("redis://quotes-cache:6379/0", socket_timeout=0.5)  # ok: client timeout

QUOTE_VALIDITY = timedelta(minutes=2)
SURGE_CACHE_TTL_S = 30

_surge_local: dict[str, tuple[float, float]] = {}
_surge_lock = threading.RLock()  # ok: in-process


def surge_multiplier(zone: str, compute) -> float:
    """Per-process memo of the surge multiplier; stale for at most SURGE_CACHE_TTL_S."""
    with _surge_lock:
        hit = _surge_local.get(zone)
        if hit and time.monotonic() - hit[1] < SURGE_CACHE_TTL_S:  # ok: monotonic cache TTL
            return hit[0]
        value = compute(zone)
        _surge_local[zone] = (value, time.monotonic())
        return value


def create_quote(rider_id: str, zone: str, base_fare_cents: int, multiplier: float) -> dict:
    quote_id = str(uuid.uuid4())
    quote = {
        "id": quote_id,
        "rider_id": rider_id,
        "zone": zone,
        "fare_cents": int(base_fare_cents * multiplier),
        "created_at": datetime.now(timezone.utc).isoformat(),  # ok: plain stamp for display
        "expires_at": (datetime.now(timezone.utc) + QUOTE_VALIDITY).isoformat(),  # expect: ARM104
    }
    # ok: server-side TTL on the key itself (redis decides), generous vs. QUOTE_VALIDITY
    r.set(f"quote:{quote_id}", json.dumps(quote), ex=int(QUOTE_VALIDITY.total_seconds()) + 60)
    return quote


def quote_for_booking(quote_id: str) -> dict | None:
    raw = r.get(f"quote:{quote_id}")
    if raw is None:
        return None
    return json.loads(raw)


@lru_cache(maxsize=256)
def zone_polygon(zone: str) -> str:
    # ok: lru cache, no clock at all
    return r.get(f"zone:{zone}:wkt") or ""


def cache_heatmap(zone: str, cells: list[dict]) -> None:
    payload = json.dumps({"cells": cells, "generated_at": time.time()})  # ok: display stamp
    r.setex(f"heatmap:{zone}", 15, payload)  # ok: cache TTL


def heatmap_filename(zone: str) -> str:
    return f"heatmap-{zone}-{datetime.now():%Y%m%d-%H%M%S}.json"  # ok: file name
