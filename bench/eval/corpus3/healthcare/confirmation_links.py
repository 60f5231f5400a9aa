"""Links de confirmação de consulta enviados por SMS.

The patient clicks /c/<token> and the API (several replicas) checks that the link is still
valid. Tokens are also cached in Redis for the landing page.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

import jwt
import redis
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from clinica.models import ConfirmationLink, Appointment

SECRET = "change-me"
LINK_VALIDITY = timedelta(hours=48)
r = redis.Redis.from_url("redis://cache:6379/2")


def create_link(db: Session, appointment: Appointment) -> str:
    token = secrets.token_urlsafe(24)
    db.execute(
        insert(ConfirmationLink).values(
            token=token,
            appointment_id=appointment.id,
            expires_at=datetime.utcnow() + LINK_VALIDITY,  # expect: ARM104
        )
    )
    db.commit()
    return token


def create_link_server_side(db: Session, appointment: Appointment) -> str:
    # ok: expiry computed by the database in the writing transaction
    token = secrets.token_urlsafe(24)
    db.execute(
        insert(ConfirmationLink).values(token=token, appointment_id=appointment.id)
    )  # expires_at has server_default=now() + interval '48 hours'
    db.commit()
    return token


def signed_link(appointment: Appointment) -> str:
    now = datetime.now(timezone.utc)
    claims = {
        "sub": str(appointment.id),
        "iat": now,  # ok: issued-at stamp
        "exp": now + timedelta(hours=48),  # expect: ARM104
    }
    return jwt.encode(claims, SECRET, algorithm="HS256")


def cache_landing(token: str, html: str) -> None:
    r.setex(f"landing:{token}", 3600, html)  # ok: plain cache TTL, server-side expiry


def reschedule(db: Session, appointment_id: int, new_start: datetime) -> None:
    db.execute(
        update(ConfirmationLink)
        .where(ConfirmationLink.appointment_id == appointment_id)
        .values(valid_until=datetime.now(timezone.utc) + timedelta(hours=24))  # expect: ARM104
    )
    db.execute(
        update(Appointment).where(Appointment.id == appointment_id).values(starts_at=new_start)
    )  # ok: business datetime chosen by the user, not an expiry
    db.commit()


def audit_row(db: Session, appointment_id: int) -> None:
    db.execute(
        insert(Appointment.__table__.metadata.tables["audit"]).values(
            appointment_id=appointment_id,
            created_at=datetime.now(timezone.utc),  # ok: plain created_at stamp
        )
    )


def is_link_valid(db: Session, token: str) -> bool:
    # ok: comparison done by the database with now()
    row = db.execute(
        select(ConfirmationLink.id).where(ConfirmationLink.token == token)
    ).first()
    return row is not None
