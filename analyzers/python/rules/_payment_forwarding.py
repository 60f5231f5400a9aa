"""Payment calls whose arguments or whose SDK call are one step away: keyword arguments spread
from a dict (`stripe.Charge.create(**params)`), and a project's own wrapper around the SDK's
create (`Refund._api_create(charge=...)`, `cls._api_create(**kwargs)` in a Stripe model class).

A dict built in the function holds only the keys written there, so a missing key is visible.
The function's own `**kwargs` holds whatever its callers pass; a file cannot see its callers,
so such calls are reported at medium confidence unless the function names a key itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from ._effects_flow import Flow, Site, callee_chain
from ._sqltext import string_text
from ._functions import local_helper

KEY_NAME = re.compile(r"idempot", re.I)


@dataclass(frozen=True)
class Keying:
    keyed: bool | None  # None: the key may be there, out of sight
    confidence: str = "high"


def spread_keying(site: Site, flow: Flow) -> Keying:
    """Whether a call that takes `idempotency_key=` as a keyword gets one, looking through
    `**name` spreads."""
    call = site.node
    if any(a.keyword is not None and a.keyword.value == "idempotency_key" for a in call.args):
        return Keying(True)
    result = Keying(False)
    for arg in call.args:
        if arg.star != "**":
            continue
        keying = _spread(arg.value, site, flow)
        if keying.keyed is not False:
            return keying
        if keying.confidence == "medium":
            result = keying
    return result


def _unwrap(node: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(node, cst.BooleanOperation):  # `params or {}`
        return node.left
    return node


def _spread(node: cst.BaseExpression, site: Site, flow: Flow) -> Keying:
    node = _unwrap(node)
    if isinstance(node, (cst.Dict, cst.Call)):
        return _display_keying(node, None, site, flow)
    if not isinstance(node, cst.Name):
        return Keying(None)
    name = node.value
    if _key_added(name, site, flow):
        return Keying(True)
    value = flow.value_of(name, site.index) if flow.bound_here(name) else None
    if value is None:
        if name == flow.star_kwargs:
            return Keying(False, "medium")
        if flow.star_kwargs and name not in flow.params and name not in flow.module_values:
            # bound out of sight (`account, rest = split(**kwargs)`) from what the callers passed
            return Keying(False, "medium")
        return Keying(None)
    return _display_keying(_unwrap(value), name, site, flow)


def _from_star_kwargs(node: cst.BaseExpression, flow: Flow) -> bool:
    """`kwargs.copy()`, `dict(kwargs)`, `dict(**kwargs)`, `{**kwargs}`: the callers' keywords."""
    star = flow.star_kwargs
    if star is None:
        return False
    if isinstance(node, cst.Name):
        return node.value == star
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "copy" and isinstance(func.value, cst.Name):
            return func.value.value == star
        if isinstance(func, cst.Name) and func.value == "dict":
            return all(isinstance(a.value, cst.Name) and a.value.value == star for a in node.args if a.keyword is None)
    return False


def _literal_keys(node: cst.BaseExpression, flow: Flow) -> tuple[list[str], str]:
    """Keys of a dict display or `dict(...)` call, and "exact" / "medium" (it also spreads the
    callers' `**kwargs`) / "unknown" (it spreads or copies something else)."""
    if isinstance(node, cst.Dict):
        keys, state = [], "exact"
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                text = string_text(element.key)
                if text is None:
                    return keys, "unknown"
                keys.append(text)
            elif _from_star_kwargs(element.value, flow):
                state = "medium"
            else:
                return keys, "unknown"
        return keys, state
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
        keys, state = [], "exact"
        for arg in node.args:
            if arg.keyword is not None:
                keys.append(arg.keyword.value)
            elif _from_star_kwargs(arg.value, flow):
                state = "medium"
            else:
                return keys, "unknown"
        return keys, state
    if _from_star_kwargs(node, flow):
        return [], "medium"
    return [], "unknown"


def _display_keying(node: cst.BaseExpression, name: str | None, site: Site, flow: Flow) -> Keying:
    keys, state = _literal_keys(node, flow)
    if any(KEY_NAME.search(k) for k in keys):
        return Keying(True)
    if state == "unknown":
        return Keying(None)
    if name is not None:
        for other in flow.sites:
            if other.index >= site.index or other.chain != name + ".update":
                continue
            for arg in other.node.args:
                if arg.keyword is not None:
                    continue  # a literal keyword: _key_added reads it
                if arg.star == "**":
                    if not _from_star_kwargs(arg.value, flow):
                        return Keying(None)
                    state = "medium"
                    continue
                more, more_state = _literal_keys(arg.value, flow)
                if any(KEY_NAME.search(k) for k in more):
                    return Keying(True)
                if more_state == "unknown":
                    return Keying(None)
                if more_state == "medium":
                    state = "medium"
    return Keying(False, "medium" if state == "medium" else "high")


