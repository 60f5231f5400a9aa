"""Long-running worker process: pulls jobs, runs them, supervises children."""
import logging
import multiprocessing as mp
import signal
import time
from datetime import datetime

import psycopg

log = logging.getLogger("runner")

JOB_TIMEOUT = 300
HEARTBEAT_INTERVAL = 5
CHILD_PING_TIMEOUT = 15
POLL_SECONDS = 2


def wait_for_result(conn, job_id):
    deadline = time.time() + JOB_TIMEOUT  # expect: ARM103
    while time.time() < deadline:
        row = conn.execute("select status from jobs where id = %s", (job_id,)).fetchone()
        if row and row[0] in ("done", "failed"):
            return row[0]
        time.sleep(POLL_SECONDS)
    raise TimeoutError(job_id)


def wait_for_result_monotonic(conn, job_id):
    deadline = time.monotonic() + JOB_TIMEOUT  # ok: monotonic
    while time.monotonic() < deadline:
        row = conn.execute("select status from jobs where id = %s", (job_id,)).fetchone()
        if row and row[0] in ("done", "failed"):
            return row[0]
        time.sleep(POLL_SECONDS)
    raise TimeoutError(job_id)


def drain_batch(conn, batch):
    started = datetime.now()
    for item in batch:
        if datetime.now() - started > __import__("datetime").timedelta(minutes=5):  # expect: ARM103
            log.warning("batch took too long, leaving the rest for the next run")
            break
        conn.execute("update items set processed = true where id = %s", (item,))


def heartbeat(conn, worker_id):
    # ok: heartbeat write uses the DB clock; logging uses wall clock for humans
    conn.execute("update workers set last_seen = now() where id = %s", (worker_id,))
    log.debug("heartbeat %s at %s", worker_id, datetime.utcnow().isoformat())


class Supervisor:
    def __init__(self, n):
        self.children = {}
        self.last_ping = {}
        self.lock = mp.Lock()  # ok: multiprocessing lock
        for i in range(n):
            self.spawn(i)

    def spawn(self, slot):
        p = mp.Process(target=child_main, args=(slot,), daemon=True)
        p.start()
        self.children[slot] = p
        self.last_ping[slot] = time.monotonic()

    def on_ping(self, slot):
        with self.lock:
            self.last_ping[slot] = time.monotonic()

    def check_children(self):
        for slot, p in list(self.children.items()):
            if time.monotonic() - self.last_ping[slot] > CHILD_PING_TIMEOUT:  # expect: ARM301
                log.error("child %s unresponsive, restarting", slot)
                p.kill()
                self.spawn(slot)


def child_main(slot):
    signal.signal(signal.SIGTERM, lambda *_: None)
    t0 = time.perf_counter()
    do_work(slot)
    log.info("slot %s took %.2fs", slot, time.perf_counter() - t0)  # ok: perf_counter


def do_work(slot):
    time.sleep(HEARTBEAT_INTERVAL)
