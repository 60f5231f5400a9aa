"""Nightly per-tenant CSV exports.

Only one worker may export a tenant at a time; we use a Postgres advisory lock.
"""
from __future__ import annotations

import csv
import io
import logging
import time
from datetime import datetime, timezone

import boto3
import psycopg

log = logging.getLogger(__name__)
s3 = boto3.client("s3")
BUCKET = "tenant-exports"


def export_tenant(conn: psycopg.Connection, tenant_id: int) -> None:
    with conn.cursor() as cur:
        cur.execute("select pg_try_advisory_lock(%s)", (tenant_id,))
        if not cur.fetchone()[0]:
            return
        try:
            cur.execute("select * from orders where tenant_id = %s", (tenant_id,))
            buf = io.StringIO()
            csv.writer(buf).writerows(cur.fetchall())
            key = f"{tenant_id}/{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.csv"  # ok: file name
            s3.put_object(Bucket=BUCKET, Key=key, Body=buf.getvalue())  # expect: ARM201|ARM202  (the guarded write: RULES.md real-code form)
            cur.execute(
                "update tenants set last_export_key = %s, last_export_at = now() where id = %s",
                (key, tenant_id),
            )
            conn.commit()
        finally:
            cur.execute("select pg_advisory_unlock(%s)", (tenant_id,))


def recompute_tenant_stats(conn: psycopg.Connection, tenant_id: int) -> None:
    # ok: transaction-scoped advisory lock; the whole critical section is one transaction
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (tenant_id,))
        conn.execute(
            "update tenant_stats set orders = (select count(*) from orders where tenant_id = %s) "
            "where tenant_id = %s",
            (tenant_id, tenant_id),
        )


def timed(fn):
    def wrapper(*a, **kw):
        t0 = time.perf_counter()  # ok: profiling
        try:
            return fn(*a, **kw)
        finally:
            log.info("%s took %.3fs", fn.__name__, time.perf_counter() - t0)
    return wrapper


def throttle_sleep(last_call: float, min_interval: float = 0.2) -> None:
    # ok: throttle between S3 calls, monotonic
    delta = time.monotonic() - last_call
    if delta < min_interval:
        time.sleep(min_interval - delta)
