"""Stalled work: an item whose instant is older than a fixed window is declared failed or taken
back from the worker that holds it.

The general liveness form (rules/_liveness_ages) needs the stamp to say what it is (a heartbeat,
a worker's update stamp). Real sweepers age whatever instant the item carries (`created`,
`start_timestamp`, the last log line's time) and the evidence that a worker is being declared
gone is elsewhere: the item is still in a live state (`status=RUNNING`, `handling=True`, an open
`stop_time__isnull=True`) and the consequence moves it to a failure state (`status = FAILED`,
`update(status=stopped)`, `finished(Events.timeout)`) or hands it back (`handling = False`). A
slow worker looks exactly like a dead one to such a sweeper.

Left out: retention (rows deleted, or already finished), reservations that merely expire
(`expired` is not a failure verdict), credentials and people (ARM104's business), and windows
from observed latency or the item's own record (rules/_liveness_ages.fixed_window).
"""
from __future__ import annotations

import re

import libcst as cst

from ..imports import dotted
from ..walk import descendants
from ._call_args import callee_name
from ._liveness_redispatch import redispatched
from ._liveness_terminal import selects_terminal
from ._liveness_ages import (
    Age,
    Detector,
    FunctionFlow,
    _DATA_OWNER,
    _PERSON,
    _descendants,
    _names_in,
    ages,
    branch_test,
    fixed_window,
    query_of,
    quorum_in,
    rows_top,
)

# A state that says a worker holds the item right now.
_HELD = re.compile(
    r"(?<![a-z])(?:running|in_?progress|processing|handling|executing|started|claimed|picked|leased|reserved|busy)(?![a-z])",
    re.IGNORECASE,
)
# Lists of items declared abandoned (`orphaned.append(wf)`); a list to delete may be retention.
_VERDICT_LIST = re.compile(r"orphan|dead|stale|stuck|lost|crash|fail|timed_?out|requeue|abandon", re.IGNORECASE)
# Rows named for the verdict on their worker (`stuck_jobs`, `stalled_intents`).
_STALLED_ROWS = re.compile(r"stall|stuck|orphan|hung|zombie|abandon", re.IGNORECASE)
# `-ing` states of work that no worker holds yet.
_NOT_TAKEN = frozenset({"pending", "waiting", "missing", "string", "ping", "nothing", "upcoming", "incoming", "outgoing"})
# `stop_time__isnull=True`: the item was never closed.
_OPEN = re.compile(r"(?:stop|end|finish|complet|close)\w*__isnull$", re.IGNORECASE)
# Verdicts on the worker: the item failed or timed out because nobody finished it. `expired`
# and `cancelled` are left out on purpose: a reservation or an offer that lapses is no verdict.
_FAILED = frozenset(
    {"failed", "failure", "timeout", "timed_out", "timedout", "stuck", "orphaned", "dead", "lost", "crashed",
     "unresponsive", "stopped", "aborted", "killed", "stalled", "error", "errored", "fail"}
)
# A transition named for the failure state it leads to (not a predicate: `is_failed()`).
_FAILING_CALL = re.compile(
    r"(?:^|_)(?:mark|set|update|move|transition|to)_(?:\w+_)?(?:failed|failure|error|errored|stalled|stuck|orphaned|dead|lost|crashed|aborted)$",
    re.IGNORECASE,
)
# A flag or owner that a worker's claim set: clearing it hands the item to another worker.
_CLAIM_FIELD = re.compile(r"^(?:handling|claimed|locked|picked|in_?progress|claimed_by|locked_by|picked_by|owner|worker|worker_id)$")
# The reason an item ended, recorded as a timeout or a silence.
_REASON_FIELD = re.compile(r"(?:^|_)(?:cause|reason|status|state|error)$", re.IGNORECASE)
_TIMED_OUT = re.compile(r"time[-_ ]?out|timed[-_ ]?out|stale|unresponsive|non[-_ ]?responsive", re.IGNORECASE)
_STATE_FIELD = re.compile(r"(?:^|_)(?:state|status)$", re.IGNORECASE)


def find_stalled(flow: FunctionFlow) -> list[Detector]:
    """Ages the stamp-word form leaves out, decided by the item's state and fate instead."""
    out: list[Detector] = []
    found = ages(flow)
    if not found or quorum_in(flow.func.body):
        return out  # suspicion that a quorum must confirm
    for age in found:
        owner = f"{age.owner} {flow.cls.name.value if flow.cls is not None else ''}"
        if _DATA_OWNER.search(owner) or _DATA_OWNER.search(age.stamp_name) or _PERSON.search(age.owner):
            continue
        if not fixed_window(flow, age) or _window_parameter(flow, age.window) or _entity_window(flow, age.window):
            continue
        test = branch_test(flow, age.node)
        if isinstance(test, cst.If):
            if selects_terminal(test.test):
                continue  # `status == CRASHED and now > last_update + keep`: retention
            if _fails_item(flow, test.body, nested=False):
                out.append(Detector(age, "high", False))
            continue
        query = _query_of_age(flow, age.node)
        region = _query_region(flow, age.node, query)
        if region is None or selects_terminal(region):
            continue
        if not (_held(flow, region) or _named_stalled(flow, query)):
            continue
        if _fails_item(flow, flow.func.body) or _rows_returned(flow, query) or redispatched(flow.func.body):
            out.append(Detector(age, "medium", False))
    return out


