"""Stripe's call shapes: which Stripe calls move money and which create objects a retry would
leave twice.

Stripe is reached in three ways (module-level resources `stripe.Charge.create`, `StripeClient`
services `client.v1.customers.create`, and instance methods on fetched objects `invoice.pay()`),
and each shape needs its own tables and its own guard against look-alikes (a Django related
manager `org.customers.create(...)` reads like a StripeClient call). `_payment_calls` asks
these; `_fixes_idempotency` reuses the tables to write its fixes.
"""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import _chain_of, has_splat, import_heads, kwarg, positional
from ._effects_flow import Flow, Site


# Stripe calls that move money (or commit a customer's card to a charge); retrieve/list/modify
# and other reads are never matched.
_STRIPE_MONEY = (
    r"(?:Charge|PaymentIntent|Refund|Transfer|Payout|Topup|CreditNote)\.create"
    r"|PaymentIntent\.(?:confirm|capture|increment_authorization)|Charge\.capture|Invoice\.pay"
    r"|SetupIntent\.confirm|Transfer\.create_reversal|ApplicationFee\.create_refund"
    r"|Customer\.create_balance_transaction"
)
_STRIPE_RESOURCE = re.compile(rf"^stripe\.(?:{_STRIPE_MONEY})(?:_async)?$")
# Stripe objects a retry would create twice: a second customer, a second open invoice or
# subscription that bills again. Tokens, ephemeral keys and catalog objects (products, prices,
# coupons) are left out: a duplicate is inert or made once by a setup script.
_STRIPE_OBJECTS = {
    "Customer": "customer",
    "Invoice": "invoice",
    "InvoiceItem": "invoice item",
    "Subscription": "subscription",
    "SubscriptionItem": "subscription item",
    "SubscriptionSchedule": "subscription schedule",
    "SetupIntent": "setup intent",
    "Quote": "quote",
    "Account": "connected account",
    # a source (Alipay, SEPA, card) waits for the customer to authorise it or for a charge
    "Source": "payment source",
    "checkout.Session": "checkout session",
    "Price": "price",
    "Plan": "plan",
    "Product": "product",
    "Coupon": "coupon",
    "PromotionCode": "promotion code",
    "WebhookEndpoint": "webhook endpoint",
    "FileUpload": "file",
    "File": "file",
}
# Every other resource's create leaves a second object too (`stripe.TaxRate`,
# `stripe.issuing.Cardholder`): the SDK's resources are CamelCase classes, optionally in a
# lower-case namespace, so the shape names them all without a list. Left out: objects whose
# duplicate is inert by construction, short-lived secrets that expire unused (tokens, keys,
# links, sessions other than checkout's) and registrations keyed by their own name (a payment
# method domain), and the test-mode helpers.
_INERT_SUFFIX = re.compile(r"(?:Token|Key|Link|Session|Domain)$|(?:tokens?|keys?|links?|sessions?|domains?)$")
_STRIPE_OBJECT_CREATE = re.compile(
    r"^stripe\.(?!test_helpers\.)(?P<resource>(?:[a-z][a-z_]*\.)*[A-Z][A-Za-z]*)\.create(?:_async)?$"
)
_STRIPE_CLIENT_ANY = re.compile(
    r"(?P<receiver>[\w.()\[\]]*?)\.v[12]\.(?!test_helpers\.)(?P<resource>(?:[a-z][a-z_]*\.)*[a-z][a-z_]*)\.create(?:_async)?$"
)


def stripe_noun(resource: str, names: dict[str, str]) -> str | None:
    """What a repeated create of `resource` leaves twice ("tax rate" for `TaxRate`,
    "verification session" for `identity.verification_sessions`); None for inert objects."""
    if resource in names:
        return names[resource]
    last = resource.rsplit(".", 1)[-1]
    if _INERT_SUFFIX.search(last):
        return None
    if last[:1].isupper():
        return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", last).lower()
    return last.rstrip("s").replace("_", " ")
_STRIPE_CLIENT = re.compile(
    r"\.(?:v1\.)?(?:(?:payment_intents|charges|refunds|transfers|payouts|topups|credit_notes|transfers\.reversals"
    r"|application_fees\.refunds|customers\.balance_transactions)\.create"
    r"|payment_intents\.(?:confirm|capture|increment_authorization)|charges\.capture|invoices\.pay"
    r"|setup_intents\.confirm)(?:_async)?$"
)
# `client.v1.customers.create(params, options)` / `client.customers.create(...)` (StripeClient).
_STRIPE_CLIENT_OBJECTS = {
    "customers": "customer",
    "invoices": "invoice",
    "invoice_items": "invoice item",
    "invoiceitems": "invoice item",
    "subscriptions": "subscription",
    "subscription_items": "subscription item",
    "subscription_schedules": "subscription schedule",
    "setup_intents": "setup intent",
    "quotes": "quote",
    "accounts": "connected account",
    "checkout.sessions": "checkout session",
    "prices": "price",
    "plans": "plan",
    "products": "product",
    "coupons": "coupon",
    "webhook_endpoints": "webhook endpoint",
    "files": "file",
    # lists nested in a fetched object: `customer.sources.create(source=tok)`,
    # `account.external_accounts.create(external_account=...)`
    "sources": "card source",
    "external_accounts": "external account",
}
_NESTED_LISTS = frozenset({"sources", "external_accounts"})
_STRIPE_CLIENT_OBJECT = re.compile(
    r"(?P<receiver>[\w.()\[\]]*?)\.(?:v1\.|v2\.\w+\.)?(?P<resource>"
    + "|".join(re.escape(r) for r in _STRIPE_CLIENT_OBJECTS)
    + r")\.create(?:_async)?$"
)
# `invoice = stripe.Invoice.retrieve(id); invoice.pay()`: the instance methods that move money.
_STRIPE_INSTANCE = {
    "Invoice": {"pay"},
    "PaymentIntent": {"confirm", "capture", "increment_authorization"},
    # `charge.refund(amount=...)`: the older SDKs' refund of a fetched charge
    "Charge": {"capture", "refund"},
    "SetupIntent": {"confirm"},
}
_STRIPE_FETCH = re.compile(r"^stripe\.(\w+)\.(?:retrieve|create)(?:_async)?$")


