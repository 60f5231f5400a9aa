"""Whether a call carries an idempotency key, and where each SDK or HTTP call keeps it.

The answer has three values: True (a key is passed), False (no key can be there) and None (a
key may be out of sight: a `**kwargs` splat, an options object built by the caller, default
headers set on a client elsewhere in the module). Rules report only on False, so each
recogniser returns None whenever the evidence is not in this function or this module.
"""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import code, dict_keys, flow_text_has, has_splat, kwarg, positional
from ._effects_flow import Flow, Site
from ._functions import local_helper
from ._http_calls import _FRAMEWORK_HTTP, _HTTP_MODULES
from ._sqltext import string_text
from ..walk import walk


IDEMPOTENCY_HEADER = re.compile(r"idempotency|paypal-request-id", re.I)  # not X-Request-Id: tracing ids change per attempt


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
        return None if _spreads(node) else False
    if isinstance(node, cst.Call):
        return True if kwarg(node, "idempotency_key") is not None else None
    return None


def _stripe_client_keyed(site: Site, flow: Flow, ctx) -> bool | None:
    """StripeClient methods take `(params, options)`; the key lives in `options`."""
    call = site.node
    args = positional(call)
    options = kwarg(call, "options")
    node = options.value if options is not None else (args[1] if len(args) > 1 else None)
    if node is None and has_splat(call):
        return None
    return _options_keyed(flow, site, node, ctx)


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
    return None if _spreads(node) else False


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
    if _spreads(node):
        return True if IDEMPOTENCY_HEADER.search(code(ctx, node)) else None
    return False


def _spreads(node: cst.BaseExpression) -> bool:
    """Whether a headers mapping also takes keys it does not spell (`{**base, ...}`,
    `dict(base, ...)`, `dict(**base)`): a key could come from there."""
    if isinstance(node, cst.Dict):
        return any(isinstance(e, cst.StarredDictElement) for e in node.elements)
    return isinstance(node, cst.Call) and any(a.keyword is None for a in node.args)


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
            walk(ctx.module, visitor)
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

    walk(node, _Names())
    return found


def _key_params(helper: cst.FunctionDef, params: set[str]) -> set[str]:
    visitor = _KeyParams(params)
    walk(helper.body, visitor)
    return visitor.found
