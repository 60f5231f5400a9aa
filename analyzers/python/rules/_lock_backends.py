"""Lock back ends and leader elections whose acquisition hands out no token (ARM201).

Two general forms, both reported at the acquisition with medium confidence:

- A lock class's acquire method (`acquire`, `_acquire`, `try_acquire`, `__enter__`) takes the lock
  by writing to an outside store with a lifetime (a `ttl=`/`expire=` argument, an expiry or lease
  duration put in the record, a lease id attached to the key) and answers only yes or no. Whatever
  the store is (etcd, memcached, a Kubernetes Lease, a lease file, a wrapped library lock), the
  holder gets nothing that could fence its writes once the lifetime runs out. A lock the method
  steals from a holder it judged dead (`if not engine_alive(holder): Lock.steal(...)`) has a
  lifetime too: the verdict. Reported at the last call of the method that writes or takes the
  lock, including the class's own helpers that write the lock record (`self._add_new_lock(...)`).
- Leader election by a lock: `if leader_lock.acquire(blocking=False): run_leader_work()`. The
  lock runs out or dies with a session, and the leader's work carries no epoch or term.

A method or class that mentions a fencing token, an epoch or a sequence is left alone."""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import module_code as _code
from ..walk import walk

_LOCK_CLASS = re.compile(r"Lock|Lease|Mutex", re.I)
_ACQUIRE = re.compile(r"^_?(?:try_)?(?:acquire|lock)(?:_\w+)?$|^__a?enter__$")
_LOCAL = re.compile(r"\b(?:threading|multiprocessing|asyncio|fcntl|fasteners|filelock|portalocker|sysv_ipc|msvcrt|trio|anyio)\b")
# Signs that the lock's record lives for a time of its own
_LIFETIME = re.compile(
    r"\b(?:ttl|expire|expires|expiry\w*|expiry_time|expires_at|lease|lease_id|lease_duration\w*|lease_time|lock_ttl|"
    r"auto_release_time|px|ex)\s*=|(?:self|cls)\.(?:_?(?:ttl|expire|expires|lease|lease_duration|lock_ttl|expiry\w*))\b"
    r"|[\"'](?:ttl|lease|expire|expires|expiry_time|expires_at)[\"']|_expiry_time\(|lease_duration_seconds",
    re.I,
)
_TOKEN = re.compile(r"fenc|nextval|last_token|\bterm\b|generation|\b(?:(?!\w*(?:at|time|ts|seconds)_epoch\b)\w+_)?epoch\b", re.I)
_TAKING_CALL = re.compile(
    r"^_?(?:write|write_text|write_bytes|add|set|setnx|put|create\w*|replace\w*|patch\w*|insert\w*|update|"
    r"transaction|txn|acquire|lock|steal\w*)$"
)
# A lock taken over from a holder judged dead (`if not engine_alive(holder): Lock.steal(...)`) is a
# lease whose lifetime is that verdict: the old holder may still be running.
_STEAL = re.compile(r"\.\w*steal\w*\(")
_LIVENESS = re.compile(r"alive|dead|stale|expired", re.I)
_LEADERISH = re.compile(r"leader|elect|master|primary", re.I)
_OWN_TAKING_HELPER = re.compile(r"^_?(?:add|put|create|insert|write|overwrite|store|save|claim|take)_\w*(?:lock|lease)", re.I)


def _attr(call: cst.Call) -> str:
    return call.func.attr.value if isinstance(call.func, cst.Attribute) else ""


class _Calls(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[cst.Call] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # nested helpers are judged on their own

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)


# A factory bound to a lock class with a lifetime: `functools.partial(Redlock, key=k, auto_release_time=10)`
_FACTORY = re.compile(
    r"^(?:functools\.)?partial\(\s*[\w.]*(?:Lock|Redlock|RedLock|Lease|Mutex)\b[^)]*\b(?:ttl|expire|expires|lease\w*|auto_release_time|lock_timeout|timeout)\s*=",
    re.S,
)


