"""Side effects reached through the project's own wrappers in another module: a payment service
that forwards its keywords to Stripe, a gateway helper that charges, an HTTP client that POSTs.
With the project index a call of such a wrapper is the effect its body performs (ARM401 when the
caller gives no key the wrapper would hand on, ARM402 when the caller records afterwards)."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index

EFFECTS = Settings(select=frozenset({"ARM401", "ARM402"}))

STRIPE_SERVICE = """
    import stripe as stripe_lib


    class StripeService:
        async def create_payment_intent(self, **params):
            return await stripe_lib.PaymentIntent.create_async(**params)

        async def get_payment_intent(self, id):
            return await stripe_lib.PaymentIntent.retrieve_async(id)

        async def create_refund(self, charge_id, amount, idempotency_key=None):
            return await stripe_lib.Refund.create_async(
                charge=charge_id, amount=amount, idempotency_key=idempotency_key
            )

        async def refund_payment(self, payment_id, amount):
            return await stripe_lib.Refund.create_async(
                payment_intent=payment_id, amount=amount, idempotency_key=f"refund-{payment_id}"
            )


    stripe = StripeService()
"""


def run(files: dict[str, str], path: str, index: bool = True, settings: Settings = EFFECTS):
    texts = {name: textwrap.dedent(text) for name, text in files.items()}
    project = build_project_index(texts) if index else None
    report = analyze(path, texts[path], settings, project=project)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


def test_forwarding_service_called_without_a_key_is_flagged_at_the_call():
    caller = """
        from shop.integrations.stripe.service import stripe as stripe_service


        async def pay(order, method):
            intent = await stripe_service.create_payment_intent(
                amount=order.total, currency="usd", payment_method=method, confirm=True
            )
            return intent.id
    """
    files = {"shop/integrations/stripe/service.py": STRIPE_SERVICE, "shop/order/service.py": caller}
    assert run(files, "shop/order/service.py") == [("ARM401", 6)]
    assert run(files, "shop/order/service.py", index=False) == []


def test_key_that_is_none_on_one_path_is_no_key():
    caller = """
        from shop.integrations.stripe.service import stripe as stripe_service


        async def charge_off_session(order, method, sync):
            key = None
            if sync:
                key = f"finalize-{order.id}"
            return await stripe_service.create_payment_intent(
                amount=order.total, payment_method=method, off_session=True, idempotency_key=key
            )
    """
    files = {"shop/integrations/stripe/service.py": STRIPE_SERVICE, "shop/order/service.py": caller}
    assert run(files, "shop/order/service.py") == [("ARM401", 9)]


def test_keywords_spread_from_a_local_dict_without_a_key():
    caller = """
        from shop.integrations.stripe.service import stripe as stripe_service


        async def confirm(checkout):
            params = {"amount": checkout.total, "currency": "usd", "confirm": True}
            return await stripe_service.create_payment_intent(**params)
    """
    files = {"shop/integrations/stripe/service.py": STRIPE_SERVICE, "shop/checkout/service.py": caller}
    assert run(files, "shop/checkout/service.py") == [("ARM401", 7)]


def test_key_parameter_defaulting_to_none_left_out():
    caller = """
        from shop.integrations.stripe import service


        async def refund(payment, amount):
            return await service.stripe.create_refund(payment.charge_id, amount)
    """
    files = {"shop/integrations/stripe/service.py": STRIPE_SERVICE, "shop/refund/service.py": caller}
    assert run(files, "shop/refund/service.py") == [("ARM401", 6)]


def test_callers_that_key_the_wrapper_or_read_through_it_are_quiet():
    caller = """
        from shop.integrations.stripe.service import stripe as stripe_service


        async def pay(order, method):
            return await stripe_service.create_payment_intent(
                amount=order.total, payment_method=method, idempotency_key=f"order-{order.id}"
            )


        async def pay_spread(order):
            params = {"amount": order.total, "idempotency_key": f"order-{order.id}"}
            return await stripe_service.create_payment_intent(**params)


        async def refund(payment, amount, key):
            return await stripe_service.create_refund(payment.charge_id, amount, key)


        async def show(order):
            return await stripe_service.get_payment_intent(order.intent_id)


        async def refund_all(payment):
            refund = await stripe_service.refund_payment(payment.id, payment.amount)
            payment.refund_id = refund.id
            await payment.save()
    """
    files = {"shop/integrations/stripe/service.py": STRIPE_SERVICE, "shop/order/service.py": caller}
    assert run(files, "shop/order/service.py") == []


def test_forwarding_wrapper_itself_is_judged_at_its_callers():
    files = {"shop/integrations/stripe/service.py": STRIPE_SERVICE}
    assert run(files, "shop/integrations/stripe/service.py") == []
    # alone, the file cannot know its callers: the spread of **params stays a medium finding
    assert run(files, "shop/integrations/stripe/service.py", index=False) == [("ARM401", 7)]


def test_a_third_party_name_that_ends_like_a_project_attribute_is_not_the_project_s():
    caller = """
        import stripe


        async def pay(order):
            return stripe.create_payment_intent(amount=order.total)
    """
    files = {"shop/integrations/stripe/service.py": STRIPE_SERVICE, "shop/order/views.py": caller}
    assert run(files, "shop/order/views.py") == []


GATEWAY = """
    import stripe


    class PaymentsManager:
        @staticmethod
        def charge(order):
            return stripe.Charge.create(amount=order.total, currency="usd", source=order.token)

        @staticmethod
        def charge_and_record(order):
            charge = stripe.Charge.create(amount=order.total, currency="usd", source=order.token)
            order.charge_id = charge.id
            order.save()
            return charge
