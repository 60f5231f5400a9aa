"""Archives cold chat rooms to object storage and compacts their message tables.

Runs on every chat-worker pod every 5 minutes; locking keeps two pods from archiving the
same room at the same time.
"""
from __future__ import annotations

import gzip
import json
import logging

import boto3
import psycopg
import redis
from redlock import Redlock

log = logging.getLogger("archiver")

rds = redis.Redis(host="chat-redis", socket_timeout=1)
dlm = Redlock([{"host": "redis-a"}, {"host": "redis-b"}, {"host": "redis-c"}])
s3 = boto3.client("s3")
BUCKET = "chat-archive-prod"


def _dump(conn: psycopg.Connection, room_id: str) -> bytes:
    with conn.cursor() as cur:
        cur.execute("select message_id, sender_id, body, sent_at from chat_messages where room_id = %s order by id",
                    (room_id,))
        rows = [dict(zip(("id", "sender", "body", "at"), map(str, r))) for r in cur.fetchall()]
    return gzip.compress(json.dumps(rows).encode())


def archive_room(conn: psycopg.Connection, room_id: str) -> bool:
    lock = dlm.lock(f"archive:{room_id}", 60_000)
    if not lock:
        return False
    try:
        s3.put_object(Bucket=BUCKET, Key=f"rooms/{room_id}.json.gz", Body=_dump(conn, room_id))  # ok: PUT to a fixed key is idempotent  # expect: ARM201  (the guarded write: RULES.md real-code form)
        with conn.cursor() as cur:
            cur.execute("update chat_rooms set archived = true where id = %s", (room_id,))
            cur.execute("delete from chat_messages where room_id = %s", (room_id,))
        conn.commit()
        return True
    finally:
        dlm.unlock(lock)


def compact_room(conn: psycopg.Connection, room_id: str) -> None:
    with rds.lock(f"compact:{room_id}", timeout=120):  # expect: ARM201
        with conn.cursor() as cur:
            cur.execute("delete from message_edits where message_id in "
                        "(select message_id from chat_messages where room_id = %s) "
                        "and id not in (select max(id) from message_edits group by message_id)", (room_id,))
        conn.commit()


def compact_room_fenced(conn: psycopg.Connection, room_id: str) -> None:
    with rds.lock(f"compact:{room_id}", timeout=120):  # ok: token checked by storage below
        token = rds.incr(f"compact:{room_id}:fence")
        with conn.cursor() as cur:
            cur.execute("update chat_rooms set compact_token = %s where id = %s and compact_token < %s",
                        (token, room_id, token))
            if cur.rowcount == 0:
                conn.rollback()
                return
            cur.execute("delete from message_edits where message_id in "
                        "(select message_id from chat_messages where room_id = %s) "
                        "and id not in (select max(id) from message_edits group by message_id)", (room_id,))
        conn.commit()


def already_announced(room_id: str, event_id: str) -> bool:
    # ok: dedup marker, not a lock (nothing is guarded, value is constant)
    return not rds.set(f"announced:{room_id}:{event_id}", 1, nx=True, ex=86400)
