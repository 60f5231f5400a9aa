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
- A file's modification time set to an expiry (`os.utime(path, (0, time.time() + timeout))`): a
  file cache that readers expire by comparing the mtime with their own clock.
- A row handed to a data-access function (`db_api.create_scheduled_job(values)`,
  `dao.insert_delayed_call(row)`) or to a repository's write (`repository.update(order,
  update_dict={...})`) whose field is a due time (`execute_at`, `next_payment_attempt_at`) set to
  `now ± duration`: the function across the boundary writes it, and schedulers on other nodes
  compare it with their own clocks. Also medium: the writer is in another module.
"""
from __future__ import annotations

import re

import libcst as cst

from ._clock import OFFSET, WALL
from ._clock_scope import Scope, call_name, last_part, string_value
from ._clock_write_names import SCHEDULE_NAME
from ..walk import OneScopeVisitor, walk

MEDIUM = "medium"

# Calls whose name says the argument is kept somewhere: `save_token`, `store_credentials`,
# `persist`, `token_storage.update_token`. Plain `update`/`set` are the sinks module's business
# (they also name in-memory dict methods).
_STORE_VERB = re.compile(
    r"^(?:save|store|persist|dump|write|put|cache)(?:_\w+)?$|^\w+_(?:save|store|persist)$|^(?:set|update)_\w*(?:token|credential|session|data)\w*$",
    re.IGNORECASE,
)
# A project's data-access functions, named for the row they write: `create_scheduled_job`,
# `insert_lease`, `upsert_delayed_call`, `update_job`. Exact ORM and driver names (`create`,
# `update_one`) are the sinks module's.
_ROW_WRITER = re.compile(r"^(?:create|insert|upsert|update)_\w+$", re.IGNORECASE)
_CLAIM_KEYS = frozenset({"exp", "nbf", "iat"})
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

    class _Collect(OneScopeVisitor):  # nested functions, lambdas and classes are other scopes
        def visit_Assign(self, node: cst.Assign) -> None:
            found.append(node)

        def visit_Return(self, node: cst.Return) -> None:
            found.append(node)

    if isinstance(scope.node, cst.Module):
        return found  # module code: no session, nothing returned
    walk(scope.node.body, _Collect())
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
                self._record(scope, stmt.value, "returned as a record to keep", returned=True,
                             fields="expiry or due")
        for call in scope.calls:
            name = call_name(self.analysis.qname, call)
            last = last_part(name)
            func = call.func
            if last == "set_expiry" and call.args and isinstance(func, cst.Attribute) and _is_session(func.value):
                flow = self.finder.offset(scope, call.args[0].value)
                if flow is not None:
                    self.finder.add(flow, call.args[0].value, "session", "session.set_expiry(...)")
            elif name == "os.utime" and len(call.args) >= 2:
                self._file_times(scope, call.args[1].value)
            elif _STORE_VERB.match(last) and not _IN_PROCESS.search(name):
                for arg in call.args:
                    self._record(scope, arg.value, name.lstrip(".") or "call")
            else:
                self._row_write(scope, call, name, last)

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
        if flow is None:
            # a record kept whole in the session (`mfa["next_check"] = ...; session["mfa"] = mfa`):
            # its moved instants are kept there as well
            from ._clock_sinks import _formatted_instant  # the sinks module imports this one

            for field, held in self.finder.dict_entries(scope, value):
                moved = self.finder.offset(scope, _formatted_instant(held))
                if moved is not None:
                    self.finder.add(moved, held, "session", f'{detail}["{field}"]')
            return
        if flow.kind == WALL and not self.expiry_name.search(key):
            return
        self.finder.add(flow, value, "session", detail)

    # --- file times ---------------------------------------------------------------------------
    def _file_times(self, scope: Scope, times: cst.BaseExpression) -> None:
        """`(atime, mtime)` given to `os.utime`: an instant shifted from now is an expiry kept
        in the file system (a bare reading is an ordinary touch)."""
        if not isinstance(times, (cst.Tuple, cst.List)):
            return
        for element in times.elements:
            flow = self.finder.offset(scope, element.value)
            if flow is not None:
                self.finder.add(flow, element.value, "store", "os.utime(...)", confidence=MEDIUM)

    # --- records handed on --------------------------------------------------------------------
    def _row_write(self, scope: Scope, call: cst.Call, name: str, last: str) -> None:
        """Due times in a row given to a data-access function or to a repository's write. An
        expiry-named field of a driver or ORM write is the sinks module's (`_dicts`); here only
        the due-time names it does not read, and the project's own `create_*` functions."""
        from ._clock_sinks import _DATABASE_CALLS, WRITE_CALLS  # the sinks module imports this one

        if _IN_PROCESS.search(name):
            return
        if _ROW_WRITER.match(last) and last not in WRITE_CALLS:
            fields = "due or expiry"
        elif last in _DATABASE_CALLS:
            fields = "due only"
        else:
            return
        for position, arg in enumerate(call.args):
            if last == "update" and position == 0 and arg.keyword is None:
                continue  # `mapping.update({...})`: a dict merged in memory
            self._record(scope, arg.value, name.lstrip(".") or "call", fields=fields)

    def _wanted(self, key: str, fields: str) -> bool:
        if fields == "expiry or due":  # a returned record: its due times lapse for the caller too
            return bool(self.expiry_name.search(key) or SCHEDULE_NAME.search(key))
        if fields != "expiry" and key.lower() in _CLAIM_KEYS:
            return False  # a token's claims, whoever signs them, are the claims module's
        if fields == "due only":
            return bool(SCHEDULE_NAME.search(key)) and not self.expiry_name.search(key)
        return bool(self.expiry_name.search(key) or fields == "due or expiry" and SCHEDULE_NAME.search(key))

    def _record(self, scope: Scope, value: cst.BaseExpression, detail: str, returned: bool = False,
                fields: str = "expiry") -> None:
        if isinstance(value, cst.Name) and (_IN_PROCESS.search(value.value) or _RESPONSE.search(value.value)):
            return
        from ._clock_sinks import _formatted_instant  # the sinks module imports this one

        for key, field in self.finder.dict_entries(scope, value):
            if not self._wanted(key, fields):
                continue
            flow = self.finder.offset(scope, _formatted_instant(field))
            if flow is not None:
                kind, where = ("record", f'{{"{key}": ...}}') if returned else ("kept", f'{detail}({{"{key}": ...}})')
                self.finder.add(flow, field, kind, where, confidence=MEDIUM)  # the keeper is out of sight
