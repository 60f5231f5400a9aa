"""Email (SES) and SMS (Twilio) notifications."""
import logging
from datetime import datetime

import boto3
from sqlalchemy import text
from sqlalchemy.orm import Session
from twilio.rest import Client

from .models import Notification

log = logging.getLogger(__name__)
ses = boto3.client("ses", region_name="sa-east-1")
twilio = Client()


def send_shipping_notice(session: Session, notification_id: int) -> None:
    n = session.get(Notification, notification_id)
    ses.send_email(  # expect: ARM402
        Source="entregas@loja.example",
        Destination={"ToAddresses": [n.email]},
        Message={"Subject": {"Data": n.subject}, "Body": {"Text": {"Data": n.body}}},
    )
    n.sent_at = datetime.utcnow()
    session.commit()


def send_otp_sms(session: Session, user_id: int, phone: str, code: str) -> None:
    twilio.messages.create(to=phone, from_="+5511999990000", body=f"Seu código: {code}")  # expect: ARM402
    session.execute(
        text("insert into sms_log (user_id, phone, kind) values (:u, :p, 'otp')"),
        {"u": user_id, "p": phone},
    )
    session.commit()


def send_marketing_sms(session: Session, user_id: int, phone: str, campaign: str) -> None:
    # ok: intent recorded first with on conflict; only the winner sends
    res = session.execute(
        text(
            "insert into sms_log (user_id, phone, kind, campaign) values (:u, :p, 'mkt', :c) "
            "on conflict (user_id, campaign) do nothing returning id"
        ),
        {"u": user_id, "p": phone, "c": campaign},
    )
    session.commit()
    if res.first() is None:
        return
    twilio.messages.create(to=phone, from_="+5511999990000", body="Promoção!")


def send_plain(to: str, subject: str, body: str) -> None:
    # ok: no record in this function
    ses.send_email(
        Source="no-reply@loja.example",
        Destination={"ToAddresses": [to]},
        Message={"Subject": {"Data": subject}, "Body": {"Text": {"Data": body}}},
    )
    log.info("sent %r to %s at %s", subject, to, datetime.utcnow())  # ok: logging
