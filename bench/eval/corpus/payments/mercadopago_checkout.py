"""Checkout transparente Mercado Pago (API REST direta)."""
import os
import uuid

import mercadopago
import requests

MP_API = "https://api.mercadopago.com"
TOKEN = os.environ["MP_ACCESS_TOKEN"]
sdk = mercadopago.SDK(TOKEN)


def _auth():
    return {"Authorization": f"Bearer {TOKEN}"}


def charge_boleto(order):
    body = {
        "transaction_amount": float(order.total),
        "payment_method_id": "bolbradesco",
        "payer": {"email": order.email, "first_name": order.first_name},
    }
    resp = requests.post(f"{MP_API}/v1/payments", json=body, headers=_auth(), timeout=15)  # expect: ARM401
    resp.raise_for_status()
    return resp.json()


def charge_boleto_safe(order):
    body = {
        "transaction_amount": float(order.total),
        "payment_method_id": "bolbradesco",
        "payer": {"email": order.email},
    }
    headers = {**_auth(), "X-Idempotency-Key": str(order.payment_uuid)}
    resp = requests.post(f"{MP_API}/v1/payments", json=body, headers=headers, timeout=15)  # ok: idempotency key
    resp.raise_for_status()
    return resp.json()


def payment_status(payment_id):
    resp = requests.get(f"{MP_API}/v1/payments/{payment_id}", headers=_auth(), timeout=10)  # ok: GET
    return resp.json()["status"]


def create_preference(order):
    # ok: a checkout preference is not a charge
    pref = sdk.preference().create({"items": [{"title": order.title, "quantity": 1, "unit_price": float(order.total)}]})
    return pref["response"]["init_point"]


def charge_saved_card(order, card_token):
    data = {
        "transaction_amount": float(order.total),
        "token": card_token,
        "installments": order.installments,
        "payer": {"id": order.mp_customer_id},
    }
    return sdk.payment().create(data)["response"]  # expect: ARM401


def notify_slack(text):
    # ok: not a payment API
    requests.post(os.environ["SLACK_WEBHOOK"], json={"text": text}, timeout=5)


def new_idempotency_key() -> str:
    return str(uuid.uuid4())
