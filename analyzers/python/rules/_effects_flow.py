"""Calls of one function in source order, with just enough structure for "A happens before B"
questions: the branch each call sits in (so `if ok: send() else: save()` is not read as a
sequence), the except handlers around it, the `with` blocks, and what simple names were last
assigned (so `headers = {...}; requests.post(..., headers=headers)` resolves).

Nested functions, lambdas and classes are not entered: each function is its own flow.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from ..imports import dotted
from ..walk import OneScopeVisitor, walk

# One step of the branch path: (kind, id of the If/Try/Match node, label of the branch taken).
Step = tuple[str, int, object]


@dataclass
class Site:
    node: cst.Call
    index: int
    path: tuple[Step, ...]
    chain: str  # callee as text with calls marked, e.g. "User.objects.filter().update"
    method: str  # last name of the callee ("update")
    outer: tuple[int, ...] = ()  # indexes of the calls whose arguments contain this one


@dataclass
class WithBlock:
    node: cst.With
    start: int  # indexes of the first and one past the last call of the body
    end: int


@dataclass
class Flow:
    imports: dict[str, str]
    module_values: dict[str, cst.BaseExpression]
    sites: list[Site] = field(default_factory=list)
    withs: list[WithBlock] = field(default_factory=list)
    values: dict[str, list[tuple[int, cst.BaseExpression]]] = field(default_factory=dict)
    attr_assigns: list[tuple[int, cst.Attribute, cst.BaseExpression]] = field(default_factory=list)
    # id(target) of each attribute assignment -> the branch path it runs on
    attr_paths: dict[int, tuple] = field(default_factory=dict)
    item_assigns: list[tuple[int, cst.Subscript, cst.BaseExpression]] = field(default_factory=list)
    if_tests: dict[int, tuple[int, int, cst.If]] = field(default_factory=dict)  # id(If) -> call range of its test
    counter: int = 0
    # parameter name -> its annotation (`session: requests.Session`), for receivers passed in
    annotations: dict[str, cst.BaseExpression] = field(default_factory=dict)
    # `self.x` -> every value assigned to it anywhere in the module (`self.http = httpx.Client()`)
    self_values: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    # the function's `**kwargs` parameter: keys a caller may add that this code never names
    star_kwargs: str | None = None
    # the class a method belongs to, for `cls.create(...)` / `self._api_create(...)`
    class_name: str | None = None
    params: frozenset[str] = frozenset()
    function_name: str | None = None
    # (index of the next call, branch path) of each `return` (and `raise` outside a try): code
    # after it in the same or an enclosing block never runs once that block has run.
    exits: list[tuple[int, tuple[Step, ...]]] = field(default_factory=list)
    # call index ranges [start, end) of the bodies of `for`/`while` loops
    loops: list[tuple[int, int]] = field(default_factory=list)
    # (index of the next call, branch path, node) of each `return` with a value
    returns: list[tuple[int, tuple[Step, ...], cst.Return]] = field(default_factory=list)
    # the enclosing class's own statement, for what its class attributes hold
    class_node: cst.ClassDef | None = None
    # names bound by unpacking (`flavor, group = make()`): name -> (index, the unpacked value)
    unpacked: dict[str, list[tuple[int, cst.BaseExpression]]] = field(default_factory=dict)

    # --- data flow ---------------------------------------------------------------------------
    def value_of(self, name: str, before: int | None = None) -> cst.BaseExpression | None:
        """Expression last assigned to `name` before call index `before` (anywhere in the
        function when None), else its module-level value."""
        found = None
        for index, value in self.values.get(name, ()):
            if before is None or index <= before:
                found = value
        if found is None:
            found = self.module_values.get(name)
        return found

    def bound_here(self, name: str) -> bool:
        return name in self.values

    def resolver(self, before: int | None = None):
        return lambda node: self.value_of(node.value, before) if isinstance(node, cst.Name) else None

    def qualify(self, chain: str) -> str:
        head, dot, rest = chain.partition(".")
        bare = head[:-2] if head.endswith("()") else head
        full = self.imports.get(bare)
        if full is None:
            return chain
        return full + head[len(bare):] + dot + rest

    def sites_between(self, start: int, end: int | None = None) -> list[Site]:
        return [s for s in self.sites if s.index >= start and (end is None or s.index < end)]


def callee_chain(func: cst.BaseExpression) -> tuple[str, str]:
    """("a.b().c", "c") for the callee of a call; unknown parts render as "?"."""
    parts: list[str] = []
    node = func
    for _ in range(64):
        if isinstance(node, cst.Attribute):
            parts.append(node.attr.value)
            node = node.value
        elif isinstance(node, cst.Call):
            parts.append("()")
            node = node.func
        elif isinstance(node, cst.Subscript):
            parts.append("[]")
            node = node.value
        elif isinstance(node, cst.Name):
            parts.append(node.value)
            break
        else:
            parts.append("?")
            break
    text = ""
    for part in reversed(parts):
        if part in ("()", "[]"):
            text += part
        else:
            text += ("." if text else "") + part
    method = next((p for p in parts if p not in ("()", "[]")), "")
    return text, method


class _Walker(OneScopeVisitor):
    def __init__(self, flow: Flow) -> None:
        super().__init__()
        self.flow = flow
        self.path: list[Step] = []
        self.trys: list[cst.CSTNode] = []
        self.matches: list[cst.CSTNode] = []
        self.open_withs: list[WithBlock] = []
        self.calls: list[int] = []
        self._loop_starts: list[int] = []

    def visit_Call(self, node: cst.Call) -> None:
        chain, method = callee_chain(node.func)
        index = self.flow.counter
        self.flow.sites.append(Site(node, index, tuple(self.path), chain, method, tuple(self.calls)))
        self.flow.counter += 1
        self.calls.append(index)

    def leave_Call(self, node: cst.Call) -> None:
        self.calls.pop()

    # assignments
    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.flow.values.setdefault(target.value, []).append((self.flow.counter, value))
        elif isinstance(target, cst.Attribute):
            self.flow.attr_assigns.append((self.flow.counter, target, value))
            self.flow.attr_paths[id(target)] = tuple(self.path)
            name = dotted(target)
            if name is not None:
                self.flow.values.setdefault(name, []).append((self.flow.counter, value))
        elif isinstance(target, cst.Subscript):
            self.flow.item_assigns.append((self.flow.counter, target, value))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                if isinstance(element.value, cst.Name):
                    self.flow.unpacked.setdefault(element.value.value, []).append((self.flow.counter, value))

    # Bindings are recorded once their value has run, with the index of the next call: a
    # lookup from call index i sees bindings with index <= i.
    def leave_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value)

    def visit_With_body(self, node: cst.With) -> None:
        for item in node.items:
            if item.asname is not None and isinstance(item.asname.name, cst.Name):
                self._bind(item.asname.name, item.item)
        block = WithBlock(node, self.flow.counter, self.flow.counter)
        self.open_withs.append(block)
        self.flow.withs.append(block)

    def leave_With_body(self, node: cst.With) -> None:
        self.open_withs.pop().end = self.flow.counter

    def leave_Return(self, node: cst.Return) -> None:
        self.flow.exits.append((self.flow.counter, tuple(self.path)))
        if node.value is not None:
            self.flow.returns.append((self.flow.counter, tuple(self.path), node))

    def leave_Raise(self, node: cst.Raise) -> None:
        if not self.trys:  # inside a try, an except clause may catch it and carry on
            self.flow.exits.append((self.flow.counter, tuple(self.path)))

    # loops: only their extent, for "done once per item" vs "once after all items"
    def visit_For_body(self, node: cst.For) -> None:
        self._loop_starts.append(self.flow.counter)

    def leave_For_body(self, node: cst.For) -> None:
        self.flow.loops.append((self._loop_starts.pop(), self.flow.counter))

    visit_While_body = visit_For_body  # type: ignore[assignment]
    leave_While_body = leave_For_body  # type: ignore[assignment]

    # branches
    def _push(self, kind: str, node: cst.CSTNode, label: object) -> None:
        self.path.append((kind, id(node), label))

    def visit_If_test(self, node: cst.If) -> None:
        self.flow.if_tests[id(node)] = (self.flow.counter, self.flow.counter, node)

    def leave_If_test(self, node: cst.If) -> None:
        start, _, _ = self.flow.if_tests[id(node)]
        self.flow.if_tests[id(node)] = (start, self.flow.counter, node)

    def visit_If_body(self, node: cst.If) -> None:
        self._push("if", node, "body")

    def leave_If_body(self, node: cst.If) -> None:
        self.path.pop()

    def visit_If_orelse(self, node: cst.If) -> None:
        self._push("if", node, "else")

    def leave_If_orelse(self, node: cst.If) -> None:
        self.path.pop()

    def visit_Try(self, node) -> None:
        self.trys.append(node)

    def leave_Try(self, node) -> None:
        self.trys.pop()

    visit_TryStar = visit_Try
    leave_TryStar = leave_Try

    def visit_Try_orelse(self, node) -> None:
        self._push("try", node, "else")

    def leave_Try_orelse(self, node) -> None:
        self.path.pop()

    visit_TryStar_orelse = visit_Try_orelse
    leave_TryStar_orelse = leave_Try_orelse

    def visit_ExceptHandler(self, node) -> None:
        owner = self.trys[-1] if self.trys else node
        self._push("try", owner, ("handler", id(node)))

    def leave_ExceptHandler(self, node) -> None:
        self.path.pop()

    visit_ExceptStarHandler = visit_ExceptHandler
    leave_ExceptStarHandler = leave_ExceptHandler

    def visit_Match(self, node) -> None:
        self.matches.append(node)

    def leave_Match(self, node) -> None:
        self.matches.pop()

    def visit_MatchCase(self, node) -> None:
        owner = self.matches[-1] if self.matches else node
        self._push("match", owner, id(node))

    def leave_MatchCase(self, node) -> None:
        self.path.pop()


def build_flow(
    body: cst.CSTNode,
    imports: dict[str, str],
    module_values: dict[str, cst.BaseExpression],
    params: cst.Parameters | None = None,
    self_values: dict[str, list[cst.BaseExpression]] | None = None,
) -> Flow:
    flow = Flow(imports, module_values)
    if params is not None:
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.annotation is not None:
                flow.annotations[param.name.value] = param.annotation.annotation
        if isinstance(params.star_kwarg, cst.Param):
            flow.star_kwargs = params.star_kwarg.name.value
        flow.params = frozenset(
            p.name.value
            for p in (*params.posonly_params, *params.params, *params.kwonly_params, params.star_arg, params.star_kwarg)
            if isinstance(p, cst.Param)
        )
    if self_values is not None:
        flow.self_values = self_values
    walker = _Walker(flow)
    if isinstance(body, cst.Module):
        for statement in body.body:
            walk(statement, walker)
    else:
        walk(body, walker)
    return flow


def module_values(module: cst.Module) -> dict[str, cst.BaseExpression]:
    """Module-level `NAME = value` bindings (constants, clients, SQL text)."""
    values: dict[str, cst.BaseExpression] = {}
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        if isinstance(target.target, cst.Name):
                            values[target.target.value] = small.value
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    if isinstance(small.target, cst.Name):
                        values[small.target.value] = small.value
    return values


class _SelfAssigns(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, list[cst.BaseExpression]] = {}

    def _take(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self":
            self.found.setdefault("self." + target.attr.value, []).append(value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._take(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._take(node.target, node.value)


# One module is analysed at a time and several rules ask for its `self.` values: keep the last
# answer (read-only for every caller) instead of walking the module once per rule and function.
_LAST_SELF_VALUES: list = [None, None]


def self_assignments(module: cst.Module) -> dict[str, list[cst.BaseExpression]]:
    """`self.x = value` anywhere in the module: what a method's `self.x` may hold. A value that
    is a parameter of the class's `__init__` stands for what the module's constructions pass
    there (`cls(stripe, key)`, `Service(api=stripe)`): the SDK a service is handed is the one
    its methods call. The result is shared: callers must not change it."""
    if _LAST_SELF_VALUES[0] is module:
        return _LAST_SELF_VALUES[1]
    visitor = _SelfAssigns()
    walk(module, visitor)
    found = visitor.found
    calls = None
    for attr, values in list(found.items()):
        injected: list[cst.BaseExpression] = []
        for value in values:
            passed = None
            if isinstance(value, cst.Name):
                if calls is None:
                    calls = _name_calls(module)
                passed = _constructor_arguments(module, value, calls)
            if passed is None:
                injected = []
                break
            injected.extend(passed)
        if injected:
            found[attr] = injected
    _LAST_SELF_VALUES[:] = [module, found]
    return found


def _name_calls(module: cst.Module) -> list[tuple[str | None, cst.Call]]:
    """Every call of a bare name in the module, with the top-level class it sits in (or None)."""
    calls: list[tuple[str | None, cst.Call]] = []

    class _Calls(cst.CSTVisitor):
        def __init__(self, owner: str | None) -> None:
            super().__init__()
            self.owner = owner

        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(node.func, cst.Name):
                calls.append((self.owner, node))

    for statement in module.body:
        walk(statement, _Calls(statement.name.value if isinstance(statement, cst.ClassDef) else None))
    return calls


def _init_param(cls: cst.ClassDef, name: str) -> int | None:
    """Position (self left out) of `name` among the parameters of the class's own `__init__`."""
    if not isinstance(cls.body, cst.IndentedBlock):
        return None
    for statement in cls.body.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "__init__":
            params = [p.name.value for p in (*statement.params.posonly_params, *statement.params.params)]
            return params.index(name) - 1 if name in params[1:] else None
    return None


