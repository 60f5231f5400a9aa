"""Where the identifier another system hands back goes after the call (ARM402, with
rules/_effect_returned_ids): the data flow of that one value, followed one step past a single
expression and a single function.

- into a local name it is read into first (`ref = resp.json()["id"]`, then `row.ref = ref`);
- into a setter named for the identifier it fills (`run.set_job_id(handle)`,
  `batch.record_transfer_number(out)`): the method's name is the column's name;
- into the class's or module's own helper that is handed the result and stores its identifier
  (`self._submitted(run, response)` whose body does `run.set_pipeline_id(response.json()["id"])`);
- out of the module's own helper that returns what a collaborator created
  (`ext_id = _register(user, exam)` whose body returns `provider_for(exam).register(...)`).

What the value is decides, never what the objects are called: an identifier handed back by an
acting call on a collaborator (the round 14 source), stored in the database afterwards. One
level of helper only: a longer chain is a guess about code the reader cannot see at the call.
"""
from __future__ import annotations

import re

import libcst as cst

from ._effects_flow import Flow, Site
from ..walk import walk

# The verbs of a method that keeps what it is handed, followed by the field it keeps
# (`set_job_id`, `add_external_ref`, `record_transfer_number`, `link_case_ref`).
_KEEPER_SETTER = re.compile(
    r"^_?(?:add|save|record|store|insert|persist|set|mark|register|link|attach|associate|update)_(\w+)$"
)


def setter_slot(record: Site) -> str | None:
    """The identifier field a keeper method's name says its positional arguments fill, or None."""
    match = _KEEPER_SETTER.match(record.method)
    if match is None or "." not in record.chain:
        return None
    from ._effect_returned_ids import REFERENCE

    field = match.group(1)
    return field if REFERENCE.search(field) else None


def derived_names(flow: Flow, names: frozenset[str], start: int, mentions) -> frozenset[str]:
    """`names` and the local names bound after call `start` to an identifier read from one of
    them (`pipeline_id = response.json()["id"]`): the value keeps its meaning under a new name."""
    found = set(names)
    bindings = sorted((
        (index, name, value) for name, values in flow.values.items() if "." not in name
        for index, value in values if index >= start
        ), key=lambda binding: (binding[0], binding[1]))
    for _index, name, value in bindings:
        if name not in found and _read_of(value, frozenset(found), name, mentions):
            found.add(name)
    return frozenset(found)


def _read_of(value: cst.BaseExpression, names: frozenset[str], slot: str, mentions) -> bool:
    """`value` reads the identifier out of one of `names` (`resp.json()["id"]`, `int(bug["id"])`,
    `reply.reference`): only such reads keep its meaning. Arithmetic, set operations and counts
    (`new_ids = all_ids - existing_ids`, `len(ids)`) make another value."""
    value = _unwrap(value)
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in ("int", "str") and len(value.args) == 1:
        value = _unwrap(value.args[0].value)
    if isinstance(value, cst.Name):
        return value.value in names
    if isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name) and value.value.value in names:
        return True  # `sub = result.subscription`: a part of what the call handed back (its `.id` is read later)
    if isinstance(value, (cst.Attribute, cst.Subscript, cst.Call)):
        return mentions(value, names, slot) and not (isinstance(value, cst.Call) and not _accessor(value))
    if _built_string(value):
        # `new_url = base_url + "/browse/" + issue.key`, `f"{base}/issues/{issue.id}"`: a link to the
        # thing the call made, kept under a name that says it is one (`slot`)
        return any(mentions(part, names, slot) for part in _string_parts(value))
    return False


def _built_string(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.FormattedString):
        return True
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
        return any(isinstance(part, (cst.SimpleString, cst.FormattedString)) for part in _string_parts(value))
    return False


def _string_parts(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The operands of a concatenation (`a + "/x/" + b`) or the expressions of an f-string."""
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
        return [*_string_parts(value.left), *_string_parts(value.right)]
    if isinstance(value, cst.FormattedString):
        return [part.expression for part in value.parts if isinstance(part, cst.FormattedStringExpression)]
    return [value]


def _accessor(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value in ("get", "json")


def handed_to_helper(record: Site, names: frozenset[str], flow: Flow, ctx) -> tuple[cst.FunctionDef, frozenset[str]] | None:
    """The own helper (`self._f(...)` of this class, or `f(...)` of this module) that `record`
    hands one of `names` to, with the names of the parameters that receive them."""
    from ._effects_named import _local_callee

    local = _local_callee(record, flow, ctx)
    if local is None:
        return None
    params = local.params
    positional = [p.name.value for p in (*params.posonly_params, *params.params)]
    if positional and positional[0] in ("self", "cls") and "." in record.chain:
        positional = positional[1:]
    keywords = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    received = set()
    for position, arg in enumerate(record.node.args):
        if arg.star or not isinstance(arg.value, cst.Name) or arg.value.value not in names:
            continue
        if arg.keyword is not None:
            if arg.keyword.value in keywords:
                received.add(arg.keyword.value)
        elif position < len(positional):
            received.add(positional[position])
    return (local, frozenset(received)) if received else None


def returns_created(site: Site, flow: Flow, ctx, acting) -> bool:
    """`ext_id = _register(user, exam)`: a function of this module whose body returns what an
    acting call on a collaborator handed back, and writes no record of its own (then it is
    judged where it is defined). `acting(site, flow)` says whether an inner call acts."""
    if "." in site.chain:
        return False
    from ._effects_named import _LOCAL_DB, _inner_flow, _local_callee

    local = _local_callee(site, flow, ctx)
    if local is None or _LOCAL_DB.search(ctx.code_for(local.body)):
        return False
    inner = _inner_flow(local, flow, ctx)
    returned = _returned_values(local)
    if not returned:
        return False
    for candidate in inner.sites:
        if not acting(candidate, inner):
            continue
        results = {
            name for name, bindings in inner.values.items()
            if "." not in name and any(_unwrap(value) is candidate.node for _, value in bindings)
        }
        if any(isinstance(target.value, cst.Name) and target.value.value in results for _, target, _ in inner.attr_assigns):
            continue  # the helper fills the object in (`new._context = ctxt`): a local copy, not another system's
        if any(_carries(value, candidate.node, results) for value in returned):
            return True
    return False


def _returned_values(func: cst.FunctionDef) -> list[cst.BaseExpression]:
    values: list[cst.BaseExpression] = []

    class _Returns(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is func  # a nested function's returns are its own

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_Return(self, node: cst.Return) -> None:
            if node.value is not None:
                values.append(node.value)

    walk(func, _Returns())
    return values


def _carries(value: cst.CSTNode, call: cst.Call, results: set[str]) -> bool:
    """The returned expression is the call itself, or is built from the name its result was bound to."""
    if _unwrap(value) is call:
        return True
    if isinstance(value, cst.Name):
        return value.value in results
    if isinstance(value, cst.Call):
        # `len(created)` or `str(created)` derive something else; only accessors keep the value
        func = value.func
        return isinstance(func, cst.Attribute) and func.attr.value in ("get", "json") and _carries(func.value, call, results)
    if isinstance(value, (cst.Attribute, cst.Subscript)):
        return _carries(value.value, call, results)
    if isinstance(value, (cst.Tuple, cst.List)):
        return any(isinstance(e, cst.Element) and _carries(e.value, call, results) for e in value.elements)
    if isinstance(value, cst.Await):
        return _carries(value.expression, call, results)
    return False


def _unwrap(value: cst.BaseExpression) -> cst.BaseExpression:
    return value.expression if isinstance(value, cst.Await) else value
