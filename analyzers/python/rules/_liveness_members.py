"""ARM301: liveness verdicts that live apart from their action.

Two shapes the heartbeat analysis did not see:

- A member's generic update stamp used as its heartbeat. Service registries (a `services` or
  `conductors` table, a health record) refresh `updated_at`/`last_update` on every report, so
  `service.updated_at < now - CONF.down_time` is the same silence test as `last_heartbeat < ...`.
  The stamp counts only when its owner names a member of a cluster (the row's model, the record
  variable, or the class a property lives on): a document's or an order's `updated_at` is not a
  heartbeat.
- A verdict handed to the caller: a function whose name says it selects the live or the dead
  members (`_filter_active_conductors(query)`, `get_offline_conductors()`, `@property is_up`) and
  returns the comparison or the query built on it. The callers release, claim or fail over; the
  window is fixed here, so the finding is here, with medium confidence (what is done with the
  answer is one call level away)."""
from __future__ import annotations

import re

import libcst as cst

from ..walk import children
from ._clock_scope import Scope, expr_names, string_value

# Kinds of cluster member whose row is refreshed by its own periodic report.
MEMBER = re.compile(
    r"service|conductor|worker|agent|engine|executor|host|member|peer|replica|broker|scheduler|cluster|health",
    re.IGNORECASE,
)
# Generic refresh stamps: a heartbeat only when a member owns them.
GENERIC_STAMP = re.compile(r"^(?:updated_at|last_updated?(?:_at)?)$", re.IGNORECASE)
# File-level trigger (lower-cased text): a member's generic stamp read as an attribute or key.
MEMBER_STAMP_TRIGGER = (
    r"(?:service|conductor|worker|agent|engine|executor|host|member|peer|replica|broker|cluster|health)\w*"
    r"(?:\.|\[[\"'])(?:updated_at|last_update)"
    # or the member's own model, whose properties read `self.updated_at`
    r"|class _?(?:base)?(?:service|conductor|worker|agent|engine|executor|host|member|peer|replica|broker|cluster)"
    r"(?:model|record|row|status|state|health)?\b"
)
# A function or property whose answer is which members are live or dead.
_LIVE_WORDS = r"active|alive|online|up|live|healthy"
_DEAD_WORDS = r"offline|stale|dead|down|expired|lost|unresponsive"
_VERDICT_WORD = re.compile(rf"(?:^|_)(?:{_LIVE_WORDS}|{_DEAD_WORDS})(?:_|$)", re.IGNORECASE)
_LIVE_WORD = re.compile(rf"(?:^|_)(?:{_LIVE_WORDS})(?:_|$)", re.IGNORECASE)
# A container whose name says its entries are on the way out: `conductors_to_delete`.
DOOMED_CONTAINER = re.compile(r"(?:^|_)to_(?:delete|remove|evict|purge|reap|kill|fail|clean(?:up)?)$", re.IGNORECASE)
_MEMBER_MODEL = re.compile(
    r"^_?(?:Base)?(?:Service|Conductor|Worker|Agent|Engine|Executor|Host|Member|Peer|Replica|Broker|Cluster)"
    r"(?:Model|Record|Row|Status|State|Health)?$"
)
_MEMBER_PREFIX = re.compile(rf"^(?:{MEMBER.pattern})_", re.IGNORECASE)


def member_stamp(scope: Scope, expr: cst.CSTNode) -> bool:
    """`conductor.updated_at`, `models.Service.updated_at`, `service_ref['updated_at']`,
    `self.updated_at` in a class `Service`: a member's refresh stamp."""
    if isinstance(expr, cst.Attribute):
        field, owner = expr.attr.value, expr.value
    elif isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
        field, owner = string_value(expr.slice[0].slice.value), expr.value
    else:
        return False
    if not field or not GENERIC_STAMP.match(field):
        return False
    if isinstance(owner, cst.Name) and owner.value in ("self", "cls"):
        # a property of the member's own model (`class Service`), not of a service layer
        # (`class BillingService`) that happens to keep a stamp
        return scope.cls is not None and bool(_MEMBER_MODEL.match(scope.cls.name.value))
    text = expr_names(owner)
    if scope.cls is not None and isinstance(owner, cst.Attribute) and isinstance(owner.value, cst.Name) and owner.value.value == "self":
        text += " " + scope.cls.name.value  # `self.model_class.last_update` in a member health repository
    return bool(MEMBER.search(text))


def member_word(name: str) -> bool:
    return bool(MEMBER.search(name))


