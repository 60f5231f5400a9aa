"""ARM401's fix: `idempotency_key=f"refund-{refund.id}"` on a Stripe call, built from the id of
the operation's own record when the function receives one.

Only the module-level Stripe API (`stripe.Refund.create(...)`) takes the key as a keyword; the
other providers want it in an options object or a header, which is not a mechanical edit.

The id comes from a parameter: `<noun>_id`, or `<noun>` when the function's code reads
`<noun>.id` (so the object is known to have one). Nouns, in order: the operation's own (`refund` for Refund.create),
then order, payment, invoice. The fix is safe only with the operation's own record for an
operation whose parameters never change between attempts (a refund, transfer or payout recorded
before it is sent): that key is unmistakably stable. Keyed by an order or payment, it is unsafe:
Stripe replays a key's first answer for 24 hours, so a customer retrying a declined charge with
another card would get the old decline or a parameter-mismatch error instead of a new charge."""
from __future__ import annotations

import re

import libcst as cst

from ...model import Edit, Fix
from ._call_args import has_splat
from ._stripe_calls import _STRIPE_OBJECT_CREATE, _STRIPE_RESOURCE
from ..walk import walk

# Stripe resource -> (its noun in parameter names, the key's prefix)
_OWN = {
    "Refund": ("refund", "refund"),
    "Transfer": ("transfer", "transfer"),
    "Payout": ("payout", "payout"),
    "Charge": ("charge", "charge"),
    "PaymentIntent": ("payment", "payment-intent"),
    "Invoice": ("invoice", "invoice"),
    "Customer": ("customer", "customer"),
    "Subscription": ("subscription", "subscription"),
    "CreditNote": ("credit_note", "credit-note"),
    "Topup": ("topup", "topup"),
}
# Operations that are the same request on every attempt once recorded: a replayed answer is right.
_FIXED_PARAMETERS = frozenset({"Refund", "Transfer", "Payout"})
_NOUNS = ("order", "payment", "invoice")


def idempotency_fix(site, flow, ctx):
    """A fix factory (ctx -> Fix | None) for an unkeyed Stripe call, or None."""
    call: cst.Call = site.node
    qualified = flow.qualify(site.chain)
    if not (_STRIPE_RESOURCE.match(qualified) or _STRIPE_OBJECT_CREATE.match(qualified)) or has_splat(call):
        return None
    parts = qualified.split(".")
    resource, method = parts[1], parts[-1].removesuffix("_async")
    own, prefix = _OWN.get(resource, (resource.lower(), resource.lower()))
    if method != "create":
        prefix = f"{prefix}-{method.replace('_', '-')}"
    found = _stable_id(flow.params, _id_reads(ctx.module, call), own)
    if found is None:
        return None
    noun, expression = found
    safe = noun == own and resource in _FIXED_PARAMETERS and method == "create"
    key = f'f"{prefix}-{{{expression}}}"'

    def make(ctx) -> Fix | None:
        edit = _keyword_edit(ctx, call, f"idempotency_key={key}")
        if edit is None:
            return None
        if ctx.language == "pt-BR":
            text = f"Passar idempotency_key={key}, estável entre retries da operação"
        else:
            text = f"Pass idempotency_key={key}, stable across retries of the operation"
        return Fix(text, (edit,), "safe" if safe else "unsafe")

    return make


def _stable_id(params, id_reads: set[str], own: str) -> tuple[str, str] | None:
    for noun in (own, *(n for n in _NOUNS if n != own)):
        if f"{noun}_id" in params:
            return noun, f"{noun}_id"
        if noun in params and noun in id_reads:
            return noun, f"{noun}.id"
    return None


class _IdReads(cst.CSTVisitor):
    """Names whose `.id` the code of the function around `call` reads (code, not comments or
    strings: text a pull request writes must not vouch for an attribute)."""

    def __init__(self, call: cst.Call) -> None:
        self.call = call
        self.frames: list[set[str]] = [set()]  # the module's code, then one set per open function
        self.target: set[str] | None = None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.frames.append(set())

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.frames.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if node is self.call:
            self.target = self.frames[-1]

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "id" and isinstance(node.value, cst.Name):
            self.frames[-1].add(node.value.value)


def _id_reads(module: cst.Module, call: cst.Call) -> set[str]:
    finder = _IdReads(call)
    walk(module, finder)
    return finder.target or set()


def _keyword_edit(ctx, call: cst.Call, keyword: str) -> Edit | None:
    """Insert `keyword` as the call's last argument, following its layout: on a line of its own
    after a trailing comma, else after the last argument."""
    _, end = ctx.node_span(call)
    close = end - 1
    text = ctx.text
    if text[close] != ")":
        return None
    if not call.args:
        return Edit(close, close, keyword)
    _, last_end = ctx.node_span(call.args[-1].value)
    between = text[last_end:close]
    if "#" in between or "\\" in between:
        return None  # a comment or a continuation there: leave the layout to a person
    comma = between.find(",")
    if comma < 0:
        return Edit(last_end, last_end, ", " + keyword)
    after = last_end + comma + 1
    if "\n" not in between[comma:]:
        return Edit(after, after, " " + keyword + ",")
    line_start = text.rfind("\n", 0, ctx.node_span(call.args[-1])[0]) + 1
    indent = re.match(r"[ \t]*", text[line_start:]).group(0)
    newline = "\r\n" if "\r\n" in text else "\n"
    return Edit(after, after, newline + indent + keyword + ",")
