"""Criteria written as data: a stored field compared with a cutoff `now - W` not by a Python
comparison or a keyword lookup but by a value the query is built from.

Two spellings recur in sweepers that hand work back or declare workers gone:
- a document-store operator under the field's key: `{"state": "busy", "time_start": {"$lt": cutoff}}`,
  `dict(time_start={"$lte": cutoff})`, nested in `$elemMatch`;
- SQL text comparing a column with a placeholder whose bound value is the cutoff:
  `"... WHERE status='running' AND started_at<:threshold"` with `{":threshold": now - W}`
  (a dict literal, `var_map[":threshold"] = ...`, or a keyword of the call).

Each is normalised to an Age (rules/_liveness_ages) and judged as the other forms are: the stamp
must be a liveness stamp answered by a verdict, or the selected items must still be held by a
worker (a live state, a claim set) and be failed, handed back, listed as lost or returned to a
sweeper. Windows from observed latency, the item's own record, or a parameter without a default,
and items already in a terminal state (retention), are left out as elsewhere.
"""
from __future__ import annotations

import re

import libcst as cst

from ..imports import dotted
from ..walk import children
from ._liveness_ages import (
    _DATA_OWNER,
    _last,
    _PERSON,
    VERDICT,
    Age,
    Detector,
    FunctionFlow,
    _descendants,
    _names_in,
    _shifted,
    _strip,
    fixed_window,
    query_of,
    quorum_in,
    stamp_kind,
)
from ._liveness_terminal import TERMINAL
from ._liveness_stalled import (
    _HELD,
    _entity_window,
    _fails_item,
    _held,
    _rows_returned,
    _window_parameter,
)
from ._sqltext import string_text

# Document-store comparison operators: the field's value is older (or newer) than the cutoff.
_OPERATORS = frozenset({"$lt", "$lte", "$gt", "$gte"})
# `column < :name`, `column <= %(name)s`: a comparison with a named placeholder.
_SQL_COMPARISON = re.compile(r"([A-Za-z_][\w.]*)\s*(<=|>=|<|>)\s*(?::(\w+)|%\((\w+)\)s)")
# A held state or a claim in SQL text: `status='running'`, `state IN ('claimed', ...)`, `locked_by IS NOT NULL`.
_SQL_HELD_STATE = re.compile(r"(?:status|state)\w*\s*(?:=|in\s*\()\s*'(\w+)'", re.IGNORECASE)
_SQL_CLAIMED = re.compile(r"(?:locked|claimed|taken|picked|leased)_?by\s+is\s+not\s+null", re.IGNORECASE)
# Statements that take the rows away or hand them back.
_SQL_DELETE = re.compile(r"^\s*delete\b", re.IGNORECASE)
_SQL_UPDATE_STATE = re.compile(r"^\s*update\b[\s\S]*\bset\b[\s\S]*?(?:status|state)\w*\s*=\s*'(\w+)'", re.IGNORECASE)
# States of work nobody holds: setting a held item back to one hands it to another worker.
_WAITING = frozenset({"pending", "ready", "queued", "new", "waiting", "available", "scheduled", "submitted"})
_SQL_FAILED = frozenset({"failed", "failure", "timeout", "timed_out", "timedout", "stuck", "orphaned", "dead", "lost",
                         "crashed", "stalled", "aborted", "killed"})
# Calls that write or remove what a document-store criteria dict selects.
_DOC_WRITES = re.compile(r"^(?:update|update_many|update_one|find_one_and_update|find_and_modify|remove|delete_many|delete_one)$")


# Helpers that turn an instant into the number or text a document stores.
_CONVERSION = re.compile(r"^_?(?:to_\w+|\w*epoch\w*|\w*timestamp|timegm|mktime)$", re.IGNORECASE)


def _cutoff(flow: FunctionFlow, expr: cst.BaseExpression):
    """(window, feeds) when `expr` is `now - W`, also as text (`.isoformat()`) or through a local."""
    for _ in range(3):
        expr = _strip(expr)
        bound = flow.bound(expr) if isinstance(expr, cst.Name) else None
        if bound is not None:
            expr = bound
        elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("isoformat", "strftime"):
            expr = expr.func.value  # the same instant written as text
        elif isinstance(expr, cst.Call) and len(expr.args) == 1 and _CONVERSION.search(_last(dotted(expr.func))):
            expr = expr.args[0].value  # `to_epoch(now - W)`: the same instant as a number
        else:
            break
    shifted = _shifted(flow, expr)
    if shifted is None or shifted[2] is not cst.Subtract:
        return None
    if not (flow.is_now(shifted[0]) or flow.is_cutoff_call(shifted[0])):
        return None
    return shifted[1], shifted[3]


