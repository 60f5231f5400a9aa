"""ARM104: an age cut-off on a stamp whose name does not say expiry.

A row's `created_at`, `sent_at`, `date` or `allowed_since` was written by whichever node created
or touched it. When this node moves one of them by a lifetime and compares it with its own clock
(`Order.created_at + timedelta(minutes=30) <= datetime.now()`), or compares it with its own clock
moved back (`payer.marked_since < utcnow() - timedelta(minutes=5)`), it decides an expiry with two
clocks, however the column is called. The sink finder knows expiry-named columns; this module
adds the stamps, gated by what the comparison decides, because the same shape also selects rows
to list, count or purge:

- in a query, the stamp moved by an amount and compared with a bare reading: the rows are then
  written (`.update(...)`, `.delete()`, directly or through the name the query is bound to), or the
  function's name says it picks expired or overdue rows (medium: the caller acts);
- on a loaded record, the comparison is the test of an `if` whose branch writes, cancels, fails
  or raises (medium: the record's name alone cannot rule out a calendar date).

Left alone: amounts counted in days (retention and reporting windows, where seconds of skew
decide nothing), calendar dates a person sets (`starts_at`, an event's end), soft-delete stamps
(`deleted_at`), and liveness stamps, which ARM301 judges."""
from __future__ import annotations

import re

import libcst as cst

from ._clock import WALL, enclosing_test, is_logging_call, ordering_pairs
from ._clock_scope import Scope, call_name, last_part, sym_of
from ._clock_stored import DAY_GRAINED, STAMP_NAME, chain_writes, chained_calls
from ._clock_write_names import LIVENESS_NAME
from ..walk import walk

# Dates a person chooses (an event's start, a sale's end, a window that opens) and stamps
# whose age is someone else's question (soft deletes: retention; heartbeats: ARM301).
CALENDAR_NAME = re.compile(
    r"(?:^|_)(?:starts?|ends?|begins?|opens?|closes?|publish\w*|event\w*|birth\w*|dob|deleted|archived)(?:_|$)|"
    r"expir|valid|until|deadline|due",
    re.IGNORECASE,
)
# Rows of a service, agent or node aged by their last update are declared dead: ARM301's.
_PEER_OWNER = re.compile(r"service|agent|worker|node|host|conductor|engine|member|server|heartbeat", re.IGNORECASE)
_PEER_STAMP = re.compile(r"^(?:updated|modified|last_\w+)", re.IGNORECASE)
# Function names that say the selected rows are the ones that lapsed.
_VERDICT_SCOPE = re.compile(r"expir|stale|overdue|timed?_?out|abandon|stuck|lapse", re.IGNORECASE)
# Calls in the branch a comparison decides that change or end something.
_ACTION_CALL = re.compile(
    r"^_?(?:delete|update|save|cancel|abort|fail|expire|revoke|release|invalidate|reject|deny|block|lock|"
    r"mark|set_status|set_state|refund|close)(?:_\w+)?$",
    re.IGNORECASE,
)
_STATUS_TARGET = re.compile(r"(?:^|_)(?:status|state)$", re.IGNORECASE)
_QUERY_WRITES = frozenset({"update", "delete", "values", "update_many", "delete_many"})


def peer_liveness(owner: str, name: str) -> bool:
    return bool(_PEER_OWNER.search(owner) and _PEER_STAMP.search(name))


def stamp_column(name: str) -> bool:
    """A stamp of something that happened, which the comparison turns into an expiry."""
    return bool(STAMP_NAME.search(name) or name.endswith("_since") or name in ("ctime", "date")) and \
        not CALENDAR_NAME.search(name) and not LIVENESS_NAME.search(name)


# Amounts that pace a refresh (`refresh_interval`, `period`): skew changes how often, never
# whether something ends.
_CADENCE = re.compile(r"interval|period|every|frequen|throttle|refresh|cadence|(?:^|_)rate", re.IGNORECASE)


def _amount(analysis, scope: Scope, node: cst.CSTNode) -> bool:
    """An amount of time (not a reading, not counted in days, not a cadence)."""
    text = _code(node)
    return analysis.flow(scope, node) is None and not DAY_GRAINED.search(text) and not _CADENCE.search(text)


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


# --- in a query: `Model.created_at + lifetime <= now()` ------------------------------------------
def shifted_stamp_in_query(finder, scope: Scope, comparison: cst.Comparison) -> None:
    query = finder.enclosing_query(comparison)
    if query is None:
        return
    analysis = finder.analysis
    for left, _op, right in ordering_pairs(comparison):
        for shifted, other in ((left, right), (right, left)):
            column = _shifted_column(analysis, scope, shifted)
            if column is None:
                continue
            flow = finder.offset(scope, other, (WALL,))
            if flow is None:
                continue
            if peer_liveness(_code(column.value), column.attr.value):
                continue
            detail = f"{_short(call_name(analysis.qname, query))}({_code(shifted)} ...)"
            if rows_written(analysis, scope, query):
                finder.add(flow, other, "query", detail, at_value=True, call=query)
            elif _VERDICT_SCOPE.search(_scope_name(scope)):
                finder.add(flow, other, "query", detail, at_value=True, call=query, confidence="medium")


