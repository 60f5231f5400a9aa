"""Appointment reminder dispatcher (clinica-agenda).

Runs every minute from a k8s CronJob. Picks reminders due in the next window and
sends SMS through Twilio (primary) or Zenvia (fallback for BR numbers).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import psycopg
import requests
from twilio.rest import Client as TwilioClient

log = logging.getLogger("reminders")

ZENVIA_URL = "https://api.zenvia.com/v2/channels/sms/messages"
BATCH_SIZE = 200
RUN_BUDGET_S = 50  # CronJob runs every 60s


@dataclass(frozen=True)
class Reminder:
    id: int
    patient_phone: str
    body: str
    appointment_at: datetime
    channel: str


def _fetch_due(conn: psycopg.Connection) -> list[Reminder]:
    rows = conn.execute(
        """
        select id, patient_phone, body, appointment_at, channel
          from reminders
         where status = 'pending'
           and send_at <= now()
         order by send_at
         limit %s
           for update skip locked
        """,  # ok: SKIP LOCKED claim inside the transaction
        (BATCH_SIZE,),
    ).fetchall()
    return [Reminder(*r) for r in rows]


def send_via_twilio(client: TwilioClient, r: Reminder, conn: psycopg.Connection) -> None:
    msg = client.messages.create(to=r.patient_phone, from_="+15005550006", body=r.body)  # expect: ARM402
    conn.execute(
        "update reminders set status = 'sent', provider_sid = %s, sent_at = now() where id = %s",
        (msg.sid, r.id),
    )


def send_via_zenvia(session: requests.Session, r: Reminder, conn: psycopg.Connection) -> None:
    payload = {"from": "clinica", "to": r.patient_phone, "contents": [{"type": "text", "text": r.body}]}
    resp = session.post(ZENVIA_URL, json=payload, timeout=10)  # expect: ARM402
    resp.raise_for_status()
    conn.execute("update reminders set status = 'sent', sent_at = now() where id = %s", (r.id,))


def enqueue_for_outbox(conn: psycopg.Connection, r: Reminder) -> None:
    # ok: record intent first; a separate idempotent worker drains sms_outbox
    conn.execute(
        "insert into sms_outbox (reminder_id, phone, body) values (%s, %s, %s) "
        "on conflict (reminder_id) do nothing",
        (r.id, r.patient_phone, r.body),
    )


def run_once(dsn: str) -> int:
    started = time.monotonic()  # ok: monotonic budget
    sent = 0
    client = TwilioClient()
    session = requests.Session()
    with psycopg.connect(dsn) as conn:
        for r in _fetch_due(conn):
            if time.monotonic() - started > RUN_BUDGET_S:  # ok: monotonic
                log.info("budget exhausted after %d reminders", sent)
                break
            if r.channel == "zenvia":
                send_via_zenvia(session, r, conn)
            else:
                send_via_twilio(client, r, conn)
            sent += 1
    log.info("run finished at %s, sent=%d", datetime.now(timezone.utc).isoformat(), sent)  # ok: logging
    return sent


def human_eta(r: Reminder) -> str:
    # ok: display only
    delta = r.appointment_at - datetime.now(timezone.utc)
    hours = int(delta / timedelta(hours=1))
    return f"em {hours}h" if hours > 0 else "hoje"
