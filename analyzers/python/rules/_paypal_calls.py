"""PayPal reached the way integrations usually write it: through the project's own helpers.

- Classic NVP: the operation travels as a module constant (`DO_CAPTURE = "DoCapture"`) handed
  to a helper that builds `{"METHOD": method, ...}` and posts it; the helper never names the
  operation, its callers do. A call whose positional argument is a money-moving NVP operation
  is that operation. NVP's key is MSGSUBID.
- Checkout SDK: the request class is picked from a mapping (`{"CAPTURE": OrdersCaptureRequest}`)
  and instantiated through a variable, so the call site shows only `capture_request(token)`.
- A POST to a literal external URL through an object the analyzer cannot type (`gateway.post(
  "https://api-3t.paypal.com/nvp", params)`) is still an HTTP write to another service.
"""
from __future__ import annotations

import re

import libcst as cst

from ._effects_flow import Flow, Site, callee_chain
from ._sqltext import string_text

# Operations that move or hold money; SetExpressCheckout/GetExpressCheckoutDetails only prepare or read.
_NVP_MONEY = frozenset({
    "DoExpressCheckoutPayment", "DoDirectPayment", "DoCapture", "DoAuthorization", "DoReauthorization",
    "DoReferenceTransaction", "RefundTransaction", "MassPay", "CreateRecurringPaymentsProfile",
})
_NOT_A_CALL_THAT_SENDS = re.compile(r"(?:^|\.)(?:log|logger|logging|warnings|print|debug|info|warning|error|format|append)$")


def nvp_operation_argument(site: Site, flow: Flow) -> str | None:
    """`_fetch_response(DO_CAPTURE, params)`: the NVP operation a helper is asked to perform."""
    if _NOT_A_CALL_THAT_SENDS.search(site.chain) or site.method in ("get", "update", "setdefault", "startswith"):
        return None
    for arg in site.node.args[:2]:
        if arg.keyword is not None and arg.keyword.value.lower() != "method":
            continue
        text = string_text(arg.value, flow.resolver(site.index))
        if text in _NVP_MONEY:
            return text
    return None


_SDK_REQUEST = re.compile(
    r"(?:^|\.)(?:OrdersCaptureRequest|OrdersAuthorizeRequest|AuthorizationsCaptureRequest|CapturesRefundRequest"
    r"|PayoutsPostRequest)$"
)


def mapped_sdk_request(request: cst.BaseExpression, site: Site, flow: Flow) -> bool:
    """`request = INTENT_TO_REQUEST[intent](token)`, or the class first held in a variable."""
    if not isinstance(request, cst.Call):
        return False
    func = request.func
    if isinstance(func, cst.Name) and flow.bound_here(func.value):
        func = flow.value_of(func.value, site.index) or func
    if not isinstance(func, cst.Subscript) or not isinstance(func.value, cst.Name):
        return False
    mapping = flow.value_of(func.value.value, site.index)
    if not isinstance(mapping, cst.Dict):
        return False
    values = [e.value for e in mapping.elements if isinstance(e, cst.DictElement)]
    return any(_SDK_REQUEST.search(callee_chain(v)[0]) for v in values)


_EXTERNAL_URL = re.compile(r"^https?://(?!localhost|127\.|0\.0\.0\.0|\[::1\])[\w.-]+\.[a-z]{2,}", re.I)


def literal_url_post(site: Site, flow: Flow) -> str | None:
    """The URL of `x.post("https://host/...", ...)` when it is a literal external address."""
    if site.method not in ("post", "put", "patch") or "." not in site.chain:
        return None
    args = [a for a in site.node.args if a.keyword is None]
    url = next((a for a in site.node.args if a.keyword is not None and a.keyword.value == "url"), None)
    node = url.value if url is not None else (args[0].value if args else None)
    if node is None:
        return None
    text = string_text(node, flow.resolver(site.index))
    return text if text and _EXTERNAL_URL.match(text) else None
