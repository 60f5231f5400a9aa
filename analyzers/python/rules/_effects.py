"""What a call does to the world outside the process, as the non-idempotency rules see it:
payments (with or without an idempotency key), emails/SMS, HTTP writes, queue publishes, and
database writes that record them.

Each recogniser is deliberately specific: a name shape alone is never enough where it is
common in ordinary code (`.send()`, `.update()`, `.create()`); the receiver, the import or the
arguments must agree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from ._delivery import one_shot_path
from ._functions import local_helper
from ._effects_flow import Flow, Site
from ._payment_forwarding import helper_return_chain, spread_keying, stripe_wrapper
from ._token_refresh import refresh_call, refresh_grant_body
from ._urllib_post import urlopen_method, urlopen_url
from ._payment_sdks import PROVIDER_HEADS, gateway_post, provider_sdk_call
from ._mail_sends import mail_send
from ._paypal_calls import literal_url_post, mapped_sdk_request, nvp_operation_argument
from ._payment_providers import (
    braintree_call,
    gocardless_create,
    no_key_domain,
    no_key_provider,
    nvp_confidence,
    nvp_keyed,
    paypal_nvp_method,
    url_text,
)
from ._sqltext import is_record_sql, is_write_sql, string_text

# ---------------------------------------------------------------------------------------------
# small helpers


def kwarg(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def positional(call: cst.Call) -> list[cst.BaseExpression]:
    return [a.value for a in call.args if a.keyword is None and not a.star]


def has_splat(call: cst.Call) -> bool:
    return any(a.star == "**" for a in call.args)


def import_heads(flow: Flow) -> set[str]:
    return {full.split(".")[0].lower() for full in flow.imports.values()}


def dict_keys(node: cst.BaseExpression | None) -> list[str] | None:
    """Literal string keys of a dict display (`{**base, "k": v}` yields ["k"]); None if the
    expression is not a dict display or a `dict(...)` call."""
    if isinstance(node, cst.Dict):
        keys = []
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                text = string_text(element.key)
                if text is not None:
                    keys.append(text)
        return keys
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
        return [a.keyword.value for a in node.args if a.keyword is not None]
    return None


IDEMPOTENCY_HEADER = re.compile(r"idempotency|paypal-request-id", re.I)  # not X-Request-Id: tracing ids change per attempt


def code(flow_ctx, node: cst.CSTNode) -> str:
    try:
        return flow_ctx.code_for(node)
    except Exception:
        return ""


# ---------------------------------------------------------------------------------------------
# payments


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
_STRIPE_OBJECT_CREATE = re.compile(
    r"^stripe\.(?P<resource>" + "|".join(re.escape(r) for r in _STRIPE_OBJECTS) + r")\.create(?:_async)?$"
)
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
    "Charge": {"capture"},
    "SetupIntent": {"confirm"},
}
_STRIPE_FETCH = re.compile(r"^stripe\.(\w+)\.(?:retrieve|create)(?:_async)?$")
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
_MP_CREATE = re.compile(r"\.(payment|advanced_payment|refund|order|customer|card|preapproval)\(\)\.create$")
_MP_OBJECTS = {"customer": "payer", "card": "card", "preapproval": "preapproval"}
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


def flow_text_has(flow: Flow, ctx, pattern: re.Pattern[str]) -> bool:
    """Whether any call or assignment of the function mentions `pattern` (e.g. a header set
    on a request object after it was built)."""
    cache = getattr(flow, "_text_cache", None)
    if cache is None:
        pieces = [code(ctx, s.node) for s in flow.sites]
        pieces += [code(ctx, t) + "=" + code(ctx, v) for _, t, v in flow.attr_assigns]
        pieces += [code(ctx, t) + "=" + code(ctx, v) for _, t, v in flow.item_assigns]
        for bindings in flow.values.values():
            pieces += [code(ctx, v) for _, v in bindings]
        cache = "\n".join(pieces)
        flow._text_cache = cache  # type: ignore[attr-defined]
    return pattern.search(cache) is not None


def _options_keyed(flow: Flow, site: Site, node: cst.BaseExpression | None, ctx) -> bool | None:
    if node is None:
        return False
    if isinstance(node, cst.Name):
        value = flow.value_of(node.value, site.index)
        if value is None:
            return None
        node = value
    keys = dict_keys(node)
    if keys is not None:
        if any(IDEMPOTENCY_HEADER.search(k) for k in keys):
            return True
        spread = any(isinstance(e, cst.StarredDictElement) for e in getattr(node, "elements", ()))
        return None if spread else False
    if isinstance(node, cst.Call):
        return True if kwarg(node, "idempotency_key") is not None else None
    return None


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
    qualified = flow.qualify(site.chain)
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
                       confidence="medium" if noun == "card" else "high")
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
    return None


# A duplicate of these stays inert until someone acts on it (pays the session, accepts the
# quote, confirms the intent, sells the price, attaches the source): worth a review, not an
# inline comment.
_INERT_DUPLICATES = frozenset({
    "setup intent", "quote", "checkout session", "price", "plan", "product", "coupon", "promotion code",
    "tax rate", "webhook endpoint", "file", "card source", "external account", "card",
})


def _stripe_object_payment(resource: str, names: dict[str, str], keyed: bool | None, confidence: str = "high") -> Payment:
    noun = names[resource]
    return Payment("stripe", keyed, creates=noun, confidence="medium" if noun in _INERT_DUPLICATES else confidence)


def _stripe_client_keyed(site: Site, flow: Flow, ctx) -> bool | None:
    """StripeClient methods take `(params, options)`; the key lives in `options`."""
    call = site.node
    args = positional(call)
    options = kwarg(call, "options")
    node = options.value if options is not None else (args[1] if len(args) > 1 else None)
    if node is None and has_splat(call):
        return None
    return _options_keyed(flow, site, node, ctx)


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


def _paypal_options_keyed(site: Site, flow: Flow) -> bool | None:
    args = positional(site.node)
    node = args[0] if args else None
    if isinstance(node, cst.Name):
        node = flow.value_of(node.value, site.index) if flow.bound_here(node.value) else None
    keys = dict_keys(node)
    if keys is None:
        return None
    if "paypal_request_id" in keys:
        return True
    return None if any(isinstance(e, cst.StarredDictElement) for e in getattr(node, "elements", ())) else False


def _adyen_receiver(chain: str) -> bool:
    """`order.payment.refund()` in a module that also imports Adyen is not Adyen's: the SDK's
    generated `*_api` groups, a receiver named for Adyen, or its checkout service are."""
    return "_api." in chain or "adyen" in chain.lower() or ".checkout." in chain or chain.startswith("checkout.")


def _stripe_object(site: Site, flow: Flow) -> str | None:
    """"Invoice" for `invoice.pay()` when `invoice` was last bound to `stripe.Invoice.retrieve(...)`."""
    receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
    if not receiver or "." in receiver or receiver.endswith(("()", "]")):
        return None
    bound = flow.value_of(receiver, site.index)
    if isinstance(bound, cst.Await):
        bound = bound.expression
    if not isinstance(bound, cst.Call):
        return None
    match = _STRIPE_FETCH.match(flow.qualify(_chain_of(bound.func)))
    return match.group(1) if match else None


def _chain_of(func: cst.BaseExpression) -> str:
    from ._effects_flow import callee_chain

    return callee_chain(func)[0]


def _keyed_by_kwarg(call: cst.Call) -> bool | None:
    if kwarg(call, "idempotency_key") is not None:
        return True
    return None if has_splat(call) else False


def _mercadopago_keyed(flow: Flow, site: Site, ctx) -> bool | None:
    call = site.node
    args = positional(call)
    data_args = 2 if ".refund()" in site.chain or ".card()" in site.chain else 1
    options = kwarg(call, "request_options")
    node = options.value if options is not None else (args[data_args] if len(args) > data_args else None)
    if node is None:
        return None if has_splat(call) else False
    if flow_text_has(flow, ctx, IDEMPOTENCY_HEADER):
        return True
    if isinstance(node, cst.Name) and not flow.bound_here(node.value):
        return None  # built by the caller
    return False


# ---------------------------------------------------------------------------------------------
# HTTP

_HTTP_MODULES = re.compile(r"^(?:requests|httpx)\.(post|put|patch|delete|request)$")
_HTTP_CLIENTS = re.compile(
    r"^(?:requests\.Session|requests\.session|requests\.sessions\.Session|httpx\.Client|httpx\.AsyncClient|"
    r"aiohttp\.ClientSession|aiohttp\.client\.ClientSession|"
    # urllib3 and the standard library: `pool.request("POST", url, ...)`, `conn.request("POST", path, body)`
    r"urllib3\.PoolManager|urllib3\.poolmanager\.PoolManager|http\.client\.HTTPSConnection|http\.client\.HTTPConnection)$"
)
# Frameworks' own request helpers: `frappe.integrations.utils.make_post_request(url, data=...)`.
_FRAMEWORK_HTTP = re.compile(r"^frappe\.integrations\.utils\.make_(post|put|patch)_request$")
_HTTP_ATTR_RECEIVER = re.compile(r"(?:^|\.)_?(?:http|http_client|http_session|requests_session|httpx_client)$")


def http_method(site: Site, flow: Flow) -> str | None:
    """'post'/'put'/'patch'/'delete' for an HTTP call made with requests/httpx/aiohttp."""
    method = site.method
    if method == "urlopen":
        return urlopen_method(site, flow)
    qualified = flow.qualify(site.chain)
    verb = None
    if _HTTP_MODULES.match(qualified):
        verb = method
    elif _FRAMEWORK_HTTP.match(qualified):
        verb = _FRAMEWORK_HTTP.match(qualified).group(1)
    elif method in ("post", "put", "patch", "delete", "request"):
        receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
        if receiver.endswith("()"):
            if _HTTP_CLIENTS.match(flow.qualify(receiver[:-2])):
                verb = method
        elif receiver:
            if _HTTP_ATTR_RECEIVER.search(receiver) or http_client_name(receiver, site.index, flow):
                verb = method
    if verb == "request":
        args = positional(site.node)
        text = string_text(args[0]) if args else None
        return text.lower() if text and text.lower() in ("post", "put", "patch", "delete") else None
    return verb


_DOTTED = re.compile(r"[A-Za-z_][\w.]*")
_RENDER = cst.Module(body=[])


def _client_call(node: cst.BaseExpression | None, flow: Flow) -> bool:
    if isinstance(node, cst.Await):
        node = node.expression
    if isinstance(node, cst.BooleanOperation):  # `client = client or httpx.Client()`
        return _client_call(node.left, flow) or _client_call(node.right, flow)
    return isinstance(node, cst.Call) and bool(_HTTP_CLIENTS.match(flow.qualify(_chain_of(node.func))))


def http_client_name(receiver: str, before: int, flow: Flow) -> bool:
    """Whether `receiver` holds a requests/httpx/aiohttp client: bound to one here or at module
    level, a parameter annotated with one (`session: requests.Session`), or a `self.x` that
    every assignment in the module sets to one."""
    bound = flow.value_of(receiver, before)
    if bound is not None:
        return _client_call(bound, flow)
    annotation = flow.annotations.get(receiver)
    if annotation is not None:
        text = _RENDER.code_for_node(annotation)
        return any(_HTTP_CLIENTS.match(flow.qualify(name)) for name in _DOTTED.findall(text.strip("\"'")))
    values = flow.self_values.get(receiver) if receiver.startswith("self.") else None
    return bool(values) and all(_client_call(v, flow) for v in values)


def http_url(site: Site, flow: Flow) -> str | None:
    call = site.node
    if site.method == "urlopen":
        return string_text(urlopen_url(site, flow), flow.resolver(site.index))
    arg = kwarg(call, "url")
    args = positional(call)
    if site.method == "request":
        args = args[1:]
    node = arg.value if arg is not None else (args[0] if args else None)
    return string_text(node, flow.resolver(site.index))


def http_url_source(site: Site, ctx, flow: Flow | None = None) -> str | None:
    """The URL argument as written (`introspection_url`, `settings.TOKEN_ENDPOINT`) when its
    value cannot be resolved: the name often says what kind of endpoint it is."""
    call = site.node
    arg = kwarg(call, "url")
    args = positional(call)[1:] if site.method == "request" else positional(call)
    node = arg.value if arg is not None else (args[0] if args else None)
    if site.method == "urlopen":
        node = urlopen_url(site, flow) if flow is not None else node
    return code(ctx, node) if node is not None else None


def http_keyed(site: Site, flow: Flow, ctx) -> bool | None:
    """Whether an HTTP call carries an idempotency key (header or body field)."""
    call = site.node
    if site.method == "urlopen":  # headers live on the Request object or are added to it
        return flow_text_has(flow, ctx, IDEMPOTENCY_HEADER)
    if has_splat(call):
        return None
    for name in ("json", "data"):
        arg = kwarg(call, name)
        if arg is not None and IDEMPOTENCY_HEADER.search(code(ctx, arg.value)):
            return True
    headers = kwarg(call, "headers")
    if headers is None:
        if _HTTP_MODULES.match(flow.qualify(site.chain)) or _FRAMEWORK_HTTP.match(flow.qualify(site.chain)):
            return False
        # a client object may carry default headers set elsewhere
        return None if _key_outside_requests(ctx) else False
    node = headers.value
    if isinstance(node, cst.Name):
        if not flow.bound_here(node.value):
            return None
        return flow_text_has(flow, ctx, IDEMPOTENCY_HEADER)
    keys = dict_keys(node)
    if keys is None:
        if IDEMPOTENCY_HEADER.search(code(ctx, node)):
            return True
        helper = _local_helper(node, ctx)
        if helper is not None:  # `headers=_auth()`: read the helper defined in this module
            return _helper_keyed(helper, node, ctx)  # type: ignore[arg-type]
        return None
    if any(IDEMPOTENCY_HEADER.search(k) for k in keys):
        return True
    if any(isinstance(e, cst.StarredDictElement) for e in node.elements):  # type: ignore[union-attr]
        return None
    return False


_WRITE_VERBS = frozenset({"post", "put", "patch", "delete", "request"})


class _KeyMentions(cst.CSTVisitor):
    """Finds an idempotency key named in code (a string or a name, not a comment) outside the
    arguments of HTTP write calls: where a client's default headers could get it."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.found = False

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in _WRITE_VERBS:
            self.depth += 1

    def leave_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in _WRITE_VERBS:
            self.depth -= 1

    def _see(self, text: str) -> None:
        if not self.depth and IDEMPOTENCY_HEADER.search(text):
            self.found = True

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self._see(node.value)

    def visit_FormattedStringText(self, node: cst.FormattedStringText) -> None:
        self._see(node.value)

    def visit_Name(self, node: cst.Name) -> None:
        self._see(node.value)


