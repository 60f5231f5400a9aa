"""Calls of another module's wrapper whose body performs an external effect (see
_effect_summaries): what the call does, and whether this caller supplies the idempotency key
the wrapper hands on to the provider.

The wrapper forwards its keywords (`def create_payment_intent(self, **params)`): the caller's
`idempotency_key=` reaches the provider. It passes one of its parameters as the key: the caller
keys the call by passing that argument. A key that is None on some path before the call
(`key = None; if sync: key = ...`) is no key on that path.
"""
from __future__ import annotations

import libcst as cst

from ._effect_summaries import EffectFact, _key_argument
from ._effects_flow import Flow, Site
from ._payment_forwarding import spread_keying


def wrapper_fact(site: Site, ctx) -> EffectFact | None:
    """The effect fact of the project function this call names through the file's imports."""
    view = ctx.project_view() if ctx.project is not None else None
    if view is None or not getattr(view.index, "effects", None):
        return None
    name = view.qualified(site.node.func)
    return view.index.effect(name) if name else None


def key_value(call: cst.Call, fact: EffectFact) -> cst.BaseExpression | None:
    """The expression this call passes where the wrapper takes the key (None: not passed)."""
    if fact.key == "**":
        return _key_argument(call)
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == fact.key:
            return arg.value
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    if 0 <= fact.key_position < len(positional):
        return positional[fact.key_position]
    return None


def _none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def caller_keyed(site: Site, flow: Flow, fact: EffectFact) -> bool | None:
    """Whether this call gives the wrapper a key; None when the caller has nothing to give (the
    wrapper cannot forward one) or what it passes is out of sight (`**options`)."""
    if fact.key is None:
        return None
    call = site.node
    value = key_value(call, fact)
    if value is None and fact.key == "**":
        # the keywords may come spread from a dict built here (`**intent_params`)
        return spread_keying(site, flow).keyed
    if value is None:
        if any(a.star for a in call.args):
            return None
        return not fact.key_default_none
    if _none(value):
        return False
    if isinstance(value, cst.Name):
        bindings = [v for i, v in flow.values.get(value.value, ()) if i <= site.index]
        if any(_none(v) for v in bindings):
            return False  # None on some path to this call
    return True


def wrapper_payment(site: Site, flow: Flow, ctx):
    """ARM401 at a call of a payment wrapper that leaves the key to its callers."""
    from ._payment_calls import Payment

    fact = wrapper_fact(site, ctx)
    if fact is None or fact.provider is None:
        return None
    keyed = caller_keyed(site, flow, fact)
    if keyed is not False:
        return None
    return Payment(fact.provider, False, creates=fact.creates, confidence=fact.confidence)


def wrapper_effect(site: Site, flow: Flow, ctx) -> tuple[str, str] | None:
    """ARM402: (kind, confidence) of the external effect a call of another module's wrapper
    performs; a payment the caller keys is harmless to repeat."""
    fact = wrapper_fact(site, ctx)
    if fact is None or fact.kind is None:
        return None
    if fact.provider is not None and caller_keyed(site, flow, fact) is True:
        return None
    return fact.kind, fact.confidence


def judged_at_callers(site: Site, flow: Flow, ctx) -> bool:
    """A pure pass-through (`return await stripe.PaymentIntent.create_async(**params)`: the call
    carries nothing but the function's own `**kwargs`) that the project index holds as a
    key-forwarding wrapper: whether a key is sent is each caller's choice, and the callers are
    where the finding goes. A wrapper that builds the request itself (`amount=...`, then
    `**kwargs`) is a finding of its own."""
    from ..project_index import module_name
    from ._effect_summaries import pure_pass_through

    index = ctx.project
    if index is None or not getattr(index, "effects", None) or not pure_pass_through(site, flow):
        return False
    name = f"{flow.class_name}.{flow.function_name}" if flow.class_name else flow.function_name
    fact = index.effects.get((module_name(ctx.path), name or ""))
    return fact is not None and fact.key == "**" and fact.depth == 1


def known_harmless(site: Site, ctx) -> bool:
    """The callee is a project function the index read: its body pays with a key of its own, so
    its name (`refund_payment`) says less than its body."""
    fact = wrapper_fact(site, ctx)
    return fact is not None and fact.kind is None and fact.provider is None
