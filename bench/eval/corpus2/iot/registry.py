"""Device registry: heartbeats from field devices and edge gateways.

Devices talk MQTT to an edge gateway; gateways forward heartbeats here in batches.
"""
from __future__ import annotations

import logging
import math
import statistics
import time
from collections import deque
from typing import Iterable

import psycopg

log = logging.getLogger(__name__)

GATEWAY_DEAD_AFTER = 45.0       # seconds
WARN_SILENCE_S = 60.0
HEARTBEAT_WINDOW = 100


class PhiAccrualDetector:
    """Classic phi accrual over the last N inter-arrival times (Hayashibara et al.)."""

    def __init__(self, threshold: float = 8.0) -> None:
        self.threshold = threshold
        self.intervals: deque[float] = deque(maxlen=HEARTBEAT_WINDOW)
        self.last: float | None = None

    def heartbeat(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if self.last is not None:
            self.intervals.append(now - self.last)
        self.last = now

    def phi(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        if self.last is None or len(self.intervals) < 5:
            return 0.0
        mean = statistics.fmean(self.intervals)
        std = max(statistics.pstdev(self.intervals), 0.1)
        t = now - self.last
        p_later = 0.5 * math.erfc((t - mean) / (std * math.sqrt(2)))
        return -math.log10(max(p_later, 1e-12))

    def suspect(self) -> bool:
        return self.phi() > self.threshold  # ok: phi accrual


class GatewayTable:
    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.last_seen: dict[str, float] = {}
        self.detectors: dict[str, PhiAccrualDetector] = {}

    def on_batch(self, gateway_id: str, device_ids: Iterable[str]) -> None:
        self.last_seen[gateway_id] = time.monotonic()
        self.detectors.setdefault(gateway_id, PhiAccrualDetector()).heartbeat()
        with self.conn.cursor() as cur:
            cur.executemany(
                "update devices set last_seen = now(), gateway_id = %s where id = %s",  # ok
                [(gateway_id, d) for d in device_ids],
            )

    def failover_dead_gateways(self, reassign) -> None:
        now = time.monotonic()
        for gw, seen in list(self.last_seen.items()):
            if now - seen > GATEWAY_DEAD_AFTER:  # expect: ARM301
                log.error("gateway %s silent, moving its devices", gw)
                reassign(gw)
                self.last_seen.pop(gw, None)

    def suspected_gateways(self) -> list[str]:
        # ok: phi accrual, not a fixed timeout
        return [gw for gw, det in self.detectors.items() if det.suspect()]

    def warn_silent(self) -> None:
        now = time.monotonic()
        for gw, seen in self.last_seen.items():
            if now - seen > WARN_SILENCE_S:  # ok: only a log line, nobody is evicted
                log.warning("gateway %s silent for %.0fs", gw, now - seen)

    def mark_offline_devices(self) -> int:
        with self.conn.cursor() as cur:
            cur.execute(
                """
                update devices  -- expect: ARM302
                   set status = 'offline'
                 where status = 'online'
                   and last_seen < now() - interval '10 minutes'
                """
            )
            return cur.rowcount

    def mark_suspect_devices_adaptive(self) -> int:
        with self.conn.cursor() as cur:
            cur.execute(
                """
                update devices d  -- ok: adaptive threshold from observed intervals
                   set status = 'suspect'
                  from device_heartbeat_stats s
                 where s.device_id = d.id
                   and d.status = 'online'
                   and extract(epoch from now() - d.last_seen) * 1000 >= 3 * s.interval_p99_ms
                """
            )
            return cur.rowcount
