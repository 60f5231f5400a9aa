"""ARM401/ARM402 on providers beyond the `idempotency_key=` SDKs: PayPal's classic NVP API (the
operation is the METHOD field; the key is MSGSUBID), GoCardless creates (Idempotency-Key
header), and APIs that take no key at all (Razorpay creates, M-Pesa pushes, Braintree
transactions), reached through requests or a framework's request helper. A trailing `# ARM401`
(or `# ARM401 medium`) marks where a finding must start; every other line must stay quiet."""
from __future__ import annotations

from tests.rules.test_realcode_effects import check


def test_paypal_nvp_operations_posted_without_msgsubid():
    check(
        '''
        from urllib.parse import urlencode

        from frappe.integrations.utils import make_post_request


        class PayPalGateway:
            def start_checkout(self, order):
                params, url = self.credentials()
                params.update({"METHOD": "SetExpressCheckout", "PAYMENTREQUEST_0_AMT": order.total})
                return make_post_request(url, data=urlencode(params))  # ARM401 medium

            def settle(self, token, payer):
                params, url = self.credentials()
                params.update({"METHOD": "DoExpressCheckoutPayment", "TOKEN": token, "PAYERID": payer})
                return make_post_request(url, data=params)  # ARM401

            def settle_once(self, token, payer, order):
                params, url = self.credentials()
                params.update({"METHOD": "DoExpressCheckoutPayment", "TOKEN": token, "MSGSUBID": f"order-{order.id}"})
                return make_post_request(url, data=params)

            def details(self, token):
                params, url = self.credentials()
                params.update({"METHOD": "GetExpressCheckoutDetails", "TOKEN": token})
                return make_post_request(url, data=params)
        ''',
        rules=("ARM401",),
    )


def test_no_key_providers_creates_and_pushes():
    check(
        '''
        import json

        import requests
        from frappe.integrations.utils import make_post_request


        def open_order(settings, amount, receipt):
            return make_post_request(  # ARM401 medium
                "https://api.razorpay.com/v1/orders",
                auth=(settings.key, settings.secret),
                data=json.dumps({"amount": amount, "receipt": receipt}),
            )


        def subscribe(settings, plan_id):
            return make_post_request("https://api.razorpay.com/v1/subscriptions", data=json.dumps({"plan_id": plan_id}))  # ARM401


        def add_charge(settings, subscription_id, addon):
            url = "https://api.razorpay.com/v1/subscriptions/{}/addons".format(subscription_id)
            return make_post_request(url, data=json.dumps(addon))  # ARM401


        def cancel(settings, subscription_id):
            url = "https://api.razorpay.com/v1/subscriptions/{}/cancel".format(subscription_id)
            return make_post_request(url, data={})


        def capture(settings, payment_id, amount):
            url = "https://api.razorpay.com/v1/payments/{}/capture".format(payment_id)
            return make_post_request(url, data={"amount": amount})


        class Daraja:
            def push(self, phone, amount):
                headers = {"Authorization": f"Bearer {self.token}"}
                url = "{}{}".format(self.base_url, "/mpesa/stkpush/v1/processrequest")
                return requests.post(url, headers=headers, json={"PhoneNumber": phone, "Amount": amount})  # ARM401

            def status(self, checkout_id):
                url = "{}{}".format(self.base_url, "/mpesa/stkpushquery/v1/query")
                return requests.post(url, json={"CheckoutRequestID": checkout_id})
        ''',
        rules=("ARM401",),
    )


def test_braintree_sale_then_record():
    check(
        '''
        import braintree


        def charge(request_doc, nonce):
            result = braintree.Transaction.sale(  # ARM401, ARM402
                {"amount": request_doc.amount, "payment_method_nonce": nonce, "options": {"submit_for_settlement": True}}
            )
            if result.is_success:
                request_doc.status = "Completed"
                request_doc.save()
            return result


        def look(transaction_id):
            return braintree.Transaction.find(transaction_id)
        '''
    )


def test_gocardless_creates():
    check(
        '''
        from .gocardless_settings import gocardless_client


        def start_mandate(doc, success_url):
            client = gocardless_client(doc)
            return client.redirect_flows.create(  # ARM401 medium
                params={"description": doc.title, "session_token": doc.owner, "success_redirect_url": success_url}
            )


        def collect(doc, mandate_id):
            client = gocardless_client(doc)
            return client.payments.create(params={"amount": doc.cents, "links": {"mandate": mandate_id}})  # ARM401


        def collect_once(doc, mandate_id):
            client = gocardless_client(doc)
            return client.payments.create(
                params={"amount": doc.cents, "links": {"mandate": mandate_id}},
                headers={"Idempotency-Key": f"collect-{doc.name}"},
            )


        def mandate(doc, mandate_id):
            return gocardless_client(doc).mandates.get(mandate_id)
        ''',
        rules=("ARM401",),
    )


def test_same_names_without_the_provider_stay_quiet():
    check(
        '''
        def book(client, params):
            return client.payments.create(params=params)


        def post_form(make_post_request, url, params):
            params.update({"METHOD": "Lookup"})
            return make_post_request(url, data=params)


        def sell(ledger, amount):
            return ledger.transaction.sale(amount)
        '''
    )
