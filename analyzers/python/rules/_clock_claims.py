"""ARM104 sinks in a token's claim set written one claim at a time: `self.payload[claim] =
to_epoch(start + lifetime)` in a token class, where `claim` defaults to "exp" and `start` is a
clock reading kept on the object. The claims are signed and verified later on another machine's
clock, however many helpers the value went through and whichever method signs them."""
from __future__ import annotations

import re

import libcst as cst

from ._clock_containers import own_statements
from ._clock_scope import Scope, string_value

# Containers that hold a token's claims.
_CLAIMS_HOLDER = re.compile(r"(?:^|[._])(?:payload|claims?)$", re.IGNORECASE)
# Where claims are signed: a token class or function, or a module that signs JWTs.
_TOKEN_CONTEXT = re.compile(r"token|jwt|claim", re.IGNORECASE)
_SIGNS_JWT = re.compile(r"^\s*(?:import|from)\s+(?:jwt|jose|authlib\.jose|joserfc)\b", re.MULTILINE)


def _param_default(scope: Scope, name: str) -> str | None:
    node = scope.node
    if not isinstance(node, cst.FunctionDef):
        return None
    for param in (*node.params.params, *node.params.kwonly_params):
        if param.name.value == name and param.default is not None:
            return string_value(param.default)
    return None


def _claim_key(scope: Scope, index: cst.BaseExpression) -> str | None:
    """The claim a subscript writes: a literal, or a parameter whose default names it."""
    literal = string_value(index)
    if literal is not None:
        return literal
    if isinstance(index, cst.Name) and index.value in scope.params:
        return _param_default(scope, index.value)
    return None


def _in_token_code(scope: Scope, signs_jwt: bool) -> bool:
    names = [getattr(getattr(scope.node, "name", None), "value", "")]
    if scope.cls is not None:
        names.append(scope.cls.name.value)
    return signs_jwt or any(_TOKEN_CONTEXT.search(name) for name in names)


def signs_jwt(text: str) -> bool:
    return bool(_SIGNS_JWT.search(text))


def claim_sinks(finder, scope: Scope, expiry_name: re.Pattern, module_signs_jwt: bool) -> None:
    if not _in_token_code(scope, module_signs_jwt):
        return
    for stmt in own_statements(scope):
        if not isinstance(stmt, cst.Assign):
            continue
        for target in stmt.targets:
            sub = target.target
            if not isinstance(sub, cst.Subscript) or len(sub.slice) != 1:
                continue
            holder = finder.ctx.code_for(sub.value)
            if not _CLAIMS_HOLDER.search(holder):
                continue
            index = sub.slice[0].slice
            key = _claim_key(scope, index.value) if isinstance(index, cst.Index) else None
            if key is None or not expiry_name.search(key):
                continue
            value = stmt.value
            flow = finder.offset(scope, value)
            if flow is None and isinstance(value, cst.Call) and len(value.args) == 1:
                # whatever the converter is called, what a time claim receives is an instant
                flow = finder.offset(scope, value.args[0].value)
            if flow is not None:
                finder.add(flow, value, "jwt", f'{holder}["{key}"] = ...')
