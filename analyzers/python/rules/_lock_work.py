"""Deciding whether the work a lock guards is out of sight of the function that takes it (ARM201):
the lock is still held when the function returns, a context manager yields while holding it, or
the calls under it are to methods, module functions, imported functions or received callables
that do the work elsewhere.

An expiring lock around such work is reported even with no write in view; a lock around reads
only, or around nothing (a probe), guards nothing.
"""
from __future__ import annotations

import builtins
import re
import sys
from typing import TYPE_CHECKING

import libcst as cst

from ..walk import OneScopeVisitor, walk
from ._call_args import _chain_of, is_context_manager
from ._effects_flow import Flow
from ._lock_acquisitions import _LOCAL_LOCK_HEADS
from ._lock_helpers import _after, _Shape
from ._lock_model import Acquisition
from ._lock_writes import LockFinder

if TYPE_CHECKING:
    from ._lock_helpers import HelperIndex


_LOCK_KEEPING = re.compile(
    r"acquire|release|unlock|extend|renew|refresh|reacquire|sleep|wait|^log|debug|info|warning|warn|error|exception|"
    r"^bool$|^int$|^str$|^len$|^isinstance$|^time$|^monotonic$|^uuid\d?$|^hex$|^encode$|^decode$|^format$",
    re.I,
)
# Names that say "do the work" (a task, a job, a handler), not read or bookkeep.
_RUNS_WORK = re.compile(r"^_?(?:run|perform|process|handle|invoke|dispatch)(?:_|$)", re.I)
# A client of another service fetched by a getter (`org.get_backend()`, `self.get_client()`).
_FETCHED_SERVICE = re.compile(r"(?:^|\.)get_\w*(?:backend|client|api|service|gateway)\(\)$", re.I)
# Receivers whose `execute()` runs statements or queued commands, judged as writes one by one.
_STATEMENT_RUNNER = re.compile(r"(?:^|\.)_?(?:\w*cur(?:sor)?|\w*conn(?:ection)?|\w*session|db|engine|\w*pipe(?:line)?|tx|txn|transaction)$", re.I)
_READ_NAME = re.compile(r"^_?(?:get|is|has|read|load|fetch|find|check|exists|count|list)(?:_|$)", re.I)


def work_out_of_sight(
    flow: Flow,
    finder: LockFinder,
    acquisition: Acquisition,
    helpers: "HelperIndex | None",
    owner: str | None,
    fn: cst.FunctionDef | None = None,
    captured: frozenset[str] = frozenset(),
) -> bool:
    """The guarded work is not in this function: the lock is still held when the function
    returns and nothing else happens under it here (a library's acquire(), a helper returning
    the claim), the function is a context manager that yields while holding it (the work is
    the caller's `with` body), or the work is a method or function of this module, or a
    callable an enclosing function received (a decorator's `fn`), called under the lock.
    A lock taken and given back around reads only, or around nothing (a probe), guards nothing."""
    if fn is not None and _yields_while_held(fn, flow, finder, acquisition):
        return True
    raised = _raised_calls(fn) if fn is not None else set()
    region = [
        site
        for site in flow.sites
        if site.index >= acquisition.start
        and (acquisition.end is None or site.index < acquisition.end)
        and site.node is not acquisition.node
        and finder._in_held_branch(site, acquisition)
        and not _LOCK_KEEPING.search(site.method or site.chain)
        and not finder.cache_fill(site, acquisition)
        and id(site.node) not in raised  # building the error for a failed acquisition
    ]
    if not region:
        return acquisition.end is None and not any(block.start == acquisition.start for block in flow.withs)
    for site in region:
        receiver, _, name = site.chain.rpartition(".")
        if receiver == "super()" and not _READ_NAME.match(name):
            return True  # the parent class's method does the work: `super().create(request)`
        if receiver and "." not in receiver and not receiver.endswith(")") and _module_work(flow, receiver, name):
            return True  # `paypal.sync_all_pending_payments(db)`: a function of an imported module
        if receiver and _RUNS_WORK.match(name) and not receiver.endswith(")"):
            return True  # `self.task.run_wrapped(params)`: the work itself, run by another object
        if _FETCHED_SERVICE.search(receiver) and not _READ_NAME.match(name) and not _IN_MEMORY.match(name):
            return True  # `org.get_backend().remove_from_group(...)`: a change made through a service client
        if receiver and name == "execute" and not site.node.args and not _STATEMENT_RUNNER.search(receiver):
            return True  # `migration.execute()`: a command or job object doing its work (not a cursor's statement)
        if receiver in ("self", "cls") and not _READ_NAME.match(name):
            if helpers is None or (owner, name) not in helpers.optimistic:
                return True
        if not receiver and helpers is not None and (None, site.chain) in helpers.defined and not _READ_NAME.match(site.chain):
            if (None, site.chain) not in helpers.optimistic:
                return True
        if not receiver and site.chain in captured and not flow.bound_here(site.chain) and not _READ_NAME.match(site.chain):
            return True
        if not receiver and not _READ_NAME.match(site.chain) and "." in flow.qualify(site.chain):
            return True  # a function imported from the application: the work, out of sight
        if receiver in captured and _object_work(flow, receiver, name):
            return True
        if _changes_a_store(flow, receiver, name, site.index):
            return True
    return False


