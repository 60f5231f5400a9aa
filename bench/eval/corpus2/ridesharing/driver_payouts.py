"""Weekly driver payouts through Adyen (balance platform) and instant cash-out."""
from __future__ import annotations

import logging
from decimal import Decimal

import Adyen
import psycopg

log = logging.getLogger("payouts")

adyen = Adyen.Adyen()
adyen.client.xapikey = "AQE_placeholder"
adyen.client.platform = "live"
MERCHANT = "RideCoBR"


def _transfer_body(driver: dict, amount: Decimal, ref: str) -> dict:
    return {
        "amount": {"value": int(amount * 100), "currency": "BRL"},
        "balanceAccountId": driver["balance_account_id"],
        "category": "bank",
        "counterparty": {"transferInstrumentId": driver["transfer_instrument_id"]},
        "reference": ref,
    }


def weekly_payout(conn: psycopg.Connection, driver: dict, amount: Decimal, week: str) -> None:
    ref = f"payout-{driver['id']}-{week}"
    with conn.cursor() as cur:
        cur.execute(
            "insert into driver_payouts (driver_id, week, amount, status, reference) "
            "values (%s, %s, %s, 'pending', %s) on conflict (driver_id, week) do nothing",  # ok: intent first
            (driver["id"], week, amount, ref),
        )
        if cur.rowcount == 0:
            return
    conn.commit()
    adyen.transfers.transfers_api.transfer_funds(_transfer_body(driver, amount, ref),
                                                 idempotency_key=ref)  # ok: idempotency key


def instant_cashout(conn: psycopg.Connection, driver: dict, amount: Decimal, ref: str) -> dict:
    result = adyen.transfers.transfers_api.transfer_funds(_transfer_body(driver, amount, ref))  # expect: ARM401, ARM402
    with conn.cursor() as cur:
        cur.execute(
            "update driver_wallets set balance = balance - %s, last_cashout_ref = %s where driver_id = %s",
            (amount, ref, driver["id"]),
        )
    conn.commit()
    return result.message


def tip_refund(psp_reference: str, amount_cents: int) -> None:
    adyen.checkout.modifications_api.refund_captured_payment(  # expect: ARM401
        {"amount": {"value": amount_cents, "currency": "BRL"}, "merchantAccount": MERCHANT},
        psp_reference,
    )


def payout_summary(driver: dict, amount: Decimal) -> str:
    log.info("payout summary for %s", driver["id"])
    return f"R$ {amount:.2f} para {driver['name']}"
