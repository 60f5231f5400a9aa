"""Which calls are HTTP requests, with which verb and to which URL.

A `.post()` is an HTTP write only when its receiver is an HTTP client: the `requests`/`httpx`
modules, a client object bound, annotated or assigned in this module, an attribute named for
one, a framework's request helper, or `urlopen` with a body. The verb and the URL (resolved, or
as written when it cannot be) are what the payment and side-effect recognisers decide on.
"""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import _chain_of, code, kwarg, positional
from ._effects_flow import Flow, Site
from ..walk import walk
from ._sqltext import string_text
from ._urllib_post import urlopen_method, urlopen_url


_HTTP_MODULES = re.compile(r"^(?:requests|httpx)\.(post|put|patch|delete|request)$")
_HTTP_CLIENTS = re.compile(
    r"^(?:requests\.Session|requests\.session|requests\.sessions\.Session|httpx\.Client|httpx\.AsyncClient|"
    r"aiohttp\.ClientSession|aiohttp\.client\.ClientSession|"
    # urllib3 and the standard library: `pool.request("POST", url, ...)`, `conn.request("POST", path, body)`
    r"urllib3\.PoolManager|urllib3\.poolmanager\.PoolManager|http\.client\.HTTPSConnection|http\.client\.HTTPConnection)$"
)
# Frameworks' own request helpers: `frappe.integrations.utils.make_post_request(url, data=...)`.
_FRAMEWORK_HTTP = re.compile(r"^frappe\.integrations\.utils\.make_(post|put|patch)_request$")
_HTTP_ATTR_RECEIVER = re.compile(r"(?:^|\.)_?(?:http|http_client|http_session|requests_session|httpx_client)$")


def http_method(site: Site, flow: Flow) -> str | None:
    """'post'/'put'/'patch'/'delete' for an HTTP call made with requests/httpx/aiohttp."""
    method = site.method
    if method == "urlopen":
        return urlopen_method(site, flow)
    qualified = flow.qualify(site.chain)
    verb = None
    if _HTTP_MODULES.match(qualified):
        verb = method
    elif _FRAMEWORK_HTTP.match(qualified):
        verb = _FRAMEWORK_HTTP.match(qualified).group(1)
    elif method in ("post", "put", "patch", "delete", "request"):
        receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
        if receiver.endswith("()"):
            if _HTTP_CLIENTS.match(flow.qualify(receiver[:-2])):
                verb = method
        elif receiver:
            if _HTTP_ATTR_RECEIVER.search(receiver) or http_client_name(receiver, site.index, flow):
                verb = method
    if verb == "request":
        text = string_text(_verb_argument(site.node))
        return text.lower() if text and text.lower() in ("post", "put", "patch", "delete") else None
    return verb


def _verb_argument(call: cst.Call) -> cst.BaseExpression | None:
    given = kwarg(call, "method")
    if given is not None:
        return given.value
    args = positional(call)
    return args[0] if args else None


def verb_parameter(site: Site, flow: Flow) -> str | None:
    """The parameter of the enclosing function that holds the verb of this HTTP request
    (`client.request(method, url, ...)` inside `def signed_request(self, method, url)`): the
    request is a write exactly when a caller passes a write verb for it."""
    if site.method != "request":
        return None
    qualified = flow.qualify(site.chain)
    receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
    client = bool(_HTTP_MODULES.match(qualified)) or (
        receiver.endswith("()") and bool(_HTTP_CLIENTS.match(flow.qualify(receiver[:-2])))
    ) or (bool(receiver) and not receiver.endswith("()") and (
        _HTTP_ATTR_RECEIVER.search(receiver) is not None or http_client_name(receiver, site.index, flow)
    ))
    verb = _verb_argument(site.node)
    if not client or not isinstance(verb, cst.Name):
        return None
    return verb.value if verb.value in flow.params else None


_DOTTED = re.compile(r"[A-Za-z_][\w.]*")
_RENDER = cst.Module(body=[])


