"""A small, read-only data-flow index of one function (or of module-level code): which names and
`self.` attributes are assigned what, where each is read, and every comparison and call, with a
parent map to look at the context of any node.

The clock and heartbeat rules only need this for the few functions that mention a clock or a
heartbeat, so the rules mark those functions during libcst's batched pass (`ScopeMarker`) and
index just them afterwards.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from ..imports import dotted
from ..walk import children

SCOPE_NODES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
# Leaves and formatting nodes: nothing below them matters to a data-flow question.
_SKIP = (
    cst.BaseParenthesizableWhitespace,
    cst.EmptyLine,
    cst.TrailingWhitespace,
    cst.Newline,
    cst.Comment,
    cst.Pass,
    cst.Import,
    cst.ImportFrom,
    cst.Decorator,
)


def sym_of(node: cst.BaseExpression) -> str | None:
    """The variable a target/expression denotes: `x`, `self.x`, or a container `x[]`/`self.x[]`
    (`x[][]` for a container of containers)."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value in ("self", "cls"):
        return f"self.{node.attr.value}"
    if isinstance(node, cst.Subscript):
        inner = sym_of(node.value)
        # two levels at most: `self.leases[name][lease_id]` is a per-name table of stamps
        if inner is not None and not inner.endswith("[][]"):
            return f"{inner}[]"
    return None


# `Def.unpacked` position of a value bound by iterating a table (see iterated_table).
ITERATED = -1
ITEMS, VALUES = "items", "values"
_ITEM_VIEWS = {"items": ITEMS, "iteritems": ITEMS, "viewitems": ITEMS,
               "values": VALUES, "itervalues": VALUES, "viewvalues": VALUES}


def iterated_table(node: cst.BaseExpression) -> tuple[str, str] | None:
    """(the table's symbol, ITEMS or VALUES) for `table.items()`, `table.values()` and the
    six/py2 spellings `iteritems(table)`, `six.itervalues(table)`; None for anything else."""
    if not isinstance(node, cst.Call):
        return None
    func = node.func
    if isinstance(func, cst.Attribute) and func.attr.value in _ITEM_VIEWS and not node.args:
        table, view = func.value, func.attr.value
    elif isinstance(func, (cst.Name, cst.Attribute)) and len(node.args) == 1:
        view = func.value if isinstance(func, cst.Name) else func.attr.value
        if view not in ("iteritems", "itervalues"):
            return None
        table = node.args[0].value
    else:
        return None
    sym = sym_of(table)
    if sym is None or sym.endswith("[][]"):
        return None
    return f"{sym}[]", _ITEM_VIEWS[view]


@dataclass
class Def:
    value: cst.BaseExpression | None  # None: bound by something we do not model (for, with, unpacking)
    stmt: cst.CSTNode
    augmented: bool = False
    scope: "Scope | None" = None  # where `value` is evaluated (methods share `self.` attributes)
    unpacked: tuple[cst.BaseExpression, int] | None = None  # `a, b = source`: (source, position)


@dataclass
class Scope:
    node: cst.CSTNode  # FunctionDef or Module
    cls: cst.ClassDef | None
    params: set[str] = field(default_factory=set)
    outer: set[str] = field(default_factory=set)  # names declared global/nonlocal
    defs: dict[str, list[Def]] = field(default_factory=dict)
    uses: dict[str, list[cst.CSTNode]] = field(default_factory=dict)
    comparisons: list[cst.Comparison] = field(default_factory=list)
    calls: list[cst.Call] = field(default_factory=list)
    attr_assigns: list[tuple[cst.Attribute, cst.BaseExpression]] = field(default_factory=list)
    # Record fields written by string key: `job["run_at"] = v`, `{"run_at": v}` -> ("run_at", v)
    key_assigns: list[tuple[str, cst.BaseExpression]] = field(default_factory=list)
    # Slots written by any subscript: `task["schedule"]["run_at"] = v` -> (the target, v)
    slot_assigns: list[tuple[cst.Subscript, cst.BaseExpression]] = field(default_factory=list)
    nested: list[cst.CSTNode] = field(default_factory=list)  # nested defs/lambdas (closures)

    def add_def(self, sym: str, value, stmt, augmented: bool = False) -> None:
        self.defs.setdefault(sym, []).append(Def(value, stmt, augmented, self))


