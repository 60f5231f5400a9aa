"""Round 8, non-idempotent family in general form: payment SDKs known only by their import,
payment gateways reached by any HTTP client (urllib included), token refreshes at a provider
saved afterwards, and provider notifications recording transaction rows. A trailing `# ARM40x`
(or `# ARM40x medium`) marks where a finding must start; every other line must stay quiet."""
from __future__ import annotations

from tests.rules.test_realcode_effects import check

# --------------------------------------------------------------------------------------------
# ARM401: provider SDKs by import


def test_sdk_money_calls_without_a_key():
    check(
        '''
        import paypalrestsdk
        import razorpay
        from mollie.api.client import Client as MollieClient


        def pay_with_paypal(order, payer_id, payment_id):
            payment = paypalrestsdk.Payment.find(payment_id)
            payment.execute({"payer_id": payer_id})  # ARM401


        def refund_razorpay(settings, payment_id, amount):
            client = razorpay.Client(auth=(settings.key_id, settings.key_secret))
            client.payment.capture(payment_id, amount)
            return client.payment.refund(payment_id, {"amount": amount})  # ARM401


        def mollie_checkout(api_key, order):
            mollie = MollieClient()
            mollie.set_api_key(api_key)
            return mollie.payments.create({"amount": {"currency": "EUR", "value": order.total}})  # ARM401
        ''',
        rules=("ARM401",),
    )


def test_sdk_object_creates_are_medium_and_reads_stay_quiet():
    check(
        '''
        import chargebee
        from paystackapi.transaction import Transaction


        def subscribe(account):
            result = chargebee.Subscription.create({"plan_id": account.plan})  # ARM401 medium
            return chargebee.Subscription.retrieve(result.subscription.id)


        def charge_card(order, authorization_code):
            return Transaction.charge(
                reference=f"order-{order.pk}", authorization_code=authorization_code, amount=order.kobo
            )


        def lookup(reference):
            return Transaction.verify(reference=reference)
        ''',
        rules=("ARM401",),
    )


def test_sdk_calls_with_a_key_and_orm_models_named_for_providers_stay_quiet():
    check(
        '''
        import uuid

        import yookassa
        from yookassa import Payment

        from .models import RazorpayPayment


        def pay(order):
            return Payment.create({"amount": {"value": order.total, "currency": "RUB"}}, str(order.uuid))


        def record(order, payment_id):
            return RazorpayPayment.objects.create(order=order, razorpay_id=payment_id)


        def executed(payment):
            return payment.execute({"payer_id": "x"})
        ''',
        rules=("ARM401",),
    )


# --------------------------------------------------------------------------------------------
# ARM401: gateways over plain HTTP, urllib included


def test_gateway_hosts_posted_through_requests_and_urllib():
    check(
        '''
        import urllib.request
        from urllib.parse import urlencode

        import requests

        AUTHNET_URL = "https://secure.authorize.net/gateway/transact.dll"


        def authorize_net_sale(card, amount):
            fields = {"x_type": "AUTH_CAPTURE", "x_amount": amount, "x_card_num": card.number}
            return requests.post(AUTHNET_URL, data=fields)  # ARM401


        def payflow_sale(params):
            request = urllib.request.Request("https://payflowpro.paypal.com", data=urlencode(params).encode())
            return urllib.request.urlopen(request, timeout=30).read()  # ARM401


        def payflow_keyed(params, attempt_id):
            request = urllib.request.Request(
                "https://payflowpro.paypal.com",
                data=urlencode(params).encode(),
                headers={"X-VPS-REQUEST-ID": attempt_id, "Idempotency-Key": attempt_id},
            )
            return urllib.request.urlopen(request, timeout=30).read()


        def gateway_status(reference):
            return requests.post("https://api.paystack.co/transaction/verify/" + reference)


        def read_page():
            return urllib.request.urlopen("https://secure.authorize.net/gateway/transact.dll").read()
        ''',
        rules=("ARM401",),
    )


# --------------------------------------------------------------------------------------------
# ARM402: token refreshes at a provider, saved afterwards


