"""Coordinator for the batch-pipeline worker pool.

Workers write a heartbeat row every 10s. The coordinator reassigns partitions of workers
that look dead. Two strategies coexist while we migrate (see ADR-017).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import psycopg
from psycopg.rows import dict_row

log = logging.getLogger("coordinator")

WORKER_DEAD_S = 120
MIN_THRESHOLD_MS = 30_000
HTTP_TIMEOUT_S = 4


@dataclass
class WorkerView:
    worker_id: str
    silent_ms: float
    hb_p99_ms: float


def load_workers(conn: psycopg.Connection) -> list[WorkerView]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            """
            select w.id as worker_id,
                   extract(epoch from now() - w.last_heartbeat) * 1000 as silent_ms,
                   coalesce(s.hb_p99_ms, 10000) as hb_p99_ms
              from pipeline_workers w
              left join worker_hb_stats s on s.worker_id = w.id
             where w.status = 'running'
            """
        )
        return [WorkerView(**r) for r in cur.fetchall()]


def reassign_dead_workers(conn: psycopg.Connection) -> list[str]:
    dead = []
    for w in load_workers(conn):
        if w.silent_ms / 1000 > WORKER_DEAD_S:  # expect: ARM301
            dead.append(w.worker_id)
    for worker_id in dead:
        _reassign(conn, worker_id)
    return dead


def reassign_dead_workers_adaptive(conn: psycopg.Connection, quorum_agrees) -> list[str]:
    dead = []
    for w in load_workers(conn):
        threshold = max(3 * w.hb_p99_ms, MIN_THRESHOLD_MS)  # ok: adaptive, floor of 30s
        if w.silent_ms > threshold and quorum_agrees(w.worker_id):  # ok: adaptive + quorum
            dead.append(w.worker_id)
    for worker_id in dead:
        _reassign(conn, worker_id)
    return dead


def _reassign(conn: psycopg.Connection, worker_id: str) -> None:
    with conn.cursor() as cur:
        cur.execute("update partitions set owner = null where owner = %s", (worker_id,))
        cur.execute("update pipeline_workers set status = 'lost' where id = %s", (worker_id,))
    conn.commit()
    log.warning("reassigned partitions of %s", worker_id)


class StepTimer:
    """Times each pipeline stage; purely for metrics."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()  # ok

    def lap(self) -> float:
        t, self.t0 = self.t0, time.perf_counter()
        return self.t0 - t


def stage_too_slow(stage_ms: float, stage_p99_ms: float) -> bool:
    # ok: SLO-based health, threshold derived from observed latency
    return stage_ms > 3 * stage_p99_ms
