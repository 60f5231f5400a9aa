"""Device provisioning: claim codes and device JWTs.

Factory flashes a claim code; the installer app redeems it within 24h. Redemption may hit
any API replica, and the MQTT brokers validate device JWTs on connect.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
import time

import jwt
import psycopg
from psycopg.rows import dict_row

CLAIM_TTL = timedelta(hours=24)
JWT_TTL_S = 3600
SIGNING_KEY = open("/run/secrets/device_jwt.pem").read()


def issue_claim_code(conn: psycopg.Connection, serial: str, tenant_id: str) -> str:
    code = secrets.token_urlsafe(12)
    with conn.cursor() as cur:
        cur.execute(
            "insert into claim_codes (code, serial, tenant_id, created_at, expires_at) "
            "values (%s, %s, %s, %s, %s)",
            (
                code,
                serial,
                tenant_id,
                datetime.utcnow(),               # ok: plain created_at stamp
                datetime.utcnow() + CLAIM_TTL,   # expect: ARM104
            ),
        )
    return code


def issue_claim_code_v2(conn: psycopg.Connection, serial: str, tenant_id: str) -> str:
    """Expiry computed by the database in the writing transaction."""
    code = secrets.token_urlsafe(12)
    with conn.cursor() as cur:
        cur.execute(
            """
            insert into claim_codes (code, serial, tenant_id, expires_at)
            values (%s, %s, %s, now() + interval '24 hours')  -- ok: now() in SQL
            """,
            (code, serial, tenant_id),
        )
    return code


def redeem(conn: psycopg.Connection, code: str, installer_id: str) -> dict | None:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            """
            update claim_codes
               set redeemed_by = %s, redeemed_at = now()
             where code = %s and redeemed_by is null and expires_at > now()
            returning serial, tenant_id
            """,
            (installer_id, code),
        )
        return cur.fetchone()


def device_token(device_id: str, tenant_id: str) -> str:
    now = int(time.time())
    claims = {
        "sub": device_id,
        "tenant": tenant_id,
        "iat": now,                    # ok: issued-at, informational
        "exp": now + JWT_TTL_S,        # expect: ARM104
    }
    return jwt.encode(claims, SIGNING_KEY, algorithm="ES256")


def rotate_firmware_url(conn: psycopg.Connection, device_id: str, url: str) -> None:
    valid_until = datetime.now(timezone.utc) + timedelta(minutes=30)  # expect: ARM104
    with conn.cursor() as cur:
        cur.execute(
            "update devices set firmware_url = %s, firmware_url_valid_until = %s where id = %s",
            (url, valid_until, device_id),
        )


def audit_row(device_id: str, action: str) -> dict:
    # ok: audit stamp only
    return {"device_id": device_id, "action": action, "at": datetime.now(timezone.utc)}
