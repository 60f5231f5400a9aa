"""HTTP requests made through an integration class's own helper methods.

Payment integrations rarely call `requests.post` where the operation is decided: they call
`self.post(payment, self.payments_url, data=...)`, and `post` hands its arguments on to a
generic `self.http_request(..., method="post")` that finally calls `requests.request(method,
*args, **kwargs)`. The URL and the verb are only known at the outermost call, so that call is
the payment. This module follows the arguments through at most two methods of the same class
(positional, `*args`, keywords and `**kwargs`), the way the interpreter would bind them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from ._call_args import _chain_of
from ._effects_flow import Flow, Site
from ._sqltext import string_text
from ..walk import walk

_HTTP_FUNCS = re.compile(r"^(?:requests|httpx)\.(post|put|patch|request)$")
_CLIENT_VERBS = frozenset({"post", "put", "patch", "request"})
_CLIENT_RECEIVER = re.compile(r"(?i)(?:^|\.)_?(?:session|client|http|http_client|requests_session)$")
_MAX_DEPTH = 2


@dataclass
class _Env:
    """What a method's parameters hold at one call: caller-side expressions."""
    names: dict[str, cst.BaseExpression] = field(default_factory=dict)
    star: list[cst.BaseExpression] = field(default_factory=list)
    kwargs: dict[str, cst.BaseExpression] = field(default_factory=dict)
    star_name: str = ""  # the method's own `*args` parameter, to recognise it being passed on


@dataclass(frozen=True)
class WrappedRequest:
    verb: str
    url: cst.BaseExpression | None  # caller-side expression (resolve it in the caller's flow)
    headers: tuple[cst.BaseExpression, ...]  # every headers= value seen on the way


def wrapped_request(site: Site, flow: Flow, ctx) -> WrappedRequest | None:
    """The request behind `self.helper(...)` when `helper` (a method of the enclosing class of
    this module) sends it with arguments taken from this call."""
    if not site.chain.startswith("self.") or site.chain.count(".") != 1 or not flow.class_name:
        return None
    methods = _class_methods(ctx).get(flow.class_name)
    if not methods or site.method not in methods:
        return None
    env = _bind(methods[site.method], site.node, _Env(), caller=True)
    if env is None:
        return None
    return _follow(methods[site.method], env, methods, 0)


def _class_methods(ctx) -> dict[str, dict[str, cst.FunctionDef]]:
    cached = getattr(ctx, "_request_wrapper_methods", None)
    if cached is None:
        cached = {}
        for statement in ctx.module.body:
            if isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
                cached[statement.name.value] = {
                    f.name.value: f for f in statement.body.body if isinstance(f, cst.FunctionDef)
                }
        try:
            ctx._request_wrapper_methods = cached
        except Exception:
            pass
    return cached


def _value(node: cst.BaseExpression, env: _Env, caller: bool) -> cst.BaseExpression:
    """An argument expression as the caller of the outermost method sees it."""
    if not caller and isinstance(node, cst.Name) and node.value in env.names:
        return env.names[node.value]
    return node


def _bind(method: cst.FunctionDef, call: cst.Call, outer: _Env, caller: bool = False) -> _Env | None:
    """Bind `call`'s arguments to `method`'s parameters (self skipped). Arguments are mapped
    through `outer` when the call is made inside a wrapper."""
    params = method.params
    positional_names = [p.name.value for p in (*params.posonly_params, *params.params)][1:]
    env = _Env()
    given: list[cst.BaseExpression] = []
    keywords: dict[str, cst.BaseExpression] = {}
    for arg in call.args:
        if arg.star == "*":
            if caller or not (isinstance(arg.value, cst.Name) and arg.value.value == _star_name(outer)):
                return None  # an unknown sequence: positions after it are unknown
            given.extend(outer.star)
        elif arg.star == "**":
            if caller:
                return None
            keywords.update(outer.kwargs)
        elif arg.keyword is not None:
            keywords[arg.keyword.value] = _value(arg.value, outer, caller)
        else:
            given.append(_value(arg.value, outer, caller))
    for name, value in zip(positional_names, given):
        env.names[name] = value
    if len(given) > len(positional_names):
        if not isinstance(params.star_arg, cst.Param):
            return None
        env.star = given[len(positional_names):]
    names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    for name, value in keywords.items():
        if name in names:
            env.names[name] = value
        else:
            env.kwargs[name] = value
    for p in (*params.params, *params.kwonly_params):
        if p.name.value not in env.names and p.default is not None:
            env.names[p.name.value] = p.default
    env.star_name = params.star_arg.name.value if isinstance(params.star_arg, cst.Param) else ""
    return env


def _star_name(env: _Env) -> str:
    return env.star_name


class _Calls(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # nested functions are not this method's own requests

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def _follow(method: cst.FunctionDef, env: _Env, methods: dict[str, cst.FunctionDef], depth: int) -> WrappedRequest | None:
    visitor = _Calls()
    walk(method.body, visitor)
    headers = []
    for call in visitor.calls:
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == "headers":
                headers.append(arg.value)
    headers.extend(v for k, v in env.kwargs.items() if k == "headers")
    for call in visitor.calls:
        chain = _chain_of(call.func)
        found = _direct_request(call, chain, env)
        if found is not None:
            verb, url = found
            return WrappedRequest(verb, url, tuple(headers))
        if depth + 1 < _MAX_DEPTH and chain.startswith("self.") and chain.count(".") == 1:
            inner = methods.get(chain[5:])
            if inner is not None and inner is not method:
                inner_env = _bind(inner, call, env)
                if inner_env is not None:
                    result = _follow(inner, inner_env, methods, depth + 1)
                    if result is not None:
                        return WrappedRequest(result.verb, result.url, tuple(headers) + result.headers)
    return None


def _direct_request(call: cst.Call, chain: str, env: _Env) -> tuple[str, cst.BaseExpression | None] | None:
    """(verb, caller-side URL) of `requests.request(method, *args, **kwargs)`-like calls whose
    URL comes from the wrapper's parameters."""
    head, _, verb = chain.rpartition(".")
    if not (_HTTP_FUNCS.match(chain) or (verb in _CLIENT_VERBS and _CLIENT_RECEIVER.search(head))):
        return None
    args: list[cst.BaseExpression] = []
    url_keyword = None
    for arg in call.args:
        if arg.star == "*" and isinstance(arg.value, cst.Name) and arg.value.value == _star_name(env):
            args.extend(env.star)
        elif arg.star:
            continue
        elif arg.keyword is not None:
            if arg.keyword.value == "url":
                url_keyword = _value(arg.value, env, False)
            elif arg.keyword.value == "method":
                args.insert(0, _value(arg.value, env, False))
        else:
            args.append(_value(arg.value, env, False))
    if verb == "request":
        if not args:
            return None
        text = string_text(args[0])
        if text is None or text.lower() not in ("post", "put", "patch"):
            return None
        verb, args = text.lower(), args[1:]
    url = url_keyword if url_keyword is not None else (args[0] if args else None)
    if url is None or not _from_caller(url, env):
        return None  # the wrapper decides the URL itself: judged where it is written
    return verb, url


def _from_caller(node: cst.BaseExpression, env: _Env) -> bool:
    return any(node is v for v in env.names.values()) or any(node is v for v in env.star) or any(
        node is v for v in env.kwargs.values()
    )
