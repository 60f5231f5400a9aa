"""Payment providers beyond the ones whose SDK takes `idempotency_key=`: GoCardless (an
Idempotency-Key header), PayPal's classic NVP API (MSGSUBID), and APIs with no key at all
(Razorpay orders and subscriptions, M-Pesa Daraja pushes, Braintree transactions), where the fix
is to record the attempt first under your own reference and look it up before retrying.
"""
from __future__ import annotations

import re

import libcst as cst

from ._effects_flow import Flow, Site, callee_chain
from ._sqltext import string_text
from ._stripe_calls import module_alias

# ---------------------------------------------------------------------------------------------
# URLs of providers with no idempotency key (matched on the literal parts of the URL)

NO_KEY_URL = {
    # creates (an order, a subscription, an add-on charge, a refund, a transfer); not the calls
    # on an existing object that Razorpay refuses twice (cancel, capture)
    "razorpay": re.compile(
        r"api\.razorpay\.com/v\d+/(?:orders|subscriptions|refunds|invoices|transfers)(?=[\s?]|$)"
        r"|api\.razorpay\.com/v\d+/(?:subscriptions/[^/\s]*/addons|payments/[^/\s]*/(?:refund|transfers))(?=[\s?]|$)",
        re.I,
    ),
    "m-pesa": re.compile(r"/mpesa/(?:stkpush|b2c|b2b|reversal)/", re.I),
}


# REST paths that only payment providers use, so a relative path on a client whose base URL
# comes from configuration (`client.post("/v2/checkout/orders")`) still names the call.
# Each maps to the object a repeated call leaves twice (None: it moves money) and how sure a
# duplicate is to cost something (checkout sessions and orders stay inert until the payer acts).
PROVIDER_PATHS = (
    (re.compile(r"/v1/checkout/sessions(?=[\s?\"']|$)"), "checkout session", "medium"),       # Stripe
    (re.compile(r"/v1/subscriptions(?=[\s?\"']|$)"), "subscription", "high"),                # Stripe
    (re.compile(r"/v1/(?:invoices|invoiceitems)(?=[\s?\"']|$)"), "invoice", "high"),         # Stripe
    (re.compile(r"/v2/checkout/orders(?=[\s?\"']|$)"), "order", "medium"),                   # PayPal
    (re.compile(r"/v2/checkout/orders/[^/\s]+/(?:capture|authorize)\b"), None, "high"),       # PayPal
    (re.compile(r"/v2/payments/(?:captures|authorizations)/[^/\s]+/(?:refund|capture)\b"), None, "high"),
    (re.compile(r"/v1/billing/subscriptions(?=[\s?\"']|$)"), "subscription", "high"),        # PayPal
    (re.compile(r"/v1/payments/(?:payouts|payment)(?=[\s?\"'/]|$)"), None, "high"),          # PayPal v1
    (re.compile(r"/checkout/preferences(?=[\s?\"']|$)"), "checkout preference", "medium"),   # Mercado Pago
)


def provider_path(url: str | None) -> tuple[str | None, str] | None:
    """(object created or None for a money move, confidence) for a provider's REST path."""
    if not url:
        return None
    for pattern, creates, confidence in PROVIDER_PATHS:
        if pattern.search(url):
            return creates, confidence
    return None


def url_text(node: cst.BaseExpression | None, flow: Flow, site: Site, ctx=None) -> str | None:
    """The literal text of a URL expression, including the arguments of `"{}{}".format(base,
    "/path")` (the holes the SQL reader leaves out)."""
    from ._http_calls import url_resolver

    if isinstance(node, cst.Name) and flow.bound_here(node.value):
        node = flow.value_of(node.value, site.index)
    resolve = url_resolver(flow, site.index, ctx)
    text = string_text(node, resolve)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "format":
        pieces = [text or ""]
        pieces += [string_text(a.value, resolve) or "?" for a in node.args]
        return "\n".join(pieces)
    return text


_NO_KEY_DOMAIN = re.compile(r"api\.razorpay\.com|/mpesa/", re.I)


def no_key_domain(url: str) -> bool:
    """A URL of a no-key provider: only the creates in NO_KEY_URL are payments there (a second
    capture or cancel of the same object is refused by the provider)."""
    return bool(_NO_KEY_DOMAIN.search(url))


def no_key_provider(url: str | None) -> str | None:
    if not url:
        return None
    for provider, pattern in NO_KEY_URL.items():
        if pattern.search(url):
            return provider
    return None


# ---------------------------------------------------------------------------------------------
# PayPal NVP: the operation is the METHOD field of the posted parameters

_NVP_METHOD = re.compile(
    r"""["']METHOD["']\s*:\s*["'](?P<method>DoExpressCheckoutPayment|DoDirectPayment|DoCapture|DoReferenceTransaction"""
    r"""|RefundTransaction|MassPay|CreateRecurringPaymentsProfile|SetExpressCheckout)["']"""
)
# A checkout token nobody completes charges nothing: worth a review, not an inline comment.
_NVP_INERT = frozenset({"SetExpressCheckout"})


