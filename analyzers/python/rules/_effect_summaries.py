"""What a project's own functions do to the outside world, so that a call made from another
module counts as the effect its body performs: `stripe_service.create_payment_intent(...)` is a
Stripe create, `PaymentsManager.charge(order)` a charge, `notify_partner(order)` an HTTP POST.

A pure function of one module's text: every top-level function and every method of a top-level
class is read with the same per-function flow the ARM401/ARM402 rules use, and summarised as

- the kind of external effect a retry would repeat (ARM402's kinds: payment, http, email, ...),
  unless the body also writes its own record (then it is judged where it is defined);
- for a payment call, how a caller supplies the idempotency key: the body spreads its own
  `**kwargs` into the SDK call (the caller's `idempotency_key=` reaches the provider), or passes
  one of its parameters as the key. A body that keys the call itself, or that offers its
  callers no way to key it, gives its callers nothing to fix: the body's own call is the finding.

Module-level instances (`stripe = StripeService()`) answer for their class's methods.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

# Files worth reading: they name a payment SDK or gateway, send mail or messages, or POST.
CANDIDATE_TEXT = re.compile(
    r"stripe|adyen|Adyen|mercadopago|pagarme|paypal|PayPal|braintree|gocardless|razorpay|checkout_sdk|mollie"
    r"|send_mail|sendmail|send_(?:\w+_)?messages?\(|\.send\(|EmailMessage|EmailMultiAlternatives|basic_publish|\.publish\(|urlopen"
    r"|messages\.create\("  # an SMS through Twilio's client (rules/_side_effects)
    r"|chat_postMessage\("  # a Slack post (rules/_side_effects)
    r"|\.post\(|\.put\(|\.patch\(|\.request\("
)
_MAX_FUNCTION_LINES = 80  # code lines (docstrings and comments left out)
# A wrapper of a wrapper is a longer guess than one: the body that makes the call is not read
# where the caller is. Summaries are built level by level up to MAX_DEPTH (a bounded fixed point).
MAX_DEPTH = 4
_DEPTH_CONFIDENCE = {1: "high"}  # a wrapper is short; a long function is a workflow, judged where it is
_WRITE_VERBS = frozenset({"post", "put", "patch", "delete"})


def depth_confidence(depth: int) -> str:
    return _DEPTH_CONFIDENCE.get(depth, "medium")


@dataclass(frozen=True)
class EffectFact:
    # ARM402 kind of the effect ("payment", "http", "email", "queue", "push", "sms"), or None
    # when the body only creates an object at a payment provider (ARM401's finding alone)
    kind: str | None
    provider: str | None = None  # payment provider of the body's payment call
    creates: str | None = None  # what a repeated payment call leaves twice (None: money moves)
    # How a caller keys the payment: "**" (keywords forwarded into the SDK call), the name of
    # the parameter passed as the key, or None (the caller cannot key it)
    key: str | None = None
    key_position: int = -1  # index of that parameter among the positional ones (self excluded)
    key_default_none: bool = False  # the parameter defaults to None: omitting it sends no key
    depth: int = 1  # 1: the body makes the call; n: it calls a wrapper of depth n - 1
    confidence: str = "high"
    # An HTTP request whose verb is one of the function's parameters (`request(method, url)`):
    # a call is the effect only when it passes a write verb there (or omits it and the
    # default is one). The parameter's name, its position (self excluded) and its default.
    verb_param: str | None = None
    verb_position: int = -1
    verb_default: str | None = None


def same_effect(facts: list[EffectFact]) -> EffectFact | None:
    """One fact for several definitions of a method name when they all perform the same effect
    (the deepest and least certain of them answers); None when they differ. A verb parameter
    at different positions is only read when passed by keyword (position -2)."""
    first = facts[0]
    shape = lambda f: (f.kind, f.provider, f.creates, f.key, f.key_position, f.verb_param, f.verb_default)  # noqa: E731
    if any(shape(f) != shape(first) for f in facts[1:]):
        return None
    deepest = max(facts, key=lambda f: f.depth)
    if len({f.verb_position for f in facts}) > 1:
        from dataclasses import replace

        deepest = replace(deepest, verb_position=-2)
    return deepest


def _functions(module: cst.Module):
    """(dotted name within the module, function, class name or None) of top-level functions and
    of the methods of top-level classes."""
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef):
            yield statement.name.value, statement, None
        elif isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
            for member in statement.body.body:
                if isinstance(member, cst.FunctionDef):
                    yield f"{statement.name.value}.{member.name.value}", member, statement.name.value


def _positional_names(func: cst.FunctionDef, in_class: bool) -> list[str]:
    names = [p.name.value for p in (*func.params.posonly_params, *func.params.params)]
    if in_class and names and names[0] in ("self", "cls"):
        names = names[1:]
    return names


def _param(func: cst.FunctionDef, name: str) -> cst.Param | None:
    for param in (*func.params.posonly_params, *func.params.params, *func.params.kwonly_params):
        if param.name.value == name:
            return param
    return None


def _key_argument(call: cst.Call) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and re.search(r"idempot", arg.keyword.value, re.I):
            return arg.value
    return None


def pure_pass_through(site, flow) -> bool:
    """The provider call carries nothing but the function's own `**kwargs`, untouched: a thin
    wrapper whose callers write the whole request (`create_async(**params)`). A body that adds
    to the request (`amount=...`, `kwargs["country"] = ...`, `kwargs.update(...)`) builds it."""
    star = flow.star_kwargs
    if star is None or not site.node.args:
        return False
    if not all(a.star == "**" and isinstance(a.value, cst.Name) and a.value.value == star for a in site.node.args):
        return False
    if any(isinstance(t.value, cst.Name) and t.value.value == star for _, t, _ in flow.item_assigns):
        return False
    return not any(s.chain.startswith(star + ".") and s.method in ("update", "setdefault") for s in flow.sites)


def _payment_keying(func: cst.FunctionDef, cls: str | None, site, flow, payment) -> tuple[str | None, int, bool] | None:
    """How the callers of `func` key its payment call: (key, position, defaults to None), or
    None when the body keys it with a value of its own."""
    if payment.keyed is False:
        # only a thin wrapper leaves the key to its callers; one that builds the request is the finding
        return ("**", -1, True) if pure_pass_through(site, flow) else (None, -1, False)
    value = _key_argument(site.node)
    if payment.keyed is True and isinstance(value, cst.Name) and value.value in flow.params:
        param = _param(func, value.value)
        if param is None:
            return None
        names = _positional_names(func, cls is not None)
        position = names.index(value.value) if value.value in names else -1
        default_none = isinstance(param.default, cst.Name) and param.default.value == "None"
        return value.value, position, default_none
    return None


# Functions named for what they return: their HTTP calls are lookups as far as callers know.
_GETTER = re.compile(r"^_?(?:get|fetch|find|load|lookup|read|list|search|query|check|is|has|generate|build|make|resolve|compute)_")
_TOP_ASSIGN = re.compile(r"^[A-Za-z_]\w*(?:[ \t]*:[^=\n]+)?[ \t]*=[^=]")


def _balanced(line: str) -> bool:
    body = line.split("#", 1)[0].rstrip()
    return (
        not body.endswith(("\\", ",", "=")) and body.count('"""') % 2 == 0 and body.count("'''") % 2 == 0
        and all(body.count(o) == body.count(c) for o, c in ("()", "[]", "{}"))
    )


