"""Money-moving and object-creating calls of payment SDKs named only by their import, and POSTs
to payment gateways' own hosts.

The general form: a module that imports a payment provider's SDK calls, on that SDK (or on a
client built from it), a verb that creates something at the provider or moves money (create,
charge, capture, refund, payout, transfer, authorize, execute, sale, `create_payment`...), and
nothing in the call names an idempotency key. A retry after a timeout repeats it: the provider
has no way to tell the second request from a new one. The same holds for a plain HTTP POST to a
gateway host (Authorize.Net, Payflow, Sage Pay, Worldpay...) through any HTTP client.

Reads (`retrieve`, `fetch`, `find`, `all`, `list`) are never matched, and neither are calls on
Django managers (`Model.objects.create`) even when the model is named for the provider.
"""
from __future__ import annotations

import re

import libcst as cst

from ._effects_flow import Flow, Site, callee_chain

# Import heads of provider SDKs on PyPI whose calls are not recognised elsewhere (Stripe, Adyen,
# Mercado Pago, Pagar.me, Checkout.com, PayPal server SDK, Braintree and GoCardless have their
# own, more precise readers).
PROVIDER_HEADS = {
    "razorpay": "Razorpay",
    "paypalrestsdk": "PayPal",
    "mollie": "Mollie",
    "paystackapi": "Paystack",
    "pypaystack": "Paystack",
    "pypaystack2": "Paystack",
    "paystack": "Paystack",
    "rave_python": "Flutterwave",
    "chargebee": "Chargebee",
    "recurly": "Recurly",
    "yookassa": "YooKassa",
    "iyzipay": "iyzico",
    "midtransclient": "Midtrans",
    "xendit": "Xendit",
    "omise": "Omise",
    "culqi": "Culqi",
    "conekta": "Conekta",
    "payjp": "PAY.JP",
    "coinbase_commerce": "Coinbase Commerce",
    "mangopay": "Mangopay",
    "paddle": "Paddle",
    "paddle_billing": "Paddle",
    "squareup": "Square",
    "square": "Square",
    "authorizenet": "Authorize.Net",
}

# Verbs that move money or leave a new object at the provider.
_MONEY_VERBS = frozenset(
    "charge capture refund payout transfer authorize execute sale pay initiate settle"
    " create_payment create_charge create_refund create_transfer create_payout create_transaction"
    " capture_payment refund_payment charge_authorization charge_card create_purchase".split()
)
_CREATE_VERBS = frozenset(
    "create create_order create_subscription create_invoice create_customer create_checkout create_link"
    " create_transaction_token".split()
)
# Resources whose create moves money rather than leaving an inert object.
_MONEY_RESOURCE = re.compile(
    r"(?i)(?:^|\.)(?:payments?|charges?|refunds?|payouts?|transfers?|captures?|disbursements?|transactions?|sales?"
    r"|payins?|payouts?)(?:\(\))?$"
)
_INERT_RESOURCE = re.compile(r"(?i)(?:^|\.)(?:orders?|invoices?|checkouts?|payment_links?|links?|sessions?)(?:\(\))?$")
_NOT_PROVIDER_CHAIN = re.compile(r"\.objects\b|\._default_manager\b|\.query\b|\bsession\.")
_KEY_TEXT = re.compile(r"idempot|request_id|paypal[-_]request[-_]id", re.I)
# Paystack and Flutterwave refuse a second transaction with the same merchant reference.
_REFERENCE_KEYED = {"Paystack": ("reference", "ref"), "Flutterwave": ("tx_ref", "txRef")}


def _provider_of(site: Site, flow: Flow) -> str | None:
    """The provider whose SDK this call goes to: the chain starts from an import of it, or its
    root name is bound in this function to a client built from one (`client = razorpay.Client()`)."""
    qualified = flow.qualify(site.chain)
    head = qualified.split(".", 1)[0].removesuffix("()")
    if head in PROVIDER_HEADS:
        return PROVIDER_HEADS[head]
    parts = site.chain.split(".")
    if parts[0] == "self" and len(parts) > 2:
        # `self.client = razorpay.Client(...)` in __init__, used by the other methods
        values = flow.self_values.get(f"self.{parts[1]}") or []
        providers = {_built_by(v, flow) for v in values}
        return providers.pop() if len(providers) == 1 else None
    root = parts[0].removesuffix("()")
    if root == "self":
        return None
    return _built_by(flow.value_of(root, site.index), flow)  # bound here or at module level


def _built_by(bound: cst.BaseExpression | None, flow: Flow) -> str | None:
    """The provider whose SDK constructed this value (`razorpay.Client(auth=...)`)."""
    if isinstance(bound, cst.Await):
        bound = bound.expression
    if isinstance(bound, cst.Call):
        chain = flow.qualify(callee_chain(bound.func)[0])
        head = chain.split(".", 1)[0].removesuffix("()")
        return PROVIDER_HEADS.get(head)
    return None


