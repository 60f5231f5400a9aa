"""ARM401/ARM402 on the shapes payment code takes in public projects: every object-creating or
money-moving call of a payment SDK (not only charges), through module resources and through
StripeClient, and the other providers' creates that accept a key. A trailing `# ARM401` (or
`# ARM401 medium`) marks where a finding must start and its confidence; every other line must
stay quiet."""
from __future__ import annotations

import re
import textwrap

from analyzers import Settings, analyze

_MARK = re.compile(r"#\s*(ARM\d{3}(?:\s*,\s*ARM\d{3})*)(?:\s+(medium))?\s*$")


def check(code: str, path: str = "billing/service.py", rules: tuple[str, ...] = ("ARM401", "ARM402", "ARM403")) -> None:
    code = textwrap.dedent(code)
    expected = []
    for lineno, line in enumerate(code.splitlines(), 1):
        mark = _MARK.search(line)
        if mark:
            expected += [(rule.strip(), lineno, mark.group(2) or "high") for rule in mark.group(1).split(",")]
    report = analyze(path, code, Settings(select=frozenset(rules)))
    assert report.notes == []
    assert sorted((f.rule, f.line, f.confidence) for f in report.findings) == sorted(expected)


# --------------------------------------------------------------------------------------------
# Stripe: module resources


def test_stripe_object_creates_without_a_key():
    check(
        '''
        import stripe


        def start_plan(account, price_id):
            customer = stripe.Customer.create(email=account.email, name=account.name)  # ARM401
            stripe.InvoiceItem.create(customer=customer.id, amount=4900, currency="brl")  # ARM401
            invoice = stripe.Invoice.create(customer=customer.id, auto_advance=True)  # ARM401
            subscription = stripe.Subscription.create(  # ARM401
                customer=customer.id,
                items=[{"price": price_id}],
            )
            account.stripe_customer_id = customer.id
            account.stripe_subscription_id = subscription.id
            return invoice.id
        '''
    )


def test_stripe_money_moves_beyond_charges():
    check(
        '''
        from stripe import Payout, Refund, Transfer


        def settle(seller, amount_cents, charge_id):
            Transfer.create(amount=amount_cents, currency="usd", destination=seller.account_id)  # ARM401
            Payout.create(amount=amount_cents, currency="usd", stripe_account=seller.account_id)  # ARM401


        def give_back(charge_id):
            return Refund.create(charge=charge_id, reason="requested_by_customer")  # ARM401
        '''
    )


def test_stripe_checkout_sessions_and_quotes_are_medium():
    # a duplicate session or quote bills nobody until someone acts on it
    check(
        '''
        import stripe


        def checkout(cart):
            session = stripe.checkout.Session.create(  # ARM401 medium
                mode="payment",
                line_items=[{"price": cart.price_id, "quantity": 1}],
                success_url="https://shop.example/ok",
            )
            return session.url
        '''
    )


def test_stripe_keyed_creates_reads_and_catalog_objects_stay_quiet():
    check(
        '''
        import stripe


        def start_plan(account, price_id, **extra):
            customer = stripe.Customer.create(email=account.email, idempotency_key=f"customer-{account.id}")
            stripe.Subscription.create(
                customer=customer.id, items=[{"price": price_id}], idempotency_key=f"sub-{account.id}-{price_id}"
            )
            stripe.Customer.retrieve(customer.id)
            stripe.Customer.modify(customer.id, metadata={"account": account.id})
            stripe.Subscription.list(customer=customer.id)
        '''
    )


# --------------------------------------------------------------------------------------------
# Stripe: StripeClient


def test_stripe_client_creates_without_options_key():
    check(
        '''
        from stripe import StripeClient

        client = StripeClient("sk_live_placeholder")


        def register(user):
            customer = client.v1.customers.create({"email": user.email})  # ARM401
            client.subscriptions.create(params={"customer": customer.id, "items": [{"price": "price_pro"}]})  # ARM401
            client.v1.refunds.create({"payment_intent": user.last_intent})  # ARM401
            return customer.id


        def register_keyed(user):
            return client.v1.customers.create(
                {"email": user.email}, {"idempotency_key": f"register-{user.id}"}
            )


        def register_keyed_by_keyword(user):
            return client.customers.create(
                params={"email": user.email}, options={"idempotency_key": f"register-{user.id}"}
            )
        '''
    )


