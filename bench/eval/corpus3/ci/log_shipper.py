"""Ships runner step logs to object storage and notifies the API via SQS."""
from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timezone

import boto3

log = logging.getLogger(__name__)
sqs = boto3.client("sqs")
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123/ci-log-chunks"
FLUSH_EVERY_S = 2.0


class Shipper:
    def __init__(self, conn) -> None:
        self.conn = conn
        self.buf: list[str] = []
        self.mu = threading.Lock()  # ok: in-process lock
        self.last_flush = time.monotonic()

    def write(self, line: str) -> None:
        stamped = f"{datetime.now(timezone.utc).isoformat()} {line}"  # ok: log timestamp
        with self.mu:
            self.buf.append(stamped)
            if time.monotonic() - self.last_flush > FLUSH_EVERY_S:  # ok: monotonic flush interval
                self._flush_locked()

    def _flush_locked(self) -> None:
        chunk, self.buf = self.buf, []
        self.last_flush = time.monotonic()
        sqs.send_message(QueueUrl=QUEUE_URL, MessageBody=json.dumps({"lines": chunk}))  # expect: ARM402
        with self.conn.cursor() as cur:
            cur.execute("update log_streams set chunks_sent = chunks_sent + 1 where id = %s", (1,))
        self.conn.commit()


def notify_job_finished(conn, job_id: int, status: str) -> None:
    # ok: outbox — write the row, a relay publishes to SQS
    with conn.cursor() as cur:
        cur.execute(
            "insert into outbox (aggregate_id, topic, payload) values (%s, 'job.finished', %s)",
            (job_id, json.dumps({"job_id": job_id, "status": status})),
        )
    conn.commit()


def consume_cancellations(conn) -> None:
    resp = sqs.receive_message(QueueUrl=QUEUE_URL, MaxNumberOfMessages=10, WaitTimeSeconds=20)  # ok: long poll
    for m in resp.get("Messages", []):
        with conn.cursor() as cur:
            cur.execute(
                "insert into processed_messages (message_id, body) values (%s, %s)",  # expect: ARM403
                (m["MessageId"], m["Body"]),
            )
            cur.execute("update jobs set status = 'cancelled' where id = %s", (json.loads(m["Body"])["job_id"],))
        conn.commit()
        sqs.delete_message(QueueUrl=QUEUE_URL, ReceiptHandle=m["ReceiptHandle"])