def _operator_cutoff(flow: FunctionFlow, value: cst.BaseExpression):
    """`{"$lt": cutoff}` (also through a local): the cutoff's (window, feeds)."""
    bound = flow.bound(value) if isinstance(value, cst.Name) else None
    value = bound if isinstance(bound, cst.Dict) else value
    if not isinstance(value, cst.Dict):
        return None
    for element in value.elements:
        if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
            if element.key.value.strip("'\"") in _OPERATORS:
                return _cutoff(flow, element.value)
    return None


def _field(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def document_ages(flow: FunctionFlow) -> list[Age]:
    found: list[Age] = []
    for mapping in flow.dicts:
        for element in mapping.elements:
            if not isinstance(element, cst.DictElement) or not isinstance(element.key, cst.SimpleString):
                continue
            key = element.key.value.strip("'\"")
            if key.startswith("$"):
                continue
            cutoff = _operator_cutoff(flow, element.value)
            if cutoff is not None:
                found.append(Age(element, element, _field(key), "", cutoff[0], cutoff[1]))
    for call in flow.calls:  # `dict(state="busy", time_start={"$lt": cutoff})`
        if isinstance(call.func, cst.Name) and call.func.value == "dict":
            for arg in call.args:
                if arg.keyword is not None:
                    cutoff = _operator_cutoff(flow, arg.value)
                    if cutoff is not None:
                        found.append(Age(arg, arg, arg.keyword.value, "", cutoff[0], cutoff[1]))
    return found


def _bound_parameters(flow: FunctionFlow) -> dict[str, cst.BaseExpression]:
    """Placeholder name -> value: dict literals (`{":threshold": x}`, `{"threshold": x}`),
    `var_map[":threshold"] = x`, and keywords of calls (`execute(sql, threshold=x)`)."""
    params: dict[str, cst.BaseExpression] = {}
    for mapping in flow.dicts:
        for element in mapping.elements:
            if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
                params[element.key.value.strip("'\"").lstrip(":")] = element.value
    for node in _descendants(flow.func.body):
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            target = node.targets[0].target
            if isinstance(target, cst.Subscript) and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
                key = target.slice[0].slice.value
                if isinstance(key, cst.SimpleString):
                    params[key.value.strip("'\"").lstrip(":")] = node.value
    for call in flow.calls:
        for arg in call.args:
            if arg.keyword is not None:
                params.setdefault(arg.keyword.value, arg.value)
    return params


def _sql_literals(flow: FunctionFlow) -> list[tuple[cst.CSTNode, str, str]]:
    """(piece, its text, the whole statement's text) of every SQL string of the function; a
    statement built with `+=` is read as one text."""
    statements: dict[str, list[str]] = {}
    pieces: list[tuple[cst.CSTNode, str, str | None]] = []
    for node in _in_order(flow.func.body):
        target = None
        if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            target, value = node.targets[0].target.value, node.value
            statements[target] = []
        elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name) and isinstance(node.operator, cst.AddAssign):
            target, value = node.target.value, node.value
        else:
            continue
        for piece in _string_pieces(value):
            text = string_text(piece) or ""
            statements.setdefault(target, []).append(text)
            pieces.append((piece, text, target))
    for call in flow.calls:  # `cur.execute("SELECT ... WHERE started_at < %(limit)s", {...})`
        if call.args and call.args[0].keyword is None:
            for piece in _string_pieces(call.args[0].value):
                pieces.append((piece, string_text(piece) or "", None))
    out = []
    for piece, text, target in pieces:
        whole = " ".join(statements.get(target, [])) if target else " ".join(
            string_text(p) or "" for p in _string_pieces(_outer_string(flow, piece)))
        out.append((piece, text, whole))
    return out


