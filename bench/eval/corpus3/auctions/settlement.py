"""Post-auction settlement: charge the winner's card deposit via Adyen and Stripe."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import Adyen
import stripe

log = logging.getLogger(__name__)
adyen = Adyen.Adyen()
adyen.payment.client.xapikey = "AQE..."
adyen.payment.client.platform = "test"


@dataclass
class Winner:
    auction_id: int
    user_id: int
    amount_cents: int
    stored_method: str
    shopper_ref: str


def capture_deposit(w: Winner) -> dict:
    req = {
        "amount": {"value": w.amount_cents, "currency": "BRL"},
        "reference": f"auction-{w.auction_id}",
        "paymentMethod": {"type": "scheme", "storedPaymentMethodId": w.stored_method},
        "shopperReference": w.shopper_ref,
        "merchantAccount": "LeiloesBR",
        "shopperInteraction": "ContAuth",
    }
    return adyen.checkout.payments_api.payments(req)  # expect: ARM401


def capture_deposit_safe(w: Winner) -> dict:
    req = {
        "amount": {"value": w.amount_cents, "currency": "BRL"},
        "reference": f"auction-{w.auction_id}",
        "merchantAccount": "LeiloesBR",
    }
    # ok: Adyen idempotency key
    return adyen.checkout.payments_api.payments(req, idempotency_key=f"auction-{w.auction_id}")


def transfer_to_seller(conn, seller_account: str, cents: int, auction_id: int) -> None:
    tr = stripe.Transfer.create(  # expect: ARM401, ARM402
        amount=cents, currency="brl", destination=seller_account,
    )
    with conn.cursor() as cur:
        cur.execute("update auctions set payout_transfer = %s, settled = true where id = %s", (tr.id, auction_id))
    conn.commit()