def _key_outside_requests(ctx) -> bool:
    """Whether the module could set an idempotency header on a client once (`session.headers[
    "Idempotency-Key"] = ...`, a default-headers helper); keys passed per request on other calls
    say nothing about this one."""
    cached = getattr(ctx, "_arm4_key_outside_requests", None)
    if cached is None:
        cached = False
        if IDEMPOTENCY_HEADER.search(ctx.text):
            visitor = _KeyMentions()
            ctx.module.visit(visitor)
            cached = visitor.found
        try:
            ctx._arm4_key_outside_requests = cached
        except Exception:
            pass
    return cached


def _local_helper(node: cst.BaseExpression, ctx) -> cst.FunctionDef | None:
    if isinstance(node, cst.Call) and any(a.star for a in node.args):
        return None
    return local_helper(node, ctx.module)


def _helper_keyed(helper: cst.FunctionDef, call: cst.Call, ctx) -> bool:
    """Whether the headers a local helper builds carry the key for this call. A helper that adds
    the header only from a parameter (`def _headers(idempotency_key=None): ... if idempotency_key:
    h["Idempotency-Key"] = idempotency_key`) keys the calls that pass that parameter, not the
    calls that leave it out."""
    if not IDEMPOTENCY_HEADER.search(code(ctx, helper)):
        return False
    params = helper.params
    positional_params = [*params.posonly_params, *params.params]
    if positional_params and positional_params[0].name.value in ("self", "cls") and isinstance(call.func, cst.Attribute):
        positional_params = positional_params[1:]
    every = positional_params + list(params.kwonly_params)
    keys = _key_params(helper, {p.name.value for p in every})
    if not keys:
        return True  # the header is always set
    for param in every:
        if param.name.value in keys and param.default is not None and not _empty(param.default):
            return True  # keyed by default
    for i, value in enumerate(positional(call)):
        if i < len(positional_params) and positional_params[i].name.value in keys and not _empty(value):
            return True
    return any(
        a.keyword is not None and a.keyword.value in keys and not _empty(a.value) for a in call.args
    )


