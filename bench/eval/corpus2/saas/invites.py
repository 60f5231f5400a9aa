"""Workspace invitations and magic links (SaaS app, SQLAlchemy 2.x)."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from saas.models import Invite, MagicLink, Workspace

INVITE_TTL = timedelta(days=7)
MAGIC_LINK_TTL = timedelta(minutes=15)


def invite_member(db: Session, workspace: Workspace, email: str, role: str) -> Invite:
    invite = Invite(
        workspace_id=workspace.id,
        email=email.lower(),
        role=role,
        token=secrets.token_urlsafe(24),
        created_at=datetime.now(timezone.utc),                  # ok: plain stamp
        expires_at=datetime.now(timezone.utc) + INVITE_TTL,     # expect: ARM104
    )
    db.add(invite)
    db.commit()
    return invite


def send_magic_link(db: Session, user_id: int) -> str:
    token = secrets.token_urlsafe(32)
    db.execute(
        insert(MagicLink).values(
            user_id=user_id,
            token=token,
            expires_at=text("now() + interval '15 minutes'"),   # ok: computed by the database
        )
    )
    db.commit()
    return token


def accept_invite(db: Session, token: str, user_id: int) -> bool:
    res = db.execute(
        update(Invite)
        .where(Invite.token == token, Invite.accepted_by.is_(None), Invite.expires_at > text("now()"))  # ok
        .values(accepted_by=user_id, accepted_at=text("now()"))
    )
    db.commit()
    return res.rowcount == 1


def extend_invite(db: Session, invite_id: int) -> None:
    db.execute(
        update(Invite)
        .where(Invite.id == invite_id)
        .values(expires_at=datetime.utcnow() + INVITE_TTL)  # expect: ARM104
    )
    db.commit()


def pending_invites(db: Session, workspace_id: int) -> list[Invite]:
    return list(db.scalars(select(Invite).where(Invite.workspace_id == workspace_id,
                                                Invite.accepted_by.is_(None))))


def invite_email_footer(invite: Invite) -> str:
    # ok: display only
    return f"Convite válido até {invite.expires_at:%d/%m/%Y %H:%M} (enviado {datetime.now():%d/%m})"
