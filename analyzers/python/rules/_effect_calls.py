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

from ._effect_dispatch import compound_name
from ._effect_summaries import EffectFact, _key_argument
from ._effects_flow import Flow, Site
from ._payment_forwarding import spread_keying


def wrapper_fact(site: Site, ctx, owner: str | None = None) -> EffectFact | None:
    """The effect fact of the project function this call names through the file's imports, or
    of the one project method a call on an object spells (`post.author.signed_request(...)`).
    `owner`: the class whose method is being summarised, so that its calls on itself are links
    of the chain too."""
    view = ctx.project_view() if ctx.project is not None else None
    if view is None or not getattr(view.index, "effects", None):
        return None
    own = _own_method_fact(site, ctx, view.index, owner)
    if own is not None:
        return own
    name = view.qualified(site.node.func)
    if name:
        return view.index.effect(name)
    if isinstance(site.node.func, cst.Name):
        # While the index is built, a function of the same module is one more link of the chain
        # (`deliver_persisted` -> `deliver_payload` -> `send_messages`). In a rule, a function
        # of the file itself is judged by its body where it is defined.
        if not getattr(ctx, "summarising", False):
            return None
        from ..project_index import module_name

        return view.index.effects.get((module_name(ctx.path), site.node.func.value))
    return _unique_method_fact(site, view.index)


def _own_method_fact(site: Site, ctx, index, owner: str | None) -> EffectFact | None:
    """While the index is built, a method's call on its own class (`self._send_message(...)`,
    `cls._post(...)`, `SMTPService._send_message(...)` inside `SMTPService`) stands for that
    method's summary: a client class's public method reaches the provider through its private
    helpers (`send_campaign_message` -> `self._post` -> `requests.post`), and its callers, in other
    modules, see one call. In a rule the class's own methods are read where they are defined."""
    if owner is None or not getattr(ctx, "summarising", False) or not isinstance(site.node.func, cst.Attribute):
        return None
    receiver = site.chain.rsplit(".", 1)[0]
    if receiver not in ("self", "cls", owner):
        return None
    from ..project_index import module_name

    return index.effects.get((module_name(ctx.path), f"{owner}.{site.method}"))


def _unique_method_fact(site: Site, index) -> EffectFact | None:
    """A method called on an object whose type is out of sight (a model's related field, a
    loop variable) stands for the project's method of that name when every definition of it in
    the project performs the same effect and it is a compound name (`signed_request`,
    `send_invoice`, `sendTextSMS`): one-word
    names (`send`, `post`, `save`) are what libraries' objects answer to as well. Stubs of an
    interface are not counted as definitions (rules/_effect_dispatch). Calls on `self`/`cls`
    are the enclosing class's own (read by the rules directly) unless the project only declares
    the method there and implements it elsewhere; dynamic dispatch under a one-word name on
    another object (`plugins.get(name).revoke()`) stays out of reach."""
    func = site.node.func
    if not isinstance(func, cst.Attribute):
        return None
    if not compound_name(site.method) and site.chain.rsplit(".", 1)[0] not in ("self", "cls"):
        return None
    receiver = site.chain.rsplit(".", 1)[0]
    if receiver in ("self", "cls"):
        # Own methods are read where they are defined, unless the class only declares them
        # (a stub its subclasses implement): then the implementations answer (rules/_effect_dispatch).
        return getattr(index, "implemented", {}).get(site.method)
    if receiver == "super()" or receiver[:1].isupper():
        return None  # `Class.method` spelled through an import is resolved elsewhere
    methods = getattr(index, "unique_methods", None)
    return methods.get(site.method) if methods else None


_WRITE_VERBS = frozenset({"post", "put", "patch", "delete"})


def verb_at(call: cst.Call, fact: EffectFact) -> tuple[str | None, str | None]:
    """(verb literal, caller's own name) this call passes where the wrapper takes its HTTP
    verb: the default when it passes nothing, a name when the verb is the caller's variable."""
    from ._sqltext import string_text

    value = None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == fact.verb_param:
            value = arg.value
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    if value is None and 0 <= fact.verb_position < len(positional):
        value = positional[fact.verb_position]
    if value is None:
        if fact.verb_position == -2 and positional:
            return None, None  # definitions disagree on where the verb goes: out of sight
        return fact.verb_default, None
    text = string_text(value)
    if text is not None:
        return text.lower(), None
    if isinstance(value, cst.Name):
        return None, value.value
    return None, None


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
    if fact is not None and fact.kind is None and fact.creates is not None and fact.key is None:
        # the wrapper creates an object at the provider with no key its callers could give: a
        # crash before the caller records the new id leaves it behind, and the retry makes another
        return "payment", "medium"
    if fact is None or fact.kind is None:
        return None
    if fact.provider is not None and caller_keyed(site, flow, fact) is True:
        return None
    if fact.verb_param is not None:
        literal, name = verb_at(site.node, fact)
        if name is not None:
            literal = _literal_of(name, site, flow)
        if literal not in _WRITE_VERBS:
            return None  # a read through the wrapper, or a verb out of sight
    return fact.kind, fact.confidence


def _literal_of(name: str, site: Site, flow: Flow) -> str | None:
    from ._sqltext import string_text

    bound = flow.value_of(name, site.index)
    text = string_text(bound) if bound is not None else None
    return text.lower() if text else None


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
