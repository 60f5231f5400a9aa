"""SNS -> HTTP endpoint receiving SES delivery/bounce/complaint notifications.

SNS retries on any non-2xx and may deliver the same notification more than once.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

router = APIRouter()
log = logging.getLogger("ses.feedback")


@router.post("/hooks/ses")
async def ses_feedback(request: Request, db: AsyncSession) -> dict:
    envelope = await request.json()
    note = json.loads(envelope["Message"])
    kind = note["notificationType"]
    mail = note["mail"]

    await db.execute(
        text(
            """
            insert into email_delivery_events (sns_message_id, ses_message_id, kind, payload)  -- expect: ARM403
            values (:sns_id, :ses_id, :kind, :payload)
            """
        ),
        {"sns_id": envelope["MessageId"], "ses_id": mail["messageId"], "kind": kind, "payload": json.dumps(note)},
    )

    if kind in ("Bounce", "Complaint"):
        for r in _recipients(note):
            await db.execute(
                text(
                    """
                    insert into email_suppressions (email, reason, first_seen_at)
                    values (:email, :reason, now())
                    on conflict (email) do update set reason = excluded.reason  -- ok
                    """
                ),
                {"email": r, "reason": kind.lower()},
            )
    await db.commit()
    log.info("ses %s for %s at %s", kind, mail["messageId"], datetime.now(timezone.utc))  # ok: log
    return {"ok": True}


@router.post("/hooks/ses/opens")
async def ses_open(request: Request, db: AsyncSession) -> dict:
    envelope = await request.json()
    note = json.loads(envelope["Message"])
    await db.execute(
        text(
            "insert into email_open_events (sns_message_id, ses_message_id, opened_at) "
            "values (:sns, :ses, :at) on conflict (sns_message_id) do nothing"  # ok
        ),
        {"sns": envelope["MessageId"], "ses": note["mail"]["messageId"], "at": note["open"]["timestamp"]},
    )
    await db.commit()
    return {"ok": True}


@router.post("/lists/{list_id}/subscribers")
async def add_subscriber(list_id: int, body: dict, db: AsyncSession) -> dict:
    # ok: ordinary CRUD from the admin UI
    await db.execute(
        text("insert into list_subscribers (list_id, email, name) values (:l, :e, :n)"),
        {"l": list_id, "e": body["email"], "n": body.get("name")},
    )
    await db.commit()
    return {"ok": True}


def _recipients(note: dict) -> list[str]:
    if note["notificationType"] == "Bounce":
        return [r["emailAddress"] for r in note["bounce"]["bouncedRecipients"]]
    return [r["emailAddress"] for r in note["complaint"]["complainedRecipients"]]
