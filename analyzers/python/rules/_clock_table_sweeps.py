"""In-process tables of instants swept by the wall clock.

A class keeps a dict of per-key stamps or expiries read from this machine's wall clock
(`self._cache[key] = (time() + ttl, value)`, `self.last_touched[token] = time.time()`) and a
method of its own drops the entries whose instant has passed (`if now - stamp > timeout:
del self.table[key]`, `self.table.pop(key)`). The table never leaves the process: its writes and
its sweep are in one class, in view. That is an in-process TTL on the wall clock (ARM103): a
forward step expires every entry at once, a backward one keeps them all for as long as the step.

The held-age form cannot tell such a table from a record another node wrote (it does not see the
writes), and leaves out whatever a name calls a cache; here the writer is in view, so a cache's
own table counts like any other.

Reported where the lifetime is set: the expiry armed in the table (`time.time() + self.ttl`, also
through a method of the class that returns it), or, for a table of bare stamps, the check that
ages them against an amount (`now - stamp > W`), where the window is applied.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from ..imports import dotted
from ..walk import descendants
from ._clock import OFFSET, WALL, enclosing_test, ordering_pairs
from ._clock_deadlines import Deadline, _display_only, _inside as _within, _only_logs
from ._clock_helpers import MEDIUM
from ._clock_scope import Scope

# The caller's reading handed in (`def _remove_expired(self, now)`).
_NOW_PARAM = re.compile(r"^(?:now|now_ts|current_time|curr_time|timestamp_now|time_now|timenow)$")


@dataclass
class _Table:
    expiries: list[tuple[cst.CSTNode, object, Scope]] = field(default_factory=list)  # (armed value, flow, scope)
    stamps: bool = False
    written: list = field(default_factory=list)  # the flow of every write's reading
    # a table of the module (`on_hold = {}`), written and swept by functions of the file, is
    # reported at the check: its writers are spread over the file, the check is the one place
    # where the lifetime is judged
    module: bool = False


def find_table_sweeps(analysis, path: str, covered: set[int], taken: set[int]) -> list[Deadline]:
    """ARM103 deadlines; `covered` holds the readings other forms reported (an expiry armed
    from one of those is theirs), `taken` the nodes (a stamp table's check is its own finding
    even when the sweep's reading was reported for another check)."""
    by_class: dict[int, list[Scope]] = {}
    functions = [scope for scope in analysis.index.scopes if isinstance(scope.node, cst.FunctionDef)]
    for scope in functions:
        if scope.cls is not None:
            by_class.setdefault(id(scope.cls), []).append(scope)
    module_tables = frozenset(name for name, value in analysis.module_values.items() if _empty_table(value))
    groups = [(scopes, frozenset()) for scopes in by_class.values()] + [(functions, module_tables)]
    found: list[Deadline] = []
    for scopes, shared in groups:
        tables = _tables(analysis, scopes, shared)
        for scope in scopes:
            if _display_only(scope, path):
                continue  # a monitor's or a dashboard's own tables: display (RULES.md)
            for attr, table in tables.items():
                if not _ends_entries(scope, attr):
                    continue  # entries only read: no lifetime ends here
                for comparison in scope.comparisons:
                    if _only_logs(analysis, enclosing_test(analysis.index, comparison)):
                        continue  # a slow-start warning on an entry's age: logging (RULES.md)
                    check = _sweep_check(analysis, scope, comparison, attr, table)
                    if check is None:
                        continue
                    if table.expiries and not table.module:
                        for value, flow, where in table.expiries:
                            if id(value) not in taken and not any(id(call) in covered for call in flow.calls):
                                taken.add(id(value))
                                found.append(_deadline(analysis, value, comparison, flow, where))
                    elif id(comparison) not in taken and not _armed_elsewhere(table, covered):
                        taken.add(id(comparison))
                        flow = check if check is not True else table.expiries[0][1]
                        found.append(_deadline(analysis, comparison, comparison, flow, scope))
    return found


def _armed_elsewhere(table: _Table, covered: set[int]) -> bool:
    """A module table whose every write another form already reported (the flow of one
    function follows `table[key] = time.time()` to a check in the same function)."""
    return table.module and all(any(id(call) in covered for call in flow.calls) for flow in table.written)


def _deadline(analysis, node, comparison, flow, scope: Scope) -> Deadline:
    deadline = Deadline(node, comparison, flow, scope, confidence=MEDIUM)
    deadline.uses_datetime = any(not (analysis.wall_name(call) or "").startswith("time.") for call in flow.calls)
    return deadline


def _table_key(node: cst.CSTNode) -> str | None:
    """`self.table` -> "self.table"; a bare name (a table of the module) -> the name."""
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return "self." + node.attr.value
    if isinstance(node, cst.Name):
        return node.value
    return None


def _empty_table(value: cst.BaseExpression) -> bool:
    """A module-level name bound to a dict (`on_hold = dict()`, `cache = {...}`): the table."""
    return isinstance(value, cst.Dict) or (
        isinstance(value, cst.Call) and dotted(value.func) in ("dict", "collections.OrderedDict", "OrderedDict",
                                                                "defaultdict", "collections.defaultdict"))


def _slot_table(target: cst.Subscript) -> cst.CSTNode:
    """`self.table[key]` and `table[key]["expires_at"]`: the table written."""
    node = target.value
    while isinstance(node, cst.Subscript):
        node = node.value
    return node


def _tables(analysis, scopes: list[Scope], shared: frozenset[str]) -> dict[str, _Table]:
    """The class's attributes (or, with `shared`, those tables of the module) written per key
    with a reading of this clock or an expiry built from one (alone, or as an element of the
    stored tuple, record or dict)."""
    tables: dict[str, _Table] = {}
    methods = {scope.node.name.value: scope for scope in scopes}
    for scope in scopes:
        for target, value in scope.slot_assigns:
            key = _table_key(_slot_table(target))
            if key is None or not _in_group(scope, key, shared):
                continue
            for element in _elements(_constructed(scope, value)):
                flow, where, returned = _method_flow(analysis, scope, element, methods)
                if flow is None:
                    flow, where, returned = analysis.flow(scope, element), scope, element
                if flow is None or not flow.calls or not all(analysis.wall_name(call) for call in flow.calls):
                    continue
                table = tables.setdefault(key, _Table(module=bool(shared)))
                table.written.append(flow)
                if flow.kind == OFFSET and not _backdated(analysis, where, flow, returned):
                    armed = [root for kind, root in flow.roots if kind == OFFSET] or [returned]
                    table.expiries.extend((root, flow, where) for root in armed)
                elif flow.kind in (WALL, OFFSET):
                    table.stamps = True
    # a table holding both kinds is judged by its expiries (where the lifetime is set)
    return {key: table for key, table in tables.items() if table.expiries or table.stamps}


def _in_group(scope: Scope, key: str, shared: frozenset[str]) -> bool:
    """A class's own table, or (for the module's group) a module table this function does not
    shadow with a local of the same name."""
    if not shared:
        return key.startswith("self.")
    return key in shared and (key not in scope.defs or key in scope.outer)


def _backdated(analysis, scope: Scope, flow, value: cst.CSTNode) -> bool:
    """`time() - randrange(DAY)`: a reading set back (to spread the first run), a stamp rather
    than an expiry."""
    roots = [root for kind, root in flow.roots if kind == OFFSET] or [value]
    for root in roots:
        if not (isinstance(root, cst.BinaryOperation) and isinstance(root.operator, cst.Subtract)):
            return False
        left = analysis.flow(scope, root.left)
        if left is None or left.kind != WALL:
            return False
    return True


def _method_flow(analysis, scope: Scope, element: cst.BaseExpression, methods: dict[str, Scope]):
    """`expires = self._normalize_timeout(timeout)`: the flow of what a method of the class
    returns (`return int(time()) + timeout`), with the method's scope and the returned value,
    else Nones."""
    if isinstance(element, cst.Name):
        defs = scope.defs.get(element.value, [])
        if len(defs) != 1 or defs[0].value is None:
            return None, None, None
        element = defs[0].value
    if not (isinstance(element, cst.Call) and isinstance(element.func, cst.Attribute)
            and isinstance(element.func.value, cst.Name) and element.func.value.value == "self"):
        return None, None, None
    method = methods.get(element.func.attr.value)
    if method is None:
        return None, None, None
    for node in descendants(method.node):
        if isinstance(node, cst.Return) and node.value is not None:
            flow = analysis.flow(method, node.value)
            if flow is not None and flow.kind == OFFSET:
                return flow, method, node.value
    return None, None, None


def _constructed(scope: Scope, value: cst.BaseExpression) -> cst.BaseExpression:
    """`event = Event(name, statetime=time.time())` then `self.events[key] = event`: the record
    built in this function."""
    if isinstance(value, cst.Name):
        defs = scope.defs.get(value.value, [])
        if len(defs) == 1 and isinstance(defs[0].value, cst.Call) and _record_call(defs[0].value):
            return defs[0].value
    return value


def _record_call(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Name) and call.func.value[:1].isupper()


def _elements(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The value and, for a tuple, a dict or a record built in place (`Entry(time.time(), item)`,
    `{"expires_at": time.time() + ttl}`), its parts."""
    if isinstance(value, (cst.Tuple, cst.List)):
        return [element.value for element in value.elements]
    if isinstance(value, cst.Call) and _record_call(value):
        return [arg.value for arg in value.args]
    if isinstance(value, cst.Dict):
        return [element.value for element in value.elements if isinstance(element, cst.DictElement)]
    return [value]


def _ends_entries(scope: Scope, key: str) -> bool:
    """`del table[key]` or `table.pop(key)` in this function, or (for a table of the module) a
    new entry written in its place (`cache[key] = {...}` after the check): the entry's lifetime
    ends here."""
    for node in descendants(scope.node):
        if isinstance(node, cst.Del):
            targets = [node.target]
            if isinstance(node.target, cst.Tuple):
                targets = [element.value for element in node.target.elements]
            if any(isinstance(t, cst.Subscript) and _table_key(t.value) == key for t in targets):
                return True
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "pop":
            if _table_key(node.func.value) == key:
                return True
    return not key.startswith("self.") and any(_table_key(_slot_table(t)) == key for t, _v in scope.slot_assigns)


def _entry_names(analysis, scope: Scope, attr: str, comparison: cst.Comparison) -> set[str]:
    """Names bound to an entry of the table or a part of it where the comparison sees them:
    targets of a loop over `self.table.items()`/`.values()` around it, and `stamp, item =
    self.table[key]` / `self.table.get(key)` in the same loop (a name reused for another table's
    entries in a later loop is that table's)."""
    names: set[str] = set()
    for node in descendants(scope.node):
        if isinstance(node, (cst.For, cst.CompFor)) and _iterates(node.iter, attr):
            if _within(analysis, comparison, node):
                names |= _bound_names(node.target)
        elif isinstance(node, cst.Assign) and len(node.targets) == 1 and _entry_read(node.value, attr):
            loop = _enclosing_loop(analysis, node, scope.node)
            if loop is scope.node or _within(analysis, comparison, loop):
                names |= _bound_names(node.targets[0].target)
    for node in descendants(scope.node):
        # `last_time = cache_entry["time"]`: a part of an entry, named
        if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) \
                and _held(node.value, names, attr) and not isinstance(node.value, cst.Name):
            names.add(node.targets[0].target.value)
    return names


def _enclosing_loop(analysis, node: cst.CSTNode, top: cst.CSTNode) -> cst.CSTNode:
    current = analysis.index.parent_of(node)
    while current is not None and current is not top:
        if isinstance(current, (cst.For, cst.While)):
            return current
        current = analysis.index.parent_of(current)
    return top


def _iterates(expr: cst.BaseExpression, attr: str) -> bool:
    """`self.table.items()`, `list(self.table.items())`, `sorted(self.table.values())`,
    `self.table.copy().items()`."""
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.args:
        expr = expr.args[0].value
    if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("items", "values")):
        return False
    table = expr.func.value
    if isinstance(table, cst.Call) and isinstance(table.func, cst.Attribute) and table.func.attr.value == "copy":
        table = table.func.value
    return _table_key(table) == attr


def _entry_read(expr: cst.BaseExpression, attr: str) -> bool:
    if isinstance(expr, cst.Subscript):
        return _table_key(_slot_table(expr)) == attr
    return (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value == "get"
        and _table_key(expr.func.value) == attr
    )


def _bound_names(target: cst.BaseExpression) -> set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        out: set[str] = set()
        for element in target.elements:
            out |= _bound_names(element.value)
        return out
    return set()


def _sweep_check(analysis, scope: Scope, comparison: cst.Comparison, attr: str, table: _Table):
    """The comparison ages an entry of the table against a reading of this clock taken here (or
    handed in as `now`). A table of bare stamps needs an amount as well (`now - stamp > W`).
    Returns the reading's flow for a stamp table, True for an expiry table, else None."""
    entries = _entry_names(analysis, scope, attr, comparison)
    for left, _op, right in ordering_pairs(comparison):
        held, readings, amounts = [], [], []
        for side in (left, right):
            for term in _terms(scope, side, 0):
                if _held(term, entries, attr):
                    held.append(term)
                elif _reading(analysis, scope, term):
                    readings.append(term)
                elif not isinstance(term, (cst.Integer, cst.Float)) or term.value not in ("0", "0.0"):
                    amounts.append(term)
        if not held or not readings:
            continue
        if table.expiries:
            return True
        flow = analysis.flow(scope, readings[0])
        if amounts and flow is not None and flow.kind == WALL:
            return flow
    return None


def _terms(scope: Scope, expr: cst.BaseExpression, depth: int) -> list[cst.BaseExpression]:
    """The operands of a sum or difference (through conversions, `.total_seconds()` and locals
    bound once in this function)."""
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Subtract)):
        return _terms(scope, expr.left, depth) + _terms(scope, expr.right, depth)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("int", "float", "abs") \
            and len(expr.args) == 1:
        return _terms(scope, expr.args[0].value, depth)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "total_seconds":
        return _terms(scope, expr.func.value, depth)
    if isinstance(expr, cst.Name) and depth < 3:
        defs = scope.defs.get(expr.value, [])
        if len(defs) == 1 and defs[0].value is not None and not defs[0].augmented and defs[0].unpacked is None:
            inner = defs[0].value
            if isinstance(inner, cst.BinaryOperation) or (
                isinstance(inner, cst.Call) and dotted(inner.func) in ("int", "float", "abs")
            ) or (isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute)
                  and inner.func.attr.value == "total_seconds"):
                return _terms(scope, inner, depth + 1)
    return [expr]


def _held(term: cst.BaseExpression, entries: set[str], attr: str) -> bool:
    if isinstance(term, (cst.Attribute, cst.Subscript)) and isinstance(term.value, cst.Name) and term.value.value in entries:
        term = term.value  # `event.statetime`, `entry["time"]`: a field of the entry (a record built with a reading)
    if isinstance(term, cst.Name):
        return term.value in entries
    return _entry_read(term, attr)


def _reading(analysis, scope: Scope, term: cst.BaseExpression) -> bool:
    """A reading of this clock in this function, or the caller's handed in as `now`."""
    if isinstance(term, cst.Name) and term.value in scope.params and _NOW_PARAM.match(term.value):
        return True
    if not isinstance(term, (cst.Name, cst.Call)):
        return False
    flow = analysis.flow(scope, term)
    if flow is None or flow.kind != WALL or not flow.calls:
        return False
    return all(analysis.wall_name(call) for call in flow.calls) and all(
        _within(analysis, call, scope.node) for call in flow.calls
    )