def code_lines(lines: list[str]) -> int:
    """Lines of code of a function: a long docstring or a commented request says nothing about
    whether the body is a short wrapper or a workflow."""
    count = 0
    quote = None
    for line in lines:
        stripped = line.strip()
        if quote is not None:
            if quote in stripped:
                quote = None
            continue
        if not stripped or stripped.startswith("#"):
            continue
        opener = next((q for q in ('"""', "'''") if stripped.lstrip("rRbBuU").startswith(q)), None)
        if opener is not None:
            if stripped.count(opener) == 1:
                quote = opener
            continue  # a docstring (or a bare string statement)
        count += 1
    return count


def effect_snippet(text: str, pattern: re.Pattern = CANDIDATE_TEXT) -> str:
    """The parts of a module its effect facts need, found by indentation without parsing: the
    top-level imports and one-line assignments (instances, URLs), and the functions and methods
    of at most _MAX_FUNCTION_LINES lines that mention an effect. Reading only these keeps the
    index cheap on projects where most files never talk to the outside world."""
    from ..project_index import _HEAD, _block_end

    lines = text.splitlines(keepends=True)
    head: list[str] = []
    functions: list[str] = []
    classes: dict[str, list[str]] = {}
    cls: str | None = None
    decorated: int | None = None  # first line of the decorators of the next definition
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        match = _HEAD.match(line)
        if match is not None and match.group(5) and _balanced(line):
            # a one-line decorator (`@transactional`) says how the body's writes are committed
            decorated = i if decorated is None else decorated
            if indent == 0:
                cls = None
            i += 1
            continue
        if match is None or match.group(5):
            decorated = None
            if indent == 0:
                cls = None
                if _TOP_ASSIGN.match(line) and _balanced(line):
                    head.append(line)
            i += 1
            continue
        start, decorated = (i if decorated is None else decorated), None
        if match.group(6):  # an import
            end = i + 1
            if "(" in line and ")" not in line:
                while end < len(lines) and ")" not in lines[end - 1]:
                    end += 1
            if indent == 0:
                head.extend(lines[i:end])
            i = end
            continue
        if match.group(4):  # a class
            if indent == 0:
                cls = match.group(4)
                # a long header closes its bases at column 0 (`class A(\n    Base, Mixin\n):`,
                # as black writes it): that `):` is no top-level statement ending the class
                i = _header_end(lines, i)
            else:  # a class nested in a class body (choices, Meta): the outer class goes on after it
                i = _block_end(lines, i, indent)
            continue
        end = _block_end(lines, i, indent)
        if (indent == 0 or cls is not None) and code_lines(lines[i:end]) <= _MAX_FUNCTION_LINES:
            source = "".join(lines[start:end])
            if pattern.search(source):
                if indent == 0:
                    functions.append(source)
                else:
                    classes.setdefault(cls, []).append(source)
        if indent == 0:
            cls = None
        i = end
    if not functions and not classes:
        return ""
    parts = [*head, *functions]
    parts += [f"class {name}:\n" + "".join(methods) for name, methods in classes.items()]
    return "".join(p if p.endswith("\n") else p + "\n" for p in parts)


