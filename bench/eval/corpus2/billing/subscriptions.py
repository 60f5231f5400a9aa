"""SaaS subscription billing (Stripe).

Plans are billed monthly; seats can be added mid-cycle (prorated one-off charge).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import stripe
from django.db import transaction
from django.db.models import F
from django.utils import timezone as djtz

from billing.models import Subscription, SeatChange, Workspace

log = logging.getLogger("billing")
stripe.api_key = "sk_live_placeholder"

TRIAL_DAYS = 14
GRACE = timedelta(days=3)


def start_trial(workspace: Workspace, plan: str) -> Subscription:
    return Subscription.objects.create(
        workspace=workspace,
        plan=plan,
        status="trialing",
        started_at=djtz.now(),                                   # ok: created stamp
        trial_ends_at=datetime.utcnow() + timedelta(days=TRIAL_DAYS),  # expect: ARM104
    )


def charge_extra_seats(sub: Subscription, seats: int, unit_price: Decimal) -> str:
    amount = int(seats * unit_price * 100)
    charge = stripe.Charge.create(  # expect: ARM401, ARM402
        amount=amount,
        currency="brl",
        customer=sub.workspace.stripe_customer_id,
        description=f"{seats} extra seats",
    )
    Subscription.objects.filter(pk=sub.pk).update(extra_seats=F("extra_seats") + seats)
    return charge.id


def charge_extra_seats_v2(sub: Subscription, change: SeatChange) -> str:
    """The SeatChange row is created (status=pending) by the API before this task runs."""
    intent = stripe.PaymentIntent.create(
        amount=change.amount_cents,
        currency="brl",
        customer=sub.workspace.stripe_customer_id,
        confirm=True,
        off_session=True,
        idempotency_key=f"seat-change-{change.pk}",   # ok: idempotency key
    )
    SeatChange.objects.filter(pk=change.pk).update(status="paid", stripe_payment_intent=intent.id)
    return intent.id


def refund_seat_change(change: SeatChange) -> None:
    stripe.Refund.create(payment_intent=change.stripe_payment_intent,
                         idempotency_key=f"refund-{change.pk}")  # ok


def enter_grace_period(sub: Subscription) -> None:
    with transaction.atomic():
        sub.status = "past_due"
        sub.grace_until = djtz.now() + GRACE  # expect: ARM104
        sub.save(update_fields=["status", "grace_until"])


def cancel_at_period_end(sub: Subscription) -> None:
    stripe.Subscription.modify(sub.stripe_subscription_id, cancel_at_period_end=True)  # ok: not a charge
    log.info("cancel requested for %s at %s", sub.pk, datetime.now(timezone.utc))  # ok: log


def invoice_pdf_name(sub: Subscription) -> str:
    return f"fatura-{sub.workspace.slug}-{datetime.now():%Y-%m}.pdf"  # ok: file name
