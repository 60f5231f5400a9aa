"""ARM104 sinks that are containers rather than calls: an expiry from this machine's wall clock put
into something that outlives the request or leaves the process.

- A web session (`session[...]`, `request.session[...]`, `session.<expiry attr>`,
  `request.session.set_expiry(when)`): the framework keeps it in a cookie, Redis or a table, and
  the next request may be served by another node that compares the instant with its own clock.
  Any `now ± duration` stored there is an expiry by data flow, whatever its key; a bare reading
  counts under an expiry name only (a plain "last seen" stamp is not an expiry by itself).
- A record handed on to be kept: a dict whose expiry-named field holds `now ± duration` (possibly
  formatted: `isoformat()`, epoch seconds) and which the function returns, or passes to a call
  whose name says it stores (`save_token(token)`, `store.persist(data)`). Its keeper is out of
  sight, so these are medium confidence.
"""
from __future__ import annotations

import re

import libcst as cst

from ._clock import OFFSET, WALL
from ._clock_scope import SCOPE_NODES, Scope, call_name, last_part, string_value

MEDIUM = "medium"

# Calls whose name says the argument is kept somewhere: `save_token`, `store_credentials`,
# `persist`, `token_storage.update_token`. Plain `update`/`set` are the sinks module's business
# (they also name in-memory dict methods).
_STORE_VERB = re.compile(
    r"^(?:save|store|persist|dump|write|put|cache)(?:_\w+)?$|^\w+_(?:save|store|persist)$|^(?:set|update)_\w*(?:token|credential|session|data)\w*$",
    re.IGNORECASE,
)
# Containers that are recognisably in-memory bookkeeping, whatever holds them.
_IN_PROCESS = re.compile(r"cache|memo|local", re.IGNORECASE)
# An HTTP response's `Expires` header is a cache lifetime for browsers and proxies, not a record.
_RESPONSE = re.compile(r"^(?:resp|response|res|headers)$|_(?:response|headers)$", re.IGNORECASE)


def _is_session(node: cst.BaseExpression) -> bool:
    """`session`, `request.session`, `self.request.session`, `flask.session`."""
    if isinstance(node, cst.Name):
        return node.value == "session"
    return isinstance(node, cst.Attribute) and node.attr.value == "session" and not (
        isinstance(node.value, cst.Name) and node.value.value in ("self", "cls")
    )


def own_statements(scope: Scope):
    """Assignments and returns of the scope's own body (nested functions are their own scopes)."""
    found: list[cst.CSTNode] = []

    class _Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if node is not scope.node and isinstance(node, SCOPE_NODES):
                return False
            if isinstance(node, (cst.Assign, cst.Return)):
                found.append(node)
            return True

    if isinstance(scope.node, cst.Module):
        return found  # module code: no session, nothing returned
    scope.node.body.visit(_Collect())
    return found


class ContainerSinks:
    def __init__(self, finder, expiry_name: re.Pattern) -> None:
        self.finder = finder
        self.expiry_name = expiry_name
        self.analysis = finder.analysis

    def scan(self, scope: Scope) -> None:
        for stmt in own_statements(scope):
            if isinstance(stmt, cst.Assign):
                for target in stmt.targets:
                    self._session_store(scope, target.target, stmt.value)
            elif isinstance(stmt, cst.Return) and stmt.value is not None and not _IN_PROCESS.search(
                    getattr(getattr(scope.node, "name", None), "value", "")):
                self._record(scope, stmt.value, "returned as a record to keep", returned=True)
        for call in scope.calls:
            name = call_name(self.analysis.qname, call)
            last = last_part(name)
            func = call.func
            if last == "set_expiry" and call.args and isinstance(func, cst.Attribute) and _is_session(func.value):
                flow = self.finder.offset(scope, call.args[0].value)
                if flow is not None:
                    self.finder.add(flow, call.args[0].value, "session", "session.set_expiry(...)")
            elif _STORE_VERB.match(last) and not _IN_PROCESS.search(name):
                for arg in call.args:
                    self._record(scope, arg.value, name.lstrip(".") or "call")

    # --- web sessions -------------------------------------------------------------------------
    def _session_store(self, scope: Scope, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Subscript) and _is_session(target.value) and len(target.slice) == 1:
            index = target.slice[0].slice
            key = string_value(index.value) if isinstance(index, cst.Index) else None
            self._session_value(scope, value, key or "", f'session["{key}"]' if key else "session[...]")
        elif isinstance(target, cst.Attribute) and _is_session(target.value):
            if isinstance(target.value, cst.Name) and "." not in (self.analysis.qname(target.value) or ""):
                return  # a local or parameter called `session` (often a database session): not the web one
            if self.expiry_name.search(target.attr.value):
                self._session_value(scope, value, target.attr.value, f"session.{target.attr.value}")

    def _session_value(self, scope: Scope, value: cst.BaseExpression, key: str, detail: str) -> None:
        flow = self.finder.offset(scope, value, (OFFSET, WALL))
        if flow is None or (flow.kind == WALL and not self.expiry_name.search(key)):
            return
        self.finder.add(flow, value, "session", detail)

    # --- records handed on --------------------------------------------------------------------
    def _record(self, scope: Scope, value: cst.BaseExpression, detail: str, returned: bool = False) -> None:
        if isinstance(value, cst.Name) and (_IN_PROCESS.search(value.value) or _RESPONSE.search(value.value)):
            return
        from ._clock_sinks import _formatted_instant  # the sinks module imports this one

        for key, field in self.finder._dict_entries(scope, value):
            if not self.expiry_name.search(key):
                continue
            flow = self.finder.offset(scope, _formatted_instant(field))
            if flow is not None:
                kind, where = ("record", f'{{"{key}": ...}}') if returned else ("kept", f'{detail}({{"{key}": ...}})')
                self.finder.add(flow, field, kind, where, confidence=MEDIUM)  # the keeper is out of sight
