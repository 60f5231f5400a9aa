"""A raw HTTP POST of a payment gateway integration whose URL is held in configuration: the
endpoint is an attribute or a setting (`requests.post(self.gateway_url, data=xml)`,
`urlopen(Request(self.arb_live_url, ...))`), so no literal says which API it reaches, but the
code that sends it is a gateway's: a method of a class named for a payment gateway or client
(`EwayGateway`, `DirectPaymentClient`), or of any class in a module under a `gateways`/`payment`
folder or named `*_gateway.py`. Such a POST submits the payment itself; without an
Idempotency-Key (or the provider's request id) a retry after a timeout submits it again.

Reads sent as POSTs are left alone: a method or URL attribute named for verification, status,
lookup, tokens or notifications (PayPal's IPN postback is a POST that changes nothing)."""
from __future__ import annotations

import re

import libcst as cst

from ._effects_flow import Flow, Site
from ._http_calls import http_method, http_url
from ._idempotency_keys import http_keyed
from ._urllib_post import urlopen_url
from ._call_args import kwarg, positional

_GATEWAY_CLASS = re.compile(r"Gateway|Payment\w*Client|PaymentProcessor|Acquirer|\bPsp", re.I)
_GATEWAY_PATH = re.compile(r"(?:^|/)(?:gateways?|payments?)/|_gateway\.py$", re.I)
_PAYMENT_TEXT = re.compile(r"(?i)payment|charge|credit_?card|purchase|refund")
_CONFIG_HEAD = re.compile(r"^(?:self|cls|settings|config|conf|options|self\.\w+)$")
_READ_NAME = re.compile(
    r"verif|valid|status|query|inquir|lookup|search|token|auth(?!ori[sz])|login|notif|ipn|callback|webhook|report|balance|check",
    re.I,
)


def _url_expression(site: Site, flow: Flow) -> cst.BaseExpression | None:
    call = site.node
    if site.method == "urlopen":
        node = urlopen_url(site, flow)
    else:
        arg = kwarg(call, "url")
        args = positional(call)
        node = arg.value if arg is not None else (args[0] if args else None)
    if isinstance(node, cst.Name):  # `url = self.live_url if live else self.test_url`
        node = flow.value_of(node.value, site.index) or node
    if isinstance(node, cst.IfExp):
        node = node.body
    return node


def _configured(node: cst.BaseExpression | None) -> str | None:
    """The attribute's name when the URL is an attribute or setting: `self.gateway_url` ->
    "gateway_url"."""
    if isinstance(node, cst.Attribute) and isinstance(node.value, (cst.Name, cst.Attribute)):
        head = node.value
        text = head.value if isinstance(head, cst.Name) else f"{getattr(head.value, 'value', '')}.{head.attr.value}"
        if _CONFIG_HEAD.match(text) and re.search(r"url|uri|endpoint|host|api", node.attr.value, re.I):
            return node.attr.value
    return None


def gateway_config_post(site: Site, flow: Flow, ctx) -> bool:
    """Is this an unkeyed payment POST of a gateway integration to a configured endpoint?"""
    if http_method(site, flow) != "post" or http_url(site, flow, ctx) is not None:
        return False  # a URL we can read is judged by what it says
    name = _configured(_url_expression(site, flow))
    if name is None or _READ_NAME.search(name) or _READ_NAME.search(flow.function_name or ""):
        return False
    owner = flow.class_name or ""
    if not _GATEWAY_CLASS.search(owner):
        # a `gateways/` folder may hold SMS or API gateways: the module must also talk payments
        if not (owner and _GATEWAY_PATH.search(ctx.path.replace("\\", "/")) and _PAYMENT_TEXT.search(ctx.text)):
            return False
    return not http_keyed(site, flow, ctx)
