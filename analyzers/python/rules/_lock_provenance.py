"""Where a lock object comes from, followed through the code that builds it (ARM201).

A lock is often not taken where its client is built. A project function returns the coordinator
a library built (`get_coordinator()` handing back a module global set from
`tooz.coordination.get_coordinator(...)`); a method of a project class returns the client its
instance keeps (`Manager(hosts).get_client().Lock(path)`); a helper takes the client as a
parameter and returns `(name, client.get_lock(name))`; a class keeps the client in `self.x`, set
in `__init__` and used in another method. Whether the lock is a lease of another process or a
lock of this one is decided by the library that built the value at the end of that chain, not by
what the names along it say.

Followed, a bounded number of steps: local and module bindings (module globals set under
`global`), one slot of a returned tuple, `self.x` set in any method, subscripts of a container
filled in the module, parameters bound to the caller's arguments (or their defaults), methods of
a library object, the module's own functions and classes and, with a project index, the
functions, classes, methods and globals of the project's other modules. The answer is the
import head of the library that built the value (`tooz`, `kazoo`, `threading`), or None when
the chain ends in something else (a literal, an unbound parameter, an unknown call).
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

import libcst as cst

from ..imports import import_table
from ..walk import walk

_MAX_STEPS = 8  # nested resolutions per question: enough for helper -> method -> global -> call
# The last word of a library class a project lock class extends (`redis.lock.Lock`, `Redlock`).
_LOCK_BASE = re.compile(r"(?:Lock|Redlock|RedLock|Mutex|Semaphore|Lease)$")


@dataclass(frozen=True)
class _Instance:
    """An object of one of the project's own classes (its methods are followed)."""

    unit: "_Unit"
    cls: str


@dataclass(eq=False)
class _Unit:
    """What one module binds: imports, globals, `self.x`, functions and classes."""

    name: str
    module: cst.Module
    imports: dict[str, str]
    values: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    self_values: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    items: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)  # `x[k] = v`, by the code of x
    functions: dict[str, cst.FunctionDef] = field(default_factory=dict)
    classes: dict[str, dict[str, cst.FunctionDef]] = field(default_factory=dict)
    bases: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)  # class -> its bases
    enclosing: dict[int, tuple[cst.FunctionDef, str | None]] = field(default_factory=dict)  # id(call) -> its def


@dataclass
class _Scope:
    unit: _Unit
    function: cst.FunctionDef | None
    cls: str | None
    bound: dict[str, tuple[cst.BaseExpression, "_Scope"]] = field(default_factory=dict)
    this: _Instance | None = None


