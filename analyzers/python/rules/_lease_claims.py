"""Claims and acquisitions that ask for a lease (ARM201).

A job board (taskflow's jobboards on Redis, etcd or ZooKeeper, and boards built like them) hands
a job to one worker with `board.claim(job, who, expiry=...)`: the claim is a lease that runs out
unless renewed, and once it has, another worker claims and runs the same job while the first may
still be writing. The claim answers only yes or no; nothing monotonic reaches the job's writes.

Recognised: a call of a `claim` method with a lifetime keyword (`expiry=`, `ttl=`, `lease=`,
`lease_seconds=`), and the same method bound to a lifetime by `functools.partial(board.claim,
expiry=...)`. The same holds for an acquisition that asks a server for a lease by name
(`acquire_slots_with_lease(names, lease_duration=...)`, `lock_service.acquire(key,
lease_seconds=...)`): the holder keeps running when renewals fail. Reported at the call, medium
confidence. A claim without a lifetime (held until released), a `claim` function that is not a
method, an acquire with only a wait (`timeout=`) or a `ttl=` (rate limiters take those), and a
module that mentions a fencing token stay quiet.
"""
from __future__ import annotations

import re

import libcst as cst

from ..imports import qualify
from ..walk import walk

_LEASE_KEYWORDS = ("lease", "lease_seconds", "lease_time", "lease_duration", "lease_ttl")
_LIFETIME_KEYWORDS = ("expiry", "ttl", *_LEASE_KEYWORDS)
# an acquisition by name, not a release, renewal or a read of one
_ACQUIRING = re.compile(r"^_?a?(?:try_)?acquire(?:_\w+)?$")
_TOKEN = re.compile(r"fenc|nextval|last_token", re.I)


def _lifetime(call: cst.Call, keywords: tuple[str, ...] = _LIFETIME_KEYWORDS) -> bool:
    return any(
        arg.keyword is not None
        and arg.keyword.value in keywords
        and not (isinstance(arg.value, cst.Name) and arg.value.value in ("None", "False"))
        for arg in call.args
    )


def _claim_method(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Attribute) and node.attr.value == "claim"


class _Scan(cst.CSTVisitor):
    def __init__(self, imports: dict[str, str]) -> None:
        super().__init__()
        self.imports = imports
        self.found: list[cst.CSTNode] = []
        self._functions: list[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()

    def _passing_on(self) -> bool:
        """An acquire or claim function handing its caller's request to another: judged where
        its result is held."""
        return bool(self._functions) and bool(_ACQUIRING.match(self._functions[-1]) or self._functions[-1] == "claim")

    def visit_Call(self, node: cst.Call) -> None:
        if not _lifetime(node) or self._passing_on():
            return
        if _claim_method(node.func):
            self.found.append(node)
            return
        name = node.func.attr.value if isinstance(node.func, cst.Attribute) else getattr(node.func, "value", "")
        if isinstance(name, str) and _ACQUIRING.match(name) and _lifetime(node, _LEASE_KEYWORDS):
            self.found.append(node)
            return
        partial = qualify(self.imports, node.func) or ""
        first = node.args[0].value if node.args and node.args[0].keyword is None else None
        if partial in ("functools.partial", "partial") and first is not None and _claim_method(first):
            self.found.append(node)


def leased_claims(module: cst.Module, imports: dict[str, str]) -> list[cst.CSTNode]:
    if not re.search(r"claim|lease", module.code) or _TOKEN.search(module.code):
        return []
    scan = _Scan(imports)
    walk(module, scan)
    return scan.found
