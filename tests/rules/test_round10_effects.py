"""Round 10 non-idempotent forms: a gateway URL kept on the instance (set in `__init__` from a
parameter default, a module constant or a sandbox/live choice), and a helper method of the
integration's own class that performs the external call for its callers."""
import textwrap

from analyzers import Settings, analyze

from .helpers import flagged

PAY = Settings(select=frozenset({"ARM401"}))
EFFECTS = Settings(select=frozenset({"ARM402"}))


def test_gateway_url_from_an_init_parameter_default_is_a_payment_post():
    code = """\
    import requests


    class CardGateway:
        def __init__(self, merchant, key, url="https://secure.authorize.net/gateway/transact.dll"):
            self.merchant = merchant
            self.key = key
            self.url = url

        def capture(self, order, card):
            fields = {"x_login": self.merchant, "x_tran_key": self.key, "x_amount": order.total,
                      "x_card_num": card.number, "x_type": "AUTH_CAPTURE"}
            return requests.post(self.url, data=fields)
    """
    assert flagged(code, PAY, "shop/gateways/card.py") == [("ARM401", 13)]


def test_sandbox_or_live_constant_chosen_in_init_is_resolved():
    code = """\
    import requests

    LIVE = "https://api-3t.paypal.com/nvp"
    SANDBOX = "https://api-3t.sandbox.paypal.com/nvp"


    class Nvp:
        def __init__(self, sandbox=False):
            self.base = SANDBOX if sandbox else LIVE

        def call(self, encoded):
            return requests.post(self.base, data=encoded).content
    """
    assert flagged(code, PAY, "billing/nvp.py") == [("ARM401", 12)]


def test_instance_url_of_a_non_payment_service_stays_quiet():
    code = """\
    import requests


    class Tracker:
        def __init__(self, token, base="https://api.example-issues.com/v3"):
            self.token = token
            self.issues_url = base + "/issues"

        def open_issue(self, title):
            return requests.post(self.issues_url, json={"title": title})
    """
    assert flagged(code, PAY, "ops/tracker.py") == []


def test_instance_url_assigned_two_different_defaults_is_not_guessed():
    # `url` has two different defaults in the module: which one `self.url` holds is unknown
    code = """\
    import requests


    class Gateway:
        def __init__(self, url="https://secure.authorize.net/gateway/transact.dll"):
            self.url = url


    class Audit:
        def __init__(self, url="https://audit.example.org/events"):
            self.url = url

        def push(self, event):
            return requests.post(self.url, json=event)
    """
    assert flagged(code, PAY, "ops/audit.py") == []


def test_own_helper_method_that_posts_is_the_effect_its_caller_records_after():
    code = """\
    import requests


    class Refunds:
        def __init__(self, endpoint="https://api.refund-partner.example/v1/refunds"):
            self.endpoint = endpoint

        def _send(self, body):
            reply = requests.post(self.endpoint, data=body, timeout=10)
            return reply.json()

        def refund(self, payment, amount):
            answer = self._send({"id": payment.reference, "amount": amount})
            payment.refunded_amount = amount
            payment.save()
            return answer
    """
    assert flagged(code, EFFECTS, "payments/refunds.py") == [("ARM402", 13)]


def test_own_helper_that_keeps_its_own_record_or_only_reads_stays_quiet():
    code = """\
    import requests


    class Partner:
        def __init__(self, endpoint="https://api.refund-partner.example/v1/refunds"):
            self.endpoint = endpoint

        def _status(self, ref):
            return requests.get(self.endpoint + "/" + ref, timeout=10).json()

        def _send_logged(self, payment, body):
            reply = requests.post(self.endpoint, data=body, timeout=10)
            payment.last_reply = reply.text
            payment.save()
            return reply

        def poll(self, payment):
            state = self._status(payment.reference)
            payment.state = state["state"]
            payment.save()

        def refund(self, payment, amount):
            self._send_logged(payment, {"amount": amount})
            payment.refunded_amount = amount
            payment.save()
    """
    assert flagged(code, EFFECTS, "payments/partner.py") == [("ARM402", 12)]


def test_provider_rest_paths_on_a_configured_client_name_the_call():
    code = """\
    import httpx


    class Checkout:
        def __init__(self, base_url, secret):
            self.http = httpx.Client(base_url=base_url, auth=(secret, ""))

        def start_subscription(self, price, customer):
            form = {"mode": "subscription", "line_items[0][price]": price, "customer": customer}
            return self.http.post("/v1/checkout/sessions", data=form).json()

        def order(self, cart):
            return self.http.post("/v2/checkout/orders", json=cart.as_paypal()).json()

        def plan(self, plan_id, subscriber):
            return self.http.post("/v1/billing/subscriptions", json={"plan_id": plan_id, "subscriber": subscriber})

        def refund_capture(self, capture_id):
            return self.http.post(f"/v2/payments/captures/{capture_id}/refund", json={})

        def lookup(self, order_id):
            return self.http.post("/v1/reports/lookup", json={"id": order_id})
    """
    report = analyze("billing/checkout.py", textwrap.dedent(code), PAY)
    assert [(f.rule, f.line, f.confidence) for f in report.findings] == [
        ("ARM401", 10, "medium"),  # a checkout session stays inert until the payer uses it
        ("ARM401", 13, "medium"),
        ("ARM401", 16, "high"),
        ("ARM401", 19, "high"),
    ]


