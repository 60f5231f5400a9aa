"""Sorted-set leases (ARM201): a lock or a bounded semaphore kept in a Redis sorted set, each holder
a member scored with the time its lease runs out (`zadd(key, {me: now + ttl})`), given back by
removing the member (`zrem`) or swept once the score has passed (`zremrangebyscore(key, 0, now)`).

Whatever the client or helper is called, that is a lease: once the score passes, the next caller
sweeps the member and takes the slot while the first holder may still be working. A delayed-job
queue has the same calls, so the add must be where something is taken: a method that acquires or
enters, or whose class or name says lock / lease / semaphore / limit.
"""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import _chain_of, calls_in, module_code, positional
from ._lock_general import words

_TAKING_METHOD = re.compile(r"^_*(?:acquire|enter|aenter|obtain|take|try_acquire)(?:_|$)", re.I)
_LEASE_NAMES = {"lock", "lease", "semaphore", "mutex", "limit", "limiter", "slot", "slots"}
_RELEASES = {"zrem", "zremrangebyscore"}
_CLOCK = re.compile(r"\b(?:time|now|utcnow|monotonic)\s*\(|\bnow\b")


def _method(call: cst.Call) -> str:
    return _chain_of(call.func).rsplit(".", 1)[-1]


def _takes(cls: cst.ClassDef, fn: cst.FunctionDef) -> bool:
    name = fn.name.value
    return bool(_TAKING_METHOD.match(name)) or bool(set(words(name)) & _LEASE_NAMES) or bool(
        set(words(cls.name.value)) & _LEASE_NAMES
    )


def _scored_by_expiry(module: cst.Module, call: cst.Call) -> bool:
    """A member scored with a clock reading plus a duration: `{self.name: time.time() + self.duration}`."""
    for arg in call.args:
        text = module_code(module, arg.value)
        if _CLOCK.search(text) and "+" in text:
            return True
    return False


def zset_leases(module: cst.Module) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []
    for cls in (n for n in module.body if isinstance(n, cst.ClassDef)):
        methods = [n for n in cls.body.body if isinstance(n, cst.FunctionDef)]
        released = {
            module_code(module, positional(c)[0])
            for fn in methods
            for c in calls_in(fn)
            if _method(c) in _RELEASES and positional(c)
        }
        if not released:
            continue
        for fn in methods:
            if not _takes(cls, fn):
                continue
            for call in calls_in(fn):
                if not _method(call).endswith("zadd") or not _scored_by_expiry(module, call):
                    continue
                if any(module_code(module, arg) in released for arg in positional(call)):
                    found.append(call)
    return found
