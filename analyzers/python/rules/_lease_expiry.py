"""ARM301 through a lease's deadline: work whose lease deadline (`acquired_until`, `locked_until`,
`lease_expires_at`) lies in the past is taken from its holder: released as abandoned, requeued,
failed or reassigned. The deadline is the holder's last renewal plus one lease length shared by
every holder, so the holder is declared dead by a fixed silence; a holder that is only paused or
slow loses work it is still doing. The lease length is written elsewhere, so this is medium."""
from __future__ import annotations

import re

import libcst as cst

from ._clock_scope import Scope, call_name, expr_names, last_part, string_value

# The deadline a holder must renew before; a cache entry's or token's `expires_at` is not one.
LEASE_DEADLINE = re.compile(
    r"(?:acquired|locked|leased|claimed|reserved|taken|picked|lease|claim|lock)_(?:until|expires?(?:_at)?|expiry|deadline)\b"
    r"|lease_?(?:until|deadline|expir\w*)\b",
    re.IGNORECASE,
)
TRIGGER = r"(?:acquired|locked|leased|claimed|reserved|lease|claim|lock)_(?:until|expires|expiry|deadline)|lease_?(?:until|deadline)"
_NOW_NAME = re.compile(r"^_?(?:now|now_\w+|\w+_now|current_time|current_timestamp|ts)$", re.IGNORECASE)
_NOW_CALL = re.compile(r"^(?:now|utcnow|time|utc_now|current_timestamp|time_ns|timestamp)$")


def _deadline(expr: cst.CSTNode) -> bool:
    if isinstance(expr, cst.Attribute):
        return bool(LEASE_DEADLINE.search(expr.attr.value))
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
        key = string_value(expr.slice[0].slice.value)
        return bool(key and LEASE_DEADLINE.search(key))
    return False


def _now(qname, expr: cst.CSTNode) -> bool:
    if isinstance(expr, cst.Name):
        return bool(_NOW_NAME.match(expr.value))
    if isinstance(expr, cst.Call):
        return bool(_NOW_CALL.match(last_part(call_name(qname, expr)) or ""))
    return False


def lease_expiry_sense(qname, left, op, right) -> bool | None:
    """True when `left op right` holds for a lease whose deadline has passed, False when it
    holds for a live one, None when it compares no lease deadline with the time."""
    less = isinstance(op, (cst.LessThan, cst.LessThanEqual))
    if _deadline(left) and _now(qname, right):
        return less
    if _now(qname, left) and _deadline(right):
        return not less
    return None


def check_lease_expiry(analysis, scope: Scope, comparison, found: list, seen: set[int]) -> None:
    from ._clock import ordering_pairs
    from ._heartbeat import QUORUM

    if id(comparison) in seen:
        return
    for left, op, right in ordering_pairs(comparison):
        stale = lease_expiry_sense(analysis.qname, left, op, right)
        if stale is None:
            continue
        # `if lease.expires_at > now: continue`: what follows is done to the expired ones
        block = analysis.consequence(scope, comparison, stale)
        if block is None or QUORUM.search(" ".join(expr_names(n) for n in [comparison, *block])):
            continue
        seen.add(id(comparison))
        found.append((comparison, "medium"))
        return
