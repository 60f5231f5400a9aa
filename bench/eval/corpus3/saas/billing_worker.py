"""Tenant billing worker (multi-tenant B2B SaaS).

Triggered by a Supabase database webhook -> our Python 'edge' worker (Cloud Run).
Supabase re-delivers the webhook when we time out, so the same invoice can arrive twice.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal

import stripe
from supabase import create_client, Client

stripe.api_key = os.environ["STRIPE_SECRET_KEY"]
sb: Client = create_client(os.environ["SUPABASE_URL"], os.environ["SUPABASE_SERVICE_ROLE_KEY"])


@dataclass
class InvoiceEvent:
    invoice_id: str
    tenant_id: str
    customer: str
    amount: Decimal
    currency: str = "brl"


def charge_invoice(ev: InvoiceEvent) -> str:
    intent = stripe.PaymentIntent.create(  # expect: ARM401, ARM402
        amount=int(ev.amount * 100),
        currency=ev.currency,
        customer=ev.customer,
        confirm=True,
        off_session=True,
    )
    sb.table("invoices").update({"status": "paid", "payment_intent": intent.id}).eq("id", ev.invoice_id).execute()
    return intent.id


def charge_invoice_safe(ev: InvoiceEvent) -> str:
    # ok: idempotency key derived from the invoice, and intent recorded before the call
    sb.table("invoices").update({"status": "charging"}).eq("id", ev.invoice_id).execute()
    intent = stripe.PaymentIntent.create(
        amount=int(ev.amount * 100),
        currency=ev.currency,
        customer=ev.customer,
        confirm=True,
        idempotency_key=f"invoice-{ev.invoice_id}",
    )
    return intent.id


def refund_seat_downgrade(charge_id: str, cents: int) -> None:
    stripe.Refund.create(charge=charge_id, amount=cents)  # expect: ARM401


def create_customer(tenant_id: str, email: str) -> str:
    # ok: not a payment/transfer; CRUD on the provider
    cust = stripe.Customer.create(email=email, metadata={"tenant_id": tenant_id})
    return cust.id


def record_usage(tenant_id: str, seats: int) -> None:
    # ok: ordinary CRUD insert through PostgREST
    sb.table("usage_snapshots").insert({"tenant_id": tenant_id, "seats": seats}).execute()


def record_stripe_event(event: dict) -> None:
    sb.table("stripe_events").insert({"event_id": event["id"], "type": event["type"], "payload": event}).execute()  # expect: ARM403


def record_stripe_event_idempotent(event: dict) -> None:
    # ok: upsert on the provider's event id
    sb.table("stripe_events").upsert(
        {"event_id": event["id"], "type": event["type"], "payload": event},
        on_conflict="event_id",
        ignore_duplicates=True,
    ).execute()
