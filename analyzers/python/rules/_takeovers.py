"""Visibility-timeout takeovers (ARM301): a claim stamps a time on a row or document, and the
dequeue takes over every claim whose stamp is older than now minus a fixed window (or whose
`now + window` deadline has passed). A worker that is only slow is declared dead when that
window runs out, and its task handed to another.

Django `filter(key=k, lock__lt=now())` then `filter(id=t.id, lock=t.lock).update(lock=now() +
timedelta(seconds=RETRY))`; Mongo `find_one_and_update({"lock": {"$lte": now() - RETRY}},
{"$set": {"lock": now()}})`. The window is fixed when it is a literal, a module constant or a
setting; a per-row timeout (`timedelta(seconds=task.timeout)`) is the task's own configuration.
"""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import calls_in, module_code as _code, positional
from ._effects_flow import Flow, build_flow, module_values
from ._lock_acquisitions import AcquisitionFinder
from ._lock_lifetimes import _LEASE_COLUMN, _set_clause, _set_items
from ._sqltext import string_text
from ..walk import walk

# Quick test on the lower-cased text (ARM301's trigger lower-cases it).
TAKEOVER_TRIGGER = r"find_one_and_update|find_and_modify|\.update\(\s*(?:[^()]*, *)?(?:lock|locked|lease|claimed|visible)\w* ?="
_EXPIRED = re.compile(r"^(\w+)__(?:lt|lte)$")
_WINDOW = re.compile(r"timedelta\(([^()]*)\)|[+-]\s*(?!timedelta\b)([\w.]+)")
# a literal, a module constant, or a setting (case matters: UPPER names are constants)
_FIXED = re.compile(r"\b\d+(?:\.\d+)?\b|\b[A-Z][A-Z0-9_]{2,}\b|\b(?:[Cc]onf|CONF|[Ss]ettings|SETTINGS|[Cc]onfig|cfg)\b")
_PER_ROW = re.compile(r"\b(?:task|job|row|item|message|msg|doc|obj|record)\.\w+", re.I)
_ADAPTIVE = re.compile(r"p9\d|percentile|rtt|latency|stddev|phi|ewma|mean|avg|adaptive", re.I)



class _Defs(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.functions: list[cst.FunctionDef] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)


def _expired_cutoffs(site_node: cst.Call, columns: set[str]) -> list[cst.BaseExpression]:
    """The values a lease column is required to be below (`lock__lt=X`, `{"lock": {"$lte": X}}`)."""
    found = []
    for arg in site_node.args:
        if arg.keyword is not None and (m := _EXPIRED.match(arg.keyword.value)) and m.group(1) in columns:
            found.append(arg.value)
    args = positional(site_node)
    if args and isinstance(args[0], cst.Dict):
        for element in args[0].elements:
            if isinstance(element, cst.DictElement) and string_text(element.key) in columns and isinstance(element.value, cst.Dict):
                for inner in element.value.elements:
                    if isinstance(inner, cst.DictElement) and string_text(inner.key) in ("$lt", "$lte"):
                        found.append(inner.value)
    return found


def _stamped(site_node: cst.Call) -> dict[str, cst.BaseExpression]:
    stamps = {a.keyword.value: a.value for a in site_node.args if a.keyword is not None and _LEASE_COLUMN.match(a.keyword.value)}
    args = positional(site_node)
    if len(args) >= 2 and _set_clause(args[1]) is not None:
        stamps.update({k: v for k, v in _set_items(args[1]) if _LEASE_COLUMN.match(k)})
    return stamps


def _window_fixed(module: cst.Module, exprs: list[cst.BaseExpression], defs: dict[str, cst.FunctionDef]) -> bool:
    """Whether the stamp or cutoff adds a fixed window to the clock, following calls of this
    module's functions one level (`self.timeout(task)`, `_cutoff()`)."""
    texts = [_code(module, e) for e in exprs]
    for expr in exprs:
        for call in calls_in(expr):
            func = call.func
            name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
            if name in defs:
                texts.append(_code(module, defs[name].body))
    text = "\n".join(texts)
    if _ADAPTIVE.search(text):
        return False
    for match in _WINDOW.finditer(text):
        window = match.group(1) if match.group(1) is not None else match.group(2)
        if window and _FIXED.search(window) and not _PER_ROW.search(window):
            return True
    return False



def find_takeovers(module: cst.Module, ctx) -> list[cst.Call]:
    collector = _Defs()
    walk(module, collector)
    names = [fn.name.value for fn in collector.functions]
    defs = {fn.name.value: fn for fn in collector.functions if names.count(fn.name.value) == 1}
    values = module_values(module)
    found: list[cst.Call] = []
    for fn in collector.functions:
        if not TAKEOVER_RE.search(_code(module, fn.body)):
            continue
        try:
            flow: Flow = build_flow(fn.body, ctx.imports, values)
        except Exception:
            continue
        finder = AcquisitionFinder(flow, ctx)
        for site in flow.sites:
            claim = finder._row_lease(site)
            if claim is None:
                continue
            stamps = _stamped(site.node)
            for other in flow.sites:
                if other.index > site.index:
                    continue
                cutoffs = _expired_cutoffs(other.node, set(stamps))
                if cutoffs and _window_fixed(module, [*cutoffs, *stamps.values()], defs):
                    if all(other.node is not f for f in found):
                        found.append(other.node)
                    break
    return found


TAKEOVER_RE = re.compile(TAKEOVER_TRIGGER, re.I)
