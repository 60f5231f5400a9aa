"""A lean batched traversal of a libcst tree, in source order, without recursion.

libcst's own `visit` rebuilds every node it passes (the same machinery serves transformers),
which costs about 3x the parse on large files. Rules only read the tree, so this walker
follows the child fields each node class visits, in the order libcst visits them (read once
per class from its `_visit_and_replace_children`), and calls the same hooks: `visit_X`,
`leave_X`, and attribute hooks `visit_X_field` / `leave_X_field`. As in libcst's batched
visitors, return values of `visit_X` are ignored. Being iterative, it cannot hit Python's
recursion limit on deeply nested code.
"""
from __future__ import annotations

import inspect
import re
import weakref
from collections import defaultdict
from typing import Callable, Iterable

import libcst as cst

_FIELD_VISIT = re.compile(r"visit_\w+\(\s*self\s*,\s*\"(\w+)\"")
# Formatting-only nodes: no rule reads them, and they are a third of all nodes.
_SKIP = (
    cst.SimpleWhitespace,
    cst.ParenthesizedWhitespace,
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Newline,
    cst.Comment,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Comma,
    cst.Dot,
    cst.Semicolon,
    cst.Colon,
)
_FIELDS: dict[type, tuple[str, ...]] = {}

_VISIT, _LEAVE, _VISIT_ATTR, _LEAVE_ATTR = range(4)


def child_fields(cls: type) -> tuple[str, ...]:
    fields = _FIELDS.get(cls)
    if fields is None:
        try:
            source = inspect.getsource(cls._visit_and_replace_children)
            fields = tuple(dict.fromkeys(_FIELD_VISIT.findall(source)))
        except (OSError, TypeError):
            fields = ()
        if not fields:
            fields = tuple(f for f in getattr(cls, "__dataclass_fields__", {}))
        _FIELDS[cls] = fields
    return fields


# Weak keys: rule helpers define visitor classes inside functions, a new class per call; a plain
# dict would keep every one of them (and what their closures hold) alive for the whole scan.
_HOOK_NAMES: "weakref.WeakKeyDictionary[type, tuple[tuple[str, str, str, str], ...]]" = weakref.WeakKeyDictionary()


def _hook_names(cls: type) -> tuple[tuple[str, str, str, str], ...]:
    """(method name, visit|leave, node class name, field or '') of each hook a visitor class
    defines. Reads the own dicts of the class's non-libcst bases, not dir(): libcst's visitor
    bases define a no-op stub for every node and field, and listing those per class is what
    made walks of small, locally defined visitors slow."""
    names = _HOOK_NAMES.get(cls)
    if names is None:
        mro = cls.__mro__
        found = set()
        for klass in mro:
            if klass is object or klass.__module__.startswith("libcst."):
                continue
            for name in klass.__dict__:
                prefix, _, rest = name.partition("_")
                if prefix not in ("visit", "leave") or not rest or not rest[0].isupper():
                    continue
                owner = next(base for base in mro if name in base.__dict__)
                if owner.__module__.startswith("libcst."):
                    continue  # a libcst stub earlier in the MRO than the mixin that defines it
                node_name, _, field = rest.partition("_")
                found.add((name, prefix, node_name, field))
        names = _HOOK_NAMES[cls] = tuple(sorted(found))
    return names


def _hooks(visitors: Iterable[object]) -> tuple[dict, dict, dict, dict]:
    visit: dict[str, list[Callable]] = defaultdict(list)
    leave: dict[str, list[Callable]] = defaultdict(list)
    visit_attr: dict[tuple[str, str], list[Callable]] = defaultdict(list)
    leave_attr: dict[tuple[str, str], list[Callable]] = defaultdict(list)
    for visitor in visitors:
        for name, prefix, node_name, field in _hook_names(type(visitor)):
            method = getattr(visitor, name)
            if field:
                (visit_attr if prefix == "visit" else leave_attr)[(node_name, field)].append(method)
            else:
                (visit if prefix == "visit" else leave)[node_name].append(method)
    return visit, leave, visit_attr, leave_attr