def paypal_nvp_method(flow_text: str) -> str | None:
    match = _NVP_METHOD.search(flow_text)
    return match.group("method") if match else None


def nvp_keyed(flow_text: str) -> bool:
    return "MSGSUBID" in flow_text.upper()


def nvp_confidence(method: str) -> str:
    return "medium" if method in _NVP_INERT else "high"


# ---------------------------------------------------------------------------------------------
# GoCardless (gocardless_pro): `client.payments.create(params={...}, headers={...})`

_GOCARDLESS_CREATE = re.compile(
    r"\.(?P<resource>payments|refunds|subscriptions|instalment_schedules|mandates|customers|customer_bank_accounts"
    r"|redirect_flows|billing_requests|billing_request_flows|payouts)\.create$"
)
# Flows the payer still has to complete: a duplicate is inert until then.
_GOCARDLESS_INERT = frozenset({"redirect_flows", "billing_requests", "billing_request_flows"})
_GOCARDLESS_NOUNS = {
    "mandates": "mandate",
    "customers": "customer",
    "customer_bank_accounts": "bank account",
    "redirect_flows": "redirect flow",
    "billing_requests": "billing request",
    "billing_request_flows": "billing request flow",
    "subscriptions": "subscription",
    "instalment_schedules": "instalment schedule",
}


def gocardless_create(site: Site, flow: Flow) -> tuple[str | None, str] | None:
    """(what a retry creates twice or None for money moves, confidence) for a gocardless_pro
    create, in a module that works with GoCardless."""
    match = _GOCARDLESS_CREATE.search(site.chain)
    if match is None or not any(a.keyword is not None and a.keyword.value == "params" for a in site.node.args):
        return None
    if not _gocardless_here(site, flow):
        return None
    resource = match.group("resource")
    return _GOCARDLESS_NOUNS.get(resource), "medium" if resource in _GOCARDLESS_INERT else "high"


def _gocardless_here(site: Site, flow: Flow) -> bool:
    """The module imports GoCardless, or the client comes from a call named for it
    (`client = gocardless_client(doc)`)."""
    if "gocardless" in site.chain.lower() or any("gocardless" in full.lower() for full in flow.imports.values()):
        return True
    root = site.chain.split(".", 1)[0]
    bound = flow.value_of(root, site.index) if flow.bound_here(root) else None
    return isinstance(bound, cst.Call) and "gocardless" in callee_chain(bound.func)[0].lower()


# ---------------------------------------------------------------------------------------------
# Braintree: module resources (`braintree.Transaction.sale`) and gateway objects
# (`gateway.transaction.sale`); the API takes no idempotency key.

_BRAINTREE = re.compile(
    r"^braintree\.(?:Transaction\.(?:sale|credit|refund|submit_for_settlement|submit_for_partial_settlement)"
    r"|Subscription\.create)$"
)
_BRAINTREE_GATEWAY = re.compile(
    r"\.transaction\.(?:sale|credit|refund|submit_for_settlement|submit_for_partial_settlement)$|\.subscription\.create$"
)


# Vault objects a retried create leaves twice, with the confidence of the report: a second
# customer is billed and reconciled apart; a second stored card only waits to be used.
_BRAINTREE_OBJECTS = {"Customer": ("customer", "high"), "PaymentMethod": ("card", "medium"), "CreditCard": ("card", "medium")}
_BRAINTREE_OBJECT = re.compile(r"^braintree\.(Customer|PaymentMethod|CreditCard)\.create$")
# `gateway.customer.create(...)` on a BraintreeGateway: the receiver must be named for it, since
# `order.customer.create(...)` is how a Django related manager reads.
_BRAINTREE_GATEWAY_OBJECT = re.compile(r"(?i)(?:gateway|braintree)\w*(?:\(\))?\.(customer|payment_method|credit_card)\.create$")
_GATEWAY_RESOURCES = {"customer": "Customer", "payment_method": "PaymentMethod", "credit_card": "CreditCard"}


def braintree_object(site: Site, flow: Flow) -> tuple[str, str] | None:
    """(what it creates, confidence) for a Braintree vault create: `braintree.Customer.create(...)`
    or `gateway.customer.create(...)` in a module that imports braintree."""
    match = _BRAINTREE_OBJECT.match(module_alias(site.chain, flow))
    if match:
        return _BRAINTREE_OBJECTS[match.group(1)]
    match = _BRAINTREE_GATEWAY_OBJECT.search(site.chain)
    if match and any(full.split(".")[0] == "braintree" for full in flow.imports.values()):
        return _BRAINTREE_OBJECTS[_GATEWAY_RESOURCES[match.group(1).lower()]]
    return None


def braintree_call(site: Site, flow: Flow) -> bool:
    if _BRAINTREE.match(module_alias(site.chain, flow)):
        return True
    return bool(_BRAINTREE_GATEWAY.search(site.chain)) and any(
        full.split(".")[0] == "braintree" for full in flow.imports.values()
    )
