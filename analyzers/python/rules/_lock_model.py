"""What a distributed lock is, once found: where it is taken, the region of calls it guards and the
writes inside that region (ARM201), plus the few readers of call syntax that recognising locks,
judging their lifetime and finding their writes all share.

Kept apart so that the modules that recognise acquisitions, judge lifetimes and find guarded
writes depend on one small vocabulary rather than on each other.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from ._call_args import code as _code, kwarg, positional  # noqa: F401 (_code: the lock modules' reader)
from ._effects_flow import Site

_FALSY = ("False", "None", "0")


@dataclass
class Acquisition:
    node: cst.CSTNode  # what the finding points at
    index: int
    start: int  # region of calls guarded: start <= index < end
    end: int | None
    key: str | None  # source text of the Redis key, to tell the lock's own key from real writes
    lease_table: str | None = None
    guard_if: tuple[int, str] | None = None  # (id of the If whose test acquires, branch where held)
    sql: bool = False  # a lease row or advisory lock taken with SQL
    report: cst.CSTNode | None = None  # where to point when not at `node` (the lock taken in a helper)
    row_claim: bool = False  # a compare-and-set of a row's lease column: the claimed row is handed on
    expires: bool = False  # held through a session or lease the service ends by time
    general: bool = False  # found by the general form only (`_lock_general`): judged there only when reported
    marker: bool = False  # a send-once or debounce key never given back: judged here, never reported
    handed_on: bool = False  # given back by another function (a task chain's last step): the work is elsewhere


@dataclass
class Write:
    site: Site
    fenced: bool
    # a cache set filled under a stampede lock: a second holder mostly rewrites the same derived
    # value, but a paused one can still put back an older value (medium confidence)
    cache_fill: bool = False


def _key_arg(call: cst.Call) -> cst.BaseExpression | None:
    named = kwarg(call, "name") or kwarg(call, "key")
    if named is not None:
        return named.value
    args = positional(call)
    return args[0] if args else None


def _truthy_kwarg(call: cst.Call, name: str) -> bool:
    arg = kwarg(call, name)
    return arg is not None and not (isinstance(arg.value, cst.Name) and arg.value.value in _FALSY)


_NO_OP_CONTEXT = re.compile(r"(?:^|_)(?:null|empty|dummy|noop|no_op|nothing)(?:_|context|$)", re.I)


def _strip_await(node: cst.BaseExpression) -> cst.BaseExpression:
    """The context manager a `with` item enters: under `await`, and the branch of a conditional
    that is not a no-op (`GlobalLock(key, lock_ttl=...) if not testing else empty_context()`),
    so a lock skipped only in tests is still the lock the body runs under."""
    node = node.expression if isinstance(node, cst.Await) else node
    if isinstance(node, cst.IfExp):
        branches = [b.expression if isinstance(b, cst.Await) else b for b in (node.body, node.orelse)]
        real = [b for b in branches if not (isinstance(b, cst.Call) and _NO_OP_CONTEXT.search(_callee_name(b.func)))]
        return real[0] if len(real) == 1 else node
    return node


def _callee_name(func: cst.BaseExpression) -> str:
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else ""


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value in ("None", "False")