def _shifted_column(analysis, scope: Scope, node: cst.CSTNode) -> cst.Attribute | None:
    """`Model.created_at + timedelta(...)` (or `- ...`): a model's stamp column moved by an amount."""
    if not isinstance(node, cst.BinaryOperation) or not isinstance(node.operator, (cst.Add, cst.Subtract)):
        return None
    column, amount = node.left, node.right
    if isinstance(node.operator, cst.Add) and not isinstance(column, cst.Attribute):
        column, amount = amount, column
    if not isinstance(column, cst.Attribute) or sym_of(column) is not None:
        return None
    if not stamp_column(column.attr.value) or not _amount(analysis, scope, amount):
        return None
    return column


def rows_written(analysis, scope: Scope, query: cst.Call) -> bool:
    """The rows the query selects are updated or deleted: in the chain, or through the name the
    chain is bound to (`q = ....filter(...)`, then `q.update(...)`)."""
    if chain_writes(analysis, query):
        return True
    *_, top = (query, *chained_calls(analysis, query))  # the last call of the chain
    assign = analysis.index.parent_of(top)
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return False
    target = assign.targets[0].target
    if not isinstance(target, cst.Name):
        return False
    for call in scope.calls:
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == target.value \
                and func.attr.value in _QUERY_WRITES:
            return True
    return False


# --- on a loaded record: `if row.sent_at < now - lifetime: row.delete()` -------------------------
_IN_MEMORY = re.compile(r"cache|memo", re.IGNORECASE)


def _lifetime_text(text: str) -> bool:
    return not DAY_GRAINED.search(text) and not _CADENCE.search(text)


def stamp_cutoff_on_record(stored, scope: Scope, comparison: cst.Comparison) -> None:
    """`stored` is the file's StoredTimes: it knows which operands were read back from storage."""
    finder = stored.finder
    analysis = finder.analysis
    if finder.enclosing_query(comparison) is not None:
        return  # a query's condition: judged above
    owner = scope.cls.name.value if scope.cls is not None else ""
    if _IN_MEMORY.search(f"{stored.ctx.path} {owner} {_scope_name(scope)}"):
        return  # an in-memory cache's entries: this process's own clock on both sides
    if not verdict_acts(analysis, enclosing_test(analysis.index, comparison)):
        return
    for left, _op, right in ordering_pairs(comparison):
        one, other = stored.side(scope, left), stored.side(scope, right)
        for (kind, operand, name), (other_kind, _, _), mine, theirs in ((one, other, left, right), (other, one, right, left)):
            if not name or not stamp_column(name) or peer_liveness(stored.ctx.code_for(operand), name):
                continue
            if other_kind == "clock" and kind == "aged" and _lifetime_text(stored.bound_text(scope, mine)):
                stored.add_medium(scope, theirs, operand)  # stamp + lifetime vs now
            elif other_kind == "clock" and kind == "stored" and stored.past_cutoff(scope, theirs) \
                    and _lifetime_text(stored.bound_text(scope, theirs)):
                stored.add_medium(scope, theirs, operand)  # stamp vs now - lifetime
            elif kind == "age" and other_kind is None and _amount(analysis, scope, theirs):
                node = stored.add_medium(scope, mine, operand)  # now - stamp vs lifetime
                if node is not None:
                    stored.ages[id(node)] = comparison


def verdict_acts(analysis, test: cst.CSTNode | None) -> bool:
    """The `if` this comparison tests writes, cancels, fails or raises in a branch."""
    if not isinstance(test, cst.If):
        return False
    branches = [test.body]
    if isinstance(test.orelse, cst.Else):
        branches.append(test.orelse.body)
    return any(_acts(analysis, branch) for branch in branches)


def _acts(analysis, block: cst.CSTNode) -> bool:
    found = False

    class _Visitor(cst.CSTVisitor):
        def visit_Raise(self, node: cst.Raise) -> bool:
            nonlocal found
            found = True
            return False

        def visit_Call(self, node: cst.Call) -> bool:
            nonlocal found
            if not is_logging_call(analysis.qname, node) and _ACTION_CALL.search(last_part(call_name(analysis.qname, node))):
                found = True
            return True

        def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
            nonlocal found
            target = node.target
            name = target.attr.value if isinstance(target, cst.Attribute) else target.value if isinstance(target, cst.Name) else ""
            if _STATUS_TARGET.search(name):
                found = True
            return False

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

    walk(block, _Visitor())
    return found


def _scope_name(scope: Scope) -> str:
    return scope.node.name.value if isinstance(scope.node, cst.FunctionDef) else ""


def _short(name: str) -> str:
    return name.lstrip(".") or "call"


__all__ = ["shifted_stamp_in_query", "stamp_cutoff_on_record", "rows_written", "stamp_column", "verdict_acts", "peer_liveness"]
