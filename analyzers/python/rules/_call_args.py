"""Reading a call's arguments and a function's text, for the recognisers of external effects.

Every recogniser (payments, HTTP writes, mail, database writes) asks the same questions of a
call: which keyword or positional arguments it got, whether a `**splat` may hide more, which
modules the file imports, and whether the function mentions some text anywhere (a header set
on a request object after it was built). They live here so that each recogniser module depends
on this one and not on the others.
"""
from __future__ import annotations

import re

import libcst as cst

from ._effects_flow import Flow
from ._sqltext import string_text


def kwarg(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def positional(call: cst.Call) -> list[cst.BaseExpression]:
    return [a.value for a in call.args if a.keyword is None and not a.star]


def has_splat(call: cst.Call) -> bool:
    return any(a.star == "**" for a in call.args)


def import_heads(flow: Flow) -> set[str]:
    return {full.split(".")[0].lower() for full in flow.imports.values()}


def dict_keys(node: cst.BaseExpression | None) -> list[str] | None:
    """Literal string keys of a dict display (`{**base, "k": v}` yields ["k"]); None if the
    expression is not a dict display or a `dict(...)` call."""
    if isinstance(node, cst.Dict):
        keys = []
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                text = string_text(element.key)
                if text is not None:
                    keys.append(text)
        return keys
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
        return [a.keyword.value for a in node.args if a.keyword is not None]
    return None


def code(flow_ctx, node: cst.CSTNode | None) -> str:
    """Source text of `node` in the analysed file ("" when there is none to give)."""
    if node is None:
        return ""
    try:
        return flow_ctx.code_for(node)
    except Exception:
        return ""


def module_code(module: cst.Module, node: cst.CSTNode | None) -> str:
    """Source text of `node` regenerated from the module (for nodes without positions too)."""
    if node is None:
        return ""
    try:
        return module.code_for_node(node)
    except Exception:
        return ""


def flow_text_has(flow: Flow, ctx, pattern: re.Pattern[str]) -> bool:
    """Whether any call or assignment of the function mentions `pattern` (e.g. a header set
    on a request object after it was built)."""
    cache = getattr(flow, "_text_cache", None)
    if cache is None:
        pieces = [code(ctx, s.node) for s in flow.sites]
        pieces += [code(ctx, t) + "=" + code(ctx, v) for _, t, v in flow.attr_assigns]
        pieces += [code(ctx, t) + "=" + code(ctx, v) for _, t, v in flow.item_assigns]
        for bindings in flow.values.values():
            pieces += [code(ctx, v) for _, v in bindings]
        cache = "\n".join(pieces)
        flow._text_cache = cache  # type: ignore[attr-defined]
    return pattern.search(cache) is not None


def callee_name(call: cst.Call) -> str:
    """The last name of what is called: `send` for `msg.send()`, `lock` for `lock(...)`."""
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else ""


def is_context_manager(function: cst.FunctionDef) -> bool:
    """Decorated `@contextmanager` / `@contextlib.asynccontextmanager` (called or not)."""
    for decorator in function.decorators:
        node = decorator.decorator
        node = node.func if isinstance(node, cst.Call) else node
        name = node.attr.value if isinstance(node, cst.Attribute) else node.value if isinstance(node, cst.Name) else ""
        if name.endswith("contextmanager"):
            return True
    return False


def _chain_of(func: cst.BaseExpression) -> str:
    from ._effects_flow import callee_chain

    return callee_chain(func)[0]


def calls_in(node: cst.CSTNode, skip_functions: bool = False) -> list[cst.Call]:
    """Every call in a subtree, nested functions and lambdas included unless `skip_functions`
    (a nested `def` only runs when something calls it)."""
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            found.append(current)
        elif skip_functions and isinstance(current, cst.FunctionDef) and current is not node:
            continue
        stack.extend(current.children)
    return found
