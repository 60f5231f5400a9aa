"""Cheap qualified-name resolution: an import table per module.

libcst's QualifiedNameProvider builds full scope analysis (about 6x the cost of parsing);
the rules only need to know what an imported name stands for (`import time as t`,
`from datetime import datetime as dt`), so one pass over import statements is enough.
Local rebinding of an imported name is not tracked; that trade is deliberate (rare in practice,
and a false match still needs the rest of a rule's pattern to fire).
"""
from __future__ import annotations

import libcst as cst
from libcst.metadata import BatchableMetadataProvider


def dotted(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for Name/Attribute chains; None for anything else (calls, subscripts...)."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def _module_name(node: cst.BaseExpression | None) -> str:
    return dotted(node) or "" if node is not None else ""


class ImportTableProvider(BatchableMetadataProvider[dict]):
    """Attaches to the Module node a dict: local name -> fully qualified dotted name."""

    def __init__(self) -> None:
        super().__init__()
        self.table: dict[str, str] = {}

    def visit_Module(self, node: cst.Module) -> None:
        self.set_metadata(node, self.table)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _module_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.table[alias.asname.name.value] = full
            else:
                head = full.split(".")[0]
                self.table.setdefault(head, head)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative:
            return  # project-local; never one of the APIs the rules look for
        module = _module_name(node.module)
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = _module_name(alias.name)
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.table[local] = f"{module}.{name}" if module else name


def qualify(table: dict[str, str], node: cst.BaseExpression) -> str | None:
    """Qualified dotted name of an expression through the import table, e.g. `dt.now` with
    `from datetime import datetime as dt` -> `datetime.datetime.now`. Unimported heads are
    returned as written (`self.redis.lock` stays `self.redis.lock`)."""
    name = dotted(node)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    full = table.get(head)
    if full is None:
        return name
    return f"{full}.{rest}" if rest else full
