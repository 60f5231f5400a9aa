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


def _hooks(visitors: Iterable[object]) -> tuple[dict, dict, dict, dict]:
    visit: dict[str, list[Callable]] = defaultdict(list)
    leave: dict[str, list[Callable]] = defaultdict(list)
    visit_attr: dict[tuple[str, str], list[Callable]] = defaultdict(list)
    leave_attr: dict[tuple[str, str], list[Callable]] = defaultdict(list)
    for visitor in visitors:
        for name in dir(type(visitor)):
            prefix, _, rest = name.partition("_")
            if prefix not in ("visit", "leave") or not rest or not rest[0].isupper():
                continue
            node_name, _, field = rest.partition("_")
            method = getattr(visitor, name)
            if field:
                (visit_attr if prefix == "visit" else leave_attr)[(node_name, field)].append(method)
            else:
                (visit if prefix == "visit" else leave)[node_name].append(method)
    return visit, leave, visit_attr, leave_attr


def walk_batched(module: cst.Module, visitors: list[object]) -> None:
    visit, leave, visit_attr, leave_attr = _hooks(visitors)
    attr_nodes = {name for name, _ in visit_attr} | {name for name, _ in leave_attr}
    stack: list[tuple] = [(_VISIT, module, None)]
    pop, push = stack.pop, stack.append
    while stack:
        kind, node, field = pop()
        name = type(node).__name__
        if kind == _VISIT:
            for hook in visit.get(name, ()):
                hook(node)
            push((_LEAVE, node, None))
            has_attr_hooks = name in attr_nodes
            for child_field in reversed(child_fields(type(node))):
                value = getattr(node, child_field, None)
                if has_attr_hooks:
                    push((_LEAVE_ATTR, node, child_field))
                if isinstance(value, cst.CSTNode):
                    if not isinstance(value, _SKIP):
                        push((_VISIT, value, None))
                elif isinstance(value, (tuple, list)):
                    for item in reversed(value):
                        if isinstance(item, cst.CSTNode) and not isinstance(item, _SKIP):
                            push((_VISIT, item, None))
                if has_attr_hooks:
                    push((_VISIT_ATTR, node, child_field))
        elif kind == _LEAVE:
            for hook in leave.get(name, ()):
                hook(node)
        elif kind == _VISIT_ATTR:
            for hook in visit_attr.get((name, field), ()):
                hook(node)
        else:
            for hook in leave_attr.get((name, field), ()):
                hook(node)
