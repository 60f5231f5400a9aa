"""Driver app presence tracking (rastreio-frota).

The driver app pings /presence every 15s. The dispatcher uses presence to decide which
drivers can receive new deliveries and to re-assign deliveries of drivers that went silent.
"""
from __future__ import annotations

import asyncio
import statistics
import time
from collections import deque
from dataclasses import dataclass, field

from .dispatch import reassign_deliveries, mark_driver_offline

OFFLINE_AFTER_S = 90
PING_TIMEOUT_S = 5


@dataclass
class DriverState:
    driver_id: str
    last_ping: float = field(default_factory=time.time)
    intervals: deque = field(default_factory=lambda: deque(maxlen=50))


class PresenceTracker:
    def __init__(self) -> None:
        self._drivers: dict[str, DriverState] = {}
        self._lock = asyncio.Lock()  # ok: in-process lock

    async def on_ping(self, driver_id: str) -> None:
        async with self._lock:
            st = self._drivers.setdefault(driver_id, DriverState(driver_id))
            now = time.time()
            st.intervals.append(now - st.last_ping)
            st.last_ping = now

    async def sweep(self) -> None:
        now = time.time()
        for st in list(self._drivers.values()):
            if now - st.last_ping > OFFLINE_AFTER_S:  # expect: ARM301
                await mark_driver_offline(st.driver_id)
                await reassign_deliveries(st.driver_id)

    async def sweep_adaptive(self) -> None:
        # ok: threshold derived from the driver's own observed ping intervals
        now = time.time()
        for st in list(self._drivers.values()):
            if len(st.intervals) < 10:
                continue
            p99 = statistics.quantiles(st.intervals, n=100)[98]
            if now - st.last_ping > 3 * p99:
                await mark_driver_offline(st.driver_id)


def stale_drivers(rows: list[dict]) -> list[str]:
    """Drivers whose last heartbeat is older than 2 minutes -> evicted from the pool."""
    cutoff = time.time() - 120  # expect: ARM301
    return [r["driver_id"] for r in rows if r["last_heartbeat"] < cutoff]


def is_gps_fix_fresh(fix_ts: float) -> bool:
    # ok: data freshness of a GPS sample for the map UI, not a liveness decision
    return time.time() - fix_ts < 30


async def ping_driver_app(client, driver_id: str) -> bool:
    try:
        await asyncio.wait_for(client.ping(driver_id), timeout=PING_TIMEOUT_S)  # ok: request timeout
        return True
    except asyncio.TimeoutError:
        return False