def dead_member_constant(text: str, dead_values: frozenset[str]) -> bool:
    """`SERVICE_DOWN`, `HOST_OFFLINE`: a member kind followed by a dead state."""
    lowered = text.strip().lower()
    stripped = _MEMBER_PREFIX.sub("", lowered)
    return stripped != lowered and stripped in dead_values


def returned_verdict(analysis, scope: Scope, comparison: cst.CSTNode, stale: bool) -> bool:
    """The comparison is the answer of a function named for the live or dead members, returned
    directly or as the query/list built on it; the name's sense must match the comparison's."""
    func = scope.node
    if not isinstance(func, cst.FunctionDef):
        return False
    name = func.name.value
    if not _VERDICT_WORD.search(name):
        return False
    if bool(_LIVE_WORD.search(name)) == stale:
        return False  # `get_active_x` built on the stale sense is not this verdict
    holder = scope.cls.name.value if scope.cls is not None else ""
    if not (member_word(name) or member_word(holder)):
        return False
    if not _peer_stamp(scope, comparison):
        return False  # `return now - _last_beat < N`: a process probing its own loop
    statement = analysis._statement(comparison)
    if statement is None:
        return False
    small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) and statement.body else None
    if isinstance(small, cst.Return):
        return True
    target = _assigned(small)
    if target is None:
        return False
    return _reaches_return(analysis, scope, target, 0)


def _reaches_return(analysis, scope: Scope, name: str, depth: int) -> bool:
    """`query = ...filter(cmp)`, then `return query` (or a list built from it and returned)."""
    for use in scope.uses.get(name, []):
        later = analysis._statement(use)
        small = later.body[0] if isinstance(later, cst.SimpleStatementLine) and later.body else None
        if isinstance(small, cst.Return):
            return True  # `return query`, `return [row[0] for row in query]`
        if depth >= 2:
            continue
        handed = _assigned(small)
        if handed and handed != name and _reaches_return(analysis, scope, handed, depth + 1):
            return True
    return False


def _assigned(small) -> str | None:
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        return small.targets[0].target.value
    return None


def _peer_stamp(scope: Scope, comparison: cst.CSTNode) -> bool:
    """The comparison reads a stamp kept on a member's record (`models.Agent.updated_at`,
    `worker.last_heartbeat`, a member model's own `self.updated_at`), not a module or instance
    variable of the checking process itself."""
    from ._heartbeat import HEARTBEAT  # the heartbeat analysis imports this module

    stack = [comparison]
    depth: dict[str, int] = {}
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Attribute, cst.Subscript)) and member_stamp(scope, node):
            return True
        if isinstance(node, cst.Name) and depth.get(node.value, 0) < 3:
            # `tdelta = now - service['updated_at']; return abs(tdelta.total_seconds()) <= W`:
            # the stamp is read a local or two before the comparison
            depth[node.value] = depth.get(node.value, 0) + 1
            stack.extend(d.value for d in scope.defs.get(node.value, []) if d.value is not None)
        if isinstance(node, cst.Attribute) and HEARTBEAT.search(node.attr.value):
            owner = node.value
            if not (isinstance(owner, cst.Name) and owner.value in ("self", "cls")):
                return True
            if scope.cls is not None and _MEMBER_MODEL.match(scope.cls.name.value):
                return True
        stack.extend(children(node))
    return False


# oslo.utils `timeutils.is_older_than(stamp, seconds)`: `now - stamp > seconds`, with now read inside.
AGE_CALLS = frozenset({"is_older_than"})


def check_age_call(analysis, scope: Scope, call: cst.Call, found: list, seen: set[int]) -> None:
    """`if timeutils.is_older_than(agent.heartbeat_timestamp, CONF.agent_down_time): ...`: the
    call is the silence comparison itself, held to the same action/verdict gates as `>`."""
    from ._clock_scope import last_part
    from ._heartbeat import _context_ok  # the heartbeat analysis imports this module

    if id(call) in seen or len(call.args) != 2 or any(a.keyword is not None for a in call.args):
        return
    if last_part(analysis.qname(call.func) or "") not in AGE_CALLS:
        return
    stamp, window = call.args[0].value, call.args[1].value
    if not (analysis.stamp(scope, stamp) and analysis.fixed(scope, window)):
        return
    parent = analysis.index.parent_of(call)
    negated = isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not)
    stale = not negated  # `not is_older_than(...)` is true for a live member
    block = analysis.consequence(scope, call, stale)
    if block is None:
        if returned_verdict(analysis, scope, parent if negated else call, stale) and _context_ok(analysis, scope, [call]):
            seen.add(id(call))
            found.append((call, "medium"))
        return
    if _context_ok(analysis, scope, [call, *block]):
        seen.add(id(call))
        found.append(call)
