"""Integration tests for billing (run against a throwaway Postgres)."""
import threading
import time
from datetime import datetime, timedelta

import pytest


@pytest.fixture
def seeded(db):
    # ok: test fixture rows, no delivery/retry context
    db.execute(
        "insert into webhook_events (event_id, provider, payload) values ('evt_test_1', 'stripe', '{}')"
    )
    db.execute(
        "insert into payments (provider_payment_id, amount, status) values ('pi_test', 1000, 'paid')"
    )
    return db


def test_invoice_created_at_is_set(seeded):
    before = datetime.utcnow()  # ok: plain stamp for an assertion
    seeded.execute("insert into invoices (customer_id, total) values (1, 100)")
    row = seeded.execute("select created_at from invoices order by id desc limit 1").fetchone()
    assert row[0] >= before - timedelta(seconds=5)


def test_worker_finishes_quickly(worker):
    t0 = time.monotonic()  # ok
    worker.run_once()
    assert time.monotonic() - t0 < 2.0


def test_concurrent_counter(db):
    lock = threading.Lock()  # ok: in-process
    hits = []

    def bump():
        with lock:
            hits.append(1)

    threads = [threading.Thread(target=bump) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=5)  # ok: join timeout
    assert len(hits) == 10
