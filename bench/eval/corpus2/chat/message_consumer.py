"""Kafka consumer: persists chat messages and fans out push notifications.

Topic `chat.messages` is at-least-once: a rebalance or a crash before commit redelivers.
"""
from __future__ import annotations

import json
import logging
import time

import httpx
import psycopg
from confluent_kafka import Consumer, KafkaError

log = logging.getLogger("chat.consumer")

FCM_URL = "https://fcm.googleapis.com/v1/projects/chatapp/messages:send"


def store_message(conn: psycopg.Connection, msg: dict) -> None:
    with conn.cursor() as cur:
        cur.execute(
            """
            insert into chat_messages (message_id, room_id, sender_id, body, sent_at)  -- expect: ARM403
            values (%(message_id)s, %(room_id)s, %(sender_id)s, %(body)s, %(sent_at)s)
            """,
            msg,
        )


def store_reaction(conn: psycopg.Connection, ev: dict) -> None:
    with conn.cursor() as cur:
        cur.execute(
            """
            insert into message_reactions (message_id, user_id, emoji)
            values (%s, %s, %s)
            on conflict (message_id, user_id, emoji) do nothing   -- ok
            """,
            (ev["message_id"], ev["user_id"], ev["emoji"]),
        )


def notify_offline_members(conn: psycopg.Connection, http: httpx.Client, msg: dict, tokens: list[str]) -> None:
    for tok in tokens:
        http.post(FCM_URL, json={"message": {"token": tok, "notification": {"title": msg["room_name"], "body": msg["body"][:120]}}}, timeout=5)  # expect: ARM402
    with conn.cursor() as cur:
        cur.execute("update chat_messages set pushed = true where message_id = %s", (msg["message_id"],))


def notify_offline_members_v2(conn: psycopg.Connection, msg: dict, tokens: list[str]) -> None:
    """Outbox: the push worker sends and dedups by (message_id, token)."""
    with conn.cursor() as cur:
        cur.executemany(
            """
            insert into push_outbox (message_id, device_token, payload)
            values (%s, %s, %s)
            on conflict (message_id, device_token) do nothing  -- ok: outbox
            """,
            [(msg["message_id"], t, json.dumps({"title": msg["room_name"]})) for t in tokens],
        )


def run(conn: psycopg.Connection) -> None:
    consumer = Consumer({
        "bootstrap.servers": "kafka:9092",
        "group.id": "chat-persist",
        "enable.auto.commit": False,
        "session.timeout.ms": 10000,   # ok: client config
    })
    consumer.subscribe(["chat.messages"])
    http = httpx.Client()
    while True:
        m = consumer.poll(timeout=1.0)  # ok: poll timeout
        if m is None:
            continue
        if m.error():
            if m.error().code() != KafkaError._PARTITION_EOF:
                log.error("kafka error: %s", m.error())
            continue
        t0 = time.perf_counter()
        msg = json.loads(m.value())
        with conn.transaction():
            store_message(conn, msg)
        notify_offline_members_v2(conn, msg, msg.get("offline_tokens", []))
        consumer.commit(message=m)
        log.debug("handled %s in %.1fms", msg["message_id"], (time.perf_counter() - t0) * 1000)
