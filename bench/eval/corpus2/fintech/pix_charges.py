"""Cobranças PIX via Mercado Pago.

Fluxo: o app cria uma cobrança, mostramos o QR code, o webhook confirma o pagamento.
"""
from __future__ import annotations

import logging
import uuid
from decimal import Decimal

import mercadopago
import psycopg

log = logging.getLogger("pix")

sdk = mercadopago.SDK(open("/run/secrets/mp_access_token").read().strip())


def _payment_body(charge: dict) -> dict:
    return {
        "transaction_amount": float(charge["amount"]),
        "description": charge["description"],
        "payment_method_id": "pix",
        "payer": {"email": charge["payer_email"]},
        "external_reference": str(charge["id"]),
    }


def create_pix_charge_v1(conn: psycopg.Connection, charge: dict) -> dict:
    # TODO(ana): migrar para v2, isto duplica cobrança em retry
    result = sdk.payment().create(_payment_body(charge))  # expect: ARM401, ARM402
    payment = result["response"]
    with conn.cursor() as cur:
        cur.execute(
            "update pix_charges set status = 'pending', mp_payment_id = %s, qr_code = %s where id = %s",
            (payment["id"], payment["point_of_interaction"]["transaction_data"]["qr_code"], charge["id"]),
        )
    return payment


def enqueue_pix_charge(conn: psycopg.Connection, charge: dict) -> None:
    """v2, passo 1: registra a intenção antes de qualquer chamada externa."""
    with conn.cursor() as cur:
        cur.execute(
            """
            insert into pix_charge_outbox (charge_id, idempotency_key, status)
            values (%s, %s, 'queued')
            on conflict (charge_id) do nothing  -- ok
            """,
            (charge["id"], str(uuid.uuid5(uuid.NAMESPACE_URL, f"pix:{charge['id']}"))),
        )


def send_pix_charge_worker(conn: psycopg.Connection, row: dict, charge: dict) -> None:
    """v2, passo 2: worker idempotente; a chave de idempotência vem do outbox."""
    opts = mercadopago.config.RequestOptions(
        custom_headers={"x-idempotency-key": row["idempotency_key"]}
    )
    result = sdk.payment().create(_payment_body(charge), opts)  # ok: idempotency key, intent recorded first
    with conn.cursor() as cur:
        cur.execute(
            "update pix_charge_outbox set status = 'sent', mp_payment_id = %s where charge_id = %s",
            (result["response"]["id"], row["charge_id"]),
        )


def refund_pix(conn: psycopg.Connection, mp_payment_id: int, amount: Decimal) -> dict:
    # Estorno parcial — sem header de idempotência
    result = sdk.refund().create(mp_payment_id, {"amount": float(amount)})  # expect: ARM401
    log.info("refund %s -> %s", mp_payment_id, result["status"])
    return result["response"]


def refund_pix_safe(mp_payment_id: int, amount: Decimal, refund_request_id: str) -> dict:
    opts = mercadopago.config.RequestOptions(custom_headers={"x-idempotency-key": refund_request_id})
    result = sdk.refund().create(mp_payment_id, {"amount": float(amount)}, opts)  # ok
    return result["response"]


def payment_status(mp_payment_id: int) -> str:
    # ok: read-only
    return sdk.payment().get(mp_payment_id)["response"]["status"]