def _header_end(lines: list[str], start: int) -> int:
    """Index after the header line(s) opened at `start`: until its brackets close."""
    depth, i = 0, start
    while i < len(lines):
        body = lines[i].split("#", 1)[0]
        depth += sum(body.count(c) for c in "([{") - sum(body.count(c) for c in ")]}")
        i += 1
        if depth <= 0:
            break
    return i


def module_effects(path: str, text: str, project=None, pattern: re.Pattern = CANDIDATE_TEXT) -> dict[str, EffectFact]:
    """Effect facts of one module's functions and methods, by dotted name within the module
    (`charge`, `StripeService.create_payment_intent`, and `stripe.create_payment_intent` for a
    module-level `stripe = StripeService()`). `project`: a ProjectIndex whose effect facts make
    calls of other modules' wrappers effects too (the second level)."""
    from libcst.metadata import MetadataWrapper

    from ...settings import Settings
    from ..context import FileContext
    from ._db_writes import db_write
    from ._effects_flow import build_flow, module_values, self_assignments
    from ._payment_calls import payment_call
    from ._side_effects import flow_text_has_outbox, side_effect

    snippet = effect_snippet(text, pattern)
    if not snippet:
        return {}
    try:
        module = cst.parse_module(snippet)
    except (cst.ParserSyntaxError, RecursionError, MemoryError):
        return {}
    ctx = FileContext(path, snippet, Settings(), MetadataWrapper(module, unsafe_skip_copy=True), project)
    ctx.summarising = True  # the module's own functions are links of the chain (rules/_effect_calls)
    values = module_values(module)
    selves = self_assignments(module)
    facts: dict[str, EffectFact] = {}
    for name, func, cls in _functions(module):
        try:
            fact = _summarise(func, cls, ctx, values, selves, build_flow, payment_call, side_effect, db_write,
                              flow_text_has_outbox)
        except RecursionError:
            continue
        if fact is not None:
            facts[name] = fact
    for instance, value in values.items():  # `stripe = StripeService()`: the instance's methods
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
            prefix = value.func.value + "."
            for name, fact in list(facts.items()):
                if name.startswith(prefix):
                    facts[instance + "." + name[len(prefix):]] = fact
    return facts


