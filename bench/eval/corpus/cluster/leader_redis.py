"""Leader election for the billing scheduler, using redis-py."""
import logging
import os
import socket
import threading
import time

import psycopg
import redis

log = logging.getLogger(__name__)

r = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://localhost:6379/0"), socket_timeout=2)
NODE_ID = f"{socket.gethostname()}:{os.getpid()}"
LEASE_SECONDS = 30
_local_state_lock = threading.Lock()
_local_state = {"runs": 0}


def run_billing_cycle(conn):
    # eleição simples: quem pegar a chave é o líder
    if r.set("leader:billing", NODE_ID, nx=True, ex=LEASE_SECONDS):  # expect: ARM201
        with conn.cursor() as cur:
            cur.execute("update billing_state set last_run = now(), runner = %s where id = 1", (NODE_ID,))
            cur.execute("insert into invoices_batch (runner) values (%s)", (NODE_ID,))
        conn.commit()
        with _local_state_lock:  # ok: in-process lock
            _local_state["runs"] += 1


def run_billing_cycle_fenced(conn):
    # ok: fencing token from INCR, storage checks last_token
    if not r.set("leader:billing:v2", NODE_ID, nx=True, ex=LEASE_SECONDS):
        return
    token = r.incr("leader:billing:v2:fence")
    with conn.cursor() as cur:
        cur.execute(
            "update billing_state set last_run = now(), runner = %s, last_token = %s "
            "where id = 1 and last_token < %s",
            (NODE_ID, token, token),
        )
        if cur.rowcount == 0:
            log.warning("fenced out with token %s", token)
    conn.commit()


def nightly_report(conn):
    with r.lock("reports:nightly", timeout=600, blocking_timeout=5):  # expect: ARM201
        with conn.cursor() as cur:
            cur.execute("delete from daily_report where day = current_date")
            cur.execute("insert into daily_report select * from build_daily_report(current_date)")
        conn.commit()


class LeaderLoop:
    def __init__(self):
        self.is_leader = False
        self.lease_deadline = 0.0

    def tick(self):
        if self.is_leader:
            if time.time() > self.lease_deadline:
                self.is_leader = False
            return
        if r.set("leader:scheduler", NODE_ID, nx=True, px=LEASE_SECONDS * 1000):
            self.is_leader = True
            self.lease_deadline = time.time() + LEASE_SECONDS  # expect: ARM103
            with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
                conn.execute("update scheduler_owner set owner = %s where id = 1", (NODE_ID,))  # expect: ARM201  (the guarded write: RULES.md real-code form)

    def sleep(self):
        time.sleep(1)  # ok