def test_token_refresh_saved_after_the_call():
    check(
        '''
        import requests


        class LinkedAccount:
            def renew(self, backend):
                refresh = getattr(backend, "refresh_token", None)
                if refresh is not None:
                    pair = refresh(self.extra["refresh_token"])  # ARM402 medium
                    self.extra.update(pair)
                    self.save()


        def renew_calendar(account, settings):
            response = requests.post(  # ARM402
                settings.TOKEN_URL,
                data={"grant_type": "refresh_token", "refresh_token": account.refresh_token},
                timeout=10,
            )
            account.access_token = response.json()["access_token"]
            account.save()
        ''',
        rules=("ARM402",),
    )


def test_token_reads_checks_and_save_first_stay_quiet():
    check(
        '''
        import requests


        def exchange_code(account, settings, code):
            response = requests.post(
                settings.TOKEN_URL, data={"grant_type": "authorization_code", "code": code}, timeout=10
            )
            account.access_token = response.json()["access_token"]
            account.save()


        def check_grant(validator, account, request):
            if validator.validate_refresh_token(account.refresh_token, request.client, request):
                account.last_checked = request.now
                account.save()


        def renew_unsaved(session, settings, account):
            return session.refresh_token(settings.TOKEN_URL, refresh_token=account.refresh_token)
        ''',
        rules=("ARM402",),
    )


# --------------------------------------------------------------------------------------------
# ARM403: provider notifications recording transaction rows


def test_notification_views_record_transactions_without_a_lookup():
    check(
        '''
        from django.views import View

        from .models import PaymentTransaction, PaypalIPN


        def paypal_ipn(request):
            PaypalIPN.objects.create(payer_email=request.POST["payer_email"], amount=request.POST["mc_gross"])  # ARM403


        class GatewayNotificationView(View):
            def post(self, request, order_id):
                data = request.POST
                PaymentTransaction.objects.create(order_id=order_id, amount=data["amount"], status=data["status"])  # ARM403
                return HttpResponse("OK")


        def record_gateway_outcome(registration, amount, provider=None, data=None):
            entry = PaymentTransaction.create_for(registration=registration, amount=amount, provider=provider, data=data)  # ARM403 medium
            return entry
        ''',
        path="shop/payments/views.py",
        rules=("ARM403",),
    )


def test_notifications_with_lookups_and_ordinary_recorders_stay_quiet():
    check(
        '''
        from django.db import IntegrityError

        from .models import Invoice, PaymentTransaction, PaypalIPN


        def paypal_ipn(request):
            if PaypalIPN.objects.filter(txn_id=request.POST["txn_id"]).exists():
                return HttpResponse("OK")
            PaypalIPN.objects.create(txn_id=request.POST["txn_id"], amount=request.POST["mc_gross"])


        def gateway_notification(request):
            try:
                PaymentTransaction.objects.create(order_id=request.POST["order"], amount=request.POST["amount"])
            except IntegrityError:
                pass


        def render_invoice(customer, provider=None, data=None):
            return Invoice.create_draft(customer=customer, provider=provider, lines=data)


        def record_gateway_outcome(registration, amount, provider=None, data=None):
            PaymentTransaction.create_or_update(registration=registration, amount=amount, data=data)
        ''',
        path="shop/payments/views.py",
        rules=("ARM403",),
    )


def test_token_refresh_followed_by_unrelated_saves_stays_quiet():
    check(
        '''
        def sync_profile(event, backend):
            info = backend.refresh_access_token(event.profile.refresh_token, ttl=300)
            if not info.get("access_token"):
                event.status = "ignored"
                event.save()
                return
            event.status = "processed"
            event.save()


        def renew_session(request, backend, profile):
            info = backend.refresh_access_token(profile.refresh_token)
            if info.get("access_token"):
                request.session["access_token"] = info["access_token"]
            else:
                profile.refresh_token = ""
                profile.save()
        ''',
        rules=("ARM402",),
    )


def test_sdk_clients_held_on_self_or_at_module_level():
    check(
        '''
        import razorpay
        import requests

        gateway = razorpay.Client(auth=("key", "secret"))


        class RazorpayProvider:
            def __init__(self, key_id, key_secret):
                self.client = razorpay.Client(auth=(key_id, key_secret))
                self.session = requests.Session()

            def start(self, order):
                return self.client.order.create({"amount": order.paise, "currency": "INR"})  # ARM401 medium

            def give_back(self, payment_id, amount):
                return self.client.payment.refund(payment_id, {"amount": amount})  # ARM401

            def details(self, payment_id):
                return self.client.payment.fetch(payment_id)


        def payout(account, amount):
            return gateway.transfer.create({"account": account, "amount": amount})  # ARM401
        ''',
        rules=("ARM401",),
    )


