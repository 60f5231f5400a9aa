"""Notification fan-out: one domain event -> N channels (email, push, webhook).

Consumes from RabbitMQ `events.fanout`, delivers per subscriber.
"""
from __future__ import annotations

import json
import logging
import smtplib
import time
from email.message import EmailMessage

import pika
import psycopg
import requests

log = logging.getLogger("fanout")
PUBLISH_CONFIRM_TIMEOUT = 5


class Fanout:
    def __init__(self, dsn: str, amqp_url: str) -> None:
        self.db = psycopg.connect(dsn)
        self.conn = pika.BlockingConnection(pika.URLParameters(amqp_url))
        self.ch = self.conn.channel()
        self.ch.confirm_delivery()

    def on_message(self, ch, method, props, body: bytes) -> None:
        ev = json.loads(body)
        with self.db.cursor() as cur:
            cur.execute(
                "insert into inbox_messages (message_id, routing_key, body) values (%s, %s, %s)",  # expect: ARM403
                (props.message_id, method.routing_key, body.decode()),
            )
        self.db.commit()
        for sub in self._subscribers(ev["type"]):
            self.ch.basic_publish(exchange="deliveries", routing_key=sub["channel"], body=json.dumps({**ev, "sub": sub}))
        ch.basic_ack(method.delivery_tag)

    def on_message_dedup(self, ch, method, props, body: bytes) -> None:
        # ok: inbox insert with ON CONFLICT, skip if already seen
        with self.db.cursor() as cur:
            cur.execute(
                "insert into inbox_messages (message_id, routing_key, body) values (%s, %s, %s) "
                "on conflict (message_id) do nothing returning 1",
                (props.message_id, method.routing_key, body.decode()),
            )
            fresh = cur.fetchone() is not None
        self.db.commit()
        if fresh:
            log.info("new message %s", props.message_id)
        ch.basic_ack(method.delivery_tag)

    def deliver_webhook(self, delivery: dict) -> None:
        r = requests.post(delivery["url"], json=delivery["payload"], timeout=8)  # expect: ARM402
        with self.db.cursor() as cur:
            cur.execute(
                "update webhook_deliveries set status = %s, attempts = attempts + 1 where id = %s",
                ("delivered" if r.ok else "failed", delivery["id"]),
            )
        self.db.commit()

    def deliver_email(self, to: str, subject: str, html: str, delivery_id: int) -> None:
        msg = EmailMessage()
        msg["To"], msg["Subject"] = to, subject
        msg.set_content(html, subtype="html")
        with smtplib.SMTP("smtp.internal", 587, timeout=10) as s:
            s.send_message(msg)  # expect: ARM402
        with self.db.cursor() as cur:
            cur.execute("update email_deliveries set sent = true where id = %s", (delivery_id,))
        self.db.commit()

    def _subscribers(self, ev_type: str) -> list[dict]:
        with self.db.cursor() as cur:
            cur.execute("select id, channel, target from subscriptions where event_type = %s", (ev_type,))
            return [dict(zip(("id", "channel", "target"), r)) for r in cur.fetchall()]


def backoff(attempt: int) -> float:
    return min(60.0, 0.5 * 2 ** attempt)  # ok: retry backoff


def log_latency(started_mono: float) -> None:
    log.info("delivered in %.1f ms", (time.monotonic() - started_mono) * 1000)  # ok