class ScopeIndex:
    """Index of several scopes sharing one parent map; `self.` attributes are shared by the
    methods of one class (`class_defs`)."""

    def __init__(self) -> None:
        self.parent: dict[int, cst.CSTNode] = {}
        self.scopes: list[Scope] = []
        self.class_defs: dict[int, dict[str, list[Def]]] = {}
        self.class_uses: dict[int, dict[str, list[cst.CSTNode]]] = {}
        self.scope_of: dict[int, Scope] = {}  # id(node) -> scope, for calls and comparisons

    def parent_of(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parent.get(id(node))

    def defs_for(self, scope: Scope, sym: str) -> list[Def]:
        if sym.startswith("self.") and scope.cls is not None:
            return self.class_defs.get(id(scope.cls), {}).get(sym, [])
        return scope.defs.get(sym, [])

    def uses_for(self, scope: Scope, sym: str) -> list[cst.CSTNode]:
        if sym.startswith("self.") and scope.cls is not None:
            return self.class_uses.get(id(scope.cls), {}).get(sym, [])
        return scope.uses.get(sym, [])

    # --- building ---------------------------------------------------------------------------
    def add_function(self, func: cst.FunctionDef, cls: cst.ClassDef | None) -> Scope:
        scope = Scope(func, cls)
        params = func.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            scope.params.add(param.name.value)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                scope.params.add(star.name.value)
        self._add(scope)
        self._walk_block(func.body, func, scope)
        return scope

    def add_module_code(self, module: cst.Module) -> Scope:
        scope = Scope(module, None)
        self._add(scope)
        for stmt in module.body:
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                continue
            self.parent[id(stmt)] = module
            self._walk(stmt, scope)
        return scope

    def _add(self, scope: Scope) -> None:
        self.scopes.append(scope)
        if scope.cls is not None:
            self.class_defs.setdefault(id(scope.cls), {})
            self.class_uses.setdefault(id(scope.cls), {})

    def _walk_block(self, block: cst.CSTNode, parent: cst.CSTNode, scope: Scope) -> None:
        self.parent[id(block)] = parent
        self._walk(block, scope)

    def _def(self, scope: Scope, sym: str, value, stmt, augmented: bool = False, unpacked=None) -> None:
        if sym.startswith("self.") and scope.cls is not None:
            self.class_defs[id(scope.cls)].setdefault(sym, []).append(Def(value, stmt, augmented, scope, unpacked))
        else:
            scope.defs.setdefault(sym, []).append(Def(value, stmt, augmented, scope, unpacked))

    def _use(self, scope: Scope, sym: str, node: cst.CSTNode) -> None:
        if sym.startswith("self.") and scope.cls is not None:
            self.class_uses[id(scope.cls)].setdefault(sym, []).append(node)
        else:
            scope.uses.setdefault(sym, []).append(node)

    def _bind_target(self, target: cst.BaseExpression, value, stmt, scope: Scope, augmented=False, unpacked=None) -> None:
        """Record a binding and walk the parts of a target that are reads (`d[key]`'s key)."""
        if isinstance(target, (cst.Tuple, cst.List)):
            starred = any(isinstance(element, cst.StarredElement) for element in target.elements)
            for position, element in enumerate(target.elements):
                self.parent[id(element)] = target
                self.parent[id(element.value)] = element
                item = (value, position) if value is not None and not starred and not augmented else None
                self._bind_target(element.value, None, stmt, scope, unpacked=item)
            return
        if isinstance(target, cst.StarredElement):
            self._bind_target(target.value, None, stmt, scope)
            return
        sym = sym_of(target)
        if sym is not None:
            self._def(scope, sym, value, stmt, augmented, unpacked)
        if isinstance(target, cst.Subscript):
            key = string_key(target)
            if key is not None and value is not None and not augmented:
                scope.key_assigns.append((key, value))
            if value is not None and not augmented:
                scope.slot_assigns.append((target, value))
            for element in target.slice:
                self.parent[id(element)] = target
                self._walk(element, scope)
        elif isinstance(target, cst.Attribute):
            if sym is None:
                self.parent[id(target.value)] = target
                self._walk(target.value, scope)
            if value is not None:
                scope.attr_assigns.append((target, value))

    def _bind_iteration(self, node, scope: Scope) -> None:
        """A loop over a table's values (`for key, stamp in table.items()`, `for entry in
        table.values()`) binds each value the table holds: the name reads what was stored under
        any key (`table[key] = time.time() + ttl`), as a subscript of the table would."""
        container = iterated_table(node.iter)
        target = node.target
        if container is not None and isinstance(target, (cst.Tuple, cst.List)) and container[1] == ITEMS:
            elements = target.elements
            if len(elements) == 2 and not any(isinstance(e, cst.StarredElement) for e in elements):
                for position, element in enumerate(elements):
                    self.parent[id(element)] = target
                    self.parent[id(element.value)] = element
                    item = (node.iter, ITERATED) if position == 1 else None
                    self._bind_target(element.value, None, node, scope, unpacked=item)
                return
        if container is not None and container[1] == VALUES and isinstance(target, cst.Name):
            self._bind_target(target, None, node, scope, unpacked=(node.iter, ITERATED))
            return
        self._bind_target(target, None, node, scope)

    def _walk(self, node: cst.CSTNode, scope: Scope) -> None:
        if isinstance(node, _SKIP):
            return
        if isinstance(node, SCOPE_NODES):
            scope.nested.append(node)
            return
        if isinstance(node, cst.Name):
            self._use(scope, node.value, node)
            return
        if isinstance(node, cst.Attribute):
            sym = sym_of(node)
            if sym is not None:
                self._use(scope, sym, node)
                return
            self.parent[id(node.value)] = node
            self._walk(node.value, scope)
            return
        if isinstance(node, cst.Arg):
            self.parent[id(node.value)] = node
            self._walk(node.value, scope)
            return
        if isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            self._walk_assignment(node, scope)
            return
        if isinstance(node, (cst.For, cst.CompFor)):
            self._bind_iteration(node, scope)
            for child in (node.iter, *(getattr(node, "ifs", ()) or ()), getattr(node, "inner_for_in", None),
                          getattr(node, "body", None), getattr(node, "orelse", None)):
                if child is not None:
                    self.parent[id(child)] = node
                    self._walk(child, scope)
            return
        if isinstance(node, cst.NamedExpr):
            self.parent[id(node.value)] = node
            self._walk(node.value, scope)
            sym = sym_of(node.target)
            if sym is not None:
                self._def(scope, sym, node.value, node)
            return
        if isinstance(node, cst.WithItem):
            self.parent[id(node.item)] = node
            self._walk(node.item, scope)
            if node.asname is not None:
                self._bind_target(node.asname.name, None, node, scope)
            return
        if isinstance(node, (cst.Global, cst.Nonlocal)):
            scope.outer.update(item.name.value for item in node.names)
            return
        if isinstance(node, cst.ExceptHandler) and node.name is not None:
            self._bind_target(node.name.name, None, node, scope)
            self.parent[id(node.body)] = node
            self._walk(node.body, scope)
            return
        if isinstance(node, cst.Dict):
            for element in node.elements:
                if isinstance(element, cst.DictElement):
                    key = string_value(element.key) if isinstance(element.key, cst.SimpleString) else None
                    if key is not None:
                        scope.key_assigns.append((key, element.value))
        if isinstance(node, cst.Comparison):
            scope.comparisons.append(node)
            self.scope_of[id(node)] = scope
        elif isinstance(node, cst.Call):
            scope.calls.append(node)
            self.scope_of[id(node)] = scope
            added = container_add(node)
            if added is not None:
                sym = sym_of(added[0])
                if sym is not None and not sym.endswith("[][]"):
                    self._def(scope, f"{sym}[]", added[1], node)
        for child in children(node):
            self.parent[id(child)] = node
            self._walk(child, scope)

    def _walk_assignment(self, node, scope: Scope) -> None:
        value = node.value
        if value is not None:
            self.parent[id(value)] = node
            self._walk(value, scope)
        if isinstance(node, cst.Assign):
            for target in node.targets:
                self.parent[id(target)] = node
                self._bind_target(target.target, value, node, scope)
        elif isinstance(node, cst.AnnAssign):
            if value is not None:
                self._bind_target(node.target, value, node, scope)
        else:
            self._bind_target(node.target, value, node, scope, augmented=True)


# Methods that put one element into a container: what is read back from it later (`q[0]`,
# `q.pop()`) is one of these values. `set`/`put` take (key, value) on mappings and caches.
_ADD_LAST = frozenset({"append", "appendleft", "prepend", "add", "push", "put_nowait"})
_ADD_KEYED = frozenset({"set", "put", "insert", "setdefault"})


def container_add(call: cst.Call) -> tuple[cst.BaseExpression, cst.BaseExpression] | None:
    """(container, element) of `q.append(x)`, `lst.insert(0, x)`, `cache.set(key, x)`,
    `heapq.heappush(heap, x)`."""
    if any(arg.star for arg in call.args):
        return None
    args = [arg.value for arg in call.args if arg.keyword is None]
    if not args:
        return None
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    if name == "heappush" and len(args) == 2:
        return args[0], args[1]
    if not isinstance(func, cst.Attribute):
        return None
    if name in _ADD_LAST and len(args) == 1:
        return func.value, args[0]
    if name in _ADD_KEYED and len(args) in (1, 2, 3):
        return func.value, args[1] if len(args) >= 2 else args[0]
    return None


def string_key(node: cst.Subscript) -> str | None:
    """`"run_at"` of `job["run_at"]`: a record field named by a literal key."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    return string_value(value) if isinstance(value, cst.SimpleString) else None


def call_name(qname, call: cst.Call) -> str:
    """Qualified name of a call's callee, or its written dotted form; '' for `f()()`-like callees.
    For method calls on call results (`Model.objects.filter(...).update`), the attribute name."""
    name = qname(call.func)
    if name:
        return name
    if isinstance(call.func, cst.Attribute):
        return "." + call.func.attr.value
    return ""


def last_part(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def string_value(node: cst.CSTNode) -> str | None:
    """Text of a plain/concatenated string literal (f-string holes become `{}`)."""
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:
            return None
        return value if isinstance(value, str) else value.decode("latin-1")
    if isinstance(node, cst.ConcatenatedString):
        left, right = string_value(node.left), string_value(node.right)
        if left is None or right is None:
            return None
        return left + right
    if isinstance(node, cst.FormattedString):
        parts = []
        for part in node.parts:
            parts.append(part.value if isinstance(part, cst.FormattedStringText) else "{}")
        return "".join(parts)
    return None


def expr_names(node: cst.CSTNode) -> str:
    """Every identifier inside an expression, space separated (cheap text for name heuristics)."""
    out: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            out.append(current.value)
        elif isinstance(current, (cst.SimpleString,)):
            out.append(current.value)
        elif not isinstance(current, _SKIP):
            stack.extend(children(current))
    return " ".join(out)


__all__ = [
    "Def", "Scope", "ScopeIndex", "call_name", "dotted", "expr_names", "last_part", "string_key", "string_value", "sym_of"
]
