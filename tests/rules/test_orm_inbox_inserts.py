"""ARM403 on ORM code: Django and SQLAlchemy creates of delivered things (webhook events,
processed messages, deliveries, payments) in handlers, consumers and tasks. A line ending in
`# ARM403` is where a finding must start; every other line stays quiet."""
from __future__ import annotations

import textwrap

import pytest

from analyzers import Settings, analyze

ONLY_403 = Settings(select=frozenset({"ARM403"}))


def flagged(code: str, path: str = "app/webhooks.py", settings: Settings = ONLY_403) -> list[tuple[str, int]]:
    report = analyze(path, textwrap.dedent(code), settings)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


def expected(code: str) -> list[tuple[str, int]]:
    lines = textwrap.dedent(code).splitlines()
    return [("ARM403", i) for i, line in enumerate(lines, 1) if line.rstrip().endswith("# ARM403")]


FLAGGED = {
    "django_stripe_webhook_view": '''
        import json

        import stripe
        from django.conf import settings
        from django.http import HttpResponse
        from django.views.decorators.csrf import csrf_exempt
        from django.views.decorators.http import require_POST

        from billing.models import Order, ProviderEvent


        @csrf_exempt
        @require_POST
        def stripe_webhook(request):
            signature = request.headers.get("Stripe-Signature", "")
            try:
                event = stripe.Webhook.construct_event(request.body, signature, settings.STRIPE_WEBHOOK_SECRET)
            except (ValueError, stripe.error.SignatureVerificationError):
                return HttpResponse(status=400)
            ProviderEvent.objects.create(  # ARM403
                provider="stripe",
                external_id=event["id"],
                kind=event["type"],
                payload=json.loads(request.body),
            )
            if event["type"] == "checkout.session.completed":
                session = event["data"]["object"]
                Order.objects.filter(pk=session["client_reference_id"]).update(status="paid")
            return HttpResponse(status=200)
    ''',
    "celery_task_recording_processed_messages": '''
        from celery import shared_task
        from django.db import transaction

        from inventory.models import ProcessedMessage, StockLevel


        @shared_task(bind=True, acks_late=True, max_retries=8)
        def apply_stock_update(self, message_id, sku, delta):
            with transaction.atomic():
                level = StockLevel.objects.select_for_update().get(sku=sku)
                level.quantity += delta
                level.save(update_fields=["quantity"])
                ProcessedMessage.objects.create(message_id=message_id, handler="stock")  # ARM403
    ''',
    "fastapi_sqlalchemy_delivery_consumer": '''
        from fastapi import APIRouter, Depends, Request
        from sqlalchemy.ext.asyncio import AsyncSession

        from .db import get_session
        from .models import WebhookDelivery

        router = APIRouter()


        @router.post("/hooks/github")
        async def github_hook(request: Request, session: AsyncSession = Depends(get_session)):
            delivery_id = request.headers["X-GitHub-Delivery"]
            body = await request.json()
            session.add(WebhookDelivery(delivery_id=delivery_id, event=request.headers["X-GitHub-Event"], body=body))  # ARM403
            await session.commit()
            return {"ok": True}
    ''',
    "django_model_save_in_consumer": '''
        import json

        from payments.models import PaymentNotification


        def on_message(channel, method, properties, body):
            data = json.loads(body)
            note = PaymentNotification(psp_reference=data["pspReference"], status=data["status"])
            note.merchant_reference = data["merchantReference"]
            note.save()  # ARM403
            channel.basic_ack(method.delivery_tag)
    ''',
    "inbox_model_without_key_in_dramatiq_actor": '''
        import dramatiq

        from shop.models import Payment


        @dramatiq.actor(max_retries=10)
        def settle_mercadopago(notification):
            Payment.objects.create(  # ARM403
                order_id=notification["external_reference"],
                amount=notification["transaction_amount"],
                status="approved",
            )
    ''',
    "bulk_create_of_received_events": '''
        from celery import shared_task

        from .models import WebhookEvent


        @shared_task
        def ingest_batch(events):
            WebhookEvent.objects.bulk_create(  # ARM403
                [WebhookEvent(event_id=e["id"], kind=e["type"], body=e) for e in events]
            )
    ''',
    "class_based_webhook_view": '''
        from django.http import JsonResponse
        from django.views import View

        from .models import ProviderEvent


        class PagarmeWebhookView(View):
            def post(self, request):
                payload = request.json()
                ProviderEvent.objects.create(external_id=payload["id"], provider="pagarme")  # ARM403
                return JsonResponse({"received": True})
    ''',
    "camel_case_view_and_model_only": '''
        from django.http import HttpResponse
        from django.views import View

        from .models import GithubWebhookDelivery


        class GithubWebhookView(View):
            def post(self, request):
                GithubWebhookDelivery.objects.create(body=request.body, kind=request.headers["X-GitHub-Event"])  # ARM403
                return HttpResponse(status=204)
    ''',
    "flask_sqlalchemy_session_begin": '''
        from flask import Blueprint, request

        from .db import Session
        from .models import InboxMessage

        bp = Blueprint("sns", __name__)


        @bp.route("/sns", methods=["POST"])
        def receive_sns():
            envelope = request.get_json()
            with Session.begin() as session:
                session.add(InboxMessage(message_id=envelope["MessageId"], body=envelope["Message"]))  # ARM403
            return "", 204
    ''',
}


