"""Evidence that a lock expires by itself or names its holder: a TTL on the claim, a holder id as
its value, a later EXPIRE of its key, a lease column stamped with a time, or a lock library whose
locks always expire.

A lock that runs out under a paused holder is what lets a second holder in while the first still
writes (ARM201); a claim storing a constant with no lifetime is a dedupe marker, not a lock.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from ._call_args import _chain_of, kwarg, positional
from ._lock_model import Acquisition, _code, _is_none
from ._sqltext import string_text

if TYPE_CHECKING:
    from ._lock_helpers import HelperIndex


def _holder_with_ttl(call: cst.Call) -> bool:
    """`set(key, self.node_id, nx=True, px=ttl)`: an expiring claim that records who holds it is
    a lease, whatever the key is called. Dedupe markers store a constant (`1`, `"done"`)."""
    args = positional(call)
    if len(args) < 2 or not any(kwarg(call, name) is not None for name in ("ex", "px", "exat", "pxat")):
        return False
    value = args[1]
    constant = (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString)
    return not isinstance(value, constant) and not (isinstance(value, cst.Name) and value.value in ("True", "False", "None"))


_EXPIRE_METHODS = {"expire", "pexpire", "expireat", "pexpireat"}
# The value names who holds the claim (this node, host, worker or a random owner id): a lock,
# not a "seen it" marker, which stores a constant.
_HOLDER_VALUE = re.compile(
    r"\b(?:node|host|hostname|worker|instance|holder|owner|replica|pod|pid|server|consumer|leader|process)"
    r"(?:_?id|_?name|_?key|_?token)?\b|gethostname|getpid|uuid",
    re.I,
)


def _holder_value(call: cst.Call) -> bool:
    args = positional(call)
    value = kwarg(call, "value")
    node = value.value if value is not None else (args[1] if len(args) > 1 else None)
    if node is None or isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString)):
        return False
    try:
        text = cst.Module([]).code_for_node(node)
    except Exception:
        return False
    return _HOLDER_VALUE.search(text) is not None


# A column that holds a lease: who holds the row, or until when.
_LEASE_COLUMN = re.compile(
    r"^(?:lock|locked|lock_until|locked_until|lock_expires?(?:_at)?|lock_time|locked_at|lease|lease_until|"
    r"lease_expires?(?:_at)?|leased_until|leased_at|claimed_until|claimed_at|visible_at|invisible_until)$",
    re.I,
)
_TIME_VALUE = re.compile(r"now|time|timeout|expir|delta|until|deadline|lease|ttl", re.I)


def _time_value(ctx, node: cst.BaseExpression) -> bool:
    """`now() + timedelta(...)`, `self.timeout(task)`, `timezone.now()`: a stamp, not a flag."""
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float)) or (
        isinstance(node, cst.Name) and node.value in ("True", "False", "None")
    ):
        return False
    return bool(_TIME_VALUE.search(_code(ctx, node)))


def _set_clause(node: cst.BaseExpression) -> cst.BaseExpression | None:
    for element in node.elements if isinstance(node, cst.Dict) else ():
        if isinstance(element, cst.DictElement) and string_text(element.key) == "$set":
            return element.value
    return None


def _set_items(node: cst.BaseExpression) -> list[tuple[str, cst.BaseExpression]]:
    inner = _set_clause(node)
    return [
        (string_text(e.key) or "", e.value)
        for e in (inner.elements if isinstance(inner, cst.Dict) else ())
        if isinstance(e, cst.DictElement)
    ]


def _dict_keys(node: cst.BaseExpression | None) -> set[str]:
    if not isinstance(node, cst.Dict):
        return set()
    return {string_text(e.key) or "" for e in node.elements if isinstance(e, cst.DictElement)}


_LIFETIME_KWARGS = ("ex", "px", "exat", "pxat", "timeout", "expire", "ttl", "lock_timeout", "auto_release_time", "lease_time")
# Redlock-style locks always expire (a default TTL when none is given).
# etcd locks are leases with a default TTL.
_ALWAYS_EXPIRE = re.compile(
    r"(?:^|\.)(?:Redlock|RedLock|AIORedlock|Aioredlock|RedisLock|lock_manager|dlm|redlock|etcd\w*\.(?:locks?\.)?lock)", re.I
)


def has_lifetime(acquisition: Acquisition, helpers: "HelperIndex | None") -> bool:
    """Whether the lock expires by itself (a TTL, a lease row), which is what lets a paused
    holder come back after another took over."""
    if acquisition.lease_table or acquisition.expires:
        return True
    node = acquisition.report if acquisition.report is not None else acquisition.node
    if not isinstance(node, cst.Call):
        return False
    if any(kwarg(node, name) is not None and not _is_none(kwarg(node, name).value) for name in _LIFETIME_KWARGS):
        return True
    func = node.func
    method = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    chain = _chain_of(func)
    if method in ("setex", "psetex"):
        return True
    if method in ("lock", "add") and len(positional(node)) >= (2 if method == "lock" else 3):
        return True  # `r.lock(name, 30)`, `cache.add(key, owner, 60)`
    return bool(_ALWAYS_EXPIRE.search(chain))