def test_django_related_managers_named_like_stripe_collections_stay_quiet():
    # `org.customers.create(name=...)` in a billing module is a Django reverse relation
    check(
        '''
        import stripe

        from .models import Organization


        def add_customer(org: Organization, name, email):
            record = org.customers.create(name=name, email=email)
            org.subscriptions.create(plan="free", seats=3)
            return record
        '''
    )


# --------------------------------------------------------------------------------------------
# other providers


def test_mercadopago_customer_and_preapproval_creates():
    check(
        '''
        import mercadopago

        sdk = mercadopago.SDK("ACCESS_TOKEN")


        def subscribe(user, plan):
            payer = sdk.customer().create({"email": user.email})  # ARM401
            sdk.preapproval().create({"payer_email": user.email, "preapproval_plan_id": plan.id})  # ARM401
            sdk.card().create(payer["response"]["id"], {"token": user.card_token})  # ARM401 medium
            return payer["response"]["id"]


        def subscribe_keyed(user, plan, options):
            return sdk.preapproval().create({"payer_email": user.email}, options)  # built by the caller
        '''
    )


def test_pagarme_v5_customer_and_subscription_creates():
    check(
        '''
        from pagarmeapisdk.pagarmeapisdk_client import PagarmeapisdkClient

        client = PagarmeapisdkClient(basic_auth_user_name="sk_test", basic_auth_password="")


        def subscribe(body_customer, body_subscription, account_id):
            client.customers.create_customer(body_customer)  # ARM401
            client.subscriptions.create_subscription(body_subscription, f"sub-{account_id}")
            client.subscriptions.create_subscription(body_subscription, idempotency_key=f"sub2-{account_id}")
        '''
    )


def test_checkout_com_payments_need_the_trailing_key():
    check(
        '''
        import checkout_sdk
        from checkout_sdk.payments.payments import PaymentRequest


        def pay(api, order, request: PaymentRequest):
            api.payments.request_payment(request)  # ARM401
            api.payments.request_payment(request, f"order-{order.id}")
            api.payments.refund_payment(order.payment_id, None, idempotency_key=f"refund-{order.id}")
            api.payments.refund_payment(order.payment_id)  # ARM401
            api.payments.get_payment_details(order.payment_id)
        '''
    )


def test_paypal_server_sdk_orders_need_paypal_request_id():
    check(
        '''
        from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient


        def place(client: PaypalServersdkClient, order, body):
            client.orders.create_order({"body": body, "prefer": "return=representation"})  # ARM401
            client.orders.create_order({"body": body, "paypal_request_id": f"order-{order.id}"})
            client.orders.get_order({"id": order.paypal_id})


        def capture(client, options):
            return client.orders.capture_order(options)  # options come from the caller
        '''
    )


# --------------------------------------------------------------------------------------------
# ARM402 stays about money and sends: a customer created then saved is ARM401's finding only


def test_customer_created_then_recorded_is_reported_once():
    check(
        '''
        import stripe


        def ensure_customer(user):
            customer = stripe.Customer.create(email=user.email)  # ARM401
            user.stripe_customer_id = customer.id
            user.save()
            return customer.id


        def charge(order):
            stripe.PaymentIntent.create(amount=order.cents, currency="usd", confirm=True)  # ARM401, ARM402
            order.status = "paid"
            order.save()
        '''
    )


# --------------------------------------------------------------------------------------------
# ARM403 in Python: one-shot scripts copy stored data, nothing redelivers it

_HANDLER = '''
from .models import StripeEvent


def process_event(event):
    StripeEvent.objects.create(stripe_event_id=event["id"], kind=event["type"], payload=event)  # ARM403
'''


def test_orm_create_of_a_provider_event_in_a_handler():
    check(_HANDLER, path="billing/webhooks.py", rules=("ARM403",))


def test_same_create_in_migrations_backfills_and_port_scripts_stays_quiet():
    quiet = _HANDLER.replace("  # ARM403", "")
    for path in (
        "billing/migrations/0012_backfill_stripe_events.py",
        "alembic/versions/3f2a_copy_events.py",
        "scripts/backfill_stripe_events.py",
        "tools/port_stripe_events.py",
    ):
        check(quiet, path=path, rules=("ARM403",))