"""


def test_money_moved_by_another_module_s_gateway_then_recorded():
    caller = """
        from billing.gateway import PaymentsManager


        def checkout(order):
            charge = PaymentsManager.charge(order)
            order.charge_id = charge.id
            order.status = "paid"
            order.save()
    """
    files = {"billing/gateway.py": GATEWAY, "shop/views.py": caller}
    assert run(files, "shop/views.py") == [("ARM402", 6)]
    assert run(files, "shop/views.py", index=False) == []


def test_gateway_that_records_itself_or_record_first_is_quiet():
    caller = """
        from billing.gateway import PaymentsManager


        def checkout(order):
            return PaymentsManager.charge_and_record(order)


        def checkout_record_first(order):
            order.status = "charging"
            order.save()
            PaymentsManager.charge(order)
    """
    files = {"billing/gateway.py": GATEWAY, "shop/views.py": caller}
    assert run(files, "shop/views.py") == []


def test_http_post_wrapper_then_recorded_and_a_get_wrapper_look_alike():
    client = """
        import requests

        PARTNER = "https://partner.example.com/api/orders"


        def notify_partner(order):
            return requests.post(PARTNER, json={"order": order.id, "total": order.total})


        def partner_status(order):
            return requests.get(f"{PARTNER}/{order.id}").json()
    """
    caller = """
        from integrations.partner import notify_partner, partner_status
        from shop.models import Order


        def on_paid(order_id):
            order = Order.objects.get(pk=order_id)
            notify_partner(order)
            Order.objects.filter(pk=order_id).update(partner_notified=True)


        def refresh_partner_status(order_id):
            order = Order.objects.get(pk=order_id)
            status = partner_status(order)
            Order.objects.filter(pk=order_id).update(partner_status=status["state"])
    """
    files = {"integrations/partner.py": client, "shop/tasks.py": caller}
    assert run(files, "shop/tasks.py") == [("ARM402", 8)]


def test_two_levels_of_wrappers_are_followed():
    level1 = """
        import stripe


        def charge_card(amount, token):
            return stripe.Charge.create(amount=amount, currency="usd", source=token)
    """
    level2 = """
        from billing.cards import charge_card


        def charge_order(order):
            return charge_card(order.total, order.token)
    """
    caller = """
        from billing.orders import charge_order


        def complete(order):
            result = charge_order(order)
            order.charge_id = result.id
            order.save()
    """
    files = {"billing/cards.py": level1, "billing/orders.py": level2, "shop/checkout.py": caller}
    assert run(files, "shop/checkout.py") == [("ARM402", 6)]
    report = analyze("shop/checkout.py", textwrap.dedent(caller), EFFECTS,
                     project=build_project_index({k: textwrap.dedent(v) for k, v in files.items()}))
    assert [f.confidence for f in report.findings] == ["medium"]


def test_wrapper_that_builds_the_request_and_forwards_extras_stays_a_finding():
    model = """
        import stripe


        class Customer:
            def charge(self, amount, source=None, **kwargs):
                return stripe.Charge.create(customer=self.id, amount=amount, source=source, **kwargs)
    """
    assert run({"shop/models.py": model}, "shop/models.py", settings=Settings(select=frozenset({"ARM401"}))) == [
        ("ARM401", 7)
    ]


def test_wrapper_that_adds_to_the_forwarded_keywords_is_the_one_finding():
    actions = """
        import stripe


        def create(user, country, **kwargs):
            kwargs["country"] = country
            account = stripe.Account.create(**kwargs)
            return sync_account(account, user=user)
    """
    form = """
        from payments.actions import accounts


        def save(request, data):
            return accounts.create(request.user, country=data["country"])
    """
    files = {"payments/actions/accounts.py": actions, "payments/forms.py": form}
    only_401 = Settings(select=frozenset({"ARM401"}))
    assert run(files, "payments/actions/accounts.py", settings=only_401) == [("ARM401", 7)]
    assert run(files, "payments/forms.py", settings=only_401) == []


def test_getters_whose_post_is_a_lookup_are_no_effect_at_their_callers():
    links = """
        import requests


        def generate_short_url(long_url):
            response = requests.post("https://api-ssl.bitly.com/v4/shorten", json={"long_url": long_url})
            return response.json()["link"]
    """
    team = """
        from shop.links import generate_short_url


        def get_team_member_info(kind):
            return {"kind": kind, "link": generate_short_url(f"https://example.com/{kind}")}
    """
    task = """
        from shop.links import generate_short_url
        from shop.team import get_team_member_info
        from shop.models import Profile
        from shop.mail import send_messages


        def send_welcome(ids):
            info = get_team_member_info("welcome")
            link = generate_short_url("https://example.com/start")
            send_messages(build(info, link))
            Profile.objects.filter(id__in=ids).update(welcome_sent=True)
    """
    files = {"shop/links.py": links, "shop/team.py": team, "shop/tasks.py": task}
    # the mail send itself is the finding; the getters before it are not
    assert run(files, "shop/tasks.py") == [("ARM402", 11)]