def provider_sdk_call(site: Site, flow: Flow, source: str) -> tuple[str, bool | None, str | None, str] | None:
    """(provider, keyed, what it creates or None for a money move, confidence) for a call of a
    payment SDK this module imports; `source` is the function's text (for keys set elsewhere)."""
    method = site.method
    if method not in _MONEY_VERBS and method not in _CREATE_VERBS:
        return None
    if _NOT_PROVIDER_CHAIN.search(site.chain):
        return None
    provider = _provider_of(site, flow)
    if provider is None:
        return None
    if method == "execute" and not _MONEY_RESOURCE.search(_origin(site, flow)):
        return None  # `execute` runs whatever request it is given: only a payment/charge one counts
    receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
    creates: str | None = None
    confidence = "high"
    if method in _CREATE_VERBS:
        if method == "create":
            if _MONEY_RESOURCE.search(receiver) and not _INERT_RESOURCE.search(receiver):
                pass
            elif _INERT_RESOURCE.search(receiver):
                creates, confidence = _noun(receiver), "medium"
            else:
                creates, confidence = _noun(receiver) or "object", "medium"
        else:
            creates, confidence = method.removeprefix("create_").replace("_", " "), "medium"
    if provider == "Razorpay" and method == "capture":
        return None  # Razorpay refuses a second capture of the same payment
    call = site.node
    if any(a.star == "**" for a in call.args):
        return provider, None, creates, confidence
    call_text = cst.Module(body=[]).code_for_node(call)
    if _KEY_TEXT.search(call_text):
        return provider, True, creates, confidence
    for name in _REFERENCE_KEYED.get(provider, ()):
        if re.search(rf"\b{name}\b", call_text):
            return provider, True, creates, confidence
    if provider == "YooKassa" and len([a for a in call.args if a.keyword is None]) >= 2:
        return provider, True, creates, confidence  # `Payment.create(params, idempotency_key)`
    if _KEY_TEXT.search(source):
        return provider, None, creates, confidence  # a key set on the client or the request object
    return provider, False, creates, confidence


def _origin(site: Site, flow: Flow) -> str:
    """The receiver's chain, or for a name the callee that built it (`Payment.find(id)`,
    `createTransactionController(request)`), with a trailing call marker dropped."""
    receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
    if receiver and "." not in receiver and flow.bound_here(receiver):
        bound = flow.value_of(receiver, site.index)
        if isinstance(bound, cst.Call):
            chain = callee_chain(bound.func)[0]
            parts = [p for p in chain.split(".") if p not in ("find", "retrieve", "get", "()")]
            receiver = parts[-1] if parts else chain
    name = receiver.rsplit(".", 1)[-1].removesuffix("()")
    return re.sub(r"(?i)^(?:create|get)|controller$|request$", "", name) if name else name


def _noun(receiver: str) -> str | None:
    last = receiver.rsplit(".", 1)[-1].removesuffix("()")
    if not last or last[:1] == "?":
        return None
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", last).lower()
    return snake.removesuffix("s").replace("_", " ") if snake.endswith("s") and not snake.endswith("ss") else snake.replace("_", " ")


# ---------------------------------------------------------------------------------------------
# payment gateways reached by a plain HTTP POST

GATEWAY_HOST = re.compile(
    r"(?:secure|test|apitest|api|accept)\.authorize\.net|payflowpro\.paypal\.com|pilot-payflowpro"
    r"|(?:live|test)\.sagepay\.com|\.opayo\.(?:co\.uk|com)|\.worldpay\.com|\.cybersource\.com"
    r"|\.braintreegateway\.com|\.paymentexpress\.com|\.windcave\.com|\.2checkout\.com|api\.pin\.net\.au"
    r"|\.ewaypayments\.com|\.payu\.\w+|api\.paystack\.co|api\.flutterwave\.com|api\.mollie\.com"
    r"|connect\.squareup\.com|api\.checkout\.com|api\.xendit\.co|api\.omise\.co|\.klarna\.com"
    r"|\.moneris\.com|api\.securepay|\.payfast\.co\.za|\.paytm\.(?:in|com)|api\.cashfree\.com|\.bluesnap\.com",
    re.I,
)
# Endpoints at those hosts that change nothing (token exchange, status reads, signature checks).
_GATEWAY_READ = re.compile(r"oauth|/token\b|/tokens\b|verify|/status|/query|/validate|/lookup|/inquiry|/search", re.I)


def gateway_post(url: str | None) -> bool:
    return bool(url) and bool(GATEWAY_HOST.search(url)) and not _GATEWAY_READ.search(url)  # type: ignore[arg-type]
