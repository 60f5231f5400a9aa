"""Lock rows created exclusively through an ORM whose ownership lapses by age (ARM201).

A row inserted only if absent is a lock: `Model.objects.create(name=key, ...)` inside `try: ...
except IntegrityError:` succeeds for one caller, the unique key refuses the others. The lock
expires when the same module sweeps rows of that model by age (`Model.objects.filter(
created__lte=now() - timedelta(seconds=ttl)).delete()`) or when the row is created with its own
expiry (`expires_at=now() + ttl`) that the next taker compares. Either way a holder paused past
that age loses the row to the next caller while it still works, and the row hands out no
number the guarded writes could be fenced with. Reported at the create, medium confidence (the
guarded work is usually the caller's).

A session table also gets swept by age, and a nonce table's rows are created once under an
IntegrityError guard too; neither is given back by deleting its row by key after the work. So
the model must be named for locking, or be created under the guard and deleted by key
elsewhere in the module.
"""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import module_code as _code
from ..walk import walk

_CREATES = {"create", "get_or_create"}
_AGE_LOOKUP = re.compile(r"__(?:lt|lte)$")
_TIME = re.compile(r"now|time|timedelta|expir|timeout|ttl|age|stale", re.I)
_EXPIRY_FIELD = re.compile(r"expir|until|deadline|ttl|timeout", re.I)
_LOCK_MODEL = re.compile(r"Lock|Mutex|Lease|Leader|Semaphore")
_TOKEN = re.compile(r"fenc|epoch|generation|nextval", re.I)



def _model(node: cst.BaseExpression) -> str | None:
    """`Model` of `Model.objects.<...>` (or of a chain of calls on it)."""
    while isinstance(node, (cst.Attribute, cst.Call)):
        if isinstance(node, cst.Call):
            node = node.func
            continue
        if node.attr.value == "objects" and isinstance(node.value, cst.Name):
            return node.value.value
        node = node.value
    return None


class _Scan(cst.CSTVisitor):
    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.module = module
        self.swept: set[str] = set()
        self.released: set[str] = set()  # models whose rows are deleted by key (given back)
        self.creates: list[tuple[str, cst.Call, bool]] = []  # (model, call, inside an IntegrityError try)
        self._guarded = 0

    def _catches_integrity(self, node: cst.Try) -> bool:
        return any(h.type is not None and "IntegrityError" in _code(self.module, h.type) for h in node.handlers)

    def visit_Try(self, node: cst.Try) -> None:
        if self._catches_integrity(node):
            self._guarded += 1

    def leave_Try(self, original_node: cst.Try) -> None:
        if self._catches_integrity(original_node):
            self._guarded -= 1

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        if method == "delete" and isinstance(func.value, cst.Call):
            selector = func.value
            if isinstance(selector.func, cst.Attribute) and selector.func.attr.value in ("filter", "exclude"):
                aged = any(
                    a.keyword is not None and _AGE_LOOKUP.search(a.keyword.value) and _TIME.search(_code(self.module, a.value))
                    for a in selector.args
                )
                model = _model(selector)
                if model:
                    (self.swept if aged else self.released).add(model)
        elif method in _CREATES:
            model = _model(func)
            if model:
                self.creates.append((model, node, self._guarded > 0))


def _expiring_fields(module: cst.Module, call: cst.Call) -> bool:
    return any(
        a.keyword is not None and _EXPIRY_FIELD.search(a.keyword.value) and _TIME.search(_code(module, a.value))
        for a in call.args
    )


def expiring_row_locks(module: cst.Module) -> list[cst.Call]:
    if _TOKEN.search(module.code):
        return []
    scan = _Scan(module)
    walk(module, scan)
    found = []
    for model, call, guarded in scan.creates:
        # a lock is given back; a nonce or "seen it" row, also created only once, is not
        if not (_LOCK_MODEL.search(model) or (guarded and model in scan.released)):
            continue
        if model in scan.swept or (guarded and _expiring_fields(module, call)):
            found.append(call)
    return found
