"""Estornos de depósitos via Mercado Pago e Pagar.me."""
from __future__ import annotations

import uuid

import mercadopago
import pagarme
import requests

sdk = mercadopago.SDK("APP_USR-xxx")


def refund_deposit_mp(payment_id: int, amount: float) -> dict:
    return sdk.refund().create(payment_id, {"amount": amount})  # expect: ARM401


def refund_deposit_mp_safe(payment_id: int, amount: float) -> dict:
    # ok: X-Idempotency-Key passed through request options
    opts = mercadopago.config.RequestOptions()
    opts.custom_headers = {"x-idempotency-key": f"refund-{payment_id}"}
    return sdk.refund().create(payment_id, {"amount": amount}, opts)


def pagarme_transfer(recipient_id: str, cents: int) -> dict:
    return pagarme.transfer.create({"amount": cents, "recipient_id": recipient_id})  # expect: ARM401


def paypal_payout(token: str, email: str, value: str) -> dict:
    r = requests.post(
        "https://api-m.paypal.com/v1/payments/payouts",
        headers={"Authorization": f"Bearer {token}", "PayPal-Request-Id": str(uuid.uuid4())},
        json={"items": [{"receiver": email, "amount": {"value": value, "currency": "USD"}}]},
        timeout=15,
    )  # ok: PayPal-Request-Id sent (random per call, weak, but a key is present)
    return r.json()


def fetch_payment(payment_id: int) -> dict:
    return sdk.payment().get(payment_id)  # ok: read only