# --------------------------------------------------------------------------------------------
# ARM402: sends over any HTTP API, recorded afterwards


def test_stdlib_and_urllib3_posts_recorded_afterwards():
    check(
        '''
        import http.client
        import json
        import urllib.request

        import urllib3

        from .models import Notification

        pool = urllib3.PoolManager()


        def push_to_partner(notification_id):
            note = Notification.objects.get(pk=notification_id)
            pool.request("POST", note.partner_url, body=json.dumps(note.payload))  # ARM402
            Notification.objects.filter(pk=notification_id).update(sent=True)


        def page_oncall(alert):
            conn = http.client.HTTPSConnection("events.pagerduty.example")
            conn.request("POST", "/v2/enqueue", json.dumps(alert.body))  # ARM402
            alert.notified = True
            alert.save()


        def ping_hook(alert):
            request = urllib.request.Request(alert.hook_url, data=json.dumps(alert.body).encode())
            urllib.request.urlopen(request, timeout=10)  # ARM402
            alert.delivered = True
            alert.save()


        def fetch_status(alert):
            body = urllib.request.urlopen(alert.status_url, timeout=10).read()
            alert.last_status = body
            alert.save()


        def poll_partner(note):
            pool.request("GET", note.partner_url)
            note.checked = True
            note.save()
        ''',
        path="alerts/delivery.py",
        rules=("ARM402",),
    )


def test_return_views_recording_the_gateway_txn_id():
    check(
        '''
        from .models import Payment, Receipt


        def payment_return(request, order_id):
            Receipt.objects.create(order_id=order_id, txn_id=request.GET["txn_id"])  # ARM403


        def payment_summary(request, order_id):
            return Payment.objects.filter(order_id=order_id).first()
        ''',
        path="shop/payments/views.py",
        rules=("ARM403",),
    )


def test_singular_money_paths_posted_to_any_provider():
    check(
        '''
        import httpx


        async def give_back(client_id, capture_id, amount, base):
            async with httpx.AsyncClient(base_url=base) as client:
                return await client.post(f"/v2/payments/captures/{capture_id}/refund", json={"amount": amount})  # ARM401


        async def give_back_once(capture_id, amount, base, attempt):
            async with httpx.AsyncClient(base_url=base) as client:
                return await client.post(
                    f"/v2/payments/captures/{capture_id}/refund",
                    json={"amount": amount},
                    headers={"PayPal-Request-Id": attempt},
                )


        def charge_saved_card(base, token, amount):
            return httpx.post(f"{base}/charge", json={"token": token, "amount": amount})  # ARM401


        def check_charge(base, charge_id):
            return httpx.post(f"{base}/charge/verify", json={"id": charge_id})
        ''',
        rules=("ARM401",),
    )


def test_payment_views_storing_request_fields_are_medium():
    check(
        '''
        from .models import Payment, PaymentTransaction, Profile


        def payment_complete(request, order):
            PaymentTransaction.objects.create(  # ARM403 medium
                order=order, amount=request.POST["amount"], reference=request.POST["ref"]
            )


        def payment_settings(request):
            Profile.objects.create(user=request.user, currency=request.POST["currency"])


        def payment_page(request, order):
            Payment.objects.create(order=order, amount=order.total)
        ''',
        path="shop/payments/views.py",
        rules=("ARM403",),
    )


def test_sdk_imported_from_a_submodule_is_enough():
    check(
        '''
        from paystackapi.transfer import Transfer


        def pay_vendor(vendor, amount):
            return Transfer.initiate(source="balance", amount=amount, recipient=vendor.recipient_code)  # ARM401


        def pay_vendor_once(vendor, amount, payout):
            return Transfer.initiate(
                source="balance", amount=amount, recipient=vendor.recipient_code, reference=f"payout-{payout.pk}"
            )
        ''',
        rules=("ARM401",),
    )