def _client_call(node: cst.BaseExpression | None, flow: Flow) -> bool:
    if isinstance(node, cst.Await):
        node = node.expression
    if isinstance(node, cst.BooleanOperation):  # `client = client or httpx.Client()`
        return _client_call(node.left, flow) or _client_call(node.right, flow)
    return isinstance(node, cst.Call) and bool(_HTTP_CLIENTS.match(flow.qualify(_chain_of(node.func))))


def http_client_name(receiver: str, before: int, flow: Flow) -> bool:
    """Whether `receiver` holds a requests/httpx/aiohttp client: bound to one here or at module
    level, a parameter annotated with one (`session: requests.Session`), or a `self.x` that
    every assignment in the module sets to one."""
    bound = flow.value_of(receiver, before)
    if bound is not None:
        return _client_call(bound, flow)
    annotation = flow.annotations.get(receiver)
    if annotation is not None:
        text = _RENDER.code_for_node(annotation)
        return any(_HTTP_CLIENTS.match(flow.qualify(name)) for name in _DOTTED.findall(text.strip("\"'")))
    values = flow.self_values.get(receiver) if receiver.startswith("self.") else None
    return bool(values) and all(_client_call(v, flow) for v in values)


def http_url(site: Site, flow: Flow, ctx=None) -> str | None:
    call = site.node
    resolve = url_resolver(flow, site.index, ctx)
    if site.method == "urlopen":
        return string_text(urlopen_url(site, flow), resolve)
    arg = kwarg(call, "url")
    args = positional(call)
    if site.method == "request":
        args = args[1:]
    node = arg.value if arg is not None else (args[0] if args else None)
    return string_text(node, resolve)


def url_resolver(flow: Flow, before: int, ctx=None):
    """Resolve the names a URL is built from, including where integrations keep it: an
    instance attribute set in `__init__` (`self.endpoint = endpoint`, `self.payments_url =
    self.endpoint + "/v1/payments/payment"`) from a parameter's default or a module constant,
    and `SANDBOX if test else LIVE` (either branch: both name the same provider)."""
    defaults = _param_defaults(ctx) if ctx is not None else {}

    def resolve(node: cst.BaseExpression) -> cst.BaseExpression | None:
        if isinstance(node, cst.Name):
            bound = flow.value_of(node.value, before)
            return bound if bound is not None else defaults.get(node.value)
        if isinstance(node, cst.IfExp):
            return node.body if string_text(node.body, resolve) is not None else node.orelse
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
            values = flow.self_values.get("self." + node.attr.value) or ()
            known = [v for v in values if not (isinstance(v, cst.Attribute) and v.attr.value == node.attr.value)]
            for value in known:
                if string_text(value, resolve) is not None:
                    return value
        return None

    return resolve


def _param_defaults(ctx) -> dict[str, cst.BaseExpression]:
    """Parameter name -> its string default, for names every function of the module that
    declares them gives the same literal default (`endpoint="https://..."`)."""
    cached = getattr(ctx, "_url_param_defaults", None)
    if cached is not None:
        return cached
    found: dict[str, cst.BaseExpression] = {}
    clashing: set[str] = set()

    class _Defaults(cst.CSTVisitor):
        def visit_Param(self, node: cst.Param) -> None:
            if node.default is None or not isinstance(node.default, (cst.SimpleString, cst.ConcatenatedString)):
                return
            name = node.name.value
            if name in found and string_text(found[name]) != string_text(node.default):
                clashing.add(name)
            found.setdefault(name, node.default)

    walk(ctx.module, _Defaults())
    cached = {k: v for k, v in found.items() if k not in clashing}
    try:
        ctx._url_param_defaults = cached
    except Exception:
        pass
    return cached


def http_url_source(site: Site, ctx, flow: Flow | None = None) -> str | None:
    """The URL argument as written (`introspection_url`, `settings.TOKEN_ENDPOINT`) when its
    value cannot be resolved: the name often says what kind of endpoint it is."""
    call = site.node
    arg = kwarg(call, "url")
    args = positional(call)[1:] if site.method == "request" else positional(call)
    node = arg.value if arg is not None else (args[0] if args else None)
    if site.method == "urlopen":
        node = urlopen_url(site, flow) if flow is not None else node
    return code(ctx, node) if node is not None else None