def _constructor_arguments(
    module: cst.Module, param: cst.Name, calls: list[tuple[str | None, cst.Call]]
) -> list[cst.BaseExpression] | None:
    """What every construction of the class whose `__init__` takes `param` passes for it: calls
    of `cls(...)` in that class or a subclass of it, or of those classes by name (`calls`: the
    module's calls of bare names, from `_name_calls`). None when the parameter is no `__init__`
    parameter or nothing in the module constructs the class."""
    classes = [s for s in module.body if isinstance(s, cst.ClassDef)]
    owner = next((c for c in classes if _init_param(c, param.value) is not None), None)
    if owner is None:
        return None
    position = _init_param(owner, param.value)
    family = {owner.name.value}
    for cls in classes:  # subclasses by a base named in this module (one pass per level)
        if any(isinstance(b.value, cst.Name) and b.value.value in family for b in cls.bases):
            family.add(cls.name.value)
    passed: list[cst.BaseExpression] = []
    for inside, node in calls:
        name = node.func.value
        if not (name in family or (inside in family and name == "cls")):
            continue
        keyword = next((a.value for a in node.args if a.keyword is not None and a.keyword.value == param.value), None)
        plain = [a.value for a in node.args if a.keyword is None and not a.star]
        if keyword is not None:
            passed.append(keyword)
        elif position is not None and position < len(plain):
            passed.append(plain[position])
    return passed or None


