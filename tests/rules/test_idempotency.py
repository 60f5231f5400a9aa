"""ARM401 and ARM402 on realistic payment, email and messaging code. A line ending in
`# ARM401` / `# ARM402` is where that rule's finding must start; every other line stays quiet."""
from __future__ import annotations

import textwrap

import pytest

from analyzers import Settings, analyze


def check(code: str, rule: str) -> None:
    code = textwrap.dedent(code)
    expected = [i for i, line in enumerate(code.splitlines(), 1) if line.rstrip().endswith(f"# {rule}")]
    report = analyze("app/payments.py", code, Settings(select=frozenset({rule})))
    assert report.notes == []
    assert [(f.rule, f.line) for f in report.findings] == [(rule, line) for line in expected]


# --------------------------------------------------------------------------------------------
# ARM401

ARM401_BAD = {
    "stripe_alias_and_from_import": '''
        import stripe as st
        from stripe import Refund


        def charge(order):
            return st.Charge.create(amount=order.cents, currency="usd", source=order.token)  # ARM401


        def refund(order):
            return Refund.create(charge=order.charge_id)  # ARM401
    ''',
    "flask_view_payment_intent_and_transfer": '''
        import stripe
        from flask import Flask, request

        app = Flask(__name__)


        @app.post("/checkout")
        def checkout():
            intent = stripe.PaymentIntent.create(  # ARM401
                amount=request.json["amount"],
                currency="brl",
                payment_method_types=["card"],
            )
            stripe.Transfer.create(amount=100, currency="brl", destination=request.json["acct"])  # ARM401
            return {"client_secret": intent.client_secret}
    ''',
    "stripe_client_without_options": '''
        from stripe import StripeClient

        client = StripeClient("sk_test_123")


        class Billing:
            async def pay(self, amount, customer):
                return await client.v1.payment_intents.create_async(  # ARM401
                    params={"amount": amount, "currency": "usd", "customer": customer}
                )

            def payout(self, amount, account):
                options = {"stripe_account": account}
                return client.payouts.create({"amount": amount, "currency": "usd"}, options)  # ARM401
    ''',
    "adyen_checkout_payments": '''
        import Adyen

        adyen = Adyen.Adyen()


        def authorise(request_body):
            return adyen.checkout.payments_api.payments(request_body)  # ARM401
    ''',
    "mercadopago_request_options_without_key": '''
        import mercadopago
        from mercadopago.config import RequestOptions

        sdk = mercadopago.SDK("TOKEN")


        def pix(order):
            request_options = RequestOptions(access_token="TOKEN")
            return sdk.payment().create({"transaction_amount": order.total}, request_options)  # ARM401


        def refund(payment_id):
            return sdk.refund().create(payment_id)  # ARM401
    ''',
    "pagarme_sdk": '''
        from pagarmeapisdk.pagarmeapisdk_client import PagarmeapisdkClient

        client = PagarmeapisdkClient(basic_auth_user_name="sk_test", basic_auth_password="")


        def place(body):
            return client.orders.create_order(body)  # ARM401
    ''',
    "paypal_capture": '''
        from paypalcheckoutsdk.orders import OrdersCaptureRequest


        def capture(client, order_id):
            request = OrdersCaptureRequest(order_id)
            return client.execute(request)  # ARM401
    ''',
    "raw_http_to_payment_apis": '''
        import aiohttp
        import httpx
        import requests

        PAYPAL = "https://api-m.paypal.com"


        def capture(order_id, token):
            return requests.post(  # ARM401
                f"{PAYPAL}/v2/checkout/orders/{order_id}/capture",
                headers={"Authorization": f"Bearer {token}"},
            )


        async def pay_mp(payload, token):
            async with httpx.AsyncClient() as http:
                return await http.post(  # ARM401
                    "https://api.mercadopago.com/v1/payments", json=payload, headers={"Authorization": token}
                )


        async def pay_pagarme(body):
            async with aiohttp.ClientSession() as session:
                async with session.post("https://api.pagar.me/core/v5/orders", json=body) as resp:  # ARM401
                    return await resp.json()
    ''',
}