@pytest.mark.parametrize("name", sorted(FLAGGED))
def test_flagged(name):
    code = FLAGGED[name]
    assert flagged(code) == expected(code) != []


NOT_FLAGGED = {
    "get_or_create": '''
        from django.http import HttpResponse
        from django.views.decorators.csrf import csrf_exempt

        from billing.models import ProviderEvent


        @csrf_exempt
        def stripe_webhook(request):
            event = request.json()
            _, created = ProviderEvent.objects.get_or_create(external_id=event["id"], defaults={"payload": event})
            if not created:
                return HttpResponse(status=200)
            ProviderEvent.objects.update_or_create(external_id=event["id"], defaults={"status": "done"})
            return HttpResponse(status=200)
    ''',
    "integrity_error_guard_django": '''
        from celery import shared_task
        from django.db import IntegrityError, transaction

        from .models import ProcessedMessage


        @shared_task
        def handle_order_created(message_id, order):
            try:
                with transaction.atomic():
                    ProcessedMessage.objects.create(message_id=message_id)
            except IntegrityError:
                return "duplicate"
            return "ok"
    ''',
    "integrity_error_guard_sqlalchemy_commit": '''
        import sqlalchemy.exc

        from .models import WebhookDelivery


        async def consume(session, message):
            session.add(WebhookDelivery(delivery_id=message.headers["id"], body=message.body))
            try:
                await session.commit()
            except sqlalchemy.exc.IntegrityError:
                await session.rollback()
    ''',
    "suppress_integrity_error": '''
        from contextlib import suppress

        from django.db import IntegrityError

        from .models import WebhookEvent


        def process_webhook(payload):
            with suppress(IntegrityError):
                WebhookEvent.objects.create(event_id=payload["id"], body=payload)
    ''',
    "bulk_create_ignore_conflicts": '''
        from celery import shared_task

        from .models import WebhookEvent


        @shared_task
        def ingest_batch(events):
            WebhookEvent.objects.bulk_create(
                [WebhookEvent(event_id=e["id"], kind=e["type"]) for e in events],
                ignore_conflicts=True,
            )
            WebhookEvent.objects.bulk_create(
                [WebhookEvent(event_id=e["id"], kind=e["type"]) for e in events],
                update_conflicts=True,
                unique_fields=["event_id"],
                update_fields=["kind"],
            )
    ''',
    "sqlalchemy_on_conflict_do_nothing": '''
        from sqlalchemy.dialects.postgresql import insert

        from .models import WebhookDelivery


        async def handle_delivery(session, delivery):
            stmt = insert(WebhookDelivery).values(delivery_id=delivery.id, body=delivery.body)
            result = await session.execute(stmt.on_conflict_do_nothing(index_elements=["delivery_id"]))
            await session.commit()
            if result.rowcount == 0:
                return
    ''',
    "existence_check_before_create": '''
        from django.http import HttpResponse

        from .models import ProviderEvent


        def mercadopago_webhook(request):
            data = request.json()
            if ProviderEvent.objects.filter(external_id=data["id"]).exists():
                return HttpResponse(status=200)
            ProviderEvent.objects.create(external_id=data["id"], payload=data)
            return HttpResponse(status=200)
    ''',
    "get_under_does_not_exist": '''
        from .models import InboxMessage


        def on_message(message):
            try:
                InboxMessage.objects.get(message_id=message.id)
                return
            except InboxMessage.DoesNotExist:
                pass
            InboxMessage.objects.create(message_id=message.id, body=message.body)
    ''',
    "admin_crud_view_creating_payment": '''
        from django.contrib.admin.views.decorators import staff_member_required
        from django.shortcuts import get_object_or_404, redirect

        from billing.forms import ManualPaymentForm
        from billing.models import Invoice, Payment


        @staff_member_required
        def record_manual_payment(request, invoice_id):
            invoice = get_object_or_404(Invoice, pk=invoice_id)
            form = ManualPaymentForm(request.POST)
            if form.is_valid():
                Payment.objects.create(
                    invoice=invoice,
                    amount=form.cleaned_data["amount"],
                    method="cash",
                    recorded_by=request.user,
                )
            return redirect("invoice-detail", invoice_id)
    ''',
    "domain_event_emitter": '''
        from django.db import transaction

        from .models import DomainEvent


        def record_domain_event(kind, payload):
            with transaction.atomic():
                DomainEvent.objects.create(kind=kind, payload=payload)
    ''',
    "payment_row_from_our_own_charge": '''
        import stripe
        from celery import shared_task

        from .models import Order, Payment


        @shared_task
        def charge_order(order_id):
            order = Order.objects.get(pk=order_id)
            charge = stripe.Charge.create(amount=order.cents, currency="usd", source=order.token)
            Payment.objects.create(order=order, charge_id=charge.id, amount=order.cents)
    ''',
    "checkout_session_id_from_our_own_call": '''
        import stripe
        from django.shortcuts import redirect

        from shop.models import Order


        def checkout(request):
            session = stripe.checkout.Session.create(mode="payment", line_items=request.session["cart"])
            Order.objects.create(user=request.user, stripe_checkout_session_id=session.id, status="open")
            return redirect(session.url)
    ''',
    "methods_of_a_webhook_model": '''
        from django.db import models


        class WebhookEndpoint(models.Model):
            url = models.URLField()

            def record_delivery(self, event):
                return WebhookDelivery.objects.create(endpoint=self, event=event, status="pending")


        class WebhookDelivery(models.Model):
            endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE)
    ''',
    "django_signal_receiver": '''
        from django.db.models.signals import post_save
        from django.dispatch import receiver

        from .models import Order, Payment


        @receiver(post_save, sender=Order)
        def handle_order_paid(sender, instance, created, **kwargs):
            if instance.status == "paid":
                Payment.objects.create(order=instance, amount=instance.total)
    ''',
    "session_add_committed_by_caller": '''
        from .models import WebhookDelivery


        def store_delivery(session, message):
            session.add(WebhookDelivery(delivery_id=message.id, body=message.body))
    ''',
    "ordinary_crud_outside_delivery_context": '''
        from .models import Customer, Payment


        def import_customers(rows):
            for row in rows:
                Customer.objects.create(external_id=row["id"], name=row["name"])


        def create_invoice_payment(invoice, amount):
            return Payment.objects.create(invoice=invoice, amount=amount)
    ''',
    "append_only_delivery_log": '''
        from .models import WebhookDeliveryAttempt, WebhookLog


        def stripe_webhook(request):
            WebhookLog.objects.create(body=request.body, headers=dict(request.headers))
            WebhookDeliveryAttempt.objects.create(status_code=200)
    ''',
    "not_an_orm_create": '''
        import stripe

        from .clients import openai_client


        def handle_refund_request(message):
            stripe.Refund.create(charge=message["charge"], idempotency_key=message["id"])
            openai_client.chat.completions.create(model="gpt-4o-mini", messages=[])
    ''',
}


