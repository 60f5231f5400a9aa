from datetime import datetime, timedelta, timezone
import secrets

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, text
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()
UTC = timezone.utc


class PasswordReset(Base):
    __tablename__ = "password_resets"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id"), nullable=False)
    token = Column(String(64), unique=True, nullable=False)
    expires_at = Column(DateTime(timezone=True), nullable=False)
    created_at = Column(DateTime, default=datetime.utcnow)  # ok: plain created_at default


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    id = Column(Integer, primary_key=True)
    action = Column(String, nullable=False)
    at = Column(DateTime(timezone=True), server_default=text("now()"))  # ok


def start_password_reset(session: Session, user_id: int) -> str:
    tok = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(user_id=user_id, token=tok, expires_at=datetime.utcnow() + timedelta(hours=1))  # expect: ARM104
    )
    session.commit()
    return tok


def rotate_api_key(session: Session, key_id: int) -> None:
    session.execute(
        text("update api_keys set valid_until = :vu where id = :id"),
        {"vu": datetime.now(tz=UTC) + timedelta(days=90), "id": key_id},  # expect: ARM104
    )
    session.commit()


def rotate_api_key_v2(session: Session, key_id: int) -> None:
    # ok: validity computed in SQL
    session.execute(
        text("update api_keys set valid_until = now() + interval '90 days' where id = :id"),
        {"id": key_id},
    )
    session.commit()


def log_action(session: Session, action: str) -> None:
    session.add(AuditEntry(action=f"{action} @ {datetime.now(UTC).isoformat()}"))  # ok: log text
    session.commit()


def export_filename(prefix: str) -> str:
    return f"{prefix}-{datetime.now():%Y%m%d-%H%M%S}.csv"  # ok: file name
