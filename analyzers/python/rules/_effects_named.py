"""Money moved through a wrapper we cannot read: `api.charge_customer_profile(...)`,
`self.handle_payment(...)`, `generate_stk_push(**args)`. The SDK call sits in another file (a
gateway client, a base-class hook), so only the callee's name says that money moves; a record
written after it in the same function is still the ARM402 shape. Reported at medium confidence:
a name is weaker evidence than the SDK call itself.

When the callee is defined in this module, its body decides instead of its name: a body that
makes no external call is local bookkeeping (`account.debit()` adjusting a ledger row)."""
from __future__ import annotations

import re

import libcst as cst

from ._effects_flow import Flow, Site, build_flow, self_assignments

# Verbs that move money when they lead a callee's name, and the request/push names gateways use.
_MONEY_NAME = re.compile(
    r"^_?(?:charge|capture|refund|payout|pay)(?:_|$)"
    r"|(?:^|_)stk_push(?:_|$)"
    r"|^_?(?:create|submit|send|post|execute)_(?:txn|transaction|charge|payout|transfer|refund)(?:_request)?$"
    r"|^_?(?:handle|take|collect|execute|submit)_payments?$"
    r"|^_?transfer_(?:funds|money|payments?|amount|balance)$"
)
# `charge_amount()`, `refund_url()`, `pay_form()`: getters and views named after the payment.
_NOUN_TAIL = re.compile(
    r"_(?:amounts?|fees?|totals?|rates?|urls?|forms?|status|ids?|count|data|info|details|params|payload"
    r"|description|types?|dates?|dt|keys?|templates?|messages?|emails?|views?|pages?|buttons?|links?|fields?"
    r"|options?|list|display|labels?|text|html|context|codes?|reasons?|items?|lines?|summary|reference)$"
)
# Calls that record an outcome although no ORM/SQL write is visible: the project's own
# persistence helpers named for it (`payment.mark_as_paid()`, `self.handle_order_placement()`,
# `create_request_log(...)`, `payment_processing_object_updates(...)`).
_RECORD_NAME = re.compile(
    r"^_?(?:save|record|persist|store|mark)_\w+"
    r"|(?:^|_)(?:place|create|submit)_order(?:_|$)|order_placement"
    r"|\w_updates$"
    r"|^_?(?:create|insert|add|write)_\w*(?:log|record|entry|transaction)$"
)
_LOCAL_DB = re.compile(r"\.save\(|\.insert\(|objects\.[a-z_]|\.execute\(|\.commit\(|db\.set_value|\.db_set\(")


# A payment gateway client (`PaymentProcessor().create_order(...)`, `self.gateway.authorize_payment(...)`):
# on such a receiver, creating an order or authorising moves (or holds) money too.
_GATEWAY_RECEIVER = re.compile(
    r"(?i)(?:^|[._])(?:payment\w*|paypal\w*|braintree\w*|adyen\w*|\w*gateway|psp|acquirer|\w*pay_?client)(?:\(\))?$"
)
_GATEWAY_VERB = re.compile(
    r"^_?(?:create|authori[sz]e|capture|refund|void|execute|place)_(?:order|payment|authori[sz]ation|charge|sale|transaction|txn)s?$"
)

# A class named for the remote API it talks to (`VerkkokauppaAPIClient.refund_order(...)`): its
# class methods are requests to that service, not a model's.
_CLIENT_CLASS = re.compile(r"(?:Client|API|Api|Gateway)$")


def money_name(method: str) -> bool:
    return bool(_MONEY_NAME.search(method)) and not _NOUN_TAIL.search(method)


def gateway_money_call(site: Site) -> bool:
    if not _GATEWAY_VERB.match(site.method) or "." not in site.chain or ".objects" in site.chain:
        return False
    return bool(_GATEWAY_RECEIVER.search(site.chain.rsplit(".", 1)[0]))


def _local_callee(site: Site, flow: Flow, ctx) -> cst.FunctionDef | None:
    """The definition in this module of a bare `f(...)` or of `self.f(...)` in the same class."""
    chain = site.chain
    if "." not in chain:
        return _module_functions(ctx).get(chain)
    receiver, _, name = chain.rpartition(".")
    if receiver == "self" and flow.class_name:
        return _module_methods(ctx).get((flow.class_name, name))
    return None


def named_money_call(site: Site, flow: Flow, ctx, depth: int = 0) -> bool:
    """Does this call move money by its name (or, when defined here, by its body)?"""
    if gateway_money_call(site):
        return True
    if not money_name(site.method):
        return False
    head = site.chain.split(".", 1)[0]
    if ".objects" in site.chain or "_set." in site.chain or (
        head[:1].isupper() and not head.endswith(")") and "." in site.chain and not _CLIENT_CLASS.search(head)
    ):
        return False  # a manager or model class method (`Payment.refund(...)`): the ORM, not a gateway
    local = _local_callee(site, flow, ctx)
    if local is None:
        return True
    return depth == 0 and _body_moves_money(local, flow, ctx)


def _body_moves_money(func: cst.FunctionDef, flow: Flow, ctx) -> bool:
    from ._side_effects import side_effect

    inner = _inner_flow(func, flow, ctx)
    return any(
        side_effect(s, inner, ctx, deep=True) is not None or named_money_call(s, inner, ctx, depth=1)
        for s in inner.sites
    )


def records_by_name(site: Site, flow: Flow, ctx) -> bool:
    """A call that records an outcome by its name, or a same-class method whose body writes."""
    if _RECORD_NAME.search(site.method):
        return True
    local = _local_callee(site, flow, ctx)
    if local is None or site.chain == site.method:
        return False
    from ._db_writes import db_write

    inner = _inner_flow(local, flow, ctx)
    return any(
        db_write(s, inner, ctx, pending=False) is not None or _RECORD_NAME.search(s.method) for s in inner.sites
    ) or bool(_LOCAL_DB.search(ctx.code_for(local.body)))


def _inner_flow(func: cst.FunctionDef, flow: Flow, ctx) -> Flow:
    cache = _cache(ctx, "_arm4_inner_flows")
    if id(func) not in cache:
        selfs = _cache(ctx, "_arm4_self_values")
        if "values" not in selfs:
            selfs["values"] = self_assignments(ctx.module)
        inner = build_flow(func.body, flow.imports, flow.module_values, func.params, selfs["values"])
        inner.class_name = flow.class_name
        cache[id(func)] = inner
    return cache[id(func)]


def _cache(ctx, name: str) -> dict:
    found = getattr(ctx, name, None)
    if found is None:
        found = {}
        setattr(ctx, name, found)
    return found


def _module_functions(ctx) -> dict[str, cst.FunctionDef]:
    cache = _cache(ctx, "_arm4_functions")
    if not cache and ctx.module.body:
        for statement in ctx.module.body:
            if isinstance(statement, cst.FunctionDef):
                cache[statement.name.value] = statement
        cache.setdefault("", None)  # computed, even when the module defines no function
    return cache


def _module_methods(ctx) -> dict[tuple[str, str], cst.FunctionDef]:
    cache = _cache(ctx, "_arm4_methods")
    if not cache:
        for statement in ctx.module.body:
            if isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
                for item in statement.body.body:
                    if isinstance(item, cst.FunctionDef):
                        cache[(statement.name.value, item.name.value)] = item
        cache.setdefault(("", ""), None)
    return cache
