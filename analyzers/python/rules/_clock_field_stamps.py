"""Fields the project stamps from the wall clock, wherever the module that ages them is.

A sweep in one module reads `player.last_recv_time`; another module wrote it
(`player.last_recv_time = time.time()`). The file analysis alone sees a field of unknown origin,
so `time.time() - player.last_recv_time > TIMEOUT` is silent unless the same file stamps it. This
module reads every module of the project once (CPython's `ast`, no libcst) and keeps, per
attribute name, what every write of it in the project is:

  wall      a reading of the clock (`time.time()`, `int(time.time())`, `datetime.now()`, a local
            bound to one, a project helper the index knows to read the clock),
  offset    a reading moved by an amount (`time.time() + backoff`),
  neutral   a placeholder (`None`, `0`, `False`) or a declaration in a class body,
  ref       another field (`self.pingTime = self.loginTime`): whatever that field is,
  other     anything else (a parameter, a value read from a message, a computed amount).

A name is a stamp only when at least one write reads the clock and every write is a stamp or a
placeholder: one write from a message or a parameter and the field may hold another node's
instant, which is not this question. Names are shared by every class of the project that writes
them (the reader's type is unknown), so a name two classes use differently is no stamp at all.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Iterable

WALL, OFFSET, NEUTRAL, OTHER = "wall", "offset", "neutral", "other"

# The clock readings `ast` can name without libcst's qualified names.
_CLOCKS = frozenset({
    "time.time", "time.time_ns", "datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today",
    "django.utils.timezone.now", "arrow.now", "arrow.utcnow", "pendulum.now",
})
# Calls that hand back the same instant in another type or unit.
_SAME_INSTANT = frozenset({"int", "float", "round", "floor", "ceil", "math.floor", "math.ceil", "Decimal"})
_SAME_INSTANT_METHODS = frozenset({"timestamp", "replace", "astimezone"})
# An assignment line: an attribute (group 1) or a local name (group 2), and the value (group 3).
_ASSIGN_LINE = re.compile(r"^[ \t]*(?:[\w.]+(?:\[[^=\n]*\])?\.(\w+)|(\w+))[ \t]*(?::[^=\n]*)?=(?!=)([^\n]*)", re.MULTILINE)
_MAX_CHARS = 2_000_000


# A class-body declaration of a stored column (`models.DateTimeField(...)`, `Column(...)`).
_COLUMN = re.compile(r"Field$|^Column$|^mapped_column$")


@dataclass(frozen=True)
class FieldStamp:
    kind: str  # WALL or OFFSET
    writers: int  # how many writes read the clock (the evidence)
    persisted: bool = False  # some class declares it a column: rows other nodes stamped too (ARM104)


def _may_stamp(text: str, reading: re.Pattern) -> bool:
    """A line assigns an attribute a reading, or a local that some line bound to one (a cost gate:
    only such files are parsed)."""
    locals_: set[str] = set()
    values: list[str] = []
    for match in _ASSIGN_LINE.finditer(text):
        value = match.group(3)
        if match.group(1):
            if reading.search(value):
                return True
            values.append(value)
        elif reading.search(value):
            locals_.add(match.group(2))
    if not locals_:
        return False
    bound = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(locals_))) + r")\b")
    return any(bound.search(value) for value in values)


def _parse(text: str) -> ast.Module | None:
    from ..project_index import ast_tree

    if len(text) > _MAX_CHARS:
        return None
    return ast_tree(text)


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _imports(tree: ast.Module, package: str) -> dict[str, str]:
    """Local name -> dotted name, for imports at any level (relative ones resolved)."""
    from ..project_index import resolve_relative

    table: dict[str, str] = {}
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    table[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    table[head] = head
        elif isinstance(node, ast.ImportFrom):
            base = resolve_relative(package, node.level, node.module) if node.level else node.module
            if not base:
                continue
            for alias in node.names:
                if alias.name != "*":
                    table[alias.asname or alias.name] = f"{base}.{alias.name}"
    return table


class _Module:
    """One module's attribute writes, classified."""

    def __init__(self, tree: ast.Module, table: dict[str, str], known) -> None:
        self.table = table
        self.known = known  # the project index, for helpers of other modules
        self.writes: dict[str, list[tuple[str, str | None]]] = {}  # name -> [(kind, referenced field)]
        self.columns: set[str] = set()
        for node in _statements(tree.body):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._function(node)
            elif isinstance(node, ast.ClassDef):
                for stmt in node.body:  # class-level defaults and declarations are placeholders
                    for target in _targets(stmt):
                        if isinstance(target, ast.Name):
                            self.writes.setdefault(target.id, []).append((NEUTRAL, None))
                            if _declares_column(stmt):
                                self.columns.add(target.id)
        for stmt in tree.body:  # module-level writes (`state.started = time.time()`)
            self._statement(stmt, {}, frozenset())

    def _function(self, func) -> None:
        bindings: dict[str, list[ast.AST]] = {}
        for node in _own_nodes(func):
            for target in _targets(node):
                if isinstance(target, ast.Name) and isinstance(node, (ast.Assign, ast.AnnAssign)):
                    bindings.setdefault(target.id, []).append(node.value)
                elif isinstance(target, ast.Name):
                    bindings.setdefault(target.id, []).append(None)  # augmented, unpacked, looped: unknown
        args = func.args
        params = frozenset(a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs))
        for node in _own_nodes(func):
            self._statement(node, bindings, params)

    def _statement(self, node: ast.AST, bindings, params) -> None:
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            return
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute):
                self.writes.setdefault(target.attr, []).append(self._value(node.value, bindings, params, 0))
            elif isinstance(target, (ast.Tuple, ast.List)):
                for element in target.elts:
                    if isinstance(element, ast.Attribute):
                        self.writes.setdefault(element.attr, []).append((OTHER, None))

    def _value(self, value: ast.AST, bindings, params, depth: int) -> tuple[str, str | None]:
        if depth > 4:
            return OTHER, None
        if isinstance(value, ast.Constant):
            return (NEUTRAL, None) if value.value in (None, 0, False) else (OTHER, None)
        if isinstance(value, ast.Attribute):
            return "ref", value.attr
        if isinstance(value, ast.Name):
            found = bindings.get(value.id)
            if value.id in params or not found or any(v is None for v in found):
                return OTHER, None
            kinds = {self._value(v, bindings, params, depth + 1) for v in found}
            return kinds.pop() if len(kinds) == 1 else (OTHER, None)
        if isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, ast.Sub)):
            left = self._value(value.left, bindings, params, depth + 1)[0]
            right = self._value(value.right, bindings, params, depth + 1)[0]
            clocked = [k for k in (left, right) if k in (WALL, OFFSET)]
            if len(clocked) == 1 and (left in (WALL, OFFSET) or isinstance(value.op, ast.Add)):
                return OFFSET, None  # `now + backoff`, `now - window`
            return OTHER, None
        if isinstance(value, ast.Call):
            return self._call(value, bindings, params, depth)
        return OTHER, None

    def _call(self, call: ast.Call, bindings, params, depth: int) -> tuple[str, str | None]:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in _SAME_INSTANT_METHODS:
            inner = self._value(func.value, bindings, params, depth + 1)
            if inner[0] in (WALL, OFFSET):
                return inner
        name = _dotted(func)
        if name is None:
            return OTHER, None
        if name in _SAME_INSTANT and len(call.args) == 1 and not call.keywords:
            inner = self._value(call.args[0], bindings, params, depth + 1)
            return inner if inner[0] in (WALL, OFFSET) else (OTHER, None)
        head, _, rest = name.partition(".")
        full = self.table.get(head)
        if full is None:
            return OTHER, None
        full = f"{full}.{rest}" if rest else full
        if full in _CLOCKS:  # `datetime.now(timezone.utc)`: a time zone is still the reading
            return WALL, None
        if self.known is not None and not call.args:
            fact = self.known.lookup(full)
            if fact and not fact.defaulted and fact.kind in (WALL, OFFSET):
                return fact.kind, None
        return OTHER, None