def in_handler(step: Step) -> bool:
    return isinstance(step[2], tuple) and step[2][0] == "handler"


def runs_after(first: Site, second: Site, flow: Flow | None = None) -> bool:
    """`second` comes after `first` on a path where both run, with neither sitting in an
    except handler that the other is not in (error paths record failures, not success), and
    (given the flow) no `return` between them in a block `first` runs in."""
    if second.index in first.outer:
        return True  # `record(effect())`: the argument runs first
    if second.index <= first.index or first.index in second.outer:
        return False
    common = 0
    for a, b in zip(first.path, second.path):
        if a != b:
            break
        common += 1
    rest_a, rest_b = first.path[common:], second.path[common:]
    if rest_a and rest_b and rest_a[0][:2] == rest_b[0][:2]:
        kind = rest_a[0][0]
        if kind in ("if", "match"):
            return False  # different branches of one decision
    if any(in_handler(step) for step in rest_a) or any(in_handler(step) for step in rest_b):
        return False
    if flow is not None:
        for index, path in flow.exits:
            if first.index < index <= second.index and first.path[: len(path)] == path:
                return False  # `send(); return` before the record: the record never follows it
    return True


class FlowRule:
    """Mixin for rules that reason over one function at a time: calls `check(flow)` for
    every function body and once for the module's top-level code."""

    def visit_Module(self, node: cst.Module) -> None:
        self._module_values = module_values(node)
        self._self_values: dict[str, list[cst.BaseExpression]] | None = None
        self._classes: list[str] = []
        self._class_nodes: list[cst.ClassDef] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node.name.value)
        self._class_nodes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()
        self._class_nodes.pop()

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        if self._self_values is None:
            self._self_values = self_assignments(self.ctx.module)
        flow = build_flow(original_node.body, self.ctx.imports, self._module_values, original_node.params, self._self_values)
        flow.class_name = self._classes[-1] if self._classes else None
        flow.function_name = original_node.name.value
        flow.class_node = self._class_nodes[-1] if self._class_nodes else None
        self.check(flow)

    def leave_Module(self, original_node: cst.Module) -> None:
        self.check(build_flow(original_node, self.ctx.imports, self._module_values))

    def check(self, flow: Flow) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def line_of(self, node: cst.CSTNode) -> int:
        return self.ctx.position(node).start.line


class AllOf:
    """Stands in for a TRIGGERS regex: matches when every pattern occurs somewhere in the text.
    Alternatives all start with a literal so the regex engine can scan for them quickly."""

    def __init__(self, *patterns: str) -> None:
        import re

        self._regexes = tuple(re.compile(p) for p in patterns)
        self.pattern = " & ".join(patterns)

    def search(self, text: str) -> bool:
        return all(rx.search(text) for rx in self._regexes)