def _named_stalled(flow: FunctionFlow, query: cst.CSTNode | None) -> bool:
    """`stalled_intents = list(Intent.objects.filter(state=PAID, modified__lte=cutoff))`: the
    rows are named for the verdict, whatever the state they are held in is called."""
    if query is None:
        return False
    parent = flow.parent.get(id(rows_top(flow, query)))
    if not isinstance(parent, cst.Assign) or not isinstance(parent.targets[0].target, cst.Name):
        return False
    return bool(_STALLED_ROWS.search(parent.targets[0].target.value))


def _query_of_age(flow: FunctionFlow, node: cst.CSTNode) -> cst.CSTNode | None:
    """The query a lookup keyword, a `Model.stamp <= cutoff` or a `between(...)` argument belongs to."""
    if isinstance(node, cst.Call):
        node = flow.parent.get(id(node))
    while node is not None and not isinstance(node, cst.Arg):
        if not isinstance(node, (cst.Comparison, cst.UnaryOperation, cst.BooleanOperation, cst.BinaryOperation)):
            return None
        node = flow.parent.get(id(node))
    return query_of(flow, node) if node is not None else None


def _words(node: cst.CSTNode) -> set[str]:
    return set(re.findall(r"\w+", _names_in(node)))


def _window_parameter(flow: FunctionFlow, window: cst.BaseExpression | None) -> bool:
    """The caller hands the window in with no default: it is the caller's choice."""
    params = {p.name.value: p for p in (*flow.func.params.params, *flow.func.params.kwonly_params)}
    names = [n for n in _names_in(window).split() if n in params] if window is not None else []
    for name in names:
        bound = flow.bound(cst.Name(name))
        if bound is None and params[name].default is None:
            return True
    return False


def _entity_window(flow: FunctionFlow, window: cst.BaseExpression | None) -> bool:
    """`timedelta(seconds=workflow.interval)`: each item's own setting (a cadence or a
    per-entity threshold) is configuration, not a detector."""
    if window is None:
        return False
    roots = {w.split(".")[0] for w in _names_in(window).split() if "." in w}
    return bool(roots & (flow.loop_names | flow.params) - {"self", "cls"})


def _query_region(flow: FunctionFlow, node: cst.CSTNode, query: cst.CSTNode | None) -> cst.CSTNode | None:
    """What the lookup's siblings say about the rows: the whole query chain, or the dict of
    lookups (`{"start__lte": cutoff, "status": RUNNING}`)."""
    if isinstance(node, cst.DictElement):
        return flow.parent.get(id(node))
    if query is None:
        return None
    return rows_top(flow, query)


def _held(flow: FunctionFlow, region: cst.CSTNode) -> bool:
    """The rows are still held by a worker: a live state, a claim flag set, or never closed."""
    for inner in _descendants(region):
        if isinstance(inner, cst.Arg) and inner.keyword is not None:
            if _live_lookup(inner.keyword.value, flow.bound(inner.value) or inner.value):
                return True
        elif isinstance(inner, cst.DictElement) and isinstance(inner.key, cst.SimpleString):
            if _live_lookup(inner.key.value.strip("'\""), flow.bound(inner.value) or inner.value):
                return True
        elif isinstance(inner, cst.Comparison) and _STATE_FIELD.search(_names_in(inner.left).split(".")[-1] or ""):
            if any(_held_value(c.comparator) for c in inner.comparisons):
                return True  # `Model.status == "in_progress"`
        elif isinstance(inner, cst.Call):
            name = (dotted(inner.func) or "").rsplit(".", 1)[-1]
            if re.search(r"(?:^|_)(?:active|running|in_progress|processing)(?:_|$)", name):
                return True  # `get_active_nodes(started_before=cutoff)`
    return False


def _live_lookup(keyword: str, value: cst.BaseExpression) -> bool:
    field = keyword.split("__", 1)[0]
    truthy = (isinstance(value, cst.Name) and value.value == "True") or _set_operator(value)
    if _OPEN.search(keyword) and truthy:
        return True
    if _CLAIM_FIELD.match(field) and truthy:
        return True
    return bool(_STATE_FIELD.search(field)) and _held_value(value)


