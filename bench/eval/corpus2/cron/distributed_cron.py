"""Distributed cron: every replica runs the scheduler loop; only the leader fires jobs.

History: v1 used redis-py's Lock; v2 moved to ZooKeeper (kazoo) with the znode's
creation zxid as fencing token; some jobs still use the old path.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timezone

import psycopg
import redis
from kazoo.client import KazooClient

log = logging.getLogger("dcron")

r = redis.Redis(host="redis-cron", port=6379, socket_connect_timeout=1)
NODE = os.environ.get("HOSTNAME", "local")


def fire_due_jobs_v1(conn: psycopg.Connection, jobs) -> None:
    lock = r.lock("dcron:leader", timeout=30, blocking_timeout=0)
    if not lock.acquire():
        return
    try:
        for job in jobs:
            job.run()
            with conn.cursor() as cur:
                cur.execute("update cron_jobs set last_run_at = now(), last_run_by = %s where name = %s",  # expect: ARM201  (the guarded write: RULES.md real-code form)
                            (NODE, job.name))
            conn.commit()
    finally:
        lock.release()


def rotate_report_v1(conn: psycopg.Connection, build_report) -> None:
    if r.setnx("dcron:daily-report", NODE):
        r.expire("dcron:daily-report", 600)
        report = build_report()
        with conn.cursor() as cur:
            cur.execute("update reports set body = %s, generated_by = %s where kind = 'daily'", (report, NODE))  # expect: ARM201  (the guarded write: RULES.md real-code form)
        conn.commit()


def fire_due_jobs_v2(conn: psycopg.Connection, zk: KazooClient, jobs) -> None:
    """ZooKeeper ephemeral-sequential election; czxid of our node is the fencing token."""
    me = zk.create("/dcron/election/n_", NODE.encode(), ephemeral=True, sequence=True)
    children = sorted(zk.get_children("/dcron/election"))
    if f"/dcron/election/{children[0]}" != me:
        zk.delete(me)
        return
    _, stat = zk.get(me)
    token = stat.czxid
    for job in jobs:
        job.run()
        with conn.cursor() as cur:
            cur.execute(
                """
                update cron_jobs set last_run_at = now(), last_run_by = %s, fence = %s
                 where name = %s and fence < %s   -- ok: fenced by zxid
                """,
                (NODE, token, job.name, token),
            )
        conn.commit()


_local_guard = threading.Lock()  # ok: in-process


def run_once_per_process(fn) -> None:
    with _local_guard:
        fn()


def scheduler_loop(conn: psycopg.Connection, jobs, period_s: float = 1.0) -> None:
    next_tick = time.monotonic()  # ok: monotonic scheduling
    while True:
        fire_due_jobs_v1(conn, jobs)
        next_tick += period_s
        time.sleep(max(0.0, next_tick - time.monotonic()))
        if int(time.time()) % 300 == 0:  # ok: cosmetic, periodic log
            log.info("alive at %s", datetime.now(timezone.utc).isoformat())
