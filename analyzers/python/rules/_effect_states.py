"""State-machine handlers: the state a handler returns is the record of what it did.

Workflow engines built on a state graph (a class whose attributes are its states, `new =
State(...)`, `sent = State(...)`) call one handler per state and persist the state it returns
as the row's next state. A handler that sends a message and then `return cls.sent` records the
send only after it returns: a crash (or a lost lease) in between runs the handler again, and the
message goes out twice. The return is where the record is, as a `save()` would be.

Recognised structurally: the enclosing class holds two or more class attributes built by the
same callable (the states), and the handler returns one of them through `cls.`/`self.` or the
class's own name. Enum members (`return Status.SENT`) are not states of this kind: an enum
return is as often a plain result as a transition.
"""
from __future__ import annotations

import libcst as cst

from ._call_args import _chain_of
from ._effects_flow import Flow, Site, runs_after


def state_attributes(cls: cst.ClassDef | None) -> frozenset[str]:
    """Names of the class attributes that hold states: two or more built by one callable."""
    if cls is None or not isinstance(cls.body, cst.IndentedBlock):
        return frozenset()
    by_maker: dict[str, set[str]] = {}
    for statement in cls.body.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if not isinstance(small, cst.Assign) or not isinstance(small.value, cst.Call):
                continue
            maker = _chain_of(small.value.func)
            if not maker[:1].isupper() and "." not in maker:
                continue  # `x = compute()`: a helper's result, not an instance of a state class
            for target in small.targets:
                if isinstance(target.target, cst.Name):
                    by_maker.setdefault(maker, set()).add(target.target.value)
    return frozenset(name for names in by_maker.values() if len(names) >= 2 for name in names)


def _is_state(value: cst.BaseExpression | None, flow: Flow, states: frozenset[str]) -> bool:
    if not isinstance(value, cst.Attribute) or value.attr.value not in states:
        return False
    owner = value.value
    return isinstance(owner, cst.Name) and owner.value in ("cls", "self", flow.class_name or "cls")


def returns_state(flow: Flow) -> bool:
    """The function returns one of its class's states (it is a state handler)."""
    states = state_attributes(flow.class_node)
    return bool(states) and any(_is_state(node.value, flow, states) for _, _, node in flow.returns)


def state_recorded_after(effect: Site, flow: Flow) -> cst.Return | None:
    """The first `return <state>` that runs after `effect` on the same path."""
    states = state_attributes(flow.class_node)
    if not states:
        return None
    for index, path, node in flow.returns:
        if not _is_state(node.value, flow, states):
            continue
        # the return as a point of the flow: after every call before it, its own exit excluded
        point = Site(effect.node, index - 0.5, path, "", "")  # type: ignore[arg-type]
        if index > effect.index and runs_after(effect, point, flow):
            return node
    return None
