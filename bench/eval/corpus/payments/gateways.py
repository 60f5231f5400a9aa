"""Adapters for Pagar.me, Adyen and PayPal."""
import os
import uuid

import Adyen
import httpx

PAGARME = "https://api.pagar.me/core/v5"
PAYPAL = os.environ.get("PAYPAL_BASE", "https://api-m.paypal.com")

adyen = Adyen.Adyen()
adyen.payment.client.xapikey = os.environ.get("ADYEN_API_KEY")
adyen.payment.client.platform = "live"


class PagarmeGateway:
    def __init__(self, secret_key: str):
        self.auth = (secret_key, "")

    def create_order(self, customer: dict, items: list, payment: dict) -> dict:
        r = httpx.post(  # expect: ARM401
            f"{PAGARME}/orders",
            json={"customer": customer, "items": items, "payments": [payment]},
            auth=self.auth,
            timeout=20,
        )
        r.raise_for_status()
        return r.json()

    def create_order_idempotent(self, key: str, customer: dict, items: list, payment: dict) -> dict:
        # ok: Idempotency-Key header
        r = httpx.post(
            f"{PAGARME}/orders",
            json={"customer": customer, "items": items, "payments": [payment]},
            auth=self.auth,
            headers={"Idempotency-Key": key},
            timeout=20,
        )
        r.raise_for_status()
        return r.json()


class AdyenGateway:
    def authorise(self, reference: str, amount_minor: int, card: dict) -> dict:
        request = {
            "amount": {"value": amount_minor, "currency": "BRL"},
            "reference": reference,
            "paymentMethod": card,
            "merchantAccount": os.environ["ADYEN_MERCHANT"],
        }
        # ok: idempotency key = our payment reference
        return adyen.checkout.payments_api.payments(request, idempotency_key=reference).message

    def authorise_legacy(self, reference: str, amount_minor: int, card: dict) -> dict:
        request = {
            "amount": {"value": amount_minor, "currency": "BRL"},
            "reference": reference,
            "paymentMethod": card,
            "merchantAccount": os.environ["ADYEN_MERCHANT"],
        }
        return adyen.checkout.payments_api.payments(request).message  # expect: ARM401


class PaypalGateway:
    def __init__(self, token_provider):
        self.token = token_provider

    def capture(self, order_id: str) -> dict:
        resp = httpx.post(  # expect: ARM401
            f"{PAYPAL}/v2/checkout/orders/{order_id}/capture",
            headers={"Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"},
            timeout=30,
        )
        return resp.json()

    def refund(self, capture_id: str, amount: str) -> dict:
        # ok: PayPal-Request-Id makes the refund idempotent
        resp = httpx.post(
            f"{PAYPAL}/v2/payments/captures/{capture_id}/refund",
            json={"amount": {"value": amount, "currency_code": "BRL"}},
            headers={
                "Authorization": f"Bearer {self.token()}",
                "PayPal-Request-Id": str(uuid.uuid5(uuid.NAMESPACE_OID, capture_id + amount)),
            },
            timeout=30,
        )
        return resp.json()

    def get_order(self, order_id: str) -> dict:
        return httpx.get(f"{PAYPAL}/v2/checkout/orders/{order_id}", headers={"Authorization": f"Bearer {self.token()}"}).json()  # ok
