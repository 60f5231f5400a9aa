"""ARM401 on payment calls one step away from the SDK call itself: keyword arguments spread from
a dict the function builds, the function's own `**kwargs`, a project's wrapper of the Stripe
create (`Model._api_create(...)`), a same-module helper returning a StripeClient service, and
lists nested in fetched Stripe objects. A trailing `# ARM401` (or `# ARM401 medium`) marks
where a finding must start and its confidence; every other line must stay quiet."""
from __future__ import annotations

from tests.rules.test_realcode_effects import check


def test_spread_dict_built_here_without_a_key():
    check(
        '''
        import stripe


        def bill(member, token, connected=None):
            params = {"amount": member.fee_cents, "currency": "usd", "description": member.label}
            if connected:
                params.update({"stripe_account": connected})
            params["source"] = token
            return stripe.Charge.create(**params)  # ARM401


        def move(seller, cents):
            options = dict(amount=cents, currency="usd", destination=seller.account_id)
            if seller.group:
                options["transfer_group"] = seller.group
            return stripe.Transfer.create(**options)  # ARM401
        '''
    )


def test_spread_dict_that_carries_the_key_stays_quiet():
    check(
        '''
        import stripe


        def bill(member, attempt_key):
            params = {"amount": member.fee_cents, "currency": "usd"}
            params["idempotency_key"] = attempt_key
            return stripe.Charge.create(**params)


        def refund(charge_id, cents, key):
            params = dict(charge=charge_id, amount=cents, idempotency_key=key)
            return stripe.Refund.create(**params)


        def move(seller, cents, op_id):
            params = {"amount": cents, "currency": "usd"}
            params.update(idempotency_key=f"payout-{op_id}")
            return stripe.Transfer.create(**params)


        def charge_with(params):
            # the caller builds the whole request, key included or not: judged at the caller
            return stripe.Charge.create(**params)


        def merged(base, cents):
            params = {"amount": cents}
            params.update(base)
            return stripe.Charge.create(**params)
        '''
    )


def test_callers_kwargs_forwarded_to_a_create_are_medium():
    check(
        '''
        import stripe


        def open_account(user, country, **kwargs):
            kwargs["country"] = country
            return stripe.Account.create(**kwargs)  # ARM401 medium


        def reverse(transfer_id, **kwargs):
            return stripe.Transfer.create_reversal(transfer_id, **kwargs)  # ARM401 medium


        def reprice(**kwargs):
            data = kwargs.copy()
            data["unit_amount"] = int(data["unit_amount"] * 100)
            return stripe.Subscription.create(**data)  # ARM401 medium
        '''
    )


def test_callers_kwargs_with_a_key_named_here_stay_quiet():
    check(
        '''
        import stripe


        def open_account(user, **kwargs):
            kwargs.setdefault("idempotency_key", f"account-{user.pk}")
            return stripe.Account.create(**kwargs)
        '''
    )


def test_project_wrappers_of_the_stripe_create():
    check(
        '''
        import stripe
        from django.db import models

        from .base import StripeModel


        class Customer(StripeModel):
            def subscribe(self, price, **kwargs):
                return Subscription._api_create(items=[{"price": price}], customer=self.id, **kwargs)  # ARM401 medium

            def add_fee(self, cents):
                return InvoiceItem._api_create(customer=self.id, amount=cents, currency="usd")  # ARM401 medium

            def register(self, key):
                return Customer._api_create(email=self.email, idempotency_key=key)

            def refresh(self):
                return Subscription.api_retrieve(self.subscription_id)


        class Price(StripeModel):
            @classmethod
            def create(cls, **kwargs):
                fields = kwargs.copy()
                return cls._api_create(**fields)  # ARM401 medium


        class Ledger(models.Model):
            @classmethod
            def open(cls, **kwargs):
                return cls._api_create(**kwargs)  # not a Stripe resource
        '''
    )


def test_wrapper_names_without_stripe_in_the_module_stay_quiet():
    check(
        '''
        from .client import api


        def add(order):
            return Refund._api_create(order=order.id)
        '''
    )


def test_stripe_client_service_returned_by_a_helper():
    check(
        '''
        import stripe


        class Account:
            @classmethod
            def _accounts(cls, api_key):
                client = stripe.StripeClient(api_key)
                return client.v2.core.accounts

            @classmethod
            def open(cls, api_key, **kwargs):
                return cls._accounts(api_key).create(params=kwargs)  # ARM401

            @classmethod
            def open_once(cls, api_key, key, **kwargs):
                return cls._accounts(api_key).create(params=kwargs, options={"idempotency_key": key})

            def load(self, api_key):
                return self._accounts(api_key).retrieve(self.id)
        '''
    )


def test_lists_nested_in_fetched_stripe_objects():
    check(
        '''
        import stripe


        def add_card(customer, token):
            return customer.stripe_customer.sources.create(source=token)  # ARM401 medium


        def add_bank(account, number):
            return account.external_accounts.create(external_account={"account_number": number})  # ARM401 medium


        def add_card_once(customer, token):
            return customer.stripe_customer.sources.create(source=token, idempotency_key=f"card-{token}")
        '''
    )


def test_related_managers_named_sources_stay_quiet():
    check(
        '''
        def add_feed(user, url):
            return user.sources.create(url=url)
        '''
    )


def test_catalog_objects_in_setup_code_stay_quiet_elsewhere_medium():
    check(
        '''
        import stripe


        def seed_catalog():
            product = stripe.Product.create(name="Pro")
            stripe.Price.create(product=product.id, unit_amount=4900, currency="usd")


        def add_tier(product_id, cents):
            return stripe.Price.create(product=product_id, unit_amount=cents, currency="usd")  # ARM401 medium


        def upload_document(account, document):
            return stripe.FileUpload.create(purpose="identity_document", file=document)  # ARM401 medium


        def tokenize(card):
            return stripe.Token.create(card=card)
        '''
    )