# Verbs that change what a store holds (a search index, a bucket, a document collection).
_STORE_CHANGE = re.compile(r"^(?:(?:delete|put|index|insert|upsert|save|write|create|bulk|destroy|purge|replace)(?:_\w+)?|update_\w+)$")


def _changes_a_store(flow: Flow, receiver: str, name: str, before: int) -> bool:
    """`client.delete(index=name, id=key)` on a client this function looked up (from a registry,
    a setting, a factory): a change to a store under the lock, whatever the client is. Not a
    method of a value built here in memory (a dict, a list, a literal)."""
    if not receiver or "." in receiver or receiver.endswith(")") or receiver in ("self", "cls"):
        return False
    if not _STORE_CHANGE.match(name) or _IN_MEMORY.match(name):
        return False
    bound = flow.value_of(receiver, before)
    if bound is None or isinstance(bound, (cst.Dict, cst.List, cst.Set, cst.Tuple, cst.SimpleString, cst.FormattedString,
                                           cst.DictComp, cst.ListComp, cst.SetComp, cst.Integer, cst.Name)):
        return False
    if isinstance(bound, cst.Call):
        # built here by a builtin or the standard library (`dict()`, `io.StringIO()`): memory
        built = flow.qualify(_chain_of(bound.func)).split(".")[0]
        if built in sys.stdlib_module_names or built in dir(builtins) or built in _LOCAL_LOCK_HEADS:
            return False
    return True


# Methods of values held in memory (lists, dicts, strings, clocks): not work done elsewhere.
_IN_MEMORY = re.compile(
    r"^(?:append|extend|insert|pop|remove|discard|add|update|setdefault|items|keys|values|copy|join|split|"
    r"strip|lower|upper|replace|startswith|endswith|format|encode|decode|isoformat|total_seconds|"
    r"strftime|timestamp|hexdigest|result|cancel|done|set_result|put_nowait|get_nowait|sleep)$"
    # statements and store commands the write detection already judges one by one, and reads
    r"|^(?:execute|executemany|executescript|fetch\w*|commit|rollback|cursor|close|flush|begin|pipeline)$"
    r"|^[zhlsx]?(?:rev)?(?:range\w*|card|score|m?score|rank|members|len|getall|mget|hkeys|hvals|scan\w*|ismember|randmember|pending|ttl|pttl|type|keys)$"
)


def _object_work(flow: Flow, receiver: str, name: str) -> bool:
    """`job.run()`, `backend.process(batch)`: a method of an object this function was handed
    (a parameter), called under the lock, that is not a read nor a method of an in-memory value. What
    it does is the guarded work, out of sight."""
    if not receiver or "." in receiver or receiver.endswith(")") or receiver in ("self", "cls"):
        return False
    if _READ_NAME.match(name) or _IN_MEMORY.match(name) or name.startswith("_"):
        return False
    head = flow.qualify(receiver).split(".")[0]
    return head not in _LOCAL_LOCK_HEADS and head not in ("time", "datetime", "json", "math", "re", "logging", "random", "uuid")


_LOGGING = re.compile(r"^(?:debug|info|warning|warn|error|exception|critical|log|msg|print|capture\w*|incr|gauge|timing)$")


def _module_work(flow: Flow, receiver: str, name: str) -> bool:
    """A function of a third-party or application module (not the standard library, not logging
    or metrics), called under the lock: the work, out of sight."""
    full = flow.imports.get(receiver)
    if full is None or flow.bound_here(receiver) or _READ_NAME.match(name) or _LOGGING.match(name):
        return False
    head = full.split(".")[0]
    return head not in sys.stdlib_module_names and head not in _LOCAL_LOCK_HEADS


class _Raises(OneScopeVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.calls: set[int] = set()

    def visit_Raise(self, node: cst.Raise) -> None:
        if isinstance(node.exc, cst.Call):
            self.calls.add(id(node.exc))


def _raised_calls(fn: cst.FunctionDef) -> set[int]:
    found = _Raises()
    walk(fn.body, found)
    return found.calls


def _yields_while_held(fn: cst.FunctionDef, flow: Flow, finder: LockFinder, acquisition: Acquisition) -> bool:
    """A context manager holding the lock across its `yield` that this module never enters
    itself: its `with` bodies are all elsewhere (where this module enters it, those bodies are
    judged there)."""
    if not is_context_manager(fn):
        return False
    if len(re.findall(rf"(?<![\w]){re.escape(fn.name.value)}\(", finder.ctx.text)) > 1:
        return False
    shape = _Shape()
    walk(fn.body, shape)
    release = next((s.node for s in flow.sites if acquisition.end is not None and s.index == acquisition.end), None)
    return any(
        _after(finder.ctx, y, acquisition.node) and (release is None or _after(finder.ctx, release, y)) for y in shape.yields
    )
