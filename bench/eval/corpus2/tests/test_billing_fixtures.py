"""Fixtures and tests for the billing/webhook modules (pytest)."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timezone

import psycopg
import pytest


@pytest.fixture
def conn():
    with psycopg.connect("postgresql:///billing_test") as c:
        yield c
        c.rollback()


@pytest.fixture
def workspace(conn):
    with conn.cursor() as cur:
        cur.execute(
            "insert into workspaces (id, slug, created_at) values (%s, %s, %s)",  # ok: test fixture, CRUD
            (uuid.uuid4(), "acme", datetime.now(timezone.utc)),                 # ok: created_at stamp
        )
    return "acme"


@pytest.fixture
def stripe_event_row(conn):
    # ok: seeding a table in a test, no delivery/retry context
    with conn.cursor() as cur:
        cur.execute(
            "insert into stripe_events (stripe_event_id, type, payload) values (%s, %s, %s)",
            ("evt_test_123", "invoice.paid", "{}"),
        )
    return "evt_test_123"


def wait_until(pred, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout  # ok: monotonic
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_ingest_is_idempotent(conn, stripe_event_row):
    with conn.cursor() as cur:
        cur.execute("select count(*) from stripe_events where stripe_event_id = %s", (stripe_event_row,))
        assert cur.fetchone()[0] == 1


def test_concurrent_renewals(conn, workspace):
    barrier = threading.Barrier(4)
    guard = threading.Lock()  # ok: in-process
    results: list[bool] = []

    def worker():
        barrier.wait()
        with guard:
            results.append(True)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=2)  # ok: thread join timeout
    assert wait_until(lambda: len(results) == 4)


def test_report_name_has_timestamp():
    name = f"report-{datetime.now():%Y%m%d}.csv"  # ok: file name
    assert name.startswith("report-")


def test_elapsed_is_small():
    t0 = time.perf_counter()  # ok
    sum(range(1000))
    assert time.perf_counter() - t0 < 1.0