def test_provider_rest_path_with_a_request_id_header_stays_quiet():
    code = """\
    import httpx


    def create_order(client: httpx.Client, cart):
        headers = {"PayPal-Request-Id": f"order-{cart.id}"}
        return client.post("/v2/checkout/orders", json=cart.as_payload(), headers=headers).json()
    """
    assert flagged(code, PAY, "billing/orders.py") == []


def test_mercado_pago_preference_create_is_an_inert_duplicate():
    code = """\
    import mercadopago


    class Preferences:
        def __init__(self, token):
            self.sdk = mercadopago.SDK(token)

        def open(self, order):
            body = {"items": order.items_payload(), "external_reference": str(order.id)}
            return self.sdk.preference().create(body)

        def fetch(self, pref_id):
            return self.sdk.preference().get(pref_id)
    """
    report = analyze("shop/mp.py", textwrap.dedent(code), PAY)
    assert [(f.rule, f.line, f.confidence) for f in report.findings] == [("ARM401", 10, "medium")]


def test_post_through_two_own_request_helpers_is_judged_where_the_url_is_chosen():
    code = """\
    import requests


    class Wallet:
        def __init__(self, endpoint="https://api.sandbox.paypal.com"):
            self.endpoint = endpoint
            self.pay_url = self.endpoint + "/v1/payments/payment"
            self.profile_url = self.endpoint + "/v1/identity/profile"

        def _send(self, order, *args, method="get", **kwargs):
            kwargs["headers"] = {"Authorization": self.token(order)}
            reply = requests.request(method, *args, **kwargs)
            return reply.json()

        def _post(self, order, *args, **kwargs):
            return self._send(order, *args, method="post", **kwargs)

        def _get(self, order, *args, **kwargs):
            return self._send(order, *args, method="get", **kwargs)

        def pay(self, order):
            return self._post(order, self.pay_url, json=order.as_payment())

        def read_back(self, order):
            return self._get(order, self.pay_url + "/" + order.reference)

        def update_profile(self, order):
            return self._post(order, self.profile_url, json={"name": order.name})
    """
    assert flagged(code, PAY, "wallets/paypal_rest.py") == [("ARM401", 22)]


def test_send_then_mark_sent_is_a_send_recorded_late_whatever_the_callee():
    code = """\
    from django.db import models
    from django.utils import timezone


    class Invitation(models.Model):
        sent_at = models.DateTimeField(null=True)

        def send(self, request=None):
            super().send(request=request, invited_by=self.owner)
            self.sent_at = timezone.now()
            self.save(update_fields=["sent_at"])

        def remind(self, channel):
            channel.notify_members(text=self.reminder_text())
            self.reminded = True
            self.save()
    """
    report = analyze("invites/models.py", textwrap.dedent(code), EFFECTS)
    assert [(f.rule, f.line, f.confidence) for f in report.findings] == [("ARM402", 9, "medium")]


def test_mark_recorded_before_the_send_or_after_other_work_stays_quiet():
    code = """\
    from django.utils import timezone


    def deliver(notice, transport):
        notice.sent_at = timezone.now()
        notice.save()
        transport.send(notice.payload())


    def relay(batch, hub):
        hub.dispatch(batch.items)
        batch.attempts = batch.attempts + 1
        batch.sent = True
        batch.save()
    """
    assert flagged(code, EFFECTS, "notices/deliver.py") == []


def test_post_then_a_helper_named_to_mark_it_sent_is_recorded_late():
    code = """\
    import httpx

    from shop.store import mark_callback_delivered, mark_seen


    async def notify_merchant(order):
        async with httpx.AsyncClient() as client:
            reply = await client.post(order.callback_url, json=order.as_event(), timeout=20)
            await mark_callback_delivered(order.id, reply.status_code)


    async def ping_merchant(order):
        async with httpx.AsyncClient() as client:
            await client.post(order.callback_url, json={"ping": True}, timeout=5)
            await mark_seen(order.id)


    async def notify_once(order):
        await mark_callback_delivered(order.id, None)
        async with httpx.AsyncClient() as client:
            await client.post(order.callback_url, json=order.as_event(), timeout=20)
    """
    report = analyze("shop/callbacks.py", textwrap.dedent(code), EFFECTS)
    assert [(f.rule, f.line, f.confidence) for f in report.findings] == [("ARM402", 8, "medium")]
