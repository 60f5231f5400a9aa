"""Campaign sender: pulls recipients for a campaign and delivers through SES.

Runs as N workers (k8s Job, parallelism=8). Each worker takes a slice of recipients.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import boto3
import psycopg
from twilio.rest import Client as TwilioClient

log = logging.getLogger("sender")

ses = boto3.client("sesv2", region_name="sa-east-1")
twilio = TwilioClient()

SEND_RATE_PER_S = 14          # SES account limit
CAMPAIGN_SLOT = timedelta(hours=2)


class Throttle:
    """Token bucket on the monotonic clock."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.updated = time.monotonic()

    def wait(self) -> None:
        while True:
            now = time.monotonic()  # ok: monotonic throttle
            self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            time.sleep((1 - self.tokens) / self.rate)


def _send_email(to: str, subject: str, html: str, campaign_id: str) -> str:
    resp = ses.send_email(
        FromEmailAddress="news@loja-exemplo.com.br",
        Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Html": {"Data": html}}}},
        EmailTags=[{"Name": "campaign", "Value": campaign_id}],
    )
    return resp["MessageId"]


def deliver_slice(conn: psycopg.Connection, campaign: dict, recipients: list[dict]) -> None:
    throttle = Throttle(SEND_RATE_PER_S)
    slot_ends = datetime.now() + CAMPAIGN_SLOT  # expect: ARM103
    for rcpt in recipients:
        if datetime.now() >= slot_ends:
            log.info("slot over, %s left for next run", rcpt["id"])
            return
        throttle.wait()
        message_id = ses.send_email(  # expect: ARM402
            FromEmailAddress="news@loja-exemplo.com.br",
            Destination={"ToAddresses": [rcpt["email"]]},
            Content={"Simple": {"Subject": {"Data": campaign["subject"]},
                                "Body": {"Html": {"Data": campaign["html"]}}}},
        )["MessageId"]
        with conn.cursor() as cur:
            cur.execute(
                "update campaign_recipients set sent_at = now(), ses_message_id = %s where id = %s",
                (message_id, rcpt["id"]),
            )
        conn.commit()


def claim_and_send(conn: psycopg.Connection, campaign: dict, worker: str, batch: int = 200) -> int:
    """Outbox-style: claim rows first (committed), then send; SES gets our id as a tag."""
    with conn.cursor() as cur:
        cur.execute(
            """
            update campaign_recipients
               set claimed_by = %s, claimed_at = now(), attempt = attempt + 1
             where id in (select id from campaign_recipients
                           where campaign_id = %s and sent_at is null and claimed_by is null
                           order by id limit %s for update skip locked)   -- ok: row lock, not a lease
            returning id, email
            """,
            (worker, campaign["id"], batch),
        )
        rows = cur.fetchall()
    conn.commit()
    for rid, email in rows:
        _send_email(email, campaign["subject"], campaign["html"], f"{campaign['id']}:{rid}")
    return len(rows)


def send_sms_reminder(conn: psycopg.Connection, rcpt: dict, body: str) -> None:
    twilio.messages.create(to=rcpt["phone"], from_="+5511999990000", body=body)  # expect: ARM402
    with conn.cursor() as cur:
        cur.execute("update campaign_recipients set sms_sent = true where id = %s", (rcpt["id"],))
    conn.commit()


def report_filename(campaign_id: str) -> str:
    return f"/tmp/campaign-{campaign_id}-{datetime.now():%Y%m%d%H%M}.csv"  # ok: file name


def progress_line(sent: int, total: int, started: float) -> str:
    elapsed = time.perf_counter() - started  # ok
    return f"[{datetime.now():%H:%M:%S}] {sent}/{total} in {elapsed:.0f}s"  # ok: display
