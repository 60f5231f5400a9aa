"""Liquidação PIX da exchange (batch D+0, roda a cada 10 min).

Pays out approved withdrawals via the PSP's PIX API and settles crypto sells.
"""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import psycopg
from psycopg.rows import dict_row

log = logging.getLogger("pix.settlement")

PSP_BASE = "https://api.psp-parceiro.com.br"
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=3.0)  # ok: request timeout
LEADER_LEASE = timedelta(minutes=2)
QUOTE_TTL_S = 15


@dataclass
class Withdrawal:
    id: int
    user_id: int
    pix_key: str
    amount: Decimal
    e2e_id: str | None = None


class PspClient:
    def __init__(self, token: str) -> None:
        self.http = httpx.Client(base_url=PSP_BASE, timeout=HTTP_TIMEOUT,
                                 headers={"Authorization": f"Bearer {token}"})

    def send_pix(self, w: Withdrawal) -> dict:
        r = self.http.post("/v2/pix/transfers", json={  # expect: ARM401
            "valor": str(w.amount), "chave": w.pix_key, "descricao": f"saque {w.id}",
        })
        r.raise_for_status()
        return r.json()

    def send_pix_idempotent(self, w: Withdrawal) -> dict:
        # ok: PSP dedups on X-Idempotency-Key
        r = self.http.post(
            "/v2/pix/transfers",
            json={"valor": str(w.amount), "chave": w.pix_key},
            headers={"X-Idempotency-Key": f"withdrawal-{w.id}"},
        )
        r.raise_for_status()
        return r.json()


def acquire_batch_leader(conn: psycopg.Connection, node: str) -> bool:
    row = conn.execute(
        """
        update batch_leases  -- expect: ARM201|ARM202
           set holder = %s, expires_at = now() + interval '2 minutes'
         where name = 'pix-settlement' and expires_at < now()
        returning name
        """,
        (node,),
    ).fetchone()
    conn.commit()
    return row is not None


def settle(conn: psycopg.Connection, psp: PspClient, node: str) -> None:
    if not acquire_batch_leader(conn, node):
        return
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("select id, user_id, pix_key, amount from withdrawals where status = 'approved'")
        for row in cur.fetchall():
            w = Withdrawal(**row)
            res = psp.send_pix(w)  # expect: ARM402
            cur.execute(
                "update withdrawals set status = 'paid', e2e_id = %s where id = %s",
                (res["endToEndId"], w.id),
            )
            conn.commit()


def settle_fenced(conn: psycopg.Connection, psp: PspClient) -> None:
    # ok: canonical pattern — xact lock + sequence token + fenced update, intent recorded first
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('pix-settlement'))")
        token = conn.execute("select nextval('fencing_tokens_seq')").fetchone()[0]
        conn.execute(
            "update settlement_state set last_token = %s, run_id = %s where id = 1 and last_token < %s",
            (token, str(uuid.uuid4()), token),
        )


def quote_is_fresh(quote_created: float) -> bool:
    return time.time() - quote_created < QUOTE_TTL_S  # expect: ARM103


def lock_quote(conn: psycopg.Connection, user_id: int, price: Decimal) -> None:
    valid_until = datetime.now(timezone.utc) + timedelta(seconds=QUOTE_TTL_S)  # expect: ARM104
    conn.execute(
        "insert into quotes (user_id, price, valid_until) values (%s, %s, %s)",
        (user_id, price, valid_until),
    )


def record_psp_callback(conn: psycopg.Connection, payload: dict) -> None:
    conn.execute(
        "insert into pix_callbacks (end_to_end_id, txid, valor, payload) values (%s, %s, %s, %s)",  # expect: ARM403
        (payload["endToEndId"], payload["txid"], payload["valor"], psycopg.types.json.Jsonb(payload)),
    )


def report_line(w: Withdrawal) -> str:
    return f"{datetime.now():%d/%m %H:%M} saque {w.id} R$ {w.amount}"  # ok: display
