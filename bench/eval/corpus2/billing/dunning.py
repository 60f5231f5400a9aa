"""Dunning worker: retries failed invoices and pays out partner revenue share.

Scheduled by Celery beat every 15 minutes; Celery may run a task twice (acks_late + crash).
"""
from __future__ import annotations

import logging
import time

import psycopg
import stripe
from celery import shared_task

log = logging.getLogger("billing.dunning")

MAX_ATTEMPTS = 4
STRIPE_TIMEOUT_S = 30


def _conn() -> psycopg.Connection:
    return psycopg.connect("postgresql:///billing", connect_timeout=5)  # ok: connect timeout


@shared_task(acks_late=True)
def retry_failed_invoices() -> int:
    done = 0
    with _conn() as conn, conn.cursor() as cur:
        cur.execute(
            """
            select id, stripe_invoice_id, attempts from invoices
             where status = 'payment_failed' and attempts < %s and next_retry_at <= now()
             order by next_retry_at limit 50
            """,
            (MAX_ATTEMPTS,),
        )
        for inv_id, stripe_invoice_id, attempts in cur.fetchall():
            try:
                stripe.Invoice.pay(stripe_invoice_id)  # expect: ARM401, ARM402
            except stripe.error.CardError as exc:
                cur.execute(
                    "update invoices set attempts = attempts + 1, last_error = %s, "
                    "next_retry_at = now() + (interval '1 day' * power(2, attempts)) where id = %s",  # ok: now() in SQL
                    (str(exc), inv_id),
                )
                continue
            cur.execute("update invoices set status = 'paid', paid_at = now() where id = %s", (inv_id,))
            done += 1
        conn.commit()
    return done


@shared_task(acks_late=True)
def pay_partner_share(partner_id: str, period: str) -> None:
    with _conn() as conn, conn.cursor() as cur:
        cur.execute(
            "select stripe_account_id, amount_cents from partner_statements where partner_id = %s and period = %s",
            (partner_id, period),
        )
        account, amount = cur.fetchone()
    stripe.Transfer.create(amount=amount, currency="brl", destination=account)  # expect: ARM401


@shared_task(acks_late=True)
def pay_partner_share_v2(statement_id: int) -> None:
    with _conn() as conn, conn.cursor() as cur:
        cur.execute("select stripe_account_id, amount_cents from partner_statements where id = %s", (statement_id,))
        account, amount = cur.fetchone()
    stripe.Transfer.create(
        amount=amount,
        currency="brl",
        destination=account,
        transfer_group=f"stmt-{statement_id}",
        idempotency_key=f"partner-stmt-{statement_id}",  # ok
    )


def wait_for_invoice_finalized(invoice_id: str) -> bool:
    give_up_at = time.monotonic() + STRIPE_TIMEOUT_S  # ok: monotonic
    while time.monotonic() < give_up_at:
        if stripe.Invoice.retrieve(invoice_id).status != "draft":
            return True
        time.sleep(1)
    return False
