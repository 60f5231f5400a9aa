"""Round 10 non-idempotent forms: a gateway URL kept on the instance (set in `__init__` from a
parameter default, a module constant or a sandbox/live choice), and a helper method of the
integration's own class that performs the external call for its callers."""
from analyzers import Settings

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