def _stripe_nested_list(site: Site, flow: Flow) -> str | None:
    """`customer.stripe_customer.sources.create(source=tok)`, `account.external_accounts.create(
    external_account=...)`: lists nested in a fetched Stripe object. A related manager of the same
    name (`user.sources.create(url=...)`) is neither named for Stripe nor given Stripe's fields."""
    if site.method != "create" or "." not in site.chain:
        return None
    receiver, _, _ = site.chain.rpartition(".")
    owner, _, resource = receiver.rpartition(".")
    if resource not in _NESTED_LISTS or not owner:
        return None
    if "stripe" in owner.lower():
        return resource
    stripe_module = "stripe" in import_heads(flow)
    if resource == "sources":
        return resource if stripe_module and kwarg(site.node, "source") is not None else None
    return resource if stripe_module or kwarg(site.node, "external_account") is not None else None


def _stripe_client_shape(site: Site, receiver: str, chain: str) -> bool:
    """`client.customers.create(...)` is also how a Django related manager reads
    (`org.customers.create(name=...)`); StripeClient's calls go through `.v1`, a receiver named
    for Stripe, or take only `params`/`options`."""
    if ".v1." in chain or ".v2." in chain or "stripe" in receiver.lower():
        return True
    call = site.node
    keywords = {a.keyword.value for a in call.args if a.keyword is not None}
    if keywords - {"params", "options"} or has_splat(call):
        return False
    args = positional(call)
    return bool(call.args) and len(args) <= 2 and (not args or not isinstance(args[0], (cst.SimpleString, cst.Integer)))


def module_alias(chain: str, flow: Flow) -> str:
    """The qualified chain, reading `self.stripe.Charge.create` as `stripe.Charge.create` when
    every assignment of `self.stripe` in the module is the imported module itself (a gateway
    class keeps the SDK on the instance after configuring it). Anything else is left as is."""
    parts = chain.split(".", 2)
    if len(parts) == 3 and parts[0] == "self":
        values = flow.self_values.get(f"self.{parts[1]}") or []
        targets = {flow.imports.get(v.value) if isinstance(v, cst.Name) else None for v in values}
        if len(targets) == 1:
            target = targets.pop()
            if target is not None:
                return f"{target}.{parts[2]}"
    if chain.startswith("stripe.") and "stripe" in flow.imports:
        # `from app.billing.api import stripe_api as stripe`: a project module hands on the SDK
        # it configured, and the code spells it by the SDK's own name
        return chain
    return flow.qualify(chain)


def _stripe_object(site: Site, flow: Flow) -> str | None:
    """"Invoice" for `invoice.pay()` when `invoice` was last bound to `stripe.Invoice.retrieve(...)`."""
    receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
    charge_of = _intent_charge(site.node.func)
    if charge_of is not None:
        receiver = charge_of
    elif not receiver or "." in receiver or receiver.endswith(("()", "]")):
        return None
    bound = flow.value_of(receiver, site.index)
    if isinstance(bound, cst.Await):
        bound = bound.expression
    if not isinstance(bound, cst.Call):
        return None
    match = _STRIPE_FETCH.match(module_alias(_chain_of(bound.func), flow))
    if charge_of is not None:
        return "Charge" if match and match.group(1) == "PaymentIntent" else None
    return match.group(1) if match else None


def _intent_charge(func: cst.BaseExpression) -> str | None:
    """The name holding a PaymentIntent whose charge this call is made on: older SDKs list an
    intent's charges in it (`intent["charges"]["data"][0].refund()`, `intent.charges.data[0]`)."""
    if not isinstance(func, cst.Attribute):
        return None
    node, steps = func.value, []
    while isinstance(node, (cst.Subscript, cst.Attribute)):
        if isinstance(node, cst.Attribute):
            steps.append(node.attr.value)
        else:
            index = node.slice[0].slice if len(node.slice) == 1 else None
            value = index.value if isinstance(index, cst.Index) else None
            steps.append(value.evaluated_value if isinstance(value, cst.SimpleString) else "[]")
        node = node.value
    if not isinstance(node, cst.Name) or list(reversed(steps))[:2] != ["charges", "data"]:
        return None
    return node.value
