"""Leader election for the reminder scheduler (one active scheduler across 3 pods)."""
from __future__ import annotations

import logging
import socket
import time

import redis
from redlock import Redlock

log = logging.getLogger(__name__)
NODE = socket.gethostname()
r = redis.Redis(host="redis-sentinel")
dlm = Redlock([{"host": "redis-a"}, {"host": "redis-b"}, {"host": "redis-c"}])
LEADER_TTL_S = 15


def become_leader_setnx() -> bool:
    if r.setnx("scheduler:leader", NODE):  # expect: ARM201
        r.expire("scheduler:leader", LEADER_TTL_S)
        return True
    return False


def schedule_tick(conn) -> None:
    if not become_leader_setnx():
        return
    with conn.cursor() as cur:
        cur.execute(
            "update reminders set status = 'pending', send_at = now() where status = 'scheduled' and send_at <= now()"
        )
    conn.commit()


def rollup_daily(conn) -> None:
    lock = dlm.lock("scheduler:rollup", LEADER_TTL_S * 1000)
    if not lock:
        return
    try:
        with conn.cursor() as cur:
            cur.execute("insert into daily_rollups (day, total) select current_date, count(*) from reminders")  # expect: ARM201  (the guarded write: RULES.md real-code form)
        conn.commit()
    finally:
        dlm.unlock(lock)


def rollup_fenced(conn) -> None:
    # ok: fencing token checked by storage
    lock = dlm.lock("scheduler:rollup", LEADER_TTL_S * 1000)
    if not lock:
        return
    token = r.incr("scheduler:rollup:fence")
    with conn.cursor() as cur:
        cur.execute(
            "update rollup_state set total = (select count(*) from reminders), last_token = %s "
            "where id = 1 and last_token < %s",
            (token, token),
        )
    conn.commit()


def leader_loop(conn) -> None:
    renew_at = time.time() + LEADER_TTL_S / 3  # expect: ARM103
    while True:
        if time.time() >= renew_at:
            r.expire("scheduler:leader", LEADER_TTL_S)
            renew_at += LEADER_TTL_S / 3
        schedule_tick(conn)
        time.sleep(1)


def uptime_banner(started: float) -> str:
    return f"{NODE} up since {time.ctime(started)}"  # ok: display
