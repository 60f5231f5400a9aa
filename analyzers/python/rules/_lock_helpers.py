"""Locks taken through a helper of the analysed module: a function or method whose body is
essentially taking a distributed lock and writing nothing under it, so that the lock and the write
it guards live in different functions (ARM201).

`if await self.try_lead(): write()` where `try_lead` returns the result of a SET NX, or
`with account_lock(conn, id): write()` where `account_lock` is a @contextmanager around a session
advisory lock. `HelperIndex` finds such helpers once per module; `AcquisitionFinder` then treats
their calls as acquisitions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from ..walk import OneScopeVisitor, walk
from ._call_args import is_context_manager
from ._effects_flow import Flow, Site
from ._lock_classes import LockClasses
from ._lock_model import Acquisition, _code
from ._lock_writes import LockFinder


@dataclass
class LockHelper:
    node: cst.CSTNode  # the acquisition inside the helper, where findings point
    kind: str  # "returns": its result says whether the lock is held; "context": held in a `with`
    lease_table: str | None


class _Shape(OneScopeVisitor):
    """Returns, yields and if-tests of one function body, nested scopes left out."""

    def __init__(self) -> None:
        super().__init__()
        self.returns: list[cst.Return] = []
        self.yields: list[cst.Yield] = []
        self.tests: list[cst.BaseExpression] = []

    def visit_Return(self, node: cst.Return) -> None:
        self.returns.append(node)

    def visit_Yield(self, node: cst.Yield) -> None:
        self.yields.append(node)

    def visit_If(self, node: cst.If) -> None:
        self.tests.append(node.test)


_OPTIMISTIC = re.compile(r"\.transaction\(\s*\w+\s*,|\.watch\((?s:.*)\.multi\(\)")


def _contains(tree: cst.CSTNode | None, target: cst.CSTNode) -> bool:
    if tree is None:
        return False
    stack = [tree]
    while stack:
        node = stack.pop()
        if node is target:
            return True
        stack.extend(node.children)
    return False


def _mentions(ctx, node: cst.CSTNode | None, names: set[str]) -> bool:
    if node is None or not names:
        return False
    text = _code(ctx, node)
    return any(re.search(rf"(?<![\w.]){re.escape(name)}\b", text) for name in names)


def _after(ctx, node: cst.CSTNode, anchor: cst.CSTNode) -> bool:
    try:
        a, b = ctx.position(node).start, ctx.position(anchor).start
    except Exception:
        return False
    return (a.line, a.column) > (b.line, b.column)


class HelperIndex:
    """The module's functions and methods whose body is essentially taking a distributed lock
    (and that write nothing under it themselves), by (class or None, name)."""

    def __init__(self, module: cst.Module, ctx, imports: dict[str, str], module_values: dict) -> None:
        from ._effects_flow import build_flow

        self.ctx = ctx
        self.lock_classes = LockClasses(module)
        self.helpers: dict[tuple[str | None, str], LockHelper] = {}
        self.owner: dict[int, str | None] = {}  # id(FunctionDef) -> enclosing class
        self.bases: dict[str, list[str]] = {}
        candidates: list[tuple[str | None, cst.FunctionDef]] = []
        for statement in module.body:
            if isinstance(statement, cst.FunctionDef):
                candidates.append((None, statement))
                self._own(statement, None)
            elif isinstance(statement, cst.ClassDef):
                name = statement.name.value
                self.bases[name] = [_code(ctx, b.value) for b in statement.bases]
                self._own(statement, name)
                if isinstance(statement.body, cst.IndentedBlock):
                    candidates += [(name, s) for s in statement.body.body if isinstance(s, cst.FunctionDef)]
        self.defined = {(owner, fn.name.value) for owner, fn in candidates}
        # Functions that write only through an optimistic transaction (redis-py
        # `client.transaction(fn, *watched)`, or WATCH ... MULTI): the storage refuses their
        # writes when a watched key changed, so a stale lock holder calling them cannot
        # overwrite the new holder's work.
        self.optimistic = {(owner, fn.name.value) for owner, fn in candidates if _OPTIMISTIC.search(_code(ctx, fn.body))}
        seen: dict[tuple[str | None, str], int] = {}
        for owner, fn in candidates:
            seen[(owner, fn.name.value)] = seen.get((owner, fn.name.value), 0) + 1
        for owner, fn in candidates:
            if seen[(owner, fn.name.value)] != 1:
                continue  # redefined (overloads, platform branches): cannot tell which runs
            try:
                helper = self._helper(fn, build_flow(fn.body, imports, module_values))
            except Exception:
                helper = None
            if helper is not None:
                self.helpers[(owner, fn.name.value)] = helper

    def _own(self, node: cst.CSTNode, owner: str | None) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, cst.FunctionDef):
                self.owner[id(current)] = owner
            stack.extend(current.children)

    def _helper(self, fn: cst.FunctionDef, flow: Flow) -> LockHelper | None:
        finder = LockFinder(flow, self.ctx)
        acquisitions = finder.acquisitions()
        if len(acquisitions) != 1:
            return None
        acquisition = acquisitions[0]
        if finder.guarded_writes(acquisition):
            return None  # the helper is a critical section of its own, judged where it is
        shape = _Shape()
        walk(fn.body, shape)
        node = acquisition.node
        if is_context_manager(fn):
            if any(_after(self.ctx, y, node) for y in shape.yields):
                return LockHelper(self._report_node(acquisition, flow), "context", acquisition.lease_table)
            return None
        if acquisition.end is not None or shape.yields:
            return None  # released before returning
        site = next((s for s in flow.sites if s.node is node), None)
        receiver = site.chain.rsplit(".", 1)[0] if site is not None and "." in site.chain else ""
        # A cursor's later `fetchone()` / `rowcount` says whether the SQL claim won.
        cursor = receiver if receiver and acquisition.sql and "." not in receiver and not receiver.endswith(")") else None
        held = self._holding_names(flow, acquisition, cursor)
        tested = any(_contains(t, node) or _mentions(self.ctx, t, held) for t in shape.tests)
        for ret in shape.returns:
            value = ret.value
            if value is None or (isinstance(value, cst.Name) and value.value in ("None", "False")):
                continue
            if not _after(self.ctx, ret, node) and not _contains(value, node):
                continue
            if _contains(value, node) or _mentions(self.ctx, value, held) or tested:
                return LockHelper(self._report_node(acquisition, flow), "returns", acquisition.lease_table)
        return None

    def _holding_names(self, flow: Flow, acquisition: Acquisition, cursor: str | None) -> set[str]:
        """Names bound to the acquisition's result, or to values computed from it (or, for SQL,
        read from its cursor afterwards)."""
        names: set[str] = {cursor} if cursor else set()
        changed = True
        while changed:
            changed = False
            for name, bindings in flow.values.items():
                if name in names:
                    continue
                if any(
                    _contains(v, acquisition.node) or (index > acquisition.index and _mentions(self.ctx, v, names))
                    for index, v in bindings
                ):
                    names.add(name)
                    changed = True
        return names

    def _report_node(self, acquisition: Acquisition, flow: Flow) -> cst.CSTNode:
        # A helper that runs a lease statement kept in a module constant points at the statement:
        # its text is the lock's definition, and where the token (`returning token`) goes.
        return sql_constant(acquisition, flow) or acquisition.node

    def resolve(self, site: Site, owner: str | None) -> LockHelper | None:
        chain = site.chain
        if "." not in chain:
            return self.helpers.get((None, chain))
        receiver, _, name = chain.rpartition(".")
        if receiver not in ("self", "cls") or owner is None:
            return None
        seen: set[str] = set()
        todo = [owner]
        while todo:  # the class, then its bases defined in this module
            cls = todo.pop(0)
            if cls in seen:
                continue
            seen.add(cls)
            if (cls, name) in self.defined:
                return self.helpers.get((cls, name))  # the nearest definition wins
            todo += [b for b in self.bases.get(cls, ()) if b in self.bases]
        return None


def sql_constant(acquisition: Acquisition, flow: Flow) -> cst.CSTNode | None:
    """The module-level string a lease/advisory statement was written in (`ACQUIRE_SQL = ...`),
    which is where the lock is defined and where the fix (a token) goes."""
    call = acquisition.node
    if not acquisition.sql or not isinstance(call, cst.Call) or not call.args:
        return None
    first = call.args[0].value
    if isinstance(first, cst.Name) and not flow.bound_here(first.value):
        value = flow.module_values.get(first.value)
        if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            return value
    return None
