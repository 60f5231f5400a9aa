"""Dramatiq actors: Mercado Pago notifications + payment creation."""
import json
import os

import dramatiq
import mercadopago
import psycopg2

sdk = mercadopago.SDK(os.environ["MP_ACCESS_TOKEN"])


def _db():
    return psycopg2.connect(os.environ["DATABASE_URL"], connect_timeout=5)


@dramatiq.actor(max_retries=10, time_limit=60_000)  # ok: actor time limit
def handle_mp_notification(notification: dict):
    conn = _db()
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO webhook_events (event_id, provider, payload) VALUES (%s, 'mercadopago', %s)",  # expect: ARM403
            (notification["id"], json.dumps(notification)),
        )
        if notification.get("type") == "payment":
            cur.execute(
                "UPDATE payments SET status = %s WHERE provider_payment_id = %s",
                (notification["action"], notification["data"]["id"]),
            )


@dramatiq.actor(max_retries=10)
def handle_mp_chargeback(notification: dict):
    conn = _db()
    with conn, conn.cursor() as cur:
        # ok: dedup by provider event id
        cur.execute(
            """INSERT INTO webhook_events (event_id, provider, payload)
               VALUES (%s, 'mercadopago', %s)
               ON CONFLICT (event_id) DO NOTHING""",
            (notification["id"], json.dumps(notification)),
        )


@dramatiq.actor(max_retries=3)
def create_pix_payment(order_id: int, amount: float, payer_email: str):
    payment_data = {
        "transaction_amount": amount,
        "payment_method_id": "pix",
        "payer": {"email": payer_email},
        "external_reference": str(order_id),
    }
    result = sdk.payment().create(payment_data)  # expect: ARM401
    return result["response"]["id"]


@dramatiq.actor(max_retries=3)
def create_card_payment(order_id: int, amount: float, token: str, payer_email: str):
    request_options = mercadopago.config.RequestOptions()
    request_options.custom_headers = {"x-idempotency-key": f"order-{order_id}"}
    payment_data = {
        "transaction_amount": amount,
        "token": token,
        "installments": 1,
        "payer": {"email": payer_email},
    }
    result = sdk.payment().create(payment_data, request_options)  # ok: idempotency header
    return result["response"]["id"]


@dramatiq.actor(max_retries=3)
def refund_payment(payment_id: int, amount: float):
    # estorno parcial
    result = sdk.refund().create(payment_id, {"amount": amount})  # expect: ARM401
    return result["status"]