ARM401_GOOD = {
    "keys_in_kwargs_options_and_headers": '''
        import requests
        import stripe
        from stripe import StripeClient

        client = StripeClient("sk_test_123")


        def charge(order):
            stripe.Charge.create(amount=order.cents, currency="usd", idempotency_key=f"charge-{order.id}")
            client.payment_intents.create(
                params={"amount": order.cents, "currency": "usd"},
                options={"idempotency_key": f"pi-{order.id}"},
            )


        def refund(charge_id, key):
            headers = {"Authorization": f"Bearer {key}"}
            headers["Idempotency-Key"] = f"refund-{charge_id}"
            return requests.post("https://api.stripe.com/v1/refunds", headers=headers, data={"charge": charge_id})
    ''',
    "reads_are_fine": '''
        import requests
        import stripe


        def show(customer_id, key):
            stripe.Customer.retrieve(customer_id)
            stripe.Charge.list(customer=customer_id, limit=10)
            stripe.PaymentIntent.retrieve("pi_123")
            return requests.get("https://api.stripe.com/v1/charges", auth=(key, "")).json()
    ''',
    "options_from_the_caller": '''
        import stripe


        def charge(params, **kwargs):
            return stripe.Charge.create(**params)


        def intent(amount, request_options):
            return stripe.PaymentIntent.create(amount=amount, currency="usd", **request_options)
    ''',
    "mercadopago_with_idempotency_header": '''
        import mercadopago
        from mercadopago.config import RequestOptions

        sdk = mercadopago.SDK("TOKEN")


        def pix(order):
            request_options = RequestOptions()
            request_options.custom_headers = {"x-idempotency-key": f"order-{order.id}"}
            return sdk.payment().create({"transaction_amount": order.total}, request_options)
    ''',
    "paypal_with_request_id_and_oauth_token": '''
        import requests
        from paypalcheckoutsdk.orders import OrdersCaptureRequest


        def capture(client, order_id):
            request = OrdersCaptureRequest(order_id)
            request.headers["PayPal-Request-Id"] = f"capture-{order_id}"
            return client.execute(request)


        def token(client_id, secret):
            return requests.post(
                "https://api-m.paypal.com/v1/oauth2/token", auth=(client_id, secret), data={"grant_type": "client_credentials"}
            )
    ''',
    # Customers and sessions are objects a retry duplicates (tests/rules/test_realcode_effects.py);
    # catalog objects and tokens are not: a setup script makes them once, a token is inert.
    "catalog_objects_and_tokens": '''
        import stripe


        def seed_catalog():
            product = stripe.Product.create(name="Gold")
            stripe.Price.create(product=product.id, unit_amount=1000, currency="usd")


        def tokenize(card):
            return stripe.Token.create(card=card)
    ''',
}


@pytest.mark.parametrize("code", ARM401_BAD.values(), ids=ARM401_BAD.keys())
def test_arm401_flags_payments_without_key(code):
    check(code, "ARM401")


@pytest.mark.parametrize("code", ARM401_GOOD.values(), ids=ARM401_GOOD.keys())
def test_arm401_leaves_keyed_calls_and_reads_alone(code):
    check(code, "ARM401")


# --------------------------------------------------------------------------------------------
# ARM402

