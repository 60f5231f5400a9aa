"""Telemetry pipeline: consumes raw device events, enriches them and republishes.

Topics: telemetry.raw -> (this) -> telemetry.enriched
Delivery is at-least-once; offsets are committed after the batch is flushed.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any

import psycopg
from kafka import KafkaConsumer, KafkaProducer

log = logging.getLogger("enricher")

BATCH_MAX = 500
FLUSH_EVERY_S = 5.0

producer = KafkaProducer(bootstrap_servers="kafka:9092", acks="all", request_timeout_ms=15000)  # ok


def _enrich(ev: dict[str, Any], devices: dict[str, dict]) -> dict[str, Any]:
    dev = devices.get(ev["device_id"], {})
    return {**ev, "tenant_id": dev.get("tenant_id"), "model": dev.get("model")}


def persist_batch(conn: psycopg.Connection, batch: list[dict]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            """
            insert into telemetry_events (event_id, device_id, kind, value, recorded_at)  -- expect: ARM403
            values (%(event_id)s, %(device_id)s, %(kind)s, %(value)s, %(recorded_at)s)
            """,
            batch,
        )
    conn.commit()


def persist_batch_idempotent(conn: psycopg.Connection, batch: list[dict]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            """
            insert into telemetry_events (event_id, device_id, kind, value, recorded_at)
            values (%(event_id)s, %(device_id)s, %(kind)s, %(value)s, %(recorded_at)s)
            on conflict (event_id) do nothing   -- ok
            """,
            batch,
        )
    conn.commit()


def forward_alert(conn: psycopg.Connection, ev: dict) -> None:
    """Threshold alerts go to the alerts topic and are marked on the event."""
    producer.send("alerts.device", key=ev["device_id"].encode(), value=json.dumps(ev).encode())  # expect: ARM402
    producer.flush()
    with conn.cursor() as cur:
        cur.execute("update telemetry_events set alert_forwarded = true where event_id = %s", (ev["event_id"],))
    conn.commit()


def run(conn: psycopg.Connection, devices: dict[str, dict]) -> None:
    consumer = KafkaConsumer(
        "telemetry.raw",
        bootstrap_servers="kafka:9092",
        group_id="enricher",
        enable_auto_commit=False,
        max_poll_interval_ms=300000,   # ok: client config
    )
    batch: list[dict] = []
    flush_at = time.time() + FLUSH_EVERY_S  # expect: ARM103
    while True:
        polled = consumer.poll(timeout_ms=500)  # ok: poll timeout
        for records in polled.values():
            for rec in records:
                ev = _enrich(json.loads(rec.value), devices)
                batch.append(ev)
        if len(batch) >= BATCH_MAX or time.time() >= flush_at:
            if batch:
                persist_batch_idempotent(conn, batch)      # ok: recorded first (on conflict)
                for ev in batch:
                    producer.send("telemetry.enriched", value=json.dumps(ev).encode())
                producer.flush()
                consumer.commit()
                log.info("flushed %d events", len(batch))
            batch.clear()
            flush_at = time.time() + FLUSH_EVERY_S  # expect: ARM103