@pytest.mark.parametrize("name", sorted(NOT_FLAGGED))
def test_not_flagged(name):
    assert flagged(NOT_FLAGGED[name]) == []


TEST_CODE = '''
    import pytest

    from .models import ProviderEvent


    @pytest.fixture
    def stripe_event(db):
        return ProviderEvent.objects.create(external_id="evt_123", provider="stripe")


    def test_webhook_is_recorded(client, stripe_event):
        ProviderEvent.objects.create(external_id="evt_456", provider="stripe")
        assert client.post("/webhooks/stripe", data={}).status_code == 200


    class TestConsumer:
        def handle_message(self, message):
            ProviderEvent.objects.create(external_id=message["id"])
'''


def test_test_code_is_never_flagged():
    assert flagged(TEST_CODE, path="app/webhook_fixtures.py") == []
    # A handler-looking helper inside a tests/ tree is test code too.
    assert flagged(FLAGGED["class_based_webhook_view"], path="tests/test_webhooks.py") == []


def test_message_names_the_key_and_the_fix():
    report = analyze("app/webhooks.py", textwrap.dedent(FLAGGED["django_stripe_webhook_view"]), ONLY_403)
    [finding] = report.findings
    assert "external_id" in finding.message and "get_or_create" in finding.message
    report = analyze(
        "app/hooks.py", textwrap.dedent(FLAGGED["fastapi_sqlalchemy_delivery_consumer"]), ONLY_403
    )
    [finding] = report.findings
    assert "delivery_id" in finding.message and "on_conflict_do_nothing" in finding.message
    pt = analyze(
        "app/webhooks.py",
        textwrap.dedent(FLAGGED["django_stripe_webhook_view"]),
        Settings(select=frozenset({"ARM403"}), language="pt-BR"),
    )
    assert "constraint única" in pt.findings[0].message


def test_suppression_and_selection():
    code = FLAGGED["celery_task_recording_processed_messages"]
    assert flagged(code, settings=Settings(ignore=frozenset({"ARM403"}))) == []
    assert flagged(code, settings=Settings(select=frozenset({"ARM4"}))) == expected(code)
    suppressed = code.replace("# ARM403", "# armadilhas: ignore[ARM403]")
    assert flagged(suppressed) == []
