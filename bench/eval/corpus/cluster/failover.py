"""Primary/replica failover controller for the ingest tier."""
from __future__ import annotations

import logging
import math
import time
from collections import deque

log = logging.getLogger(__name__)

FAILOVER_AFTER_SECONDS = 20
PHI_THRESHOLD = 8.0


class PhiAccrualDetector:
    def __init__(self, window: int = 200):
        self.intervals: deque[float] = deque(maxlen=window)
        self.last: float | None = None

    def heartbeat(self, now: float) -> None:
        if self.last is not None:
            self.intervals.append(now - self.last)
        self.last = now

    def phi(self, now: float) -> float:
        if not self.intervals or self.last is None:
            return 0.0
        mean = sum(self.intervals) / len(self.intervals)
        elapsed = now - self.last
        return elapsed / (mean * math.log(10))


class NaiveFailover:
    def __init__(self, cluster):
        self.cluster = cluster
        self.primary_last_seen = time.monotonic()

    def on_primary_heartbeat(self):
        self.primary_last_seen = time.monotonic()

    def tick(self):
        now = time.monotonic()
        if (now - self.primary_last_seen) > FAILOVER_AFTER_SECONDS:  # expect: ARM301
            log.critical("primary silent, promoting replica")
            self.cluster.promote_replica()


class PhiFailover:
    def __init__(self, cluster):
        self.cluster = cluster
        self.detector = PhiAccrualDetector()

    def tick(self):
        phi = self.detector.phi(time.monotonic())
        if phi > PHI_THRESHOLD:  # ok: phi-accrual
            self.cluster.promote_replica()


class QuorumFailover:
    def __init__(self, cluster, rtt_stats):
        self.cluster = cluster
        self.rtt = rtt_stats
        self.last_seen = {}

    def tick(self):
        now = time.monotonic()
        for node, seen in self.last_seen.items():
            silent_ms = (now - seen) * 1000
            # ok: adaptive threshold and majority agreement
            if silent_ms >= 3 * self.rtt.p99_ms(node) and self.cluster.quorum_agrees(node):
                self.cluster.fail_over_from(node)


def wait_for_replica_catchup(replica, lag_limit_bytes=16 * 1024 * 1024, timeout=60.0):
    deadline = time.monotonic() + timeout  # ok: monotonic deadline
    while replica.lag_bytes() > lag_limit_bytes:
        if time.monotonic() > deadline:
            raise TimeoutError("replica did not catch up")
        time.sleep(0.5)