def _summarise(func, cls, ctx, values, selves, build_flow, payment_call, side_effect, db_write, outbox):
    from ._effect_calls import caller_keyed, verb_at, wrapper_fact
    from ._http_calls import verb_parameter

    source = ctx.module.code_for_node(func)
    if code_lines(source.splitlines()) > _MAX_FUNCTION_LINES or outbox(source):
        return None
    flow = build_flow(func.body, ctx.imports, values, func.params, selves)
    flow.class_name = cls
    flow.function_name = func.name.value
    kind = None
    payment_fact = None
    depth = 1
    keyed_inside = False
    verb: tuple[str, int, str | None] | None = None  # the verb parameter callers decide by
    said = False  # a write verb is spelled on the way: the effect is no guess from a name
    sent = None  # the kind of a message sent on the way (an email, an SMS, a publish): no lookup
    for site in flow.sites:
        if db_write(site, flow, ctx, pending=False) is not None:
            return None  # the body keeps its own record: its callers are not the place
        inner = wrapper_fact(site, ctx, cls) if ctx.project is not None else None
        if inner is not None:  # a wrapper of another module: one level further out
            if inner.depth >= MAX_DEPTH:
                continue
            if inner.verb_param is not None:
                literal, param = verb_at(site.node, inner)
                if param is not None and param in flow.params and verb is None:
                    verb = _verb_of(func, cls, param, inner.verb_default)
                elif literal not in _WRITE_VERBS:
                    continue  # a GET through the wrapper: nothing to repeat
                said = True
            depth = max(depth, inner.depth + 1)
            if inner.provider is None or caller_keyed(site, flow, inner) is not True:
                kind = kind or inner.kind
                if inner.kind not in (None, "http"):
                    sent = sent or inner.kind
            if inner.provider is not None and payment_fact is None and inner.key is not None:
                forwarded = _forwarded_key(func, cls, site, flow, inner)
                if forwarded is not None:
                    payment_fact = (inner, *forwarded)
            continue
        payment = payment_call(site, flow, ctx)
        keyed_inside = keyed_inside or payment is not None and payment.keyed is True
        if payment is not None and payment_fact is None and payment.keyed is not None:
            keying = _payment_keying(func, cls, site, flow, payment)
            if keying is not None:
                payment_fact = (payment, *keying)
        effect = side_effect(site, flow, ctx, deep=True)
        if effect is not None and kind is None:
            kind = effect.kind
        if effect is not None and effect.kind != "http":
            sent = sent or effect.kind  # a send its own body makes: no guess from a name
        elif effect is None and verb is None:
            param = verb_parameter(site, flow)
            if param is not None:
                verb = _verb_of(func, cls, param, None)
                kind, said = kind or "http", True
    if kind == "http" and not said and (depth > 1 or _GETTER.match(func.name.value)):
        # a POST behind a getter (`get_team_info()` shortening a link) or two calls away is
        # more often a lookup than an effect the caller would repeat: only clear effects pass
        # (a notifier that posts to a chat through a helper and also sends the email itself)
        kind = sent
    verb_fields = {} if verb is None else {"verb_param": verb[0], "verb_position": verb[1], "verb_default": verb[2]}
    if payment_fact is None:
        if kind is None and keyed_inside:
            return EffectFact(None)  # pays with a key of its own: its callers repeat nothing
        if kind is None:
            return None
        return EffectFact(kind, depth=depth, confidence=depth_confidence(depth), **verb_fields)
    payment, key, index, default_none = payment_fact
    if kind is None and payment.creates is None and key is not None:
        kind = "payment"  # keyed by its callers: a money move once they omit the key
    confidence = payment.confidence if depth == 1 else depth_confidence(depth)
    return EffectFact(kind, payment.provider, payment.creates, key, index, default_none, depth, confidence)


def _verb_of(func, cls, name: str, inherited: str | None) -> tuple[str, int, str | None]:
    """(parameter, position, default verb) of the parameter a function takes its verb in; a
    parameter with no literal default keeps the default of the wrapper it hands the verb to."""
    from ._sqltext import string_text

    param = _param(func, name)
    default = string_text(param.default) if param is not None and param.default is not None else None
    names = _positional_names(func, cls is not None)
    position = names.index(name) if name in names else -1
    return name, position, (default.lower() if default else inherited)


def _forwarded_key(func, cls, site, flow, inner: EffectFact) -> tuple[str | None, int, bool] | None:
    """How a second-level wrapper keys the first: it forwards its own `**kwargs`, or passes one
    of its parameters where the first takes the key; None when it keys the call itself."""
    from ._effect_calls import key_value

    if pure_pass_through(site, flow):
        return "**", -1, True
    value = key_value(site.node, inner)
    if value is None:
        return None, -1, False  # the caller of this one cannot key it: the call here is the finding
    if isinstance(value, cst.Name) and value.value in flow.params:
        param = _param(func, value.value)
        if param is None:
            return None
        names = _positional_names(func, cls is not None)
        default_none = isinstance(param.default, cst.Name) and param.default.value == "None"
        return value.value, names.index(value.value) if value.value in names else -1, default_none
    return None