def _declares_column(stmt: ast.AST) -> bool:
    value = getattr(stmt, "value", None)
    name = _dotted(value.func) if isinstance(value, ast.Call) else None
    return name is not None and bool(_COLUMN.search(name.rsplit(".", 1)[-1]))


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        return [node.target]
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [node.target] if isinstance(node.target, ast.Name) else list(getattr(node.target, "elts", []))
    return []


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _statements(body: list) -> Iterable[ast.stmt]:
    """Every statement under these, nested blocks included (expressions are never walked: a cost
    guard, the writes and bindings this module reads are all statements)."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        for name in _BLOCKS:
            block = getattr(node, name, None)
            if isinstance(block, list):
                stack.extend(reversed(block))


def _own_nodes(func) -> Iterable[ast.stmt]:
    """The statements of a function, not of the functions and classes nested in it."""
    stack = list(reversed(func.body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in _BLOCKS:
            block = getattr(node, name, None)
            if isinstance(block, list):
                stack.extend(reversed(block))


def index_field_stamps(items: list[tuple[str, str]], known, clock_text: re.Pattern) -> dict[str, FieldStamp]:
    """Attribute name -> FieldStamp for the names every write of which in the project is a
    reading of the wall clock (or a placeholder, or another such field)."""
    from ..project_index import package_of

    modules: list[_Module] = []
    candidates: set[str] = set()
    parsed: set[int] = set()
    helpers = known.helpers_re() if known is not None and known.helper_names else None
    reading = re.compile(f"{clock_text.pattern}|{helpers.pattern}") if helpers is not None else clock_text
    for i, (path, text) in enumerate(items):
        if not _may_stamp(text, reading):
            continue
        tree = _parse(text)
        if tree is None:
            continue
        parsed.add(i)
        module = _Module(tree, _imports(tree, package_of(path)), known)
        modules.append(module)
        candidates.update(name for name, writes in module.writes.items() if any(k in (WALL, OFFSET) for k, _ in writes))
    if not candidates:
        return {}
    # every other write of those names in the project, in files that read no clock
    spelled = re.compile(r"\.(?:" + "|".join(map(re.escape, sorted(candidates))) + r")[ \t]*(?::[^=\n]*)?=(?!=)|"
                         r"^[ \t]+(?:" + "|".join(map(re.escape, sorted(candidates))) + r")[ \t]*[:=]", re.MULTILINE)
    for i, (path, text) in enumerate(items):
        if i in parsed or not spelled.search(text):
            continue
        tree = _parse(text)
        if tree is None:
            continue
        modules.append(_Module(tree, _imports(tree, package_of(path)), known))
    writes: dict[str, list[tuple[str, str | None]]] = {}
    columns = set().union(*(module.columns for module in modules))
    for module in modules:
        for name, found in module.writes.items():
            if name in candidates or any(k == "ref" for k, _ in found):
                writes.setdefault(name, []).extend(found)
    verdicts: dict[str, str | None] = {}

    def verdict(name: str, seen: frozenset[str]) -> str | None:
        if name in verdicts:
            return verdicts[name]
        if name in seen or name not in candidates:
            return None
        kinds = set()
        for kind, ref in writes.get(name, ()):
            if kind == "ref" and ref == name:
                continue  # `client.last_login = user.last_login`: the same stamp copied between records
            if kind == "ref":
                kind = verdict(ref, seen | {name}) if ref else None
                if kind is None:
                    return None
            if kind == OTHER:
                return None
            kinds.add(kind)
        kinds.discard(NEUTRAL)
        result = OFFSET if OFFSET in kinds else WALL if WALL in kinds else None
        verdicts[name] = result
        return result

    stamps: dict[str, FieldStamp] = {}
    for name in sorted(candidates):
        kind = verdict(name, frozenset())
        if kind is not None:
            stamps[name] = FieldStamp(kind, sum(1 for k, _ in writes[name] if k in (WALL, OFFSET)), name in columns)
    return stamps
