"""Raw HTTP POSTs of payment gateway integrations whose endpoint is configuration (an attribute
or a setting): the class or module is a gateway's, so the POST submits a payment (ARM401, medium)
unless it carries a key or only reads (verification, status, tokens, IPN postbacks)."""
from __future__ import annotations

from tests.rules.helpers import flagged

from analyzers import Settings

PAYMENTS = Settings(select=frozenset({"ARM401"}))


def test_post_to_the_configured_endpoint_of_a_payment_client():
    code = """
        import requests


        class DirectPaymentClient:
            def __init__(self, gateway_url=None):
                self.gateway_url = gateway_url

            def process_direct_payment(self, details):
                xml = build_xml(details)
                response = requests.post(self.gateway_url, data=xml)
                return parse(response.text)
    """
    assert flagged(code, PAYMENTS, path="billing/eway/client.py") == [("ARM401", 11)]


def test_request_helper_of_a_class_in_a_gateways_module():
    code = """
        import requests


        class IrisBase:
            def do_request(self, xml):
                return requests.post(self.base_url, xml)


        class IrisGateway(IrisBase, Gateway):
            base_url = "https://remote.iris.example/RealAuth"

            def purchase(self, money, credit_card):
                return self.do_request(self.build_xml(money, credit_card))
    """
    assert flagged(code, PAYMENTS, path="billing/gateways/iris_gateway.py") == [("ARM401", 7)]


def test_urlopen_of_a_request_built_for_the_live_or_test_endpoint():
    code = """
        from urllib.request import Request, urlopen


        class AuthorizeGateway(Gateway):
            def recurring(self, money, card):
                xml = render(money, card)
                if self.test_mode:
                    url = self.arb_test_url
                else:
                    url = self.arb_live_url
                conn = Request(url=url, data=xml, headers={"content-type": "text/xml"})
                return urlopen(conn).read()
    """
    assert flagged(code, PAYMENTS, path="billing/authorize.py") == [("ARM401", 13)]


def test_reads_keyed_posts_and_other_integrations_are_quiet():
    gateway = """
        import requests


        class PayPalGateway(Gateway):
            def verify_ipn(self, data):
                return requests.post(self.ipn_url, data=data).text == "VERIFIED"

            def get_access_token(self):
                return requests.post(self.token_url, auth=(self.client_id, self.secret)).json()

            def charge(self, order):
                headers = {"PayPal-Request-Id": f"order-{order.id}"}
                return requests.post(self.payments_url, json=order.payload(), headers=headers)

            def payment_status(self, order):
                return requests.post(self.api_url, json={"id": order.remote_id})

            def details(self, order):
                return requests.get(self.payments_url, params={"id": order.remote_id})
    """
    assert flagged(gateway, PAYMENTS, path="billing/gateways/paypal_gateway.py") == []
    chat = """
        import requests


        class ChatClient:
            def post_message(self, text):
                return requests.post(self.api_url, json={"text": text})
    """
    assert flagged(chat, PAYMENTS, path="app/gateways/chat.py") == []
    alone = """
        import requests


        def submit(settings, xml):
            return requests.post(settings.GATEWAY_URL, data=xml)
    """
    assert flagged(alone, PAYMENTS, path="shop/checkout.py") == []
