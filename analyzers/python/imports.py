"""Cheap qualified-name resolution: an import table per module.

libcst's QualifiedNameProvider builds full scope analysis (about 6x the cost of parsing);
the rules only need to know what an imported name stands for (`import time as t`,
`from datetime import datetime as dt`), so one pass over import statements is enough.
Local rebinding of an imported name is not tracked; that trade is deliberate (rare in practice,
and a false match still needs the rest of a rule's pattern to fire).
"""
from __future__ import annotations

import libcst as cst


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


def import_table(module: cst.Module) -> dict[str, str]:
    """Local name -> fully qualified dotted name, for every import in the module.

    Imports only ever stand in statement lists, so this walks statements (module, class,
    function, if/try/with bodies) and never descends into expressions. It is deliberately not
    a libcst metadata provider: resolving any provider through MetadataWrapper costs a full
    traversal of the tree, several times the price of this walk."""
    table: dict[str, str] = {}
    # names a module-level `from m import name` bound: a later module-level `import name` rebinds
    # them (`from datetime import datetime` ... `import datetime`: the module wins from there on)
    top_from: set[str] = set()
    stack: list[tuple[cst.CSTNode, bool]] = [(node, False) for node in reversed(module.body)]
    while stack:
        node, nested = stack.pop()
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                if isinstance(small, cst.Import):
                    _add_import(table, small, set() if nested else top_from)
                elif isinstance(small, cst.ImportFrom):
                    bound = _add_import_from(table, small)
                    if not nested:
                        top_from.update(bound)
            continue
        nested = nested or isinstance(node, (cst.FunctionDef, cst.ClassDef))
        children: list[cst.CSTNode] = []
        for attr in ("body", "orelse", "handlers", "finalbody"):
            value = getattr(node, attr, None)
            if isinstance(value, (cst.IndentedBlock, cst.SimpleStatementSuite)):
                children.extend(value.body)
            elif isinstance(value, (cst.Else, cst.Finally, cst.If)):
                children.append(value)
            elif isinstance(value, (tuple, list)):
                children.extend(v for v in value if isinstance(v, cst.CSTNode))
        if isinstance(node, cst.Match):
            children.extend(node.cases)
        stack.extend((child, nested) for child in reversed(children))
    return table


def _add_import(table: dict[str, str], node: cst.Import, rebinds: set[str]) -> None:
    for alias in node.names:
        full = _module_name(alias.name)
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            table[alias.asname.name.value] = full
        else:
            head = full.split(".")[0]
            if head in rebinds:
                rebinds.discard(head)
                table[head] = head
            else:
                table.setdefault(head, head)


def _add_import_from(table: dict[str, str], node: cst.ImportFrom) -> list[str]:
    """Adds the names the statement binds and returns them."""
    if node.relative or isinstance(node.names, cst.ImportStar):
        return []  # project-local or unknowable; never one of the APIs the rules look for
    module = _module_name(node.module)
    bound = []
    for alias in node.names:
        name = _module_name(alias.name)
        local = name
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            local = alias.asname.name.value
        table[local] = f"{module}.{name}" if module else name
        bound.append(local)
    return bound


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