ARM402_BAD = {
    "anti_pattern_4_welcome_email": '''
        from .email import email_service


        def send_welcome_email(conn, user_id):
            email_service.send(user_id)  # ARM402
            with conn.cursor() as cur:
                cur.execute("update users set welcome_sent = true where id = %s", (user_id,))
            conn.commit()
    ''',
    "celery_task_send_mail_then_save": '''
        from celery import shared_task
        from django.core.mail import EmailMessage

        from .models import Invoice


        @shared_task(bind=True, max_retries=5)
        def email_invoice(self, invoice_id):
            invoice = Invoice.objects.get(pk=invoice_id)
            msg = EmailMessage("Your invoice", invoice.render(), to=[invoice.customer_email])
            msg.send()  # ARM402
            invoice.emailed = True
            invoice.save(update_fields=["emailed"])
    ''',
    "flask_charge_then_session_commit": '''
        import stripe
        from flask import request

        from .db import db
        from .models import Payment


        def pay():
            charge = stripe.Charge.create(amount=request.json["amount"], currency="usd", source="tok")  # ARM402
            db.session.add(Payment(charge_id=charge.id, amount=charge.amount))
            db.session.commit()
    ''',
    "twilio_sms_then_orm_create": '''
        from twilio.rest import Client

        from .models import SmsLog

        twilio = Client("sid", "token")


        def send_code(phone, code):
            message = twilio.messages.create(to=phone, from_="+15550000", body=f"Your code: {code}")  # ARM402
            SmsLog.objects.create(phone=phone, sid=message.sid)
    ''',
    "ses_then_update_in_rq_job": '''
        import boto3

        ses = boto3.client("ses")


        def notify_shipment(conn, order):
            ses.send_email(  # ARM402
                Source="shop@example.com",
                Destination={"ToAddresses": [order["email"]]},
                Message={"Subject": {"Data": "Shipped"}, "Body": {"Text": {"Data": "On its way"}}},
            )
            conn.execute("update orders set shipped_email_at = now() where id = %s", (order["id"],))
    ''',
    "kafka_publish_then_attribute_commit": '''
        from kafka import KafkaProducer

        producer = KafkaProducer(bootstrap_servers="kafka:9092")


        class OrderService:
            def __init__(self, session):
                self.session = session

            def confirm(self, order):
                producer.send("orders.confirmed", value=order.to_json())  # ARM402
                order.status = "confirmed"
                self.session.commit()
    ''',
    "webhook_delivery_then_save": '''
        import requests

        from .models import Delivery


        def deliver(delivery_id):
            delivery = Delivery.objects.get(pk=delivery_id)
            resp = requests.post(delivery.endpoint.url, json=delivery.payload, timeout=10)  # ARM402
            delivery.status = "delivered" if resp.ok else "failed"
            delivery.save()
    ''',
    "fastapi_async_httpx_then_asyncpg_insert": '''
        import httpx
        from fastapi import FastAPI

        app = FastAPI()


        @app.post("/orders/{order_id}/ship")
        async def ship(order_id: int, pool=None):
            async with httpx.AsyncClient() as client:
                label = await client.post("https://carrier.example.com/labels", json={"order": order_id})  # ARM402
            async with pool.acquire() as conn:
                await conn.execute("insert into labels (order_id, body) values ($1, $2)", order_id, label.text)
    ''',
    "sns_publish_then_queryset_update": '''
        import boto3

        from .models import Alert

        sns = boto3.client("sns")


        def raise_alert(alert_id, text):
            sns.publish(TopicArn="arn:aws:sns:us-east-1:1:alerts", Message=text)  # ARM402
            Alert.objects.filter(pk=alert_id).update(published=True)
    ''',
    "record_wraps_the_effect": '''
        import stripe

        from .models import Payment


        def pay(order):
            Payment.objects.create(order=order, charge=stripe.Charge.create(amount=order.cents, currency="usd"))  # ARM402
    ''',
}