def _in_order(root: cst.CSTNode):
    """The statements of one scope in source order (a statement built with `+=` reads in order)."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed([c for c in children(node) if not isinstance(c, (cst.FunctionDef, cst.ClassDef))]))


def _outer_string(flow: FunctionFlow, piece: cst.CSTNode) -> cst.CSTNode:
    up = flow.parent.get(id(piece))
    while isinstance(up, cst.ConcatenatedString):
        piece, up = up, flow.parent.get(id(up))
    return piece


def _string_pieces(value: cst.BaseExpression) -> list[cst.CSTNode]:
    if isinstance(value, (cst.SimpleString, cst.FormattedString)):
        return [value]
    if isinstance(value, cst.ConcatenatedString):
        return [*_string_pieces(value.left), *_string_pieces(value.right)]
    return []


def sql_ages(flow: FunctionFlow) -> list[tuple[Age, str]]:
    """(age, the statement's text) for `column < :placeholder` bound to `now - W`."""
    literals = _sql_literals(flow)
    if not literals:
        return []
    params = None
    found: list[tuple[Age, str]] = []
    for piece, text, whole in literals:
        for match in _SQL_COMPARISON.finditer(text):
            if params is None:
                params = _bound_parameters(flow)
            value = params.get(match.group(3) or match.group(4))
            cutoff = _cutoff(flow, value) if value is not None else None
            if cutoff is not None:
                found.append((Age(piece, piece, _field(match.group(1)), "", cutoff[0], cutoff[1]), whole))
    return found


def _sql_held(text: str) -> bool:
    if _SQL_CLAIMED.search(text):
        return True
    return any(_HELD.search(state) for state in _SQL_HELD_STATE.findall(text))


def _sql_fate(flow: FunctionFlow, statement: str) -> bool:
    """The statement deletes the rows, or a statement of the function moves rows to a waiting or
    failure state (the sweep's second step)."""
    if _SQL_DELETE.match(statement):
        return True
    for _, _, whole in _sql_literals(flow):
        update = _SQL_UPDATE_STATE.match(whole)
        if update is not None and update.group(1).lower() in _WAITING | _SQL_FAILED:
            return True
    return False


def _region(flow: FunctionFlow, node: cst.CSTNode) -> tuple[cst.CSTNode, cst.CSTNode | None]:
    """The criteria container (the dict or `dict(...)` call holding the field) and the call it is
    finally handed to, climbing through nested dicts (`{"$elemMatch": {...}}`)."""
    container = flow.parent.get(id(node))
    outer = container
    while True:
        up = flow.parent.get(id(outer))
        if isinstance(up, (cst.DictElement, cst.Dict)):
            outer = up
            continue
        break
    up = flow.parent.get(id(outer))
    call = query_of(flow, up) if isinstance(up, cst.Arg) else None
    if call is None and isinstance(up, cst.Assign):
        call = _handed_to(flow, up)
    return container, call


def _handed_to(flow: FunctionFlow, assign: cst.Assign) -> cst.CSTNode | None:
    """`q = {...}` (or `q[k] = {...}`) ... `collection.find(q)`: the call the criteria go to."""
    target = assign.targets[0].target
    if isinstance(target, cst.Subscript):
        target = target.value
    if not isinstance(target, cst.Name):
        return None
    calls = []
    for use in flow.uses.get(target.value, []):
        arg = flow.parent.get(id(use))
        call = flow.parent.get(id(arg)) if isinstance(arg, cst.Arg) else None
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute):
            calls.append(call)
    writes = [c for c in calls if _DOC_WRITES.match(c.func.attr.value)]
    return (writes or calls or [None])[0]


def _handed_back(flow: FunctionFlow) -> bool:
    """A held item set back to a waiting state (`{"$set": {"state": "ready"}}`,
    `status = "pending"`): another worker will take it."""
    for node in _descendants(flow.func.body):
        if isinstance(node, cst.DictElement) and isinstance(node.key, cst.SimpleString):
            key, value = node.key.value.strip("'\""), node.value
        elif isinstance(node, cst.Arg) and node.keyword is not None:
            key, value = node.keyword.value, node.value
        else:
            continue
        if re.search(r"(?:^|_)(?:state|status)$", key) and isinstance(value, cst.SimpleString):
            if value.value.strip("'\"").lower() in _WAITING:
                return True
    return False


# Cheap gates on a module's text: a document-store operator, or SQL comparing with a named placeholder.
DOCUMENT_TEXT = re.compile(r"[\"']\$(?:lt|lte|gt|gte)[\"']")
SQL_TEXT = re.compile(r"\w\s*[<>]=?\s*(?::[A-Za-z_]|%\()")


def find_criteria(flow: FunctionFlow, documents_too: bool = True, sql_too: bool = True) -> list[Detector]:
    out: list[Detector] = []
    documents = document_ages(flow) if documents_too else []
    statements = sql_ages(flow) if sql_too else []
    if not documents and not statements or quorum_in(flow.func.body):
        return out
    verdict_function = bool(VERDICT.search(flow.func.name.value))
    for age, statement in [*((a, None) for a in documents), *statements]:
        if _DATA_OWNER.search(age.stamp_name) or _PERSON.search(age.stamp_name):
            continue
        if not fixed_window(flow, age) or _entity_window(flow, age.window):
            continue
        kind = stamp_kind(flow, age)
        if kind == "live" and verdict_function:
            out.append(Detector(age, "high", True))  # `get_alive_machines`: the verdict is the rows
            continue
        if _window_parameter(flow, age.window):
            continue  # the caller chooses the window
        if statement is not None:
            if TERMINAL.search(statement) or not (_sql_held(statement) or kind == "live"):
                continue
            if _sql_fate(flow, statement):
                out.append(Detector(age, "medium", False))
            continue
        container, call = _region(flow, age.node)
        region_text = _names_in(container) + " " + (_names_in(call) if call is not None else "")
        if TERMINAL.search(region_text) or not (_held(flow, container) or kind == "live"):
            continue
        writes = call is not None and isinstance(call.func, cst.Attribute) and bool(_DOC_WRITES.match(call.func.attr.value))
        if writes or _fails_item(flow, flow.func.body) or _handed_back(flow) or (call is not None and _rows_returned(flow, call)):
            out.append(Detector(age, "medium", False))
    return out

