"""Round 11 payment SDK forms: the SDK module kept on the instance (`self.stripe = stripe`),
Stripe sources, dj-stripe's `Model._api_create` for setup intents, a fetched charge refunded
with the older SDK's instance method, and Braintree vault creates."""
import textwrap

from analyzers import Settings, analyze

from .helpers import flagged

PAY = Settings(select=frozenset({"ARM401"}))


def test_stripe_module_held_on_the_instance_is_the_sdk():
    code = """\
    import stripe


    class CardGateway:
        def __init__(self, key):
            stripe.api_key = key
            self.sdk = stripe

        def purchase(self, cents, token):
            return self.sdk.Charge.create(amount=cents, currency="usd", source=token)

        def save_card(self, token):
            return self.sdk.Customer.create(source=token)

        def refund(self, charge_id, cents):
            charge = self.sdk.Charge.retrieve(charge_id)
            return charge.refund(amount=cents)
    """
    assert flagged(code, PAY, "shop/gateways/cards.py") == [("ARM401", 10), ("ARM401", 13), ("ARM401", 17)]


def test_instance_sdk_with_a_key_and_reads_are_not_flagged():
    code = """\
    import stripe


    class CardGateway:
        def __init__(self):
            self.sdk = stripe

        def purchase(self, order):
            return self.sdk.Charge.create(amount=order.cents, currency="usd", idempotency_key=f"order-{order.id}")

        def lookup(self, customer_id):
            return self.sdk.Customer.retrieve(customer_id)

        def token(self, card):
            return self.sdk.Token.create(card=card)
    """
    assert flagged(code, PAY, "shop/gateways/cards.py") == []


def test_attribute_bound_to_something_else_is_not_read_as_the_sdk():
    code = """\
    import stripe
    from shop.ledger import Ledger


    class Books:
        def __init__(self, ledger):
            self.sdk = ledger

        def record(self, cents):
            return self.sdk.Charge.create(amount=cents)


    class Other:
        def __init__(self):
            self.sdk = Ledger()

        def record(self, cents):
            return self.sdk.Charge.create(amount=cents)
    """
    assert flagged(code, PAY, "shop/books.py") == []


def test_attribute_bound_to_two_different_modules_is_not_resolved():
    code = """\
    import stripe
    import shop.fake_stripe as fake


    class Gateway:
        def __init__(self, live):
            self.sdk = stripe

        def use_fake(self):
            self.sdk = fake

        def purchase(self, cents):
            return self.sdk.Charge.create(amount=cents)
    """
    assert flagged(code, PAY, "shop/gateways/switch.py") == []


def test_stripe_source_create_is_an_inert_duplicate():
    code = """\
    import stripe


    def alipay_source(cents, return_url):
        return stripe.Source.create(type="alipay", currency="usd", amount=cents, redirect={"return_url": return_url})


    def keyed_source(order, return_url):
        return stripe.Source.create(type="alipay", amount=order.cents, idempotency_key=f"src-{order.id}")


    def read_source(source_id):
        return stripe.Source.retrieve(source_id)
    """
    report = _analyze(code, "shop/payments/alipay.py")
    assert [(f.rule, f.line, f.confidence) for f in report.findings] == [("ARM401", 5, "medium")]


def test_djstripe_setup_intent_api_create():
    code = """\
    from djstripe import models as djstripe_models


    def start_card_setup(customer):
        return djstripe_models.SetupIntent._api_create(customer=customer.id, usage="off_session")


    def keyed_setup(customer, attempt):
        return djstripe_models.SetupIntent._api_create(customer=customer.id, idempotency_key=f"setup-{attempt}")


    def sync(data):
        return djstripe_models.SetupIntent.sync_from_stripe_data(data)
    """
    report = _analyze(code, "billing/serializers.py")
    assert [(f.rule, f.line, f.confidence) for f in report.findings] == [("ARM401", 5, "medium")]


def test_setup_intent_api_create_without_stripe_in_sight_is_not_flagged():
    code = """\
    from shop.models import SetupIntent


    def start(customer):
        return SetupIntent._api_create(customer=customer.id)
    """
    assert flagged(code, PAY, "shop/setup.py") == []


def test_braintree_vault_creates():
    code = """\
    import braintree


    class Vault:
        def __init__(self, config):
            self.gateway = braintree.BraintreeGateway(config)

        def store(self, details):
            return braintree.Customer.create(details)

        def store_card(self, customer_id, nonce):
            return braintree.PaymentMethod.create({"customer_id": customer_id, "payment_method_nonce": nonce})

        def store_via_gateway(self, details):
            return self.gateway.customer.create(details)
    """
    report = _analyze(code, "shop/gateways/vault.py")
    assert [(f.rule, f.line, f.confidence) for f in report.findings] == [
        ("ARM401", 9, "high"), ("ARM401", 12, "medium"), ("ARM401", 15, "high"),
    ]


def test_braintree_look_alikes_are_not_flagged():
    code = """\
    import braintree


    def find(customer_id):
        return braintree.Customer.find(customer_id)


    def related(order, data):
        return order.customer.create(**data)


    class Config:
        def token(self):
            return braintree.ClientToken.generate()
    """
    assert flagged(code, PAY, "shop/gateways/vault.py") == []


def test_customer_create_on_a_related_manager_in_a_module_without_braintree():
    code = """\
    def add(gateway_account, data):
        return gateway_account.customer.create(**data)
    """
    assert flagged(code, PAY, "shop/accounts.py") == []


def _analyze(code, path):
    report = analyze(path, textwrap.dedent(code), PAY)
    assert report.notes == []
    return report