class _Assignments(cst.CSTVisitor):
    """Hands every `target = value` (annotated or not) to `_take`."""

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._take(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:  # `x: int` alone binds nothing
            self._take(node.target, node.value)

    def _take(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        raise NotImplementedError


class _Collect(_Assignments):
    def __init__(self, unit: _Unit) -> None:
        super().__init__()
        self.unit = unit
        self.functions: list[cst.FunctionDef] = []
        self.classes: list[str] = []
        self.globals: list[set[str]] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(node.name.value)
        if not self.functions:
            self.unit.classes.setdefault(node.name.value, {})
            self.unit.bases[node.name.value] = [b.value for b in node.bases if b.keyword is None]

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.functions:
            if self.classes:
                self.unit.classes.setdefault(self.classes[-1], {})[node.name.value] = node
            else:
                self.unit.functions[node.name.value] = node
        self.functions.append(node)
        self.globals.append(set())

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()
        self.globals.pop()

    def visit_Global(self, node: cst.Global) -> None:
        if self.globals:
            self.globals[-1].update(n.name.value for n in node.names)

    def visit_Call(self, node: cst.Call) -> None:
        if self.functions:
            self.unit.enclosing[id(node)] = (self.functions[-1], self.classes[-1] if self.classes else None)

    def _take(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            # a module global: at module level, or in a function that declares it `global`
            if not self.functions or (self.globals and target.value in self.globals[-1]):
                self.unit.values.setdefault(target.value, []).append(value)
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value in ("self", "cls"):
            self.unit.self_values.setdefault("self." + target.attr.value, []).append(value)
        elif isinstance(target, cst.Subscript):
            self.unit.items.setdefault(_code(self.unit, target.value), []).append(value)


def _code(unit: _Unit, node: cst.CSTNode) -> str:
    try:
        return unit.module.code_for_node(node)
    except Exception:
        return ""


def _unit(name: str, module: cst.Module, path: str) -> _Unit:
    from ..project_index import relative_table

    imports = dict(import_table(module))
    imports.update(relative_table(module, path))
    unit = _Unit(name, module, imports)
    walk(module, _Collect(unit))
    return unit


class Provenance:
    """Answers "which library built this value?" for one module, with the project's other
    modules reached through the project index (parsed on demand, once each)."""

    def __init__(self, module: cst.Module, path: str, project=None) -> None:
        from ..project_index import module_name

        self.project = project
        self.here = _unit(module_name(path), module, path)
        self._package = set(module_name(path).split(".")[:-1])
        self._steps = 0

    # --- the question -----------------------------------------------------------------------
    def library_of(self, node: cst.BaseExpression) -> str | None:
        """The import head of the library that built `node`'s value (a call in this module)."""
        found = self._resolve(node, node)
        if isinstance(found, _Instance):
            return self._lock_base(found, 0)
        return found if isinstance(found, str) else None

    def instance_of(self, call: cst.Call, node: cst.BaseExpression) -> "_Instance | None":
        """The object of one of the project's own classes `node` holds, `node` being part of
        `call` (`LockManager(...)`, a local or a module global bound to one), or None."""
        found = self._resolve(call, node)
        return found if isinstance(found, _Instance) else None

    def _resolve(self, call: cst.Call, node: cst.BaseExpression):
        """What `node` is, in the scope of the function that makes `call`."""
        function, cls = self.here.enclosing.get(id(call), (None, None))
        self._steps = 0
        return self._origin(node, _Scope(self.here, function, cls))

    def _lock_base(self, instance: _Instance, depth: int) -> str | None:
        """An object of the project's own class that extends a library's lock class (`class
        GlobalLock(redis.lock.Lock)`, through the project's own bases too) is that library's lock.
        Only a base named for a lock counts: a project class built on a framework's model or a
        pydantic base is not a lock of that framework."""
        if depth > 3:
            return None
        unit = instance.unit
        for base in unit.bases.get(instance.cls, []):
            chain = _dotted(base)
            if chain is None:
                continue
            if "." not in chain and chain in unit.classes:
                found = self._lock_base(_Instance(unit, chain), depth + 1)
                if found is not None:
                    return found
                continue
            head, _, rest = chain.partition(".")
            full = unit.imports.get(head)
            if full is None:
                continue
            full = f"{full}.{rest}" if rest else full
            own = self._project_name(full)
            if own is not None:
                other, name = own
                if name in other.classes:
                    found = self._lock_base(_Instance(other, name), depth + 1)
                    if found is not None:
                        return found
                continue
            library = full.split(".")[0]
            if library in self._package or self._is_project(full):
                continue
            if _LOCK_BASE.search(full.rsplit(".", 1)[-1]):
                return library
        return None

    def unpacked_names(self, call: cst.Call) -> list[str]:
        """Names a tuple returned by this call is unpacked into (`name, lock = make_lock(k)`)."""
        function, _ = self.here.enclosing.get(id(call), (None, None))
        if function is None:
            return []
        return [
            name
            for name, bindings in _locals(function).items()
            if any(slot is not None and (value.expression if isinstance(value, cst.Await) else value) is call for value, slot in bindings)
        ]

    # --- resolution -------------------------------------------------------------------------
    def _origin(self, node: cst.BaseExpression, scope: _Scope):
        self._steps += 1
        if self._steps > _MAX_STEPS * 4:
            return None
        if isinstance(node, cst.Await):
            return self._origin(node.expression, scope)
        if isinstance(node, cst.Name):
            return self._name(node.value, scope)
        if isinstance(node, cst.Attribute):
            return self._attribute(node, scope)
        if isinstance(node, cst.Subscript):
            filled = scope.unit.items.get(_code(scope.unit, node.value), [])
            return self._first(filled, _Scope(scope.unit, None, scope.cls, this=scope.this))
        if isinstance(node, cst.Call):
            return self._call(node, scope, None)
        return None

    def _first(self, values, scope: _Scope):
        """What any of the values is, a library outside the standard one first: a coordinator
        built by tooz in one branch and by a no-op stand-in in the other is still tooz's."""
        found = None
        for value in values:
            one = self._origin(value, scope)
            if isinstance(one, str) and not _stdlib(one):
                return one
            found = found if found is not None else one
        return found

    def _name(self, name: str, scope: _Scope):
        if name in scope.bound:
            value, caller = scope.bound[name]
            return self._origin(value, caller)
        if scope.function is not None:
            if name in _params(scope.function):
                return None  # a parameter nobody bound here: unknown
            bindings = _locals(scope.function).get(name)
            if bindings is not None:
                plain = [value for value, slot in bindings if slot is None]
                found = self._first(plain, scope)
                if isinstance(found, str) and not _stdlib(found):
                    return found
                for value, slot in bindings:
                    if slot is not None and isinstance(value, cst.Call):
                        one = self._call(value, scope, slot)
                        if isinstance(one, str) and not _stdlib(one):
                            return one
                        found = found if found is not None else one
                return found
        if name in scope.unit.values:
            return self._first(scope.unit.values[name], _Scope(scope.unit, None, None))
        full = scope.unit.imports.get(name)
        if full is not None:
            return self._imported(full, None, scope)
        return None

    def _attribute(self, node: cst.Attribute, scope: _Scope):
        base = node.value
        if isinstance(base, cst.Name) and base.value in ("self", "cls"):
            unit = scope.this.unit if scope.this is not None else scope.unit
            values = unit.self_values.get("self." + node.attr.value, [])
            return self._first(values, _Scope(unit, None, scope.cls, this=scope.this))
        chain = _dotted(node)
        if chain is not None:
            head, _, rest = chain.partition(".")
            full = scope.unit.imports.get(head)
            if full is not None and not (scope.function is not None and head in _locals(scope.function)):
                return self._imported(f"{full}.{rest}", None, scope)
        owner = self._origin(base, scope)
        if isinstance(owner, _Instance):
            values = owner.unit.self_values.get("self." + node.attr.value, [])
            return self._first(values, _Scope(owner.unit, None, owner.cls, this=owner))
        return owner  # an attribute of a library's object is that library's

    def _call(self, call: cst.Call, scope: _Scope, slot: int | None):
        func = call.func
        if isinstance(func, cst.Name):
            name = func.value
            if name in scope.bound or (scope.function is not None and name in _locals(scope.function)):
                return None
            if name in scope.unit.functions:
                return self._returns(scope.unit.functions[name], scope.unit, None, call, scope, slot, None)
            if name in scope.unit.classes:
                return _Instance(scope.unit, name)
            full = scope.unit.imports.get(name)
            return self._imported(full, (call, scope, slot), scope) if full is not None else None
        if not isinstance(func, cst.Attribute):
            return None
        method = func.attr.value
        base = func.value
        if isinstance(base, cst.Name) and base.value == "self" and scope.cls is not None:
            unit = scope.this.unit if scope.this is not None else scope.unit
            own = unit.classes.get(scope.cls, {}).get(method)
            if own is not None:
                return self._returns(own, unit, scope.cls, call, scope, slot, scope.this)
        chain = _dotted(func)
        if chain is not None:
            head, _, rest = chain.partition(".")
            full = scope.unit.imports.get(head)
            if full is not None and not (scope.function is not None and head in _locals(scope.function)):
                return self._imported(f"{full}.{rest}", (call, scope, slot), scope)
        owner = self._origin(base, scope)
        if isinstance(owner, _Instance):
            own = owner.unit.classes.get(owner.cls, {}).get(method)
            if own is None:
                return None
            return self._returns(own, owner.unit, owner.cls, call, scope, slot, owner)
        return owner  # a method of a library's object hands back that library's objects

    def _imported(self, full: str, called, scope: _Scope):
        """A dotted name an import spells: a library's (its head), or one of the project's own
        modules' functions, classes, methods or globals (followed there)."""
        found = self._project_name(full)
        if found is None:
            head = full.split(".")[0]
            if head in self._package or self._is_project(full):
                return None  # the project's, but not readable here
            return head
        unit, rest = found
        parts = rest.split(".")
        if len(parts) == 1:
            name = parts[0]
            if called is not None:
                call, caller, slot = called
                if name in unit.functions:
                    return self._returns(unit.functions[name], unit, None, call, caller, slot, None)
                if name in unit.classes:
                    return _Instance(unit, name)
                return None
            if name in unit.values:
                return self._first(unit.values[name], _Scope(unit, None, None))
            return None
        if len(parts) == 2 and called is not None:
            cls, method = parts
            own = unit.classes.get(cls, {}).get(method)
            if own is not None:
                call, caller, slot = called
                return self._returns(own, unit, cls, call, caller, slot, None)
            owner = self._first(unit.values.get(cls, []), _Scope(unit, None, None))  # `GLOBAL.method()`
            if isinstance(owner, _Instance):
                own = owner.unit.classes.get(owner.cls, {}).get(method)
                if own is not None:
                    call, caller, slot = called
                    return self._returns(own, owner.unit, owner.cls, call, caller, slot, owner)
            return owner if isinstance(owner, str) else None
        return None

    def _returns(self, function, unit, cls, call, caller: _Scope, slot, this):
        """What the function returns, its parameters bound to this call's arguments (their
        defaults otherwise); one slot of a returned tuple when the caller unpacks it."""
        if self._steps > _MAX_STEPS * 4:
            return None
        scope = _Scope(unit, function, cls, _bind(function, call, caller, unit, cls is not None), this)
        values = []
        for value in _returned(function):
            if isinstance(value, cst.Tuple):
                if slot is None:
                    # the whole tuple (`name, lock = make_lock(...)`, slot unknown): any slot,
                    # the one a library built first (not the name or hash beside the lock)
                    values.extend(e.value for e in value.elements)
                    continue
                if slot >= len(value.elements):
                    continue
                value = value.elements[slot].value
            values.append(value)
        return self._first(values, scope)

    # --- the project's other modules --------------------------------------------------------
    def _is_project(self, full: str) -> bool:
        return self.project is not None and bool(self.project._lookup_keys(full))

    def _project_name(self, full: str) -> tuple[_Unit, str] | None:
        sources = getattr(self.project, "lock_sources", None) if self.project is not None else None
        if not sources:
            return None
        parts = full.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module, rest = ".".join(parts[:cut]), ".".join(parts[cut:])
            names = sources.modules_ending(module)
            if cut == 1:
                # one word matches too much by suffix (a project's own `redis.py` is not the
                # `redis` library): only a module of exactly that name
                names = [name for name in names if name == module]
            if len(names) == 1:
                unit = sources.unit(names[0])
                return (unit, rest) if unit is not None else None
        return None


def _bind(function: cst.FunctionDef, call: cst.Call, caller: _Scope, unit: _Unit, method: bool):
    params = [*function.params.posonly_params, *function.params.params]
    if method and params and params[0].name.value in ("self", "cls"):
        params = params[1:]
    bound: dict[str, tuple[cst.BaseExpression, _Scope]] = {}
    positional = [a for a in call.args if a.keyword is None and not a.star]
    for param, arg in zip(params, positional):
        bound[param.name.value] = (arg.value, caller)
    for arg in call.args:
        if arg.keyword is not None:
            bound[arg.keyword.value] = (arg.value, caller)
    for param in (*params, *function.params.kwonly_params):
        if param.name.value not in bound and param.default is not None:
            bound[param.name.value] = (param.default, _Scope(unit, None, None))
    return bound


def _params(function: cst.FunctionDef) -> set[str]:
    p = function.params
    names = {x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)}
    for star in (p.star_arg, p.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    return names


class _Body(_Assignments):
    """Assignments and returns of one function, not of the functions nested in it."""

    def __init__(self, root: cst.FunctionDef) -> None:
        super().__init__()
        self.root = root
        self.locals: dict[str, list[tuple[cst.BaseExpression, int | None]]] = {}
        self.returns: list[cst.BaseExpression] = []
        # what `_lock_wrappers` asks of a wrapper's body: its calls, the calls it enters, its yields
        self.calls: list[cst.Call] = []
        self.with_calls: list[cst.Call] = []
        self.yields = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self.returns.append(node.value)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None and isinstance(node.asname.name, cst.Name):
            self.locals.setdefault(node.asname.name.value, []).append((node.item, None))
        item = node.item.expression if isinstance(node.item, cst.Await) else node.item
        if isinstance(item, cst.Call):
            self.with_calls.append(item)

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def visit_Yield(self, node: cst.Yield) -> None:
        self.yields += 1

    def _take(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.locals.setdefault(target.value, []).append((value, None))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for slot, element in enumerate(target.elements):
                if isinstance(element.value, cst.Name):
                    self.locals.setdefault(element.value.value, []).append((value, slot))


_BODIES: dict[int, _Body] = {}


def _body(function: cst.FunctionDef) -> _Body:
    body = _BODIES.get(id(function))
    if body is None or body.root is not function:
        body = _Body(function)
        walk(function, body)
        if len(_BODIES) > 4096:
            _BODIES.clear()
        _BODIES[id(function)] = body
    return body


def _locals(function: cst.FunctionDef) -> dict[str, list[tuple[cst.BaseExpression, int | None]]]:
    return _body(function).locals


def _returned(function: cst.FunctionDef) -> list[cst.BaseExpression]:
    return _body(function).returns


def _dotted(node: cst.BaseExpression) -> str | None:
    """`a.b.c` of plain names, else None (a call or subscript in the chain)."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


class LockSources:
    """The project's module texts by dotted name (built into the project index); each module
    is parsed only when a lock's provenance leads into it, and then once."""

    _MAX_CHARS = 400_000

    def __init__(self, items: list[tuple[str, str]]) -> None:
        from ..project_index import module_name

        self._texts = {module_name(path): (path, text) for path, text in items}
        self._suffixes: dict[str, list[str]] | None = None
        self._units: dict[str, _Unit | None] = {}

    def __len__(self) -> int:
        return len(self._texts)

    def modules_ending(self, dotted: str) -> list[str]:
        if self._suffixes is None:
            suffixes: dict[str, list[str]] = {}
            for full in self._texts:
                parts = full.split(".")
                for i in range(len(parts)):
                    suffixes.setdefault(".".join(parts[i:]), []).append(full)
            self._suffixes = suffixes
        return self._suffixes.get(dotted, [])

    def any_text(self, pattern: re.Pattern[str]) -> bool:
        """Whether some module of the project matches `pattern` (its raw text, not parsed)."""
        return any(pattern.search(text) for _, text in self._texts.values())

    def unit(self, name: str) -> _Unit | None:
        if name not in self._units:
            self._units[name] = None
            path, text = self._texts[name]
            if len(text) <= self._MAX_CHARS and "\0" not in text:
                try:
                    self._units[name] = _unit(name, cst.parse_module(text), path)
                except Exception:  # an unreadable module answers nothing
                    pass
        return self._units[name]


def _stdlib(head: str) -> bool:
    return head in sys.stdlib_module_names


_CACHE: list[tuple[cst.Module, Provenance]] = []


def provenance_for(ctx) -> Provenance:
    """One Provenance per analysed file (the rule asks about several calls of it)."""
    if _CACHE and _CACHE[0][0] is ctx.module:
        return _CACHE[0][1]
    found = Provenance(ctx.module, ctx.path, ctx.project)
    _CACHE[:] = [(ctx.module, found)]
    return found