class _Scan(cst.CSTVisitor):
    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.module = module
        self.found: list[cst.CSTNode] = []
        self._classes: list[cst.ClassDef] = []
        self._factories = {
            m.group(1) for m in re.finditer(r"(?m)^\s*(\w+)\s*=\s*(?=(?:functools\.)?partial\()", module.code)
            if _FACTORY.match(module.code[m.end():m.end() + 400])
        }
        self._params: list[set[str]] = []
        self._bodies: list[cst.FunctionDef] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = node.params
        self._params.append({p.name.value for p in (*params.params, *params.kwonly_params, *params.posonly_params)})
        self._bodies.append(node)
        if self._classes and _ACQUIRE.match(node.name.value) and _LOCK_CLASS.search(self._classes[-1].name.value):
            self._backend_acquire(self._classes[-1], node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._params.pop()
        self._bodies.pop()

    def visit_With(self, node: cst.With) -> None:
        """A wrapper running the function it was given inside a lock its factory makes with a
        lifetime: the wrapped function's writes are the guarded work, out of sight."""
        if not self._factories or len(self._params) < 2:
            return
        captured = set().union(*self._params[:-1])
        body = _Calls()
        walk(node.body, body)
        if not any(isinstance(c.func, cst.Name) and c.func.value in captured for c in body.calls):
            return
        function = _code(self.module, self._bodies[-1])
        for item in node.items:
            expr = item.item
            made = isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in self._factories
            bound = isinstance(expr, cst.Name) and any(
                re.search(rf"(?<![\w.]){re.escape(expr.value)}\s*=\s*{re.escape(f)}\(", function) for f in self._factories
            )
            if made or bound:
                self.found.append(expr)
                return

    def _backend_acquire(self, cls: cst.ClassDef, method: cst.FunctionDef) -> None:
        code = _code(self.module, method)
        bases = " ".join(_code(self.module, b.value) for b in cls.bases)
        stolen = bool(_STEAL.search(code) and _LIVENESS.search(code))
        # a lifetime given as None (`acquire(lock_ttl=None)`) is an eternal lock: nothing lapses
        lives = _LIFETIME.search(re.sub(r"\b\w+\s*=\s*None\b", "", code))
        if _LOCAL.search(bases) or _TOKEN.search(_code(self.module, cls)) or not (lives or stolen):
            return
        calls = _Calls()
        walk(method.body, calls)
        taking = [
            c for c in calls.calls
            if _TAKING_CALL.match(_attr(c)) and not _LOCAL.search(_code(self.module, c.func))
            and not (isinstance(c.func, cst.Attribute) and isinstance(c.func.value, (cst.List, cst.Dict, cst.Set)))
        ]
        # a list or dict being filled is not a store: `_args.append`, `data.update`,
        # `self._held_locks.add(self)`
        taking = [c for c in taking if not _container_fill(self.module, method, c) and not _collection(c)]
        # the class's own helper that writes the lock record (`self._add_new_lock_to_table(lock)`,
        # `self._overwrite_existing_lock(...)`): the store write, one call away
        own = {id(c) for c in calls.calls if _OWN_TAKING_HELPER.match(_attr(c)) and _on_self(self.module, c)}
        kept = {id(c) for c in taking} | own
        # a retry calling the method itself is not another write
        taking = [
            c for c in calls.calls
            if id(c) in kept and not (_on_self(self.module, c) and _attr(c) == method.name.value)
        ]  # in source order
        if taking:
            self.found.append(taking[-1])

    def visit_If(self, node: cst.If) -> None:
        for call in _calls_in(node.test):
            if _attr(call) not in ("acquire", "try_acquire", "lock", "try_lock"):
                continue
            receiver = _code(self.module, call.func.value)
            if not _LEADERISH.search(receiver) or _LOCAL.search(receiver):
                continue
            body = _Calls()
            walk(node.body, body)
            if body.calls and not _TOKEN.search(_code(self.module, node)):
                self.found.append(call)
                return


def _on_self(module: cst.Module, call: cst.Call) -> bool:
    return isinstance(call.func, cst.Attribute) and _code(module, call.func.value) in ("self", "cls")


def _calls_in(node: cst.CSTNode) -> list[cst.Call]:
    calls = _Calls()
    walk(node, calls)
    return calls.calls


def _container_fill(module: cst.Module, method: cst.FunctionDef, call: cst.Call) -> bool:
    """`data.update(...)`, `seen.add(...)` on a name the method binds to a literal container."""
    func = call.func
    if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
        return False
    name = re.escape(func.value.value)
    return bool(re.search(rf"(?<![\w.]){name}\s*(?::[^=\n]*)?=\s*(?:[\[{{]|dict\(|set\(|list\()", _code(module, method)))


def _collection(call: cst.Call) -> bool:
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in ("add", "update", "set", "put"):
        return False
    owner = func.value
    name = owner.attr.value if isinstance(owner, cst.Attribute) else getattr(owner, "value", "")
    return isinstance(name, str) and bool(re.search(r"(?:[^s]s|_set|_map|_dict|_list)$", name))


def lock_backend_acquisitions(module: cst.Module) -> list[cst.CSTNode]:
    scan = _Scan(module)
    walk(module, scan)
    return scan.found
