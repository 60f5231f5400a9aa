"""A lease row claimed by inserting it only if absent, freed by deleting it once expired (ARM201).

`insert into leader (id, worker_id, expires_at) values (1, %s, %s) on conflict do nothing` wins
for one caller; the others hit the existing row. When the same module deletes that table's rows
whose expiry has passed (`delete from leader where expires_at < %s`), the row is a lease: a
holder paused past its expiry has its row deleted and the next caller inserts its own while the
first still acts as the holder. Nothing monotonic comes back from the insert. Reported at the
insert, medium confidence (what the holder does is usually the caller's work).

The insert must name a holder column and an expiry column, and the delete must compare that
expiry column of the same table (as written in the SQL, with the same `.format(...)` arguments
when the table name is a placeholder). Quiet: an insert-if-absent with no expiry column (a
dedupe row), an expiry sweep of a table the module never claims rows of, a module that mentions a
fencing token.
"""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import module_code as _code
from ..walk import walk

_TOKEN = re.compile(r"fenc|nextval|last_token", re.I)
_CLAIM = re.compile(
    r"\binsert\s+into\s+(\S+)\s*\(([^)]*)\)\s*values\s*\([^;]*?\)\s*on\s+conflict\b[^;]*?\bdo\s+nothing\b", re.I | re.S
)
_HOLDER = re.compile(r"^(?:worker_id|owner\w*|holder\w*|leader\w*|locked_by|claimed_by|node_id|instance_id|\w+_by)$", re.I)
_EXPIRY = re.compile(r"^(?:expires?_at|expires|expiry\w*|\w*_until|lease_expires\w*|deadline)$", re.I)
_SWEEP = re.compile(r"\bdelete\s+from\s+(\S+)\s+where\b([^;]*)", re.I | re.S)


class _Scan(cst.CSTVisitor):
    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.module = module
        self.claims: list[tuple[str, str, cst.CSTNode]] = []  # (table, expiry column, literal)
        self.swept: set[tuple[str, str]] = set()  # (table, expiry column) deleted once passed
        self._formats: list[str] = []  # `.format(...)` arguments around the literal

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "format":
            self._formats.append(",".join(_code(self.module, a) for a in node.args))

    def leave_Call(self, original_node: cst.Call) -> None:
        if isinstance(original_node.func, cst.Attribute) and original_node.func.attr.value == "format":
            self._formats.pop()

    def _table(self, written: str) -> str:
        written = written.strip('"').lower()
        return f"{written}|{self._formats[-1]}" if "{" in written and self._formats else written

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        text = node.evaluated_value
        if not isinstance(text, str):
            return
        for claim in _CLAIM.finditer(text):
            columns = [c.strip().strip('"') for c in claim.group(2).split(",")]
            expiries = [c for c in columns if _EXPIRY.match(c)]
            if expiries and any(_HOLDER.match(c) for c in columns):
                for column in expiries:
                    self.claims.append((self._table(claim.group(1)), column.lower(), node))
        for sweep in _SWEEP.finditer(text):
            for column in re.findall(r"\b(\w+)\s*<=?", sweep.group(2)):
                self.swept.add((self._table(sweep.group(1)), column.lower()))


def expiring_insert_claims(module: cst.Module) -> list[cst.CSTNode]:
    if "conflict" not in module.code.lower() or _TOKEN.search(module.code):
        return []
    scan = _Scan(module)
    walk(module, scan)
    found: list[cst.CSTNode] = []
    for table, column, node in scan.claims:
        if (table, column) in scan.swept and node not in found:
            found.append(node)
    return found
