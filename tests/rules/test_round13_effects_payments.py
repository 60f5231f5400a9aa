"""Round 13: every object-creating call of the Stripe SDK, recognised by its shape (a CamelCase
resource, optionally in a lower-case namespace, then `.create`; the versioned client's
`client.v1.<resource>.create`) rather than a list of resources; and the SDK handed on by a
project module under its own name."""
from __future__ import annotations

from analyzers import Settings

from .helpers import flagged

ARM401 = Settings(select=frozenset({"ARM401"}))


def test_any_resource_create_without_a_key_is_flagged():
    code = """
        import stripe


        def configure(customer, rate):
            stripe.TaxRate.create(display_name="VAT", percentage=rate, inclusive=False)
            stripe.issuing.Cardholder.create(name=customer.name, type="individual")


        def configure_v1(client):
            client.v1.tax_rates.create(params={"display_name": "VAT", "percentage": 20})
    """
    assert flagged(code, ARM401, "billing/setup_rates.py") == [("ARM401", 6), ("ARM401", 7), ("ARM401", 11)]


def test_keyed_reads_short_lived_secrets_and_test_helpers_stay_quiet():
    code = """
        import stripe


        def configure(customer, rate, client):
            stripe.TaxRate.create(display_name="VAT", percentage=rate, idempotency_key=f"vat-{rate}")
            stripe.TaxRate.retrieve("txr_1")
            stripe.Token.create(card={"number": "4242"})
            stripe.EphemeralKey.create(customer=customer.stripe_id, stripe_version="2020-08-27")
            stripe.test_helpers.TestClock.create(frozen_time=0)
            stripe.billing_portal.Session.create(customer=customer.stripe_id)
            stripe.CustomerSession.create(customer=customer.stripe_id, components={})
            stripe.PaymentMethodDomain.create(domain_name="shop.example.com")
            client.v1.tax_rates.create(params={"display_name": "VAT"}, options={"idempotency_key": "vat"})
            client.v1.tokens.create(params={})
    """
    assert flagged(code, ARM401, "billing/setup_rates.py") == []


def test_sdk_handed_on_by_a_project_module_under_its_own_name():
    code = """
        from billing.api import stripe_api as stripe


        def open_customer(user):
            return stripe.Customer.create(email=user.email)
    """
    assert flagged(code, ARM401, "billing/customers.py") == [("ARM401", 6)]


def test_project_module_named_otherwise_is_not_taken_for_the_sdk():
    code = """
        from billing import gateway


        def open_customer(user):
            return gateway.Customer.create(email=user.email)
    """
    assert flagged(code, ARM401, "billing/customers.py") == []
