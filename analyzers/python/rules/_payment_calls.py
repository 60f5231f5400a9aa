"""Calls that move money or create a billable object at a payment provider, and whether each
carries an idempotency key.

`payment_call` is the one entry point: ARM401 reports unkeyed payments and duplicate-prone
object creates, ARM402 treats an unkeyed money move as an effect a crash repeats, ARM403 asks
which modules talk to a provider. Provider by provider it checks Stripe, Adyen, Mercado Pago,
pagar.me, Checkout.com, PayPal, Braintree, GoCardless and the SDKs of `_payment_sdks`, then
HTTP POSTs to payment URLs. A name shape alone is never enough: the import, the receiver or
the arguments must agree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from ._call_args import _chain_of, code, flow_text_has, has_splat, import_heads, kwarg, positional
from ._delivery import one_shot_path
from ._effects_flow import Flow, Site
from ._http_calls import http_method, http_url, url_resolver
from ._request_wrappers import wrapped_request
from ._sqltext import string_text
from ._idempotency_keys import (
    IDEMPOTENCY_HEADER,
    _keyed_by_kwarg,
    _mercadopago_keyed,
    _options_keyed,
    _paypal_options_keyed,
    _stripe_client_keyed,
    http_keyed,
)
from ._payment_forwarding import helper_return_chain, spread_keying, stripe_wrapper
from ._payment_providers import (
    braintree_call,
    braintree_object,
    gocardless_create,
    no_key_domain,
    no_key_provider,
    nvp_confidence,
    nvp_keyed,
    paypal_nvp_method,
    provider_path,
    url_text,
)
from ._payment_sdks import PROVIDER_HEADS, gateway_post, provider_sdk_call
from ._paypal_calls import mapped_sdk_request, nvp_operation_argument
from ._stripe_calls import (
    _NESTED_LISTS,
    _STRIPE_CLIENT,
    _STRIPE_CLIENT_OBJECT,
    _STRIPE_CLIENT_OBJECTS,
    _STRIPE_INSTANCE,
    _STRIPE_OBJECT_CREATE,
    _STRIPE_OBJECTS,
    _STRIPE_RESOURCE,
    _stripe_client_shape,
    _stripe_nested_list,
    _stripe_object,
    module_alias,
    stripe_noun,
    _STRIPE_CLIENT_ANY,
)
from ._urllib_post import urlopen_url


@dataclass(frozen=True)
class Payment:
    provider: str
    keyed: bool | None  # None: the key may be there, out of sight (**kwargs, an options param)
    # What a repeated call leaves twice when it creates an object rather than moving money
    # ("customer", "subscription"); None for charges, refunds, transfers and other money moves.
    creates: str | None = None
    confidence: str = "high"

    @property
    def moves_money(self) -> bool:
        return self.creates is None


# Adyen Python SDK (`Adyen.Adyen()`): service, then an optional `*_api` group, then the method;
# every one takes `idempotency_key=`. Only the calls that authorise, capture, refund, cancel,
# pay out or transfer are listed.
_ADYEN_CALL = re.compile(
    r"(?:^|\.)(?:"
    r"checkout\.(?:\w+_api\.)?(?:payments|donations|refund_captured_payment|capture_authorised_payment|"
    r"refund_or_cancel_payment|cancel_authorised_payment|cancel_authorised_payment_by_psp_reference)"
    r"|payment\.(?:\w+_api\.)?(?:authorise|capture|refund|cancel_or_refund|adjust_authorisation|donate)"
    r"|payout\.(?:\w+_api\.)?(?:payout|submit_payout|store_details_and_submit_payout|confirm_payout|"
    r"store_detail_and_submit_third_party|submit_third_party|confirm_third_party)"
    r"|transfers\.(?:\w+_api\.)?(?:transfer_funds|return_transfer)"
    r")$"
)
_MP_CREATE = re.compile(r"\.(payment|advanced_payment|refund|order|customer|card|preapproval|preference)\(\)\.create$")
_MP_OBJECTS = {"customer": "payer", "card": "card", "preapproval": "preapproval", "preference": "checkout preference"}
# duplicates that stay inert until the payer acts on them
_MP_INERT = frozenset({"card", "checkout preference"})
_PAGARME_KEY_POSITION = {"create_order": 2, "create_charge": 2, "capture_charge": 3, "cancel_charge": 3}
# pagarmeapisdk (v5) creates that leave a duplicate object: `create_customer(body, idempotency_key)`,
# `create_subscription(body, idempotency_key)`, `create_card(customer_id, body, idempotency_key)`.
_PAGARME_OBJECTS = {"create_customer": (2, "customer"), "create_subscription": (2, "subscription"), "create_card": (3, "card")}
# pagarme-python (the v4 API's SDK): module-level resources. It has no idempotency-key option,
# so every call that moves money is unkeyed.
_PAGARME_V4 = re.compile(
    r"^pagarme\.(?:resources\.handlers\.)?(?:transaction\.(?:create|capture|refund|collect_payment)"
    r"|transfer\.create|bulk_anticipation\.create|payable\.create)$"
)
# checkout-sdk-python (Checkout.com): `idempotency_key` is an optional trailing argument.
_CHECKOUT_COM_KEY_POSITION = {"request_payment": 2, "capture_payment": 3, "refund_payment": 3, "request_payout": 2}
# paypal-server-sdk: controller methods take one options dict; the key is its "paypal_request_id".
_PAYPAL_SERVER_METHODS = frozenset(
    {"create_order", "capture_order", "authorize_order", "refund_captured_payment", "capture_authorized_payment"}
)
_PAYPAL_REQUESTS = re.compile(
    r"(?:^|\.)(OrdersCreateRequest|OrdersCaptureRequest|OrdersAuthorizeRequest|"
    r"AuthorizationsCaptureRequest|CapturesRefundRequest|PayoutsPostRequest)$"
)

PAYMENT_URL = re.compile(
    r"api\.stripe\.com|paypal\.com|mercadopago\.com|pagar\.me|adyen\.com|"
    r"/v\d+/(?:charges|payment_intents|refunds|transfers|payouts)\b|"
    r"/(?:payments|refunds?|transfers|charges?|payouts?|captures?|disbursements?)(?:/|\?|$)",
    re.I,
)
NOT_A_PAYMENT_URL = re.compile(r"oauth|/token\b|/search|/webhooks?\b|verify|/identity|/customers\b|/tokens\b", re.I)


# Catalog objects and endpoints that setup code makes once (`seed_catalog()`, a `setup`
# command, a migration): there a duplicate is the script's own business, not a retried request.
_CATALOG = frozenset({"price", "plan", "product", "coupon", "promotion code", "tax rate", "webhook endpoint"})
_SETUP_FUNCTION = re.compile(r"(?i)seed|setup|set_up|bootstrap|populate|install|fixture|sample|demo")


def payment_call(site: Site, flow: Flow, ctx) -> Payment | None:
    payment = _payment_call(site, flow, ctx)
    if payment is not None and payment.creates in _CATALOG:
        if _SETUP_FUNCTION.search(flow.function_name or "") or one_shot_path(ctx.path):
            return None
    return payment


def _payment_call(site: Site, flow: Flow, ctx) -> Payment | None:
    call = site.node
    qualified = module_alias(site.chain, flow)
    heads = import_heads(flow)
    if _STRIPE_RESOURCE.match(qualified):
        keying = spread_keying(site, flow)
        return Payment("stripe", keying.keyed, confidence=keying.confidence)
    created = _STRIPE_OBJECT_CREATE.match(qualified)
    if created:
        keying = spread_keying(site, flow)
        return _stripe_object_payment(created.group("resource"), _STRIPE_OBJECTS, keying.keyed, keying.confidence)
    if "stripe" in heads and _STRIPE_CLIENT.search(site.chain):
        return Payment("stripe", _stripe_client_keyed(site, flow, ctx))
    nested = _stripe_nested_list(site, flow)
    if nested is not None:
        keying = spread_keying(site, flow)
        return _stripe_object_payment(nested, _STRIPE_CLIENT_OBJECTS, keying.keyed, keying.confidence)
    if "stripe" in heads and site.method in ("create", "create_async"):
        chain = site.chain
        if chain.endswith("().create") or chain.endswith("().create_async"):
            returned = helper_return_chain(site, ctx)  # `cls._accounts(key).create(...)`
            chain = returned + "." + site.method if returned else chain
        created = _STRIPE_CLIENT_OBJECT.search(chain)
        if created and created.group("resource") not in _NESTED_LISTS and _stripe_client_shape(site, created.group("receiver"), chain):
            keyed = _stripe_client_keyed(site, flow, ctx)
            return _stripe_object_payment(created.group("resource"), _STRIPE_CLIENT_OBJECTS, keyed)
        created = _STRIPE_CLIENT_ANY.search(chain)  # any other resource, through the versioned client
        if created:
            return _stripe_object_payment(created.group("resource"), _STRIPE_CLIENT_OBJECTS, _stripe_client_keyed(site, flow, ctx))
    if "stripe" in heads and site.method in {m for ms in _STRIPE_INSTANCE.values() for m in ms}:
        resource = _stripe_object(site, flow)
        if resource is not None and site.method in _STRIPE_INSTANCE.get(resource, ()):
            keying = spread_keying(site, flow)
            return Payment("stripe", keying.keyed, confidence=keying.confidence)
    wrapped = stripe_wrapper(site, flow)
    if wrapped is not None:
        return Payment("stripe", wrapped.keying.keyed, creates=wrapped.creates, confidence="medium")
    if "adyen" in heads and _ADYEN_CALL.search(site.chain) and _adyen_receiver(site.chain):
        return Payment("adyen", _keyed_by_kwarg(call))
    if "mercadopago" in heads and _MP_CREATE.search(site.chain):
        noun = _MP_OBJECTS.get(_MP_CREATE.search(site.chain).group(1))
        return Payment("mercadopago", _mercadopago_keyed(flow, site, ctx), creates=noun,
                       confidence="medium" if noun in _MP_INERT else "high")
    if _PAGARME_V4.match(qualified):
        return Payment("pagar.me v4", None if has_splat(call) else False)
    if "pagarmeapisdk" in heads and site.method in _PAGARME_KEY_POSITION:
        keyed = _keyed_by_kwarg(call)
        if keyed is False and len(positional(call)) >= _PAGARME_KEY_POSITION[site.method]:
            keyed = True
        return Payment("pagar.me", keyed)
    if "pagarmeapisdk" in heads and site.method in _PAGARME_OBJECTS:
        position, noun = _PAGARME_OBJECTS[site.method]
        keyed = _keyed_by_kwarg(call)
        if keyed is False and len(positional(call)) >= position:
            keyed = True
        return Payment("pagar.me", keyed, creates=noun, confidence="medium" if noun == "card" else "high")
    if "checkout_sdk" in heads and site.method in _CHECKOUT_COM_KEY_POSITION:
        keyed = _keyed_by_kwarg(call)
        if keyed is False and len(positional(call)) >= _CHECKOUT_COM_KEY_POSITION[site.method]:
            keyed = True
        return Payment("checkout.com", keyed)
    if "paypalserversdk" in heads and site.method in _PAYPAL_SERVER_METHODS:
        return Payment("paypal", _paypal_options_keyed(site, flow))
    if site.method == "execute" and call.args:
        request = call.args[0].value
        if isinstance(request, cst.Name):
            bound = flow.value_of(request.value, site.index)
            request = bound if bound is not None else request
        if isinstance(request, cst.Call):
            chain = flow.qualify(_chain_of(request.func))
            if _PAYPAL_REQUESTS.search(chain) or mapped_sdk_request(request, site, flow):
                keyed = flow_text_has(flow, ctx, re.compile(r"paypal[-_]?request[-_]?id", re.I))
                return Payment("paypal", keyed)
    nvp = nvp_operation_argument(site, flow)
    if nvp is not None:
        return Payment("paypal nvp", nvp_keyed(ctx.text), confidence=nvp_confidence(nvp))
    if braintree_call(site, flow):
        return Payment("braintree", False)
    braintree_created = braintree_object(site, flow)
    if braintree_created is not None:
        return Payment("braintree", False, creates=braintree_created[0], confidence=braintree_created[1])
    gocardless = gocardless_create(site, flow)
    if gocardless is not None:
        headers = kwarg(call, "headers")
        keyed = _options_keyed(flow, site, headers.value if headers is not None else None, ctx)
        return Payment("gocardless", keyed, creates=gocardless[0], confidence=gocardless[1])
    if heads & PROVIDER_HEADS.keys():
        sdk = provider_sdk_call(site, flow, _flow_source(flow, ctx))
        if sdk is not None:
            return Payment(sdk[0], sdk[1], creates=sdk[2], confidence=sdk[3])
    http = http_payment(site, flow, ctx)
    if http is not None:
        return http
    return wrapped_payment(site, flow, ctx)


def wrapped_payment(site: Site, flow: Flow, ctx) -> Payment | None:
    """`self.post(payment, self.payments_url, data=...)`: a POST to a payment URL sent by the
    class's own request helpers (see _request_wrappers)."""
    wrapped = wrapped_request(site, flow, ctx)
    if wrapped is None or wrapped.verb != "post":
        return None
    url = string_text(wrapped.url, url_resolver(flow, site.index, ctx))
    if not url or NOT_A_PAYMENT_URL.search(url):
        return None
    keyed = any(IDEMPOTENCY_HEADER.search(code(ctx, h)) for h in wrapped.headers)
    path = provider_path(url)
    if path is not None:
        return Payment("http", keyed, creates=path[0], confidence=path[1])
    if (PAYMENT_URL.search(url) and not no_key_domain(url)) or gateway_post(url):
        return Payment("http", keyed)
    return None