def _set_operator(value: cst.BaseExpression) -> bool:
    """A document-store test that a field is set: `{"$ne": None}`, `{"$exists": True}`."""
    if not isinstance(value, cst.Dict) or len(value.elements) != 1 or not isinstance(value.elements[0], cst.DictElement):
        return False
    element = value.elements[0]
    operator = element.key.value.strip("'\"") if isinstance(element.key, cst.SimpleString) else ""
    flag = element.value.value if isinstance(element.value, cst.Name) else ""
    return (operator, flag) in (("$ne", "None"), ("$exists", "True"))


def _held_value(value: cst.BaseExpression) -> bool:
    """`"running"`, `States.SENDING`, `(Status.in_progress,)`: a state of work under way. A
    state named for an activity (`-ing`) is one, except those of work nobody has taken yet."""
    for word in _names_in(value).split():
        last = word.rsplit(".", 1)[-1].strip("'\"").lower()
        if _HELD.search(last) or (re.fullmatch(r"[a-z_]{3,}ing", last) and last not in _NOT_TAKEN):
            return True
    return False


def _fails_item(flow: FunctionFlow, body: cst.CSTNode, nested: bool = True) -> bool:
    """The item is moved to a failure state, its claim is cleared, or it is listed as gone (in a
    branch: by the branch itself, not by a further test nested in it)."""
    skip = (cst.FunctionDef, cst.ClassDef) if nested else (cst.FunctionDef, cst.ClassDef, cst.If)
    for inner in descendants(body, skip=skip):
        if isinstance(inner, cst.Assign) and len(inner.targets) == 1:
            target = _last_word(inner.targets[0].target)
            if _STATE_FIELD.search(target) and _failure_value(inner.value):
                return True
            if _CLAIM_FIELD.match(target) and _cleared(inner.value):
                return True
            if _REASON_FIELD.search(target) and isinstance(inner.value, cst.SimpleString) and _TIMED_OUT.search(inner.value.value):
                return True  # `terminate_cause = "Session-Timeout"`: recorded as timed out
        elif isinstance(inner, cst.Call):
            func = inner.func
            if isinstance(func, cst.Attribute) and func.attr.value in ("append", "add") and _VERDICT_LIST.search(dotted(func.value) or ""):
                return True
            if _FAILING_CALL.search(callee_name(inner)):
                return True  # `dao_update_job_status_to_error(job)`, `mark_as_failed(item)`
            for arg in inner.args:
                keyword = arg.keyword.value if arg.keyword is not None else ""
                if (not keyword or _STATE_FIELD.search(keyword)) and _failure_value(arg.value):
                    return True  # `update(status=Status.stopped)`, `finished(Events.timeout)`
    return False


def _last_word(target: cst.BaseExpression) -> str:
    if isinstance(target, cst.Attribute):
        return target.attr.value
    if isinstance(target, cst.Subscript) and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
        key = target.slice[0].slice.value
        return key.value.strip("'\"") if isinstance(key, cst.SimpleString) else ""
    return target.value if isinstance(target, cst.Name) else ""


def _failure_value(value: cst.BaseExpression) -> bool:
    """`"failed"`, `Status.TIMEOUT`, and compound states ending in the verdict
    (`VideoStatus.UPLOAD_FAILED`, `JOB_STATUS_ERROR`)."""
    if isinstance(value, cst.SimpleString):
        return value.value.strip("'\"").lower() in _FAILED
    if isinstance(value, cst.Attribute):  # an enum member: `Status.FAILED`, `VideoStatus.UPLOAD_FAILED`
        return _failure_word(value.attr.value.lower())
    if isinstance(value, cst.Name):  # `FAILED`, a state constant `JOB_STATUS_ERROR` (never `LOST_TIMEOUT`)
        word = value.value.lower()
        return word in _FAILED or (bool(_STATE_FIELD.search(word.rsplit("_", 1)[0])) and _failure_word(word))
    return False


def _failure_word(word: str) -> bool:
    """The state or its last word: `upload_failed`, `status_error` (a `*_timeout` names a duration)."""
    last = word.rsplit("_", 1)[-1]
    return word in _FAILED or (last in _FAILED and last != "timeout")


def _cleared(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value in ("False", "None")


def _rows_returned(flow: FunctionFlow, query: cst.CSTNode | None) -> bool:
    """The held rows older than the window are handed to the caller (a sweeper's finder)."""
    if query is None:
        return False
    top = rows_top(flow, query)
    parent = flow.parent.get(id(top))
    if isinstance(parent, cst.Return):
        return True
    if isinstance(parent, cst.Assign):
        key = parent.targets[0].target
        names = {key.value} if isinstance(key, cst.Name) else set()
        for node in _descendants(flow.func.body):  # `result = ...; rows = result.all()`
            if isinstance(node, cst.Assign) and isinstance(node.targets[0].target, cst.Name) and names & _words(node.value):
                names.add(node.targets[0].target.value)
        return any(
            isinstance(node, cst.Return) and node.value is not None and names & _words(node.value)
            for node in _descendants(flow.func.body)
        )
    return False