def _key_added(name: str, site: Site, flow: Flow) -> bool:
    """`params["idempotency_key"] = ...`, `params.update(idempotency_key=...)`,
    `params.setdefault("idempotency_key", ...)` before the call."""
    for index, target, _ in flow.item_assigns:
        if index > site.index or not (isinstance(target.value, cst.Name) and target.value.value == name):
            continue
        element = target.slice[0].slice if len(target.slice) == 1 else None
        key = string_text(element.value) if isinstance(element, cst.Index) else None
        if key is not None and KEY_NAME.search(key):
            return True
    for other in flow.sites:
        if other.index < site.index and other.chain in (name + ".update", name + ".setdefault"):
            for arg in other.node.args:
                if arg.keyword is not None and KEY_NAME.search(arg.keyword.value):
                    return True
                text = string_text(arg.value)
                if text is not None and KEY_NAME.search(text):
                    return True
    return False


# ---------------------------------------------------------------------------------------------
# a project's wrapper around the Stripe SDK's create

# `Model._api_create(...)`, `Model.api_create(...)`, `create_in_stripe(...)`: named for the
# provider's API rather than for the local row.
_WRAPPER_METHOD = re.compile(r"^_?api_create$|^create_(?:in|on)_stripe$|^stripe_create$")
# Stripe objects by class name, with what a retried create leaves twice (None: money moves).
STRIPE_CLASSES: dict[str, str | None] = {
    "Charge": None,
    "PaymentIntent": None,
    "Refund": None,
    "Transfer": None,
    "TransferReversal": None,
    "Payout": None,
    "ApplicationFeeRefund": None,
    "Topup": None,
    "CreditNote": None,
    "Customer": "customer",
    "Invoice": "invoice",
    "InvoiceItem": "invoice item",
    "Subscription": "subscription",
    "SubscriptionItem": "subscription item",
    "SubscriptionSchedule": "subscription schedule",
    "Account": "connected account",
    "SetupIntent": "setup intent",
    "Source": "payment source",
    "Quote": "quote",
    "BankAccount": "external account",
    "Card": "card",
    "Price": "price",
    "Plan": "plan",
    "Product": "product",
    "Coupon": "coupon",
    "PromotionCode": "promotion code",
    "TaxRate": "tax rate",
    "WebhookEndpoint": "webhook endpoint",
    "FileUpload": "file",
    "File": "file",
}


@dataclass(frozen=True)
class Wrapped:
    resource: str
    creates: str | None
    keying: Keying


def mentions_stripe(flow: Flow) -> bool:
    return any("stripe" in full.lower() for full in flow.imports.values())


def stripe_wrapper(site: Site, flow: Flow) -> Wrapped | None:
    """`Refund._api_create(charge=...)` in code that works with Stripe: the project's wrapper
    of the SDK create, whose body is in another file."""
    if not _WRAPPER_METHOD.match(site.method) or "." not in site.chain:
        return None
    receiver = site.chain.rsplit(".", 1)[0]
    last = receiver.rsplit(".", 1)[-1]
    if last in ("cls", "self") and receiver == last:
        last = flow.class_name or ""
    if last not in STRIPE_CLASSES or not mentions_stripe(flow):
        return None
    keying = spread_keying(site, flow)
    return Wrapped(last, STRIPE_CLASSES[last], Keying(keying.keyed, "medium"))


# ---------------------------------------------------------------------------------------------
# `cls._accounts(api_key).create(params=...)`: a helper of this module returns the service


def helper_return_chain(site: Site, ctx) -> str | None:
    """The chain a same-module helper returns (`client.v2.core.accounts`) when the call's
    receiver is `helper(...)`, `self.helper(...)` or `cls.helper(...)`."""
    func = site.node.func
    if not isinstance(func, cst.Attribute):
        return None
    helper = local_helper(func.value, ctx.module)
    if helper is None or not isinstance(helper.body, cst.IndentedBlock):
        return None
    last = helper.body.body[-1] if helper.body.body else None
    if not isinstance(last, cst.SimpleStatementLine) or not isinstance(last.body[0], cst.Return):
        return None
    value = last.body[0].value
    if not isinstance(value, cst.Attribute):
        return None
    return callee_chain(value)[0]