def _empty(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return node.value in ("None", "False")
    text = string_text(node)
    return text is not None and text == ""


class _KeyParams(cst.CSTVisitor):
    """Parameters that end up as the value of an idempotency header inside a helper."""

    def __init__(self, params: set[str]) -> None:
        super().__init__()
        self.params = params
        self.found: set[str] = {p for p in params if re.search(r"idempot|request_id", p, re.I)}

    def _take(self, key: cst.BaseExpression | None, value: cst.BaseExpression) -> None:
        text = string_text(key) if key is not None else None
        if text is None or not IDEMPOTENCY_HEADER.search(text):
            return
        for name in _names_in(value):
            if name in self.params:
                self.found.add(name)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        self._take(node.key, node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            sub = target.target
            if isinstance(sub, cst.Subscript) and len(sub.slice) == 1 and isinstance(sub.slice[0].slice, cst.Index):
                self._take(sub.slice[0].slice.value, node.value)


def _names_in(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()

    class _Names(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

    node.visit(_Names())
    return found


def _key_params(helper: cst.FunctionDef, params: set[str]) -> set[str]:
    visitor = _KeyParams(params)
    helper.body.visit(visitor)
    return visitor.found


def http_payment(site: Site, flow: Flow, ctx) -> Payment | None:
    if http_method(site, flow) != "post":
        return None
    url = http_url(site, flow)
    if url is None or "paypal" in url.lower():
        method = paypal_nvp_method(_flow_source(flow, ctx))
        if method is not None:
            return Payment("paypal nvp", nvp_keyed(_flow_source(flow, ctx)), confidence=nvp_confidence(method))
    args = positional(site.node)
    node = kwarg(site.node, "url").value if kwarg(site.node, "url") is not None else (args[0] if args else None)
    if site.method == "urlopen":
        node = urlopen_url(site, flow)
    text = url_text(node, flow, site)
    provider = no_key_provider(text)
    if provider is None:
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


# ---------------------------------------------------------------------------------------------
# external side effects (ARM402)

_MAIL_FUNCS = re.compile(r"^django\.core\.mail\.(send_mail|send_mass_mail|mail_admins|mail_managers)$")
_SEND_NAME = re.compile(
    r"^(?:send_(?:\w+_)?(?:e?mails?|sms|texts?|whatsapp|push(?:_notification)?)|sendmail|send_message|"
    r"send_messages|send_message_batch|send_raw_email|send_templated_email|send_bulk_templated_email|"
    r"basic_publish|chat_postMessage)$"
)
_MAIL_RECEIVER = re.compile(
    r"(?:^|\.)(?:\w*e?mails?|mailer|mail_client|\w*smtp\w*|sms|ses|sendgrid|sg|postmark|mailgun|twilio|yag|"
    r"resend\.Emails|email_service|mail_service)$",
    re.I,
)
_MAIL_OBJECTS = re.compile(r"(?:EmailMessage|EmailMultiAlternatives|SendGridAPIClient|Mail)\(\)$")
_NOT_AN_EFFECT_URL = re.compile(
    r"oauth|/token\b|/auth\b|login|signin|siteverify|captcha|_search|/search|/query|graphql|"
    r"/validate|/verify|/lookup|/estimate|/introspect|/userinfo|/refresh|completions|/embeddings|localhost|127\.0\.0\.1",
    re.I,
)
# The same kinds of read-only endpoints named by the variable that holds the URL (RFC 7662 token
# introspection, userinfo, token verification are POSTs that change nothing).
_READ_ENDPOINT_NAME = re.compile(
    r"introspect|userinfo|token_?(?:url|uri|endpoint)|verif\w*_(?:url|uri|endpoint)|validat\w*_(?:url|uri|endpoint)|"
    r"lookup_(?:url|uri|endpoint)|search_(?:url|uri|endpoint)|graphql",
    re.I,
)


# Push notifications: firebase_admin's messaging module, APNs clients (apns2, aioapns), pyfcm
# and Expo's PushClient. `send_notification` alone is also the name of in-app helpers that only
# write a Notification row, so the receiver or the imports must name a push service.
_FIREBASE_SEND = re.compile(r"^firebase_admin\.messaging\.(?:send|send_all|send_each|send_multicast|send_each_for_multicast)(?:_async)?$")
_PUSH_RECEIVER = re.compile(r"(?i)(?:apns|apn|fcm|gcm|firebase|push|expo|onesignal)\w*$")
_PUSH_HEADS = {"apns2", "aioapns", "pyapns", "pyapns2", "pyfcm", "exponent_server_sdk", "onesignal_sdk", "gobiko"}
_PUSH_METHODS = {"send_notification", "send_notification_batch", "send_notification_async"}
_FCM_METHODS = {"notify_single_device", "notify_multiple_devices", "notify_topic_subscribers", "multiple_devices_data_message", "single_device_data_message"}


def _push_call(site: Site, qualified: str, receiver: str, flow: Flow) -> bool:
    if _FIREBASE_SEND.match(qualified):
        return True
    method = site.method
    last = receiver.rsplit(".", 1)[-1].removesuffix("()")
    if method in _FCM_METHODS:
        return bool(_PUSH_RECEIVER.search(last) or import_heads(flow) & _PUSH_HEADS)
    if method in _PUSH_METHODS:
        return bool(_PUSH_RECEIVER.search(last) or import_heads(flow) & _PUSH_HEADS)
    return method == "publish" and bool(re.search(r"(?i)push_?client$", last))


@dataclass(frozen=True)
class Effect:
    kind: str  # "email", "payment", "http", "queue", "push", "sms", "token"
    site: Site
    confidence: str = "high"  # "medium" where only the callee's name says what it does


def side_effect(site: Site, flow: Flow, ctx, deep: bool = False) -> Effect | None:
    """An external effect a retry would repeat (celery `.delay`/`.apply_async` are not: they
    enqueue work inside our own system, and the task itself is where idempotency belongs)."""
    method = site.method
    if method in ("delay", "apply_async", "send_task", "s", "si"):
        return None
    payment = payment_call(site, flow, ctx)
    if payment is not None:
        # ARM402 is about effects a crash repeats before they are recorded; a duplicate object
        # (a second customer) is ARM401's finding at the same call, not a second one here.
        return Effect("payment", site) if payment.keyed is False and payment.moves_money else None
    qualified = flow.qualify(site.chain)
    if _MAIL_FUNCS.match(qualified) or _SEND_NAME.match(method):
        kind = "queue" if method in ("basic_publish", "send_message_batch") else "email"
        if method == "send_message" and kwarg(site.node, "QueueUrl") is not None:
            kind = "queue"
        return Effect(kind, site)
    receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
    if _push_call(site, qualified, receiver, flow):
        return Effect("push", site)
    if method in ("send", "deliver", "send_now"):
        if _MAIL_RECEIVER.search(receiver) or _MAIL_OBJECTS.search(receiver) or mail_send(site, flow):
            return Effect("email", site)
        bound = flow.value_of(receiver, site.index) if receiver and "." not in receiver else None
        if isinstance(bound, cst.Call) and _MAIL_OBJECTS.search(_chain_of(bound.func) + "()"):
            return Effect("email", site)
    if method in ("send", "produce", "send_and_wait") and re.search(r"(?i)producer$", receiver):
        return Effect("queue", site)
    if method == "publish" and (
        any(kwarg(site.node, k) is not None for k in ("TopicArn", "TargetArn", "PhoneNumber"))
        or re.search(r"(?i)(publisher|sns)$", receiver)
    ):
        return Effect("queue", site)
    if method == "create" and re.search(r"\.(messages|calls)$", receiver) and (
        "twilio" in import_heads(flow) or kwarg(site.node, "from_") is not None
    ):
        return Effect("sms", site)
    verb = http_method(site, flow)
    if verb == "post" and refresh_grant_body(site, flow, lambda n: code(ctx, n)):
        return Effect("token", site)
    if verb is None and refresh_call(site, flow):
        return Effect("token", site, confidence="medium")
    if verb in ("post", "put", "patch"):
        url = http_url(site, flow)
        if url is not None and _NOT_AN_EFFECT_URL.search(url):
            return None
        if url is None and _READ_ENDPOINT_NAME.search(http_url_source(site, ctx, flow) or ""):
            return None
        if http_keyed(site, flow, ctx):
            return None
        return Effect("http", site)
    if verb is None:
        url = literal_url_post(site, flow)
        if url is not None and not _NOT_AN_EFFECT_URL.search(url) and not http_keyed(site, flow, ctx):
            return Effect("payment" if PAYMENT_URL.search(url) else "http", site, confidence="medium")
    if receiver and not deep:
        kind = _wrapped_effect(site, receiver, flow, ctx)
        if kind is not None:
            return Effect(kind, site)
    return None


def _module_classes(ctx) -> dict[str, cst.ClassDef]:
    cached = getattr(ctx, "_arm4_classes", None)
    if cached is None:
        cached = {}
        for statement in ctx.module.body:
            if isinstance(statement, cst.ClassDef):
                cached[statement.name.value] = statement
        try:
            ctx._arm4_classes = cached
        except Exception:
            pass
    return cached


def _receiver_class(receiver: str, before: int, flow: Flow, ctx) -> cst.ClassDef | None:
    """The class of this module a receiver is an instance of: a parameter annotated with it
    (`psp: PspClient`) or a name bound to `PspClient(...)`."""
    if "." in receiver or receiver.endswith(("()", "]")):
        return None
    classes = _module_classes(ctx)
    if not classes:
        return None
    bound = flow.value_of(receiver, before)
    if isinstance(bound, cst.Call) and isinstance(bound.func, cst.Name):
        return classes.get(bound.func.value)
    if bound is None:
        annotation = flow.annotations.get(receiver)
        if isinstance(annotation, cst.Name):
            return classes.get(annotation.value)
        text = string_text(annotation) if annotation is not None else None
        return classes.get(text) if text else None
    return None


def _wrapped_effect(site: Site, receiver: str, flow: Flow, ctx) -> str | None:
    """`psp.send_pix(w)` where `send_pix` is a method of a class in this module whose body
    performs an external effect with no database write of its own: the call is that effect."""
    cls = _receiver_class(receiver, site.index, flow, ctx)
    if cls is None or not isinstance(cls.body, cst.IndentedBlock):
        return None
    methods = [f for f in cls.body.body if isinstance(f, cst.FunctionDef) and f.name.value == site.method]
    if len(methods) != 1:
        return None
    method = methods[0]
    cache = getattr(ctx, "_arm4_wrapped", None)
    if cache is None:
        cache = {}
        try:
            ctx._arm4_wrapped = cache
        except Exception:
            return None
    if id(method) not in cache:
        cache[id(method)] = _effect_kind_of(method, flow, ctx)
    return cache[id(method)]


def _effect_kind_of(method: cst.FunctionDef, flow: Flow, ctx) -> str | None:
    from ._effects_flow import build_flow, self_assignments

    if flow_text_has_outbox(code(ctx, method)):
        return None
    inner = build_flow(method.body, flow.imports, flow.module_values, method.params, self_assignments(ctx.module))
    kind = None
    for s in inner.sites:
        if db_write(s, inner, ctx, pending=False) is not None:
            return None  # the method keeps its own record; judge it where it is defined
        effect = side_effect(s, inner, ctx, deep=True)
        if effect is not None and kind is None:
            kind = effect.kind
    return kind


def flow_text_has_outbox(text: str) -> bool:
    return re.search(r"outbox", text, re.I) is not None


# ---------------------------------------------------------------------------------------------
# database writes

SQL_METHODS = {"execute", "executemany", "execute_async", "fetch", "fetchrow", "fetchval", "query", "exec_driver_sql", "run"}
_ORM_WRITES = {"create", "get_or_create", "update_or_create", "bulk_create", "bulk_update", "update", "delete"}
_QUERYSET = re.compile(r"(?:^|\.)objects(?:\.|$)|\.query\(\)|\.filter\(\)|\.filter_by\(\)|\.exclude\(\)|\.where\(\)")
SESSIONISH = re.compile(
    r"(?:^|\.)_?(?:session|db|conn|connection|cnx|con|tx|txn|transaction|database|uow|unit_of_work)$|session$",
    re.I,
)
SDK_HEADS = {"stripe", "openai", "anthropic", "twilio", "boto3", "mercadopago", "adyen", "paypalrestsdk", "sendgrid", "resend"}
_SA_WRITES = re.compile(r"^sqlalchemy(?:\.sql|\.dialects\.\w+)?(?:\.expression)?\.(insert|update|delete)$")


@dataclass(frozen=True)
class DbWrite:
    site: Site
    kind: str  # "insert" / "update" / "delete" / "commit" / "orm"
    sql: str | None = None  # the statement text when it is SQL


def sql_of(site: Site, flow: Flow) -> str | None:
    if site.method not in SQL_METHODS or not site.node.args:
        return None
    first = site.node.args[0].value
    text = string_text(first, flow.resolver(site.index))
    if text is not None:
        return text
    expr = first
    if isinstance(expr, cst.Name):
        expr = flow.value_of(expr.value, site.index) or expr
    if isinstance(expr, cst.Call):
        # SQLAlchemy Core: `update(T).where(...).values(...)`, `insert(T)...`, `T.delete()`
        node: cst.BaseExpression = expr
        while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if node.func.attr.value in ("insert", "update", "delete") and not node.args:
                return node.func.attr.value
            node = node.func.value
        if isinstance(node, cst.Call):
            match = _SA_WRITES.match(flow.qualify(_chain_of(node.func)))
            if match:
                return match.group(1)
    return None


def db_write(site: Site, flow: Flow, ctx, pending: bool) -> DbWrite | None:
    """A write to the database. `pending` says an ORM session has unflushed changes (an add,
    a merge, an attribute assignment) so that a `commit()` persists something."""
    method = site.method
    rest = rest_write(site, flow)
    if rest is not None:
        return DbWrite(site, rest.kind)
    if method in SQL_METHODS:
        text = sql_of(site, flow)
        if text is None:
            return None
        if not is_write_sql(text):
            if text.lower() in ("insert", "update", "delete"):
                return DbWrite(site, text.lower(), text)
            return None
        return DbWrite(site, text.lstrip().split(None, 1)[0].lower(), text)
    receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
    if method == "save":
        if not positional(site.node) and receiver and not receiver.endswith("()"):
            return DbWrite(site, "orm")
        return None
    if method == "commit" and pending and SESSIONISH.search(receiver):
        return DbWrite(site, "commit")
    if method in _ORM_WRITES:
        if _QUERYSET.search(receiver + ".") or _QUERYSET.search(receiver):
            return DbWrite(site, "delete" if method == "delete" else "orm")
        if receiver and "." not in receiver and not receiver.endswith(("()", "]")):
            bound = flow.value_of(receiver, site.index)
            if isinstance(bound, cst.Call) and _QUERYSET.search(_chain_of(bound.func)):
                return DbWrite(site, "delete" if method == "delete" else "orm")
            if method == "create" and receiver[:1].isupper():
                head = flow.qualify(receiver).split(".")[0].lower()
                if head not in SDK_HEADS:
                    return DbWrite(site, "orm")
    return None


# supabase-py / postgrest-py: `sb.table("invoices").update({...}).eq("id", x).execute()`. The
# builder only reaches the database at `.execute()`, so that call is the write.
_REST_WRITE = re.compile(
    r"(?:^|\.)(?:table|from_)\(\)(?:\.schema\(\))?\.(?P<kind>insert|update|upsert|delete)\(\)(?:\.\w+\(\))*\.execute$"
)
_REST_HEADS = {"supabase", "postgrest", "supabase_py", "supabase_client"}
_REST_RECEIVER = re.compile(r"(?i)(?:^|[._])(?:supabase|sb|postgrest)\w*(?:\(\))?\.")


@dataclass(frozen=True)
class RestWrite:
    kind: str  # "insert" / "update" / "upsert" / "delete"
    table: str | None
    call: cst.Call  # the `.insert(...)` / `.upsert(...)` call with the rows and options


def rest_write(site: Site, flow: Flow) -> RestWrite | None:
    """A supabase/PostgREST write, recognised at its `.execute()`."""
    if site.method != "execute" or site.node.args:
        return None
    match = _REST_WRITE.search(site.chain)
    if match is None:
        return None
    if not (import_heads(flow) & _REST_HEADS or _REST_RECEIVER.search(site.chain)):
        return None
    node: cst.BaseExpression = site.node.func
    write_call = table = None
    for _ in range(32):
        if isinstance(node, cst.Attribute):
            node = node.value
        elif isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute):
                name = func.attr.value
                if name == match.group("kind") and write_call is None:
                    write_call = node
                elif name in ("table", "from_") and node.args:
                    table = string_text(node.args[0].value, flow.resolver(site.index))
                    break
            node = func
        else:
            break
    if write_call is None:
        return None
    return RestWrite(match.group("kind"), table, write_call)


def is_record(write: DbWrite) -> bool:
    if write.kind == "delete":
        return False
    if write.sql is not None and write.kind not in ("insert", "update"):
        return is_record_sql(write.sql)
    return True


_PENDING_METHODS = {"add", "add_all", "merge", "bulk_save_objects"}


def pending_marks(flow: Flow) -> list[int]:
    """Indexes after which an ORM session holds unflushed changes."""
    marks = [s.index for s in flow.sites if s.method in _PENDING_METHODS and SESSIONISH.search(s.chain.rsplit(".", 1)[0])]
    marks += [index for index, target, _ in flow.attr_assigns]
    return marks


_TRUTHY_FALSE = ("False", "None", "0")


def is_claim(site: Site) -> bool:
    """A Redis/cache claim taken before acting (`SET NX`, `setnx`, `cache.add`)."""
    if site.method == "setnx":
        return True
    if site.method == "set":
        nx = kwarg(site.node, "nx")
        return nx is not None and not (isinstance(nx.value, cst.Name) and nx.value.value in _TRUTHY_FALSE)
    return site.method == "add" and site.chain.rsplit(".", 1)[0].endswith("cache")