ARM402_GOOD = {
    "outbox_insert_first": '''
        def request_welcome_email(conn, user_id):
            with conn.cursor() as cur:
                cur.execute(
                    "insert into email_outbox (user_id, kind) values (%s, 'welcome') "
                    "on conflict (user_id, kind) do nothing",
                    (user_id,),
                )
            conn.commit()
    ''',
    "outbox_worker": '''
        from django.core.mail import send_mail


        def drain(conn):
            with conn.cursor() as cur:
                cur.execute("select id, email from email_outbox where sent_at is null for update skip locked limit 10")
                for row_id, email in cur.fetchall():
                    send_mail("Hi", "Welcome", "hello@example.com", [email])
                    cur.execute("update email_outbox set sent_at = now() where id = %s", (row_id,))
            conn.commit()
    ''',
    "claim_then_send": '''
        from django.core.mail import send_mail

        from .models import User


        def send_welcome(user_id):
            if User.objects.filter(pk=user_id, welcome_sent=False).update(welcome_sent=True):
                send_mail("Welcome", "Hello", "hello@example.com", [User.objects.get(pk=user_id).email])
    ''',
    "redis_claim_then_send": '''
        import redis
        from django.core.mail import send_mail

        from .models import Reminder

        r = redis.Redis()


        def remind(reminder_id, email):
            if not r.set(f"reminder:{reminder_id}", 1, nx=True, ex=86400):
                return
            send_mail("Reminder", "Tomorrow", "noreply@example.com", [email])
            Reminder.objects.filter(pk=reminder_id).update(sent=True)
    ''',
    "record_then_email": '''
        from django.core.mail import send_mail


        def register(form):
            user = form.save()
            send_mail("Welcome", "Thanks for signing up", "hello@example.com", [user.email])
    ''',
    "celery_delay_is_not_an_external_effect": '''
        from .tasks import send_receipt


        def checkout(order):
            send_receipt.delay(order.id)
            send_receipt.apply_async(args=[order.id], countdown=60)
            order.status = "paid"
            order.save()
    ''',
    "keyed_payment_then_insert": '''
        import stripe


        def process_payment(conn, payment):
            charge = stripe.Charge.create(
                amount=payment.amount, currency="usd", source=payment.token, idempotency_key=f"pay-{payment.id}"
            )
            conn.execute(
                "insert into payments (id, charge_id) values (%s, %s) on conflict (id) do nothing",
                (payment.id, charge.id),
            )
    ''',
    "failure_recorded_in_except_handler": '''
        import smtplib

        from .models import Notice


        def notify(notice_id, server, to, body):
            try:
                server.sendmail("noreply@example.com", [to], body)
            except smtplib.SMTPException:
                Notice.objects.filter(pk=notice_id).update(failed=True)
                raise
    ''',
    "alert_sent_in_except_then_job_saved": '''
        from django.core.mail import mail_admins


        def run(job):
            try:
                job.run()
            except Exception:
                mail_admins("job failed", str(job.id))
            job.finished = True
            job.save()
    ''',
    "branches_are_exclusive": '''
        from django.core.mail import send_mail


        def finish(order, notify):
            if notify:
                send_mail("Done", "Your order is done", "shop@example.com", [order.email])
            else:
                order.silent = True
                order.save()
    ''',
    "oauth_token_exchange_then_save": '''
        import requests


        def connect(user, code):
            resp = requests.post("https://github.com/login/oauth/access_token", data={"code": code})
            user.github_token = resp.json()["access_token"]
            user.save()
    ''',
    "reads_then_save": '''
        import requests


        def refresh_rates(rate):
            data = requests.get("https://api.exchangerate.host/latest").json()
            rate.value = data["rates"]["BRL"]
            rate.save()
    ''',
    "http_post_with_idempotency_key": '''
        import requests


        def ship(order):
            requests.post(
                "https://carrier.example.com/shipments",
                json={"order": order.id},
                headers={"Idempotency-Key": f"ship-{order.id}"},
            )
            order.shipped = True
            order.save()
    ''',
    "test_client_post_is_not_third_party": '''
        from .models import Item


        def test_create(client):
            client.post("/items", json={"name": "x"})
            Item.objects.create(name="y")
    ''',
}


@pytest.mark.parametrize("code", ARM402_BAD.values(), ids=ARM402_BAD.keys())
def test_arm402_flags_effect_recorded_afterwards(code):
    check(code, "ARM402")


@pytest.mark.parametrize("code", ARM402_GOOD.values(), ids=ARM402_GOOD.keys())
def test_arm402_leaves_record_first_and_lookalikes_alone(code):
    check(code, "ARM402")


def test_arm402_message_names_the_record_line():
    code = textwrap.dedent(ARM402_BAD["sns_publish_then_queryset_update"])
    report = analyze("app/alerts.py", code, Settings(select=frozenset({"ARM402"}), language="pt-BR"))
    assert [f.line for f in report.findings] == [10]
    assert "linha 11" in report.findings[0].message


def test_both_rules_on_the_crash_stop_anti_model():
    code = textwrap.dedent('''
        import stripe


        def process_payment(db, payment):
            stripe.Charge.create(amount=payment.amount, currency="usd", source=payment.token)
            db.execute("insert into payments (id, amount) values (%s, %s)", (payment.id, payment.amount))
    ''')
    report = analyze("app/payments.py", code, Settings(select=frozenset({"ARM401", "ARM402"})))
    assert [(f.rule, f.line) for f in report.findings] == [("ARM401", 6), ("ARM402", 6)]
