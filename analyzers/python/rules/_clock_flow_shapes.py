"""Shapes the general wall-clock flow (_clock_flow.py) reads in a value: where a reading was moved
by an amount (`now + ttl`, `now - window`), whether that amount is a duration or another stamp,
and where a finding about the value starts (the reading itself, or where the value was armed)."""
from __future__ import annotations

import re

import libcst as cst

from ._clock import OFFSET, WALL, ClockAnalysis, Flow
from ._clock_query_operands import past_bindings, returned_cutoff
from ._clock_scope import Scope

# A name or field that holds when something happened (a stamp), not an amount of time.
STAMP_NAME = re.compile(
    r"(?:_at|_on|_time|_ts|stamp|_date|^date|^time$|^ts$|started|^start|^last|since|created|updated|modified|"
    r"^when|expir|deadline|until|^eta$)$|^last_|^(?:start|end)_",
    re.IGNORECASE,
)
# Removing or archiving what is older than a window: retention, whatever the window.
RETENTION = re.compile(r"delete|purge|prune|archive|clean|remove|trim|expunge|drop|vacuum", re.IGNORECASE)
CLOCKED = (WALL, OFFSET)


def past(analysis: ClockAnalysis, scope: Scope, value: cst.CSTNode, depth: int = 0) -> bool:
    """`now - amount`, a local bound to one (once, or in each branch), or the value of a helper
    that returns one: a cut-off in the past."""
    if isinstance(value, cst.Name) and depth == 0:
        return past_bindings(analysis, scope, value, lambda bound: past(analysis, scope, bound, 1))
    if returned_cutoff(analysis, scope, value):
        return True
    shift = shift_expression(Flow(OFFSET, (), (), frozenset()), value)
    return shift is not None and isinstance(shift.operator, cst.Subtract) and not stamp_like(shift.right)


def shift_expression(flow: Flow, item: cst.CSTNode) -> cst.BinaryOperation | None:
    """The `reading ± amount` expression behind a value: the value itself or where it was armed,
    looking through conversions (`int(...)`, `.timestamp()`) and unit scaling (`* 1000`)."""
    candidates = [item] + [root for kind, root in flow.roots if kind == OFFSET]
    for node in candidates:
        for _ in range(4):
            if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract)):
                return node
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                node = node.func.value  # `(now + ttl).timestamp()`, `(now - d).replace(second=0)`
            elif isinstance(node, cst.Call) and node.args:
                node = node.args[0].value  # `int(now + ttl)`
            elif isinstance(node, cst.BooleanOperation):
                node = node.right  # `since or (until - window)`
            elif isinstance(node, cst.BinaryOperation):
                node = node.left  # `(now + ttl) * 1000`
            else:
                break
    return None


def is_past(flow: Flow) -> bool:
    """Every place the value was armed subtracts an amount from the clock."""
    shifts = [root for kind, root in flow.roots if kind == OFFSET]
    return bool(shifts) and all(
        isinstance(root, cst.BinaryOperation) and isinstance(root.operator, cst.Subtract) for root in shifts)


def base_name(node: cst.CSTNode) -> str | None:
    """`query` for `query["$or"]` or `query.where`."""
    while isinstance(node, (cst.Subscript, cst.Attribute)):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def stamp_like(node: cst.CSTNode) -> bool:
    """A slot of a record, or a name that says it holds when something happened."""
    if isinstance(node, cst.Subscript):
        return True
    if isinstance(node, cst.Attribute):
        return bool(STAMP_NAME.search(node.attr.value))
    if isinstance(node, cst.Name):
        return bool(STAMP_NAME.search(node.value))
    return False


def report_node(flow: Flow, value: cst.CSTNode) -> cst.CSTNode:
    """Where an offset was armed (the fix starts there), else the value itself."""
    for kind, root in flow.roots:
        if kind == OFFSET:
            return root
    return value


def reading_in(analysis: ClockAnalysis, scope: Scope, node: cst.CSTNode, flow: Flow) -> cst.CSTNode:
    """Where the fix starts: the reading inside the expression, else where the value was armed."""
    for call in flow.calls:
        current = call
        while current is not None and current is not node:
            current = analysis.index.parent_of(current)
        if current is node:
            return call
    for kind, root in flow.roots:
        if kind in CLOCKED:
            return root
    return flow.calls[0] if flow.calls else node
