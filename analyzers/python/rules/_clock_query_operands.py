"""What the operands of a query condition are, whatever they are spelled as.

The query forms (_clock_sinks for stored expiries and due times, _clock_flow_stored and
_clock_sinks for cut-offs) judge a comparison by its two sides: a table's column and a value
from this node's clock. Code often names either side before the query:

  column   `expires_at = models.Task.expires_at; query.filter(expires_at <= utcnow())`,
           `getattr(models.Task, "expires_at")`, `cls.expires_at` in a classmethod of the model
           (the class attribute a query compares is the column, not a field of one object), the
           column under `cast()`/`coalesce()` or less a leeway; and `column.op("<=")(value)`, the
           comparison spelled as a call;
  cut-off  a local bound in several branches, each to this clock moved back
           (`limit = utcnow() - timedelta(seconds=a)` in one branch, `... seconds=b` in another),
           or the value of a helper that returns such a cut-off (`filter(x__lt=self.cutoff())`).

The judges stay the same; only the spelling is looked through. A local bound to anything else
(a parameter, a value read back, another column in one branch) is left alone."""
from __future__ import annotations

import libcst as cst

from ._clock import OFFSET, WALL, ClockAnalysis
from ._clock_scope import Scope, string_value, sym_of

# SQL functions that keep a column's value (the comparison is still with the column).
_COLUMN_WRAPPERS = frozenset({"cast", "type_coerce", "coalesce"})
_ORDER_TEXTS = frozenset({"<", "<=", ">", ">="})


def query_column(analysis: ClockAnalysis, scope: Scope, node: cst.CSTNode, depth: int = 0) -> tuple[cst.CSTNode, str] | None:
    """(the expression, the column's name) when `node` is a model column in a query condition:
    `Task.expires_at`; a local bound once to one; `getattr(models.Task, "expires_at")`;
    `cls.expires_at` in a classmethod; the column under `cast(...)` or less a leeway
    (`Token.expires_at - leeway`)."""
    if depth > 3:
        return None
    if isinstance(node, cst.Attribute):
        if sym_of(node) is None:
            return node, node.attr.value
        owner = node.value
        if isinstance(owner, cst.Name) and owner.value == "cls" and _in_classmethod(scope):
            return node, node.attr.value  # `cls.expires_at` in a model's classmethod: the column itself
        return None
    if isinstance(node, cst.Name):
        defs = analysis.index.defs_for(scope, node.value)
        if len(defs) != 1 or node.value in scope.params or defs[0].value is None:
            return None
        value = defs[0].value
        if isinstance(value, cst.Attribute) and sym_of(value) is None and _class_owner(value.value):
            return node, value.attr.value  # `expires_at = models.Task.expires_at`
        named = _getattr_column(value)
        return (node, named) if named else None
    if isinstance(node, cst.Call):
        named = _getattr_column(node)
        if named:
            return node, named
        func = node.func
        last = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if last in _COLUMN_WRAPPERS and node.args:
            inner = query_column(analysis, scope, node.args[0].value, depth + 1)
            return (node, inner[1]) if inner else None
        return None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Subtract):
        # a leeway taken off the column (`Token.expires_at - timedelta(seconds=30)`); a stamp moved
        # forward by a span (`Talk.ends_at + 2h`) is _stamp_cutoffs' question (often a calendar date)
        inner = query_column(analysis, scope, node.left, depth + 1)
        if inner is not None and analysis.flow(scope, node.right) is None:
            return node, inner[1]
    return None


def operator_comparisons(analysis: ClockAnalysis, scope: Scope):
    """(call, left, operator text, right) for `column.op("<=")(value)` in this scope."""
    for call in scope.calls:
        inner = call.func
        if not (isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute) and inner.func.attr.value == "op"):
            continue
        if len(inner.args) != 1 or len(call.args) != 1:
            continue
        text = string_value(inner.args[0].value)
        if text in _ORDER_TEXTS:
            yield call, inner.func.value, text, call.args[0].value


def past_bindings(analysis: ClockAnalysis, scope: Scope, node: cst.Name, judge) -> bool:
    """Every binding of a local is a cut-off by `judge` (a local rebound per branch)."""
    defs = analysis.index.defs_for(scope, node.value)
    if not defs or node.value in scope.params:
        return False
    return all(d.value is not None and not d.augmented and d.unpacked is None and judge(d.value) for d in defs)


def reaching_binding(analysis: ClockAnalysis, ctx, scope: Scope, node: cst.CSTNode) -> cst.CSTNode:
    """The value a local rebound per branch holds where it is used: its last binding above the
    use (one finding per cut-off, at the binding that reaches the query)."""
    if not isinstance(node, cst.Name):
        return node
    defs = [d for d in analysis.index.defs_for(scope, node.value) if d.value is not None]
    if len(defs) < 2:
        return node
    line = ctx.position(node).start.line
    above = [d for d in defs if ctx.position(d.value).start.line <= line]
    if not above:
        return node
    return max(above, key=lambda d: ctx.position(d.value).start.line).value


def returned_cutoff(analysis: ClockAnalysis, scope: Scope, node: cst.CSTNode) -> bool:
    """`self.expiry_time()` whose every return is this clock moved back by an amount."""
    if not isinstance(node, cst.Call) or node.args:
        return False
    flow = analysis.flow(scope, node)
    if flow is None or flow.kind != OFFSET or not flow.calls:
        return False
    shifts = [root for kind, root in flow.roots if kind == OFFSET]
    return bool(shifts) and all(_moved_back(analysis, root) for root in shifts)


def returned_text(analysis: ClockAnalysis, ctx, scope: Scope, node: cst.CSTNode) -> str:
    """The cut-offs a helper returns, as written there (`today - timedelta(days=n)`), so the
    judges that read a window's size see it; empty for anything else."""
    if not returned_cutoff(analysis, scope, node):
        return ""
    flow = analysis.flow(scope, node)
    return " ".join(ctx.code_for(root) for kind, root in flow.roots if kind == OFFSET)


def _moved_back(analysis: ClockAnalysis, root: cst.CSTNode) -> bool:
    if not (isinstance(root, cst.BinaryOperation) and isinstance(root.operator, cst.Subtract)):
        return False
    owner = _scope_around(analysis, root)
    if owner is None:
        return False
    left = analysis.flow(owner, root.left)
    return left is not None and left.kind == WALL and analysis.flow(owner, root.right) is None


def _scope_around(analysis: ClockAnalysis, node: cst.CSTNode) -> Scope | None:
    """The indexed function a node of a helper's body belongs to."""
    current = node
    while current is not None and not isinstance(current, cst.FunctionDef):
        current = analysis.index.parent_of(current)
    return next((s for s in analysis.index.scopes if s.node is current), None) if current is not None else None


def _getattr_column(node: cst.CSTNode) -> str | None:
    """`getattr(models.Share, "scheduled_at", None)`: the column named by a string."""
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "getattr"):
        return None
    if len(node.args) < 2 or not _class_owner(node.args[0].value):
        return None
    return string_value(node.args[1].value)


def _class_owner(node: cst.CSTNode) -> bool:
    """`Task` or `models.Task`: a class named by its capitalised last part."""
    if isinstance(node, cst.Name):
        return node.value[:1].isupper()
    if isinstance(node, cst.Attribute):
        return node.attr.value[:1].isupper()
    return False


def _in_classmethod(scope: Scope) -> bool:
    func = scope.node
    if not isinstance(func, cst.FunctionDef) or scope.cls is None:
        return False
    return any(isinstance(d.decorator, cst.Name) and d.decorator.value == "classmethod" for d in func.decorators)