# A duplicate of these stays inert until someone acts on it (pays the session, accepts the
# quote, confirms the intent, sells the price, attaches the source): worth a review, not an
# inline comment.
_INERT_DUPLICATES = frozenset({
    "setup intent", "quote", "checkout session", "price", "plan", "product", "coupon", "promotion code",
    "tax rate", "webhook endpoint", "file", "card source", "external account", "card", "payment source",
})


def _stripe_object_payment(resource: str, names: dict[str, str], keyed: bool | None, confidence: str = "high") -> Payment | None:
    noun = stripe_noun(resource, names)
    if noun is None:
        return None
    return Payment("stripe", keyed, creates=noun, confidence="medium" if noun in _INERT_DUPLICATES else confidence)


def _adyen_receiver(chain: str) -> bool:
    """`order.payment.refund()` in a module that also imports Adyen is not Adyen's: the SDK's
    generated `*_api` groups, a receiver named for Adyen, or its checkout service are."""
    return "_api." in chain or "adyen" in chain.lower() or ".checkout." in chain or chain.startswith("checkout.")


def http_payment(site: Site, flow: Flow, ctx) -> Payment | None:
    if http_method(site, flow) != "post":
        return None
    url = http_url(site, flow, ctx)
    if url is None or "paypal" in url.lower():
        method = paypal_nvp_method(_flow_source(flow, ctx))
        if method is not None:
            return Payment("paypal nvp", nvp_keyed(_flow_source(flow, ctx)), confidence=nvp_confidence(method))
    args = positional(site.node)
    node = kwarg(site.node, "url").value if kwarg(site.node, "url") is not None else (args[0] if args else None)
    if site.method == "urlopen":
        node = urlopen_url(site, flow)
    text = url_text(node, flow, site, ctx)
    provider = no_key_provider(text)
    if provider is None:
        path = provider_path(url or text)
        if path is not None:
            return Payment("http", http_keyed(site, flow, ctx), creates=path[0], confidence=path[1])
        if url and PAYMENT_URL.search(url) and not NOT_A_PAYMENT_URL.search(url) and not no_key_domain(url):
            return Payment("http", http_keyed(site, flow, ctx))
        if gateway_post(url or text):
            return Payment("http", http_keyed(site, flow, ctx))
        return None
    if re.search(r"/orders(?=[\s?]|$)", text or ""):
        return Payment(provider, False, creates="order", confidence="medium")  # inert until paid
    if re.search(r"/subscriptions(?=[\s?]|$)", text or ""):
        return Payment(provider, False, creates="subscription")
    return Payment(provider, False)


def _flow_source(flow: Flow, ctx) -> str:
    """Every call and assignment of the function as text (dict fields included)."""
    flow_text_has(flow, ctx, IDEMPOTENCY_HEADER)
    return flow._text_cache  # type: ignore[attr-defined]