def _kind(value_type: type) -> int:
    """0: not a node (str, sentinel...), 1: a node to visit, 2: formatting to skip. Cached per
    type: CSTNode is an ABC, so isinstance() on it is slow in a loop over millions of values."""
    kind = _KINDS.get(value_type)
    if kind is None:
        if issubclass(value_type, _SKIP):
            kind = 2
        elif issubclass(value_type, cst.CSTNode):
            kind = 1
        else:
            kind = 0
        _KINDS[value_type] = kind
    return kind


_KINDS: dict[type, int] = {}


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The node's children in source order, formatting nodes left out. libcst's own
    `node.children` runs a visitor that rebuilds the node, for every call."""
    out: list[cst.CSTNode] = []
    for child_field in _FIELDS.get(type(node)) or child_fields(type(node)):
        value = getattr(node, child_field, None)
        if type(value) is tuple or type(value) is list:
            out.extend(item for item in value if (_KINDS.get(type(item)) or _kind(type(item))) == 1)
        elif (_KINDS.get(type(value)) or _kind(type(value))) == 1:
            out.append(value)
    return out



def descendants(root: cst.CSTNode, skip: tuple[type, ...] = ()):
    """`root` and every node under it, depth first; subtrees rooted at a `skip` type (nested
    functions, classes: other scopes) are neither yielded nor entered. Uses `children` above,
    not libcst's rebuilding `node.children`."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in children(node) if not isinstance(child, skip))

class OneScopeVisitor(cst.CSTVisitor):
    """Visits one function or module body: nested functions, classes and lambdas are other
    scopes, analysed on their own, so their code never counts as this body's (use with walk())."""

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def walk(root: cst.CSTNode, visitor: object) -> None:
    """One visitor with CSTVisitor's semantics: `visit_X` returning False skips the node's
    children (its `leave_X` still runs)."""
    walk_batched(root, [visitor], prune=True)


def walk_batched(module: cst.CSTNode, visitors: list[object], *, prune: bool = False) -> None:
    visit, leave, visit_attr, leave_attr = _hooks(visitors)
    attr_nodes = {name for name, _ in visit_attr} | {name for name, _ in leave_attr}
    kinds = _KINDS
    stack: list[tuple] = [(_VISIT, module, None)]
    pop, push = stack.pop, stack.append
    while stack:
        kind, node, field = pop()
        node_type = type(node)
        name = node_type.__name__
        if kind == _VISIT:
            hooks = visit.get(name)
            skip_children = False
            if hooks:
                for hook in hooks:
                    if hook(node) is False and prune:
                        skip_children = True
            push((_LEAVE, node, None))
            if skip_children:
                continue
            has_attr_hooks = name in attr_nodes
            fields = _FIELDS.get(node_type) or child_fields(node_type)
            for child_field in reversed(fields):
                value = getattr(node, child_field, None)
                if has_attr_hooks:
                    push((_LEAVE_ATTR, node, child_field))
                value_type = type(value)
                if value_type is tuple or value_type is list:
                    for item in reversed(value):
                        item_kind = kinds.get(type(item))
                        if item_kind is None:
                            item_kind = _kind(type(item))
                        if item_kind == 1:
                            push((_VISIT, item, None))
                else:
                    value_kind = kinds.get(value_type)
                    if value_kind is None:
                        value_kind = _kind(value_type)
                    if value_kind == 1:
                        push((_VISIT, value, None))
                if has_attr_hooks:
                    push((_VISIT_ATTR, node, child_field))
        elif kind == _LEAVE:
            hooks = leave.get(name)
            if hooks:
                for hook in hooks:
                    hook(node)
        elif kind == _VISIT_ATTR:
            for hook in visit_attr.get((name, field), ()):
                hook(node)
        else:
            for hook in leave_attr.get((name, field), ()):
                hook(node)
