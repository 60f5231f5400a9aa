"""The general fixed-timeout form: the age of a stamp that another process wrote, compared with a
window that no observation produced, deciding that the writer is gone.

A *stamp* is any instant this function did not read itself: a record's attribute, a dict or JSON
field, a store result, a parameter, a parsed string, a loop item. Its *age* is spelled many ways
(`now - stamp > W`, `stamp < now - W`, `stamp + W < now`, `abs(...)`, a difference bound to a
local and compared later, `timeutils.is_older_than(stamp, W)`, `delta_seconds(stamp, now)`, a
Django lookup `field__lt=now - W`); all of them are normalised to (stamp, window) here.

The comparison is a failure detector when the stamp is a liveness stamp (a heartbeat, a last
contact, or the update stamp of a worker/agent/service-like record) or when its result declares
the other party gone (its branch or the query's rows are deleted, failed, requeued, taken over,
or a liveness verdict is returned). A window read from the stamp's own record (each entity's own
timeout), or computed from observed latency or a quorum, is not fixed; token/session/cache ages
are ARM104's business; a branch that only logs is display.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from ..imports import dotted
from ..walk import children, descendants
from ._call_args import callee_name
from ._clock import reads_wall_clock
from ._liveness_clocks import DB_NOW
from ._liveness_terminal import selects_terminal
from ._heartbeat import ADAPTIVE, DEAD_VALUES, DEATH_CALL, HEARTBEAT, NODEISH, QUORUM

# The holder of settings: what it returns is a window, not a stamp.
_CONFIG_HOLDER = re.compile(r"^_?(?:\w+_)?(?:conf|config|cfg|settings|options|opts|args)$", re.IGNORECASE)

# A parameter named for a duration (`stale_after`, `timeout`, `max_age`): subtracted from a clock
# reading it makes a cutoff, it is never the instant being aged.
_DURATION_NAME = re.compile(
    r"timeout|(?:^|_)after$|interval|threshold|ttl|delta|duration|period|window|grace|max_age|(?:^|_)(?:seconds|secs|minutes|mins|hours|days)$|delay",
    re.IGNORECASE,
)
# What the stamp is: the last word from a peer (whatever its record) ...
LIVE_STAMP = re.compile(
    rf"{HEARTBEAT.pattern}|seen|ping|pong|alive|check_?in|last_?report|reported_?(?:at|on|time)|last_?contact|lastactive|"
    # a peer's periodic pulse (`node.last_pulse`): a heartbeat under another name
    r"last_?pulse|pulse_?(?:at|time|ts)$|"
    # when the party was last known live (`last_live_time`)
    r"last_?live(?:_?(?:at|time|ts))?$",
    re.IGNORECASE,
)
# ... or its last progress, a liveness stamp only on a worker-like record, else a job's progress.
PROGRESS_STAMP = re.compile(
    r"(?:^|_)(?:updated|modified|touched|started|claimed|locked|picked|leased|reserved|dequeued)(?:_?(?:at|on|time|ts))?"
    # the same instant kept as a number (`locked_at_in_seconds`, `updated_at_ms`)
    r"(?:_(?:in_)?(?:seconds|secs|ms|millis|epoch|unix))?$"
    r"|(?:^|_)update_?(?:time|at|ts)$|last_?update|date_?(?:started|updated|modified)",
    re.IGNORECASE,
)
# When something last arrived from the other party (`peer.last_response`, `node.last_query`):
# its last word under another name, read only on a node-like record (a chat's last message is
# no party's liveness), and only when the party is then taken out.
PEER_WORD = re.compile(
    r"last_?(?:response|reply|replied|recv|received|receive|heard|query|queried|message|msg)(?:_?(?:at|on|time|ts))?$",
    re.IGNORECASE,
)
# A stamp named for no event (`timestamp`, `self.__timestamp`, `last_time`): a party's last word only
# when its owner is node-like or its window a timeout, and only when the party is then taken out.
_BARE_STAMP = re.compile(r"^_*(?:last_?)?(?:timestamp|ts|stamp|time)$", re.IGNORECASE)
# The last health report a party sent (`build.healthcheck`); `last_health_check` is as often when
# this process last checked, so only the consequence decides.
_REPORTED_HEALTH = re.compile(r"^health_?check(?:_?(?:at|on|time|ts))?$", re.IGNORECASE)
# A collection of work taken and not finished (`harvest_object_pending`, `inflight_keys`): the
# stamps kept per item are its progress.
_IN_FLIGHT = re.compile(r"(?:^|_)(?:pending|in_?flight|in_?progress|processing)(?:_|$)", re.IGNORECASE)
_TIMEOUT_WINDOW = re.compile(r"timeout|keep_?alive", re.IGNORECASE)
# The owner of an update stamp whose freshness is a member's liveness.
MEMBER_OWNER = re.compile(rf"{NODEISH.pattern}|service|svc|conductor|manager|guest|daemon|process", re.IGNORECASE)
# Windows that age data out (an `expired_interval` may still be a party's silence).
# `keep` is a retention word, `keepalive` the peer's heartbeat (`max_time_without_keepalive`).
_DATA_WINDOW = re.compile(r"ttl|retention|retain|keep(?!_?alive)|cache|session|history|archive", re.IGNORECASE)
# A suspicion stage: the party is watched more closely, not yet declared gone.
_SUSPECT = re.compile(r"suspect", re.IGNORECASE)
# People, not processes: a user's presence is display.
_PERSON = re.compile(r"user|customer|person|visitor|profile|account|author|member_of_staff", re.IGNORECASE)
# Ages of credentials and cached data: ARM104's business, nobody is declared gone.
_DATA_OWNER = re.compile(r"session|token|cache|otp|password|passwd|invite|nonce|login|attempt|cookie|captcha", re.IGNORECASE)
# Verdict functions and flags: their answer is that the party is up or gone.
VERDICT = re.compile(
    r"alive|dead|(?:^|_)up(?:_|$)|down|health|active|stale|lost|uptodate|up_to_date|responsive|reachable|online|offline",
    re.IGNORECASE,
)
# Functions whose answer is also that verdict (`_worker_is_recent`, `needs_expired`,
# `needs_requeued`); as a local's name (`recent = age < W`) such a word is a display label.
_VERDICT_FUNCTION = re.compile(rf"{VERDICT.pattern}|recent|fresh|expired|requeued?", re.IGNORECASE)
# Calls that take the work or the membership away from the silent party.
_GONE_CALL = re.compile(
    rf"{DEATH_CALL.pattern}|fail|crash|requeue|resubmit|re_?dispatch|^delay$|apply_async|send_task|enqueue|reschedul|"
    r"migrate|expire|abandon|reset|orphan|"
    # a client, player or link cut off (`player.logout()`, `self.disconnect("ping timeout")`)
    r"log_?out|disconnect|kick|cull|delist|link_down|"
    # the work handed to another (`workers.restage(uuid)`, `reissue(work)`)
    r"re_?stage|re_?issue|"
    # the silent party's work called off (`task_cancel_requested_event_handler(session, task.id)`)
    r"cancel|"
    # a private removal (`self._delete_backup_edges_on_db(...)`)
    r"^_+(?:delete|remove)",
    re.IGNORECASE,
)
# Lists collecting the parties to remove (`to_delete.append(task)`, `dead.append(node)`).
_GONE_LIST = re.compile(
    r"delete|remove|crash|dead|expired|stale|bad|lost|evict|kill|terminat|requeue|fail|orphan|"
    # `culled_peers`, `timed_out_clients`, `to_disconnect`
    r"cull|purge|timed_?out|disconnect|"
    # work found stuck (`stalled.append(job)`, `zombie_tasks`)
    r"stall|stuck|zombie|hung",
    re.IGNORECASE,
)
_ZOMBIE = re.compile(r"zombie", re.IGNORECASE)
# Query methods that change or remove the rows a lookup selected.
_ROW_WRITES = frozenset({"update", "delete", "bulk_update", "update_all", "delete_all"})
_LOG = re.compile(r"^(?:print|warn)$|(?:^|\.)(?:log|logger|logging|_log|_logger|LOG|LOGGER|warnings)\.\w+$")
_ORDER = (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)
# Clock readings beyond the wall clock: oslo's helpers. A monotonic reading is left out on purpose:
# it can only age a stamp this process took itself (local supervision, not a peer's silence).
_NOW_CALLS = frozenset(
    {"oslo_utils.timeutils.utcnow", "timeutils.utcnow", "oslo_utils.timeutils.utcnow_ts", "timeutils.utcnow_ts",
     "iso8601.now"}
)
# A project's own reading named for what it returns (`utcnow()`, `get_datetime_utc_now()`).
_NOW_HELPER = re.compile(r"(?:^|_)(?:utc_?)?now(?:_(?:utc|ts|dt|datetime))?$|^utcnow_ts$", re.IGNORECASE)
# Bases of a stored record's class.
_STORED_BASE = re.compile(r"(?:^|\.)(?:\w*Model|\w*Document|Base|DeclarativeBase|Entity|Table)$")
# A parameter holding the caller's clock reading.
_NOW_PARAM = re.compile(r"^(?:now|now_ts|now_time|utcnow|utc_now|current_time|curr_time|current_timestamp|curr_timestamp)$")
# Reads of a single value a statement returns.
_SCALAR_READS = frozenset({"scalar", "scalar_one", "scalar_one_or_none"})
_PASS_FUNCS = frozenset({"int", "float", "round", "abs", "Decimal"})
# Fields of a difference (`(now - stamp).seconds`) that still measure the age.
_DELTA_PARTS = frozenset({"seconds", "days"})
_PASS_METHODS = frozenset({"timestamp", "replace", "astimezone", "total_seconds", "utctimetuple", "timetuple"})
# Turn a stored text or number into an instant: the value still is the other writer's stamp.
_PARSE = re.compile(r"strptime|parse|fromisoformat|fromtimestamp|utcfromtimestamp|isotime|to_datetime", re.IGNORECASE)
_AGE_CALLS = frozenset({"is_older_than"})
_DELTA_CALLS = frozenset({"delta_seconds"})
_LOOKUPS = ("__lt", "__lte", "__gt", "__gte")
# A query helper's cutoff keyword (`get_active_nodes(started_before=cutoff)`): the same lookup.
_BEFORE = "_before"
# Reads of a stored value (a cache, a hash, a file): what they return another writer stamped.
_STORE_READS = frozenset({"get", "hget", "getex", "read", "read_text", "readline"})
# Statement builders whose statement changes the rows it filters (SQLAlchemy Core, peewee). A
# DELETE statement by age is left out: removing old rows is retention far more often (stats,
# events, in-flight display rows) than a verdict on their writer.
_STATEMENT_WRITES = frozenset({"update"})
# Wrappers that keep the rows they are handed (`list(query)`).
_ROW_WRAPPERS = frozenset({"list", "tuple", "set", "sorted"})


@dataclass
class Age:
    """One age comparison: where to report it, the stamp it ages and the window."""

    node: cst.CSTNode
    stamp: cst.CSTNode  # the stamp expression (or the lookup keyword)
    stamp_name: str
    owner: str  # what holds the stamp: the record, dict or model it is read from
    window: cst.BaseExpression | None
    feeds: list[cst.CSTNode] = field(default_factory=list)  # readings and locals it is computed from


def _last(name: str | None) -> str:
    return (name or "").rsplit(".", 1)[-1]


def _strip(expr: cst.BaseExpression) -> cst.BaseExpression:
    """`int(x)`, `abs(x)`, `x.total_seconds()`, `x.timestamp()`, `(now - x).seconds`: the same quantity."""
    while True:
        if isinstance(expr, cst.Attribute) and expr.attr.value in _DELTA_PARTS and isinstance(expr.value, cst.BinaryOperation):
            expr = expr.value  # a difference's `.seconds` (days dropped: a bug of its own) still ages the stamp
            continue
        if isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Name) and func.value in _PASS_FUNCS and len(expr.args) == 1:
                expr = expr.args[0].value
                continue
            if isinstance(func, cst.Attribute) and func.attr.value in _PASS_METHODS:
                expr = func.value
                continue
        return expr


class FunctionFlow:
    """Assignments of one function's locals and `self.` attributes (the last binding wins: the
    forms read here bind each name once), and the parent of every node."""

    def __init__(
        self, func: cst.FunctionDef, qname, cls: cst.ClassDef | None, cutoffs: frozenset[str] = frozenset(), clock=None
    ) -> None:
        self.func = func
        # readings of the current time beyond the known clock calls (rules/_liveness_clocks)
        self.clock = clock
        # functions of the project that return `now - window` (a cutoff helper)
        self.cutoffs = cutoffs
        self.qname = qname
        self.cls = cls
        self.binds: dict[str, cst.BaseExpression] = {}
        self.loop_names: set[str] = set()
        # a loop's value name -> the mapping it comes from (`for sid, ts in heartbeats.items()`)
        self.loop_values: dict[str, str] = {}
        # a loop's item name -> the collection it iterates (`for key in pending_keys`)
        self.loop_sources: dict[str, str] = {}
        self.parent: dict[int, cst.CSTNode] = {}
        self.comparisons: list[cst.Comparison] = []
        self.calls: list[cst.Call] = []
        self.dicts: list[cst.Dict] = []
        self.deadlines: dict = {}  # name -> Deadline of the module's deadline helpers, set by the caller
        self.uses: dict[str, list[cst.CSTNode]] = {}
        self._own: set[str] | None = None
        self.params = {p.name.value for p in (*func.params.params, *func.params.kwonly_params, *func.params.posonly_params)}
        stack = [func.body]
        while stack:
            node = stack.pop()
            for child in children(node):
                if isinstance(child, (cst.FunctionDef, cst.ClassDef)):
                    continue
                self.parent[id(child)] = node
                stack.append(child)
            self._note(node)

    def _note(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            key = _key(node.targets[0].target)
            if key and _key(_strip(node.value)) != key:  # `t = t.replace(tzinfo=UTC)` keeps what t is
                self.binds[key] = node.value
        elif isinstance(node, (cst.AnnAssign, cst.NamedExpr)) and node.value is not None:
            key = _key(node.target)
            if key:
                self.binds[key] = node.value
        elif isinstance(node, (cst.For, cst.CompFor)):
            for name in _target_names(node.target):
                self.loop_names.add(name)
            mapping = _mapping_values(node)
            if mapping is not None:
                self.loop_values[mapping[0]] = mapping[1]
            source = dotted(node.iter) if isinstance(node.iter, (cst.Name, cst.Attribute)) else None
            if source and isinstance(node.target, cst.Name):
                self.loop_sources[node.target.value] = source.rsplit(".", 1)[-1]
        elif isinstance(node, cst.Comparison):
            self.comparisons.append(node)
        elif isinstance(node, cst.Call):
            self.calls.append(node)
        elif isinstance(node, cst.Dict):
            self.dicts.append(node)
        elif isinstance(node, cst.Name):
            self.uses.setdefault(node.value, []).append(node)

    def record_class(self) -> bool:
        """A class built on another (a model or document base): its `self.` fields are a
        stored record's, which other processes write. A plain class holds this process's state."""
        if self.cls is None:
            return False
        return any(not (isinstance(b.value, cst.Name) and b.value.value == "object") for b in self.cls.bases)

    def stored_class(self) -> bool:
        """A class of an ORM or document mapper (`models.Model`, `db.Model`, `Document`): its rows
        are written by every process that loads them, not only by this one."""
        return self.cls is not None and any(_STORED_BASE.search(dotted(b.value) or "") for b in self.cls.bases)

    def own_stamps(self) -> set[str]:
        """`self.x` attributes that a method of this class sets to a clock reading."""
        if self._own is None:
            self._own = set()
            if self.cls is not None:
                for node in descendants(self.cls.body):
                    if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.value, cst.Call):
                        key = _key(node.targets[0].target) or ""
                        # any reading of the clock, a project helper's too (`self.beat = _time()`)
                        if key.startswith("self.") and (
                            reads_wall_clock(self.qname, node.value) or (self.clock is not None and self.clock(node.value))
                        ):
                            self._own.add(key[5:])
        return self._own

    def is_cutoff_call(self, expr: cst.BaseExpression) -> bool:
        return isinstance(expr, cst.Call) and _last(dotted(expr.func)) in self.cutoffs

    def bound(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        key = _key(expr)
        return self.binds.get(key) if key else None

    # --- what a value is ---------------------------------------------------------------------
    def is_now(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        expr = _strip(expr)
        if isinstance(expr, cst.Call):
            name = self.qname(expr.func) or dotted(expr.func) or ""
            return (
                _database_now(expr)
                or reads_wall_clock(self.qname, expr)
                or name in _NOW_CALLS
                or (not expr.args and bool(_NOW_HELPER.search(_last(name))))
                or (self.clock is not None and self.clock(expr))
            )
        if isinstance(expr, cst.BinaryOperation) and depth < 3:
            # `now` shifted by a duration is still `now` for the side test, never a stamp
            return self.is_now(expr.left, depth + 1) and not self.is_now(expr.right, depth + 1)
        bound = self.bound(expr)
        if bound is not None and depth < 3:
            return self.is_now(bound, depth + 1)
        # `def has_failed(now, task)`: the caller read the clock and hands it in
        return isinstance(expr, cst.Name) and bound is None and expr.value in self.params and bool(_NOW_PARAM.match(expr.value))

    def stamp(self, expr: cst.BaseExpression, depth: int = 0) -> tuple[cst.CSTNode, str, str] | None:
        """(node, name, owner) when `expr` is an instant this function did not read itself."""
        expr = _strip(expr)
        if self.is_now(expr):
            return None
        if isinstance(expr, cst.Call):
            inner = _parsed(expr)
            if inner is not None:
                return self.stamp(inner, depth + 1) if depth < 3 else None
            found = _store_read(expr)
            key = expr.args[0].value if found is not None and expr.args else None
            if isinstance(key, cst.Name) and key.value in self.loop_sources:
                # `for key in harvest_object_pending: redis.get(key)`: named for the keys' collection too
                found = (found[0], f"{found[1]} {self.loop_sources[key.value]}", found[2])
            return found or _getter(expr)
        if isinstance(expr, cst.IfExp):
            return self.stamp(expr.body, depth + 1) if depth < 3 else None
        if isinstance(expr, cst.BooleanOperation):  # `row['updated_at'] or row['created_at']`
            return self.stamp(expr.left, depth + 1) if depth < 3 else None
        if isinstance(expr, cst.Attribute):
            if isinstance(expr.value, cst.Name) and expr.value.value in ("self", "cls"):
                bound = self.bound(expr)
                if bound is not None and depth < 3:
                    found = self.stamp(bound, depth + 1)
                    return (expr, expr.attr.value, found[2]) if found else None
                if not self.record_class():
                    return None  # a plain class holds the process's own state
                if expr.attr.value in self.own_stamps() and not (HEARTBEAT.search(expr.attr.value) and self.stored_class()):
                    # this record stamps it from its own clock; a stored record's refresh or
                    # heartbeat (`self.last_refreshed = now()` on a node model) is still the
                    # party's last word, whichever process wrote it
                    return None
                owner = self.cls.name.value if self.cls is not None else ""
                return expr, expr.attr.value, owner
            return expr, expr.attr.value, _owner_text(expr.value)
        if isinstance(expr, cst.Subscript):
            key = _subscript_key(expr)
            owner = _owner_text(expr.value)
            if _CONFIG_HOLDER.search(owner.rsplit(".", 1)[-1]):
                return None  # `app.config["PURGE_TIME"]`: a setting is a window, never a stamp
            return (expr, key, owner) if key else None
        if isinstance(expr, cst.Name):
            bound = self.bound(expr)
            if bound is not None and depth < 3:
                found = self.stamp(bound, depth + 1)
                return (expr, f"{expr.value} {found[1]}", found[2]) if found else None
            if bound is None and (expr.value in self.loop_names or expr.value in self.params):
                if expr.value in self.params and _DURATION_NAME.search(expr.value):
                    return None  # `now - stale_after`: a window handed in makes a cutoff, not an age
                # a parameter or a loop item (never a module constant); a mapping's value is named
                # for the mapping too (`for sid, ts in heartbeats.items()`: a heartbeat)
                return expr, f"{self.loop_values.get(expr.value, '')} {expr.value}".strip(), ""
        return None


def _database_now(call: cst.Call) -> bool:
    """`session.execute(func.now()).scalar()`: the database's clock read into a value."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value in _SCALAR_READS and isinstance(func.value, cst.Call)):
        return False
    inner = func.value
    return len(inner.args) == 1 and isinstance(inner.args[0].value, cst.Call) and bool(
        DB_NOW.search(dotted(inner.args[0].value.func) or "")
    )


def _key(target: cst.BaseExpression) -> str | None:
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self":
        return f"self.{target.attr.value}"
    return None


def _mapping_values(loop: cst.For | cst.CompFor) -> tuple[str, str] | None:
    """(value name, mapping name) of `for k, v in mapping.items()` / `for v in mapping.values()`."""
    call = loop.iter
    if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and not call.args):
        return None
    method = call.func.attr.value
    owner = _owner_text(call.func.value).rsplit(".", 1)[-1]
    target = loop.target
    if method in ("items", "iteritems") and isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == 2:
        value = target.elements[1].value
    elif method in ("values", "itervalues"):
        value = target
    else:
        return None
    return (value.value, owner) if isinstance(value, cst.Name) and owner else None


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for el in target.elements for n in _target_names(el.value)]
    return []


def _subscript_key(node: cst.Subscript) -> str | None:
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        value = node.slice[0].slice.value
        if isinstance(value, cst.SimpleString):
            return value.value.strip("'\"")
    return None


def _owner_text(expr: cst.BaseExpression) -> str:
    if isinstance(expr, cst.Subscript):
        return _owner_text(expr.value)
    return dotted(expr) or ""


def _store_read(call: cst.Call) -> tuple[cst.CSTNode, str, str] | None:
    """`cache.get(HEARTBEAT_KEY)`, `f.read()`: a value read back from a store or a file is an
    instant another writer stamped (named by its key, or by the local it is bound to)."""
    func = call.func
    while isinstance(func, cst.Attribute) and func.attr.value in ("strip", "decode") and isinstance(func.value, cst.Call):
        call = func.value  # `f.read().strip()`: the same text
        func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in _STORE_READS:
        return None
    owner = _owner_text(func.value)
    if owner in ("self", "cls", "os.environ", "environ") or _CONFIG_HOLDER.search(owner.rsplit(".", 1)[-1]):
        return None  # a setting read is a window, never a stamp
    key = call.args[0].value if call.args else None
    name = _subscript_key_text(key) if key is not None else ""
    if key is not None and not isinstance(key, cst.SimpleString):
        # `self.worker_last_seen.get(key, 0)`: a mapping keyed by party is named for what it keeps
        name = f"{name} {owner.rsplit('.', 1)[-1]}".strip()
    return call, name or func.attr.value, owner


# A record's accessor for one of its instants (`slave.get_last_heartbeat_time()`).
_GETTER = re.compile(r"^get_(\w+)$")


def _getter(call: cst.Call) -> tuple[cst.CSTNode, str, str] | None:
    """`slave.get_last_heartbeat_time()`, `job.get_last_action_time()`: another record's stamp read
    through its accessor, named for what it returns (what it is decides stamp_kind). The process's
    own accessors (`self.get_...()`) read its own state."""
    func = call.func
    if call.args or not isinstance(func, cst.Attribute):
        return None
    match = _GETTER.match(func.attr.value)
    owner = _owner_text(func.value)
    if match is None or not owner or owner.split(".")[0] in ("self", "cls"):
        return None
    return call, match.group(1), owner


def _subscript_key_text(key: cst.BaseExpression) -> str:
    if isinstance(key, cst.SimpleString):
        return key.value.strip("'\"")
    return dotted(key) or ""


def _parsed(call: cst.Call) -> cst.BaseExpression | None:
    """`strptime(task['last_updated'], fmt)`, `iso8601.parse_date(lastseen)`: the parsed value."""
    name = dotted(call.func) or ""
    if _PARSE.search(_last(name)) and call.args:
        return call.args[0].value
    return None


# --- the age comparisons of one function -------------------------------------------------------
def ages(flow: FunctionFlow) -> list[Age]:
    found: list[Age] = []
    for comparison in flow.comparisons:
        if len(comparison.comparisons) != 1 or not isinstance(comparison.comparisons[0].operator, _ORDER):
            continue
        age = _compared_age(flow, comparison, comparison.left, comparison.comparisons[0].comparator)
        if age is not None:
            found.append(age)
    for call in flow.calls:
        age = _age_call(flow, call) or _between_age(flow, call)
        if age is not None:
            found.append(age)
    for mapping in flow.dicts:
        found.extend(_dict_lookups(flow, mapping))
    return found


def _between_age(flow: FunctionFlow, call: cst.Call) -> Age | None:
    """SQLAlchemy `between(Job.started, lo, hi)` / `Job.started.between(lo, hi)` whose upper
    bound is a cutoff `now - W`: the stamp is older than W (and younger than the lower bound)."""
    if _last(dotted(call.func)) != "between":
        return None
    args = [a.value for a in call.args if a.keyword is None]
    if isinstance(call.func, cst.Attribute) and len(args) == 2:
        column, upper = call.func.value, args[1]
    elif isinstance(call.func, cst.Name) and len(args) == 3:
        column, upper = args[0], args[2]
    else:
        return None
    shifted = _shifted(flow, upper)
    if shifted is None or shifted[2] is not cst.Subtract or not flow.is_now(shifted[0]):
        return None
    found = flow.stamp(column)
    return Age(call, found[0], found[1], found[2], shifted[1], shifted[3]) if found else None


def _dict_lookups(flow: FunctionFlow, mapping: cst.Dict) -> list[Age]:
    """`query = {"started__lte": now - W, "status": RUNNING}` handed on as `**query`."""
    out: list[Age] = []
    for element in mapping.elements:
        if not isinstance(element, cst.DictElement) or not isinstance(element.key, cst.SimpleString):
            continue
        keyword = element.key.value.strip("'\"")
        age = _lookup_age(flow, keyword, element, element.value, "")
        if age is not None:
            out.append(age)
    return out


def _lookup_age(flow: FunctionFlow, keyword: str, node: cst.CSTNode, value: cst.BaseExpression, owner: str) -> Age | None:
    """A lookup keyword (`field__lt`, `field_before`) whose value is a cutoff `now - W`."""
    if keyword.endswith("__range") and isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == 2:
        # `update_time__range=(now - 2 * W, now - W)`: its upper bound is the cutoff
        keyword, value = keyword[: -len("__range")] + "__lt", value.elements[1].value
    if keyword.endswith(_LOOKUPS):
        field_name = keyword.rsplit("__", 1)[0]
    elif keyword.endswith(_BEFORE) and len(keyword) > len(_BEFORE):
        field_name = keyword[: -len(_BEFORE)]
    else:
        return None
    shifted = _shifted(flow, value)
    if shifted is None:
        shifted = _shifted_call(flow, value)
    if shifted is None or shifted[2] is not cst.Subtract or not (flow.is_now(shifted[0]) or flow.is_cutoff_call(shifted[0])):
        return None
    return Age(node, node, field_name.rsplit("__", 1)[-1], owner, shifted[1], shifted[3])


def _shifted_call(flow: FunctionFlow, expr: cst.BaseExpression, depth: int = 0):
    """`add_millis(now(), -W)`: a helper handed the clock and a negated window is `now - W`."""
    expr = _strip(expr)
    bound = flow.bound(expr)
    if bound is not None and depth < 3:
        return _shifted_call(flow, bound, depth + 1)
    if isinstance(expr, cst.Call) and len(expr.args) == 2 and flow.is_now(expr.args[0].value):
        window = expr.args[1].value
        if isinstance(window, cst.UnaryOperation) and isinstance(window.operator, cst.Minus):
            return expr.args[0].value, window.expression, cst.Subtract, [expr]
    return None


def _difference(flow: FunctionFlow, expr: cst.BaseExpression, depth: int = 0):
    """The stamp of `now - stamp` / `delta_seconds(stamp, now)`, also through a local."""
    expr = _strip(expr)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Subtract):
        if flow.is_now(expr.left):
            found = flow.stamp(expr.right)
            return (found, [expr]) if found else None
    if isinstance(expr, cst.Call) and _last(dotted(expr.func)) in _DELTA_CALLS and len(expr.args) == 2:
        if flow.is_now(expr.args[1].value):
            found = flow.stamp(expr.args[0].value)
            return (found, [expr]) if found else None
    bound = flow.bound(expr)
    if bound is not None and depth < 3:
        inner = _difference(flow, bound, depth + 1)
        if inner is not None:
            return inner[0], inner[1] + [bound]
    return None


def _shifted(flow: FunctionFlow, expr: cst.BaseExpression, depth: int = 0):
    """(base, window, sign, feeds) of `base + W` / `base - W`, also through a local."""
    expr = _strip(expr)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Subtract)):
        return expr.left, expr.right, type(expr.operator), [expr]
    if flow.is_cutoff_call(expr):  # `service_expired_time()`: a helper returning `now - W`
        return expr, None, cst.Subtract, [expr]
    if isinstance(expr, cst.IfExp) and depth < 3:
        # `now - W if total_timeout > 0 else None`: the cutoff when there is one
        return _shifted(flow, expr.body, depth + 1)
    if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or) and isinstance(expr.left, cst.Name):
        # `deadline or self._deadline()`: a caller's cutoff, else the fixed one
        return _shifted(flow, expr.right, depth + 1) if depth < 3 else None
    bound = flow.bound(expr)
    if bound is not None and depth < 3:
        inner = _shifted(flow, bound, depth + 1)
        if inner is not None:
            return inner[0], inner[1], inner[2], inner[3] + [bound]
    return None


def _compared_age(flow: FunctionFlow, node, left, right) -> Age | None:
    for a, b in ((left, right), (right, left)):
        # `now > self.valid_until()`: a helper returning `stamp + window` (rules/_liveness_deadlines)
        deadline = flow.deadlines.get(_last(dotted(b.func))) if isinstance(b, cst.Call) else None
        if deadline is not None and flow.is_now(a):
            return Age(node, deadline.stamp, deadline.stamp_name, deadline.owner, deadline.window, [])
    for a, b in ((left, right), (right, left)):
        diff = _difference(flow, a)
        if diff is not None and not flow.is_now(b):
            (stamp, name, owner), feeds = diff
            return Age(node, stamp, name, owner, b, feeds)
    for a, b in ((left, right), (right, left)):
        shifted = _shifted(flow, b)
        if shifted is None:
            continue
        base, window, op, feeds = shifted
        if _own_instant(flow, window):
            continue  # `now - self.started` is an elapsed time of this process, not a cutoff
        # `stamp < now - W`: the cutoff form
        if op is cst.Subtract and (flow.is_now(base) or flow.is_cutoff_call(base)):
            found = flow.stamp(a)
            if found is not None:
                return Age(node, found[0], found[1], found[2], window, feeds)
        # `stamp + W < now`: the deadline form
        if op is cst.Add and flow.is_now(a):
            for stamp_side, window_side in ((base, window), (window, base)):
                found = flow.stamp(stamp_side)
                if found is not None and not flow.is_now(window_side):
                    return Age(node, found[0], found[1], found[2], window_side, feeds)
    for a, b in ((left, right), (right, left)):
        # `if sc.hosts[n].get_age() >= 3600: del sc.hosts[n]`: the record's own age helper
        if isinstance(a, cst.Call) and not a.args and isinstance(a.func, cst.Attribute) and _AGE_METHOD.match(a.func.attr.value):
            if not flow.is_now(b) and not isinstance(b, cst.Call):
                return Age(node, a, a.func.attr.value, _owner_text(a.func.value), b, [])
    for a, b in ((left, right), (right, left)):
        # `def fetch_stalled_jobs(self, older_than): ... if ts < older_than`: the caller's cutoff
        if isinstance(b, cst.Name) and b.value in flow.params and flow.bound(b) is None and _CUTOFF_PARAM.match(b.value):
            found = flow.stamp(a)
            if found is not None and not (isinstance(a, cst.Name) and a.value in flow.params):
                return Age(node, found[0], found[1], found[2], None, [])
    return None


# A record's method answering how long it has been silent.
_AGE_METHOD = re.compile(r"^(?:get_)?(?:age|idle_time|silence|(?:seconds|time)_since_last_\w+)$")
# A parameter holding a cutoff the caller computed (`now - window`).
_CUTOFF_PARAM = re.compile(r"^(?:older_than|cutoff(?:_\w+)?|\w+_cutoff|stale_before|dead_before|seen_before|not_seen_since)$")


def _own_instant(flow: FunctionFlow, expr: cst.BaseExpression | None) -> bool:
    """`self.previous_heartbeat`, set by this class from a clock reading: an instant, never a window."""
    expr = _strip(expr) if expr is not None else None
    return (
        isinstance(expr, cst.Attribute)
        and isinstance(expr.value, cst.Name)
        and expr.value.value == "self"
        and expr.attr.value in flow.own_stamps()
    )


def _age_call(flow: FunctionFlow, call: cst.Call) -> Age | None:
    name = _last(dotted(call.func))
    if name in _AGE_CALLS and len(call.args) == 2:
        found = flow.stamp(call.args[0].value)
        if found is not None:
            return Age(call, found[0], found[1], found[2], call.args[1].value)
        return None
    # a Django lookup aged against a cutoff: `Job.objects.filter(updated__lt=now - W)`
    for arg in call.args:
        keyword = arg.keyword.value if arg.keyword is not None else ""
        owner = _owner_text(call.func.value) if isinstance(call.func, cst.Attribute) else ""
        age = _lookup_age(flow, keyword, arg, arg.value, owner) if keyword else None
        if age is not None:
            return age
    return None


# --- is it a detector? ----------------------------------------------------------------------
def fixed_window(flow: FunctionFlow, age: Age) -> bool:
    """Not from observed latency or a quorum, not the stamp's own record's window."""
    window = age.window
    if window is None:
        return True
    bound = flow.bound(window)
    text = _names_in(window) + (" " + _names_in(bound) if bound is not None else "")
    if _DATA_WINDOW.search(text):
        return False  # a retention or cache window ages data, not parties
    if ADAPTIVE.search(text) or QUORUM.search(text):
        return False
    owner = age.owner.split(".")[0]
    if owner and owner not in ("self", "cls") and re.search(rf"(?:^|\s){re.escape(owner)}\.", text + " "):
        return False  # `hb.receive_time + hb.timeout`: each record's own window (configuration)
    if owner in ("self", "cls") and "." in age.owner and re.search(rf"(?:^|\s){re.escape(age.owner)}(?:\s|$)", text + " "):
        return False  # `self.conns[key].keep_alive_time` against `self.conns[key].kato`: each entry's own window
    if _held_by_self(age.stamp) and _handed_work_limit(flow, window):
        return False  # `utcnow() - self.monitor_started > job.timeout + grace`: the work's own time limit
    return not flow.is_now(window)


# The time limit a unit of work carries (`job.timeout`, `task.time_limit`).
_WORK_LIMIT = re.compile(r"^(?:\w+_)?(?:timeout|time_?limit)$")
# A parameter holding settings shared by every party: its timeout is one fixed window for all.
_SETTINGS_HOLDER = re.compile(r"settings|conf|cfg|options|opts|params|args", re.I)


def _held_by_self(stamp: cst.CSTNode) -> bool:
    """`self.monitor_started`: an instant this object keeps (the start of the work it runs)."""
    stamp = _strip(stamp) if isinstance(stamp, cst.BaseExpression) else stamp
    return isinstance(stamp, cst.Attribute) and isinstance(stamp.value, cst.Name) and stamp.value.value == "self"


def _handed_work_limit(flow: FunctionFlow, window: cst.BaseExpression) -> bool:
    """The window is the time limit of work handed to this function (`job.timeout` of a `job`
    parameter). Aged against an instant this object keeps, that is an execution time
    limit on work this process runs, not a silence taken for a crash: each job's own limit is
    its configuration (RULES.md, per-entity thresholds)."""
    params = {p.name.value for p in flow.func.params.params if not _SETTINGS_HOLDER.search(p.name.value)} - {"self", "cls"}
    return any(
        isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value in params
        and _WORK_LIMIT.match(node.attr.value)
        for node in descendants(window)
    )


def _names_in(node: cst.CSTNode, strings: bool = True) -> str:
    out: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.Attribute, cst.Name)):
            text = dotted(current)
            if text:
                out.append(text)
                continue
        if isinstance(current, cst.SimpleString) and strings:
            out.append(current.value)
        stack.extend(children(current))
    return " ".join(out)


def stamp_kind(flow: FunctionFlow, age: Age) -> str | None:
    """"live" for a liveness stamp, "progress" for a job's or claim's progress (a gone verdict
    must follow), None for any other instant."""
    owner = f"{age.owner} {flow.cls.name.value if flow.cls is not None else ''}"
    name = age.stamp_name
    words = name.split()
    if _PERSON.search(age.owner):
        return None
    if any(HEARTBEAT.search(w) for w in words):
        return "live"  # a heartbeat kept in a cache or a session store is still a heartbeat
    if _DATA_OWNER.search(owner) or _DATA_OWNER.search(name):
        return None
    if any(LIVE_STAMP.search(w) for w in words):
        return "live"
    if any(PROGRESS_STAMP.search(w) for w in words):
        return "live" if MEMBER_OWNER.search(owner) or MEMBER_OWNER.search(flow.func.name.value) else "progress"
    if any(_IN_FLIGHT.search(w) for w in words):
        return "progress"  # `redis.get(key)` for each key of `harvest_object_pending`: work in flight
    if any(PEER_WORD.search(w) for w in words) and (MEMBER_OWNER.search(owner) or MEMBER_OWNER.search(flow.func.name.value)):
        return "word"  # a node's last word: judged by its consequence alone (find_liveness_ages)
    if _AGE_METHOD.match(name) and NODEISH.search(owner):
        return "word"  # `hosts[n].get_age()`: a member's silence, judged by its consequence
    if any(_REPORTED_HEALTH.match(w) for w in words):
        return "word"  # `Q(healthcheck__lt=now - W)`: the last health report a builder sent
    if _BARE_STAMP.match(words[-1] if words else "") and (
        NODEISH.search(owner) or NODEISH.search(flow.func.name.value) or _TIMEOUT_WINDOW.search(_names_in(age.window) if age.window else "")
    ):
        # `Node.timestamp + timedelta(seconds=timeout) < now`, `for link, timestamp in links.items():
        # if timestamp + self.LINK_TIMEOUT < now`: a party's stamp named for no event, judged the same way
        return "word"
    # An instant of unknown meaning (`date`, `last_health_check`, `marked_as_spam`, a cache's
    # refresh time) ages data or a cadence far more often than a party's silence.
    return None


def decides_gone(flow: FunctionFlow, age: Age) -> str | None:
    """How the result takes the silent party out: "verdict" (a liveness answer is returned or
    set), "action" (a branch or the selected rows are removed, failed, requeued, taken over),
    "log" (the only consequence is a log line), or None."""
    node = age.node
    # climb through `not`, `and`/`or`, parentheses and comprehension filters to the user
    child = node
    parent = flow.parent.get(id(child))
    while isinstance(parent, (cst.UnaryOperation, cst.BooleanOperation, cst.Arg, cst.CompIf, cst.Comparison)):
        if isinstance(parent, cst.CompIf):
            return "verdict" if _comprehension_target(flow, parent) else None
        if isinstance(parent, cst.Arg):
            return _rows_fate(flow, parent)  # `query.filter(Model.stamp < cutoff)`: the rows' fate
        child, parent = parent, flow.parent.get(id(parent))
    if isinstance(parent, (cst.If, cst.While)) and parent.test is child:
        if selects_terminal(parent.test):
            return "log"  # `status == CRASHED and now > last_update + keep`: retention
        return _branch(flow, parent)
    if isinstance(parent, cst.IfExp) and parent.test is child:
        return None
    if isinstance(parent, cst.Return):
        return "verdict" if _VERDICT_FUNCTION.search(flow.func.name.value) or _is_property(flow.func) else None
    if isinstance(parent, (cst.Assign, cst.NamedExpr, cst.AnnAssign)):
        target = parent.targets[0].target if isinstance(parent, cst.Assign) else parent.target
        key = _key(target) or ""
        if VERDICT.search(key.split(".")[-1]) or _GONE_LIST.search(key.split(".")[-1]):
            return "verdict"
        return _uses_decide(flow, key)
    # the lookup keyword of a query: what happens to the selected rows
    if isinstance(node, cst.Arg):
        return _rows_fate(flow, node)
    if isinstance(node, cst.DictElement):
        return _dict_fate(flow, node)
    return None


def _dict_fate(flow: FunctionFlow, element: cst.DictElement) -> str | None:
    """`query = {"update_time__lt": now - W, ...}` then `Model.objects.filter(**query).update(...)`:
    the fate of the rows the unpacked lookups select."""
    holder = flow.parent.get(id(flow.parent.get(id(element))))
    key = (_key(holder.targets[0].target) or "") if isinstance(holder, cst.Assign) and len(holder.targets) == 1 else ""
    for use in flow.uses.get(key, []) if key else ():
        arg = flow.parent.get(id(use))
        if isinstance(arg, cst.Arg) and arg.star == "**" and isinstance(flow.parent.get(id(arg)), cst.Call):
            fate = _rows_fate(flow, arg)
            if fate is not None:
                return fate
    return None


def _comprehension_target(flow: FunctionFlow, comp_if: cst.CompIf) -> bool:
    """`bad = [m for m in members if now - m['hb'] > W]`: the filtered list names the gone."""
    node = comp_if
    while node is not None and not isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
        node = flow.parent.get(id(node))
    outer = flow.parent.get(id(node)) if node is not None else None
    if isinstance(outer, cst.Assign):
        key = _key(outer.targets[0].target) or ""
        return bool(_GONE_LIST.search(key) or VERDICT.search(key)) or _uses_decide(flow, key) == "action"
    return isinstance(outer, cst.Return) and bool(_VERDICT_FUNCTION.search(flow.func.name.value))


def _is_property(func: cst.FunctionDef) -> bool:
    return any(isinstance(d.decorator, cst.Name) and d.decorator.value in ("property", "cached_property") for d in func.decorators)


def _uses_decide(flow: FunctionFlow, key: str) -> str | None:
    """A result bound to a local: the branches that test it, or its return."""
    if not key or key.startswith("self."):
        return None
    for use in flow.uses.get(key, []):
        child, parent = use, flow.parent.get(id(use))
        while isinstance(parent, (cst.UnaryOperation, cst.BooleanOperation)):
            child, parent = parent, flow.parent.get(id(parent))
        if isinstance(parent, (cst.If, cst.While)) and parent.test is child:
            verdict = _branch(flow, parent)
            if verdict == "action":
                return verdict
        if isinstance(parent, cst.Return) and (_VERDICT_FUNCTION.search(flow.func.name.value) or _is_property(flow.func)):
            return "verdict"
        if isinstance(parent, cst.IfExp) and parent.test is child:
            if isinstance(parent.body, cst.SimpleString) and isinstance(parent.orelse, cst.SimpleString):
                return "log"  # `"recent" if fresh else "a while ago"`: a label for display
    return None


def _branch(flow: FunctionFlow, node: cst.If | cst.While, depth: int = 0) -> str | None:
    bodies = [node.body]
    orelse = node.orelse
    if orelse is not None:
        bodies.append(orelse)
    only_log = True
    if _SUSPECT.search(_names_in(node.body)):
        return "suspect"
    for body in bodies:
        for inner in _descendants(body):
            if isinstance(inner, cst.Return) and isinstance(inner.value, cst.Name) and inner.value.value in ("True", "False"):
                if _VERDICT_FUNCTION.search(flow.func.name.value) or _is_property(flow.func):
                    return "verdict"
            if isinstance(inner, cst.Call):
                name = dotted(inner.func) or ""
                if _LOG.search(name):
                    continue
                only_log = False
                if _gone_call(inner, flow):
                    return "action"
            if isinstance(inner, cst.SimpleString) and inner.value.strip("'\"").lower() in DEAD_VALUES:
                return "action"
            if isinstance(inner, cst.Attribute) and inner.attr.value.lower() in DEAD_VALUES:
                return "action"  # `Status.FAILED`, `States.DOWN`
            if isinstance(inner, cst.Assign) and _marks_gone(inner):
                return "action"
            if isinstance(inner, cst.Del) and isinstance(inner.target, cst.Subscript):
                return "action"  # `del sc.controller_neighbours[n]`: dropped from the registry
            if isinstance(inner, cst.Assign) and depth == 0 and _reason_acted_on(flow, inner, node):
                return "action"
            if isinstance(inner, (cst.Raise, cst.Assign, cst.Return, cst.AugAssign)):
                only_log = False
    return "log" if only_log else None


def _reason_acted_on(flow: FunctionFlow, assign: cst.Assign, branch: cst.If | cst.While) -> bool:
    """`failure_message = 'Worker offline.'` ... `if failure_message is not None:
    transition_bundle_worker_offline(bundle)`: the branch records why, a later branch on the
    same local takes the party out."""
    key = _key(assign.targets[0].target) if len(assign.targets) == 1 else None
    if not key or key.startswith("self."):
        return False
    for use in flow.uses.get(key, []):
        child, parent = use, flow.parent.get(id(use))
        while isinstance(parent, (cst.UnaryOperation, cst.BooleanOperation, cst.Comparison, cst.ComparisonTarget)):
            child, parent = parent, flow.parent.get(id(parent))
        if isinstance(parent, cst.If) and parent is not branch and parent.test is child:
            if _branch(flow, parent, depth=1) == "action":
                return True
    return False


# A flag set on the silent party that names the verdict (`cluster.zombie = True`).
_GONE_FLAG = re.compile(r"^_?(?:is_)?(?:zombie|dead|lost|gone|stale|timed_?out|unresponsive)$", re.IGNORECASE)


# The party a piece of work is assigned to (`processing_node`, `worker_id`, `assigned_host`).
_ASSIGNED_PARTY = re.compile(
    r"^_?(?:\w+_)?(?:node|worker|host|agent|executor|runner|server)(?:_id)?$"
    # the claim's holder (`entry.locked_by = None`)
    r"|^_?(?:locked|claimed|leased|picked|reserved|owned)_by$",
    re.IGNORECASE,
)


def _marks_gone(assign: cst.Assign) -> bool:
    """`dead_nodes[node.addr] = node` (collected for removal), `peer.zombie = True`, or the work
    detached from its party."""
    target = assign.targets[0].target if len(assign.targets) == 1 else None
    if isinstance(target, cst.Subscript):
        return bool(_GONE_LIST.search(_owner_text(target.value).rsplit(".", 1)[-1]) or _ZOMBIE.search(_owner_text(target.value)))
    if isinstance(target, cst.Attribute) and isinstance(assign.value, cst.Name) and assign.value.value == "True":
        return bool(_GONE_FLAG.match(target.attr.value))
    if isinstance(target, cst.Attribute) and isinstance(assign.value, cst.Name) and assign.value.value == "None":
        # `task.processing_node = None`: the work is detached from the silent party
        return bool(_ASSIGNED_PARTY.search(target.attr.value))
    if isinstance(target, cst.Attribute) and _STATE_FIELD.match(target.attr.value):
        # `step.status = Status.pending_allocation`: the work handed back, or the party given up on
        value = _owner_text(assign.value) or (assign.value.value.strip("'\"") if isinstance(assign.value, cst.SimpleString) else "")
        return bool(_HANDED_BACK.search(value.rsplit(".", 1)[-1]))
    return False


_STATE_FIELD = re.compile(r"^_?(?:status|state)$", re.IGNORECASE)
# States an item is put in when its holder is presumed gone: back in the queue, or given up.
_HANDED_BACK = re.compile(
    r"(?:^|_)(?:pending|queued|requeued|waiting|unassigned|available|stopped|cancell?ed|aborted|timed_?out|failed|lost|dead|"
    r"offline|unreachable|crashed|orphaned)(?:_\w+)?$",
    re.IGNORECASE,
)


def _gone_call(call: cst.Call, flow: FunctionFlow | None = None) -> bool:
    func = call.func
    if isinstance(func, cst.Attribute):
        if func.attr.value in ("append", "add", "extend", "put"):
            target = _owner_text(func.value)
            return bool(_GONE_LIST.search(target)) or (flow is not None and _handed_to_gone_call(flow, target))
        if flow is not None and _CLEANUP.search(func.attr.value) and _handed_loop_item(flow, call):
            return True  # `self._cleanup(conn, sid=sid)`: the silent member's state torn down
        return bool(_GONE_CALL.search(func.attr.value))
    return isinstance(func, cst.Name) and bool(_GONE_CALL.search(func.value))


# A cleanup is a verdict only when it is handed the member the loop found silent: on its own it
# is as often retention of old data.
_CLEANUP = re.compile(r"clean_?up", re.IGNORECASE)


def _handed_loop_item(flow: FunctionFlow, call: cst.Call) -> bool:
    return any(isinstance(arg.value, cst.Name) and arg.value.value in flow.loop_names for arg in call.args)


def _handed_to_gone_call(flow: FunctionFlow, name: str) -> bool:
    """`doomed.append(job)` ... `backend.drop(doomed)`: the collected parties are removed."""
    for use in flow.uses.get(name, []):
        arg = flow.parent.get(id(use))
        call = flow.parent.get(id(arg)) if isinstance(arg, cst.Arg) else None
        if isinstance(call, cst.Call) and _gone_call(call):
            return True
    return False


# Conditions built apart from the query: Django `Q(...)`, SQLAlchemy `and_(...)`/`or_(...)`.
_CONDITION_BUILDERS = frozenset({"Q", "and_", "or_", "not_"})


def query_of(flow: FunctionFlow, arg: cst.CSTNode) -> cst.CSTNode | None:
    """The query call a lookup belongs to, also through `Q(...)` objects combined with & | ~
    and SQLAlchemy's `and_(...)`."""
    call = flow.parent.get(id(arg))
    while isinstance(call, cst.Call) and _last(dotted(call.func)) in _CONDITION_BUILDERS:
        up = flow.parent.get(id(call))
        while isinstance(up, (cst.BinaryOperation, cst.UnaryOperation, cst.Arg)):
            up = flow.parent.get(id(up))
        if not isinstance(up, cst.Call):
            break
        call = up
    return call


def rows_top(flow: FunctionFlow, query: cst.CSTNode) -> cst.CSTNode:
    """The whole expression holding a query's rows: its chain, and `list(...)` around it."""
    top = query
    while True:
        parent = flow.parent.get(id(top))
        if isinstance(parent, (cst.Attribute, cst.Call, cst.Subscript)):
            top = parent
            continue
        grand = flow.parent.get(id(parent)) if isinstance(parent, cst.Arg) else None
        if isinstance(grand, cst.Call) and grand.args and grand.args[0] is parent and parent.keyword is None:
            if isinstance(grand.func, cst.Name) and grand.func.value not in _ROW_WRAPPERS:
                return top  # `len(rows)`, `bool(rows)`: a figure, no longer the rows
            top = grand  # `list(rows)`, `session.exec(select(...))`: the same rows
            continue
        return top


def _rows_fate(flow: FunctionFlow, arg: cst.Arg, depth: int = 0) -> str | None:
    """The selected rows are updated or deleted in the same chain, or through the local or loop
    that holds them."""
    node = query_of(flow, arg)  # the filter call
    if isinstance(node, cst.Call) and _last(dotted(node.func)) in _CONDITION_BUILDERS:
        holder = flow.parent.get(id(node))
        while isinstance(holder, (cst.BinaryOperation, cst.UnaryOperation)):  # `Q(...) & ~Q(...)`
            holder = flow.parent.get(id(holder))
        key = (_key(holder.targets[0].target) or "") if isinstance(holder, cst.Assign) and len(holder.targets) == 1 else ""
        if _GONE_LIST.search(key) or VERDICT.search(key):
            return "verdict"  # `stale_heartbeat = or_(..., Task.heartbeat_at <= cutoff)`: the criterion named as the verdict
        if depth == 0:
            # `query = Q(...) & Q(healthcheck__lt=...)` then `Build.objects.filter(query)`
            for use in flow.uses.get(key, []) if key else ():
                user = flow.parent.get(id(use))
                if isinstance(user, cst.Arg) and isinstance(flow.parent.get(id(user)), cst.Call):
                    fate = _rows_fate(flow, user, depth + 1)
                    if fate is not None:
                        return fate
    if selects_terminal(node):
        return "log"  # `filter(status="done", started_at__lt=...)`: finished rows, retention
    if _statement_writes(node):
        return "action"
    top = rows_top(flow, node)
    for inner in descendants(top):
        if isinstance(inner, cst.Attribute) and inner.attr.value in _ROW_WRITES and flow.parent.get(id(inner)) is not None:
            if _chain_holds(inner, node):
                return "action"
    parent = flow.parent.get(id(top))
    if isinstance(parent, cst.Assign):
        key = _key(parent.targets[0].target) or ""
        if _GONE_LIST.search(key) and _held_rows(top):
            return "action"  # `entries_with_stale_locks = Model.query.filter(...)`: the rows named as the gone
        for use in flow.uses.get(key, []):
            user = flow.parent.get(id(use))
            if isinstance(user, cst.Attribute) and user.attr.value in _ROW_WRITES:
                return "action"
            if isinstance(user, cst.For) and user.iter is use and _loop_acts(user):
                return "action"
    if isinstance(parent, cst.For) and parent.iter is top and _loop_acts(parent):
        return "action"
    return None


def _statement_writes(query: cst.CSTNode) -> bool:
    """`update(Worker).where(...).values(state="dead")`, `table.update().where(...)`: a statement
    built on an UPDATE changes the rows its filter selects."""
    value = query.func if isinstance(query, cst.Call) else None
    while value is not None:
        if isinstance(value, cst.Attribute):
            value = value.value
        elif isinstance(value, cst.Call):
            func = value.func
            name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else ""
            if name in _STATEMENT_WRITES:
                return True
            value = func
        else:
            return False
    return False


def _chain_holds(attr: cst.Attribute, query: cst.CSTNode) -> bool:
    """`query.update`/`query.delete`: the write's receiver chain contains the query itself."""
    value = attr.value
    while True:
        if value is query:
            return True
        if isinstance(value, cst.Call):
            value = value.func
        elif isinstance(value, (cst.Attribute, cst.Subscript)):
            value = value.value
        else:
            return False


def _loop_acts(loop: cst.For) -> bool:
    return any(
        (isinstance(inner, cst.Call) and _gone_call(inner)) or (isinstance(inner, cst.Assign) and _marks_gone(inner))
        for inner in _descendants(loop.body)
    )


def _held_rows(top: cst.CSTNode) -> bool:
    """Rows a query keeps (not a count or an existence test)."""
    return not any(isinstance(n, cst.Attribute) and n.attr.value in ("count", "exists") for n in descendants(top))


def _descendants(node: cst.CSTNode):
    """The nodes of one scope: nested functions and classes are analysed on their own."""
    return descendants(node, skip=(cst.FunctionDef, cst.ClassDef))


@dataclass
class Detector:
    age: Age
    confidence: str
    verdict: bool  # the function answers whether the party is alive (its callers act on it)


def find_liveness_ages(flow: FunctionFlow) -> list[Detector]:
    out: list[Detector] = []
    found = ages(flow)
    if found and quorum_in(flow.func.body):
        return out  # suspicion that a quorum must confirm
    for age in found:
        kind = stamp_kind(flow, age)
        if kind is None or not fixed_window(flow, age):
            continue
        fate = decides_gone(flow, age)
        if kind == "word":
            # a peer's last word under another name: only a removal counts, never a mere
            # (in)activity answer (an inactive peer is often only pinged)
            if _answers_removal(flow, age.node):
                fate = "verdict"
            elif fate != "action":
                continue
        if fate is None and kind == "live" and _closes_member(flow, age):
            fate = "action"
        if fate is None and _says_live(age) and _answers_bool(flow, age.node):
            fate = "verdict"  # `if age > W: return False`: a health check, whatever its name
        if fate is None and kind != "word" and skips_fresh(flow, age.node):
            fate = "action"  # `if fresh: return` ... `enqueue_job(...)`: the stale item is resubmitted
        if fate is None and _in_branch_or_query(flow, age.node):
            continue  # the branch or the selected rows are its consequence, and none takes anyone out
        if fate in ("log", "suspect"):
            continue  # display, or a suspicion state before any verdict
        if (fate != "verdict" or _in_comprehension(flow, age.node)) and _required_parameter(flow.func, age.window):
            # the caller chooses the window (a verdict function's caller still acts on it; a list of
            # the silent built with the caller's window is a listing, like a query's rows)
            continue
        if kind == "live" or fate is not None:
            confident = "high" if fate is not None else "medium"
            out.append(Detector(age, confident, fate == "verdict"))
    return _one_per_query(flow, out)


def _one_per_query(flow: FunctionFlow, found: list[Detector]) -> list[Detector]:
    """`where(Task.updated_at <= ago, Worker.last_seen > ago)`: one query, one detector. The
    condition that a stamp is still fresh (the worker is alive) only narrows the stale rows."""
    queries: dict[int, list[Detector]] = {}
    for detector in found:
        arg = flow.parent.get(id(detector.age.node))
        if isinstance(detector.age.node, cst.Comparison) and isinstance(arg, cst.Arg):
            queries.setdefault(id(query_of(flow, arg)), []).append(detector)
    dropped = {
        id(d) for group in queries.values() if len(group) > 1 for d in group if _still_fresh(flow, d.age)
    }
    return [d for d in found if id(d) not in dropped]


def _still_fresh(flow: FunctionFlow, age: Age) -> bool:
    """`stamp > cutoff` / `cutoff < stamp`: the stamp is younger than the window."""
    node = age.node
    if not isinstance(node, cst.Comparison) or len(node.comparisons) != 1:
        return False
    newer = isinstance(node.comparisons[0].operator, (cst.GreaterThan, cst.GreaterThanEqual))
    stamp_left = _strip(node.left) is age.stamp or flow.stamp(node.left) is not None
    return newer == stamp_left


def _in_comprehension(flow: FunctionFlow, node: cst.CSTNode) -> bool:
    parent = flow.parent.get(id(node))
    while isinstance(parent, (cst.UnaryOperation, cst.BooleanOperation, cst.Comparison)):
        parent = flow.parent.get(id(parent))
    return isinstance(parent, cst.CompIf)


def _closes_member(flow: FunctionFlow, age: Age) -> bool:
    """`for name, client in self.clients.items(): if now - client.last_keepalive > W:
    client.transport.close()`: a member of a registry, silent too long, is cut off. Only a loop
    item's stamp counts: one connection timing out its own silence is a transport timeout."""
    if age.owner.split(".")[0] not in flow.loop_names:
        return False
    test = branch_test(flow, age.node)
    if test is None:
        return False
    return any(
        isinstance(inner, cst.Call) and re.match(r"^_?close(?:_|$)", callee_name(inner))
        for inner in _descendants(test.body)
    )


def branch_test(flow: FunctionFlow, node: cst.CSTNode) -> cst.If | None:
    """The `if` whose test holds the comparison (through `not`, `and`/`or`)."""
    child, parent = node, flow.parent.get(id(node))
    while isinstance(parent, (cst.UnaryOperation, cst.BooleanOperation, cst.Comparison)):
        child, parent = parent, flow.parent.get(id(parent))
    return parent if isinstance(parent, cst.If) and parent.test is child else None


def _answers_removal(flow: FunctionFlow, node: cst.CSTNode) -> bool:
    """`def should_drop(peer): return time() > peer.last_response + W`: the function returns
    the age itself and its name says the party is taken out."""
    child, parent = node, flow.parent.get(id(node))
    while isinstance(parent, (cst.UnaryOperation, cst.BooleanOperation, cst.Comparison)):
        child, parent = parent, flow.parent.get(id(parent))
    words = flow.func.name.value.lower().split("_")
    return isinstance(parent, cst.Return) and any(_GONE_LIST.search(w) or _GONE_CALL.search(w) for w in words if w)


def _says_live(age: Age) -> bool:
    """The stamp's own name says it is the party's last word (not an update stamp promoted by
    its record: a node's `updated_at` also marks a grace period after an operator's change)."""
    return any(LIVE_STAMP.search(w) for w in age.stamp_name.split())


def _answers_bool(flow: FunctionFlow, node: cst.CSTNode) -> bool:
    """The branch the age tests returns True or False: the function answers whether the
    party is alive."""
    child, parent = node, flow.parent.get(id(node))
    while isinstance(parent, (cst.UnaryOperation, cst.BooleanOperation, cst.Comparison)):
        child, parent = parent, flow.parent.get(id(parent))
    if not (isinstance(parent, cst.If) and parent.test is child):
        return False
    return any(
        isinstance(inner, cst.Return) and isinstance(inner.value, cst.Name) and inner.value.value in ("True", "False")
        for inner in _descendants(parent.body)
    )


def quorum_in(body: cst.CSTNode) -> bool:
    """A quorum or vote in the code (not in a message: "waiting for confirmation")."""
    return bool(QUORUM.search(_names_in(body, strings=False)))


def _in_branch_or_query(flow: FunctionFlow, node: cst.CSTNode) -> bool:
    child, parent = node, flow.parent.get(id(node))
    while isinstance(parent, (cst.UnaryOperation, cst.BooleanOperation, cst.Comparison)):
        child, parent = parent, flow.parent.get(id(parent))
    return isinstance(node, cst.Arg) or isinstance(parent, cst.Arg) or (
        isinstance(parent, (cst.If, cst.While)) and parent.test is child
    )


def _required_parameter(func: cst.FunctionDef, window: cst.BaseExpression | None) -> bool:
    if not isinstance(window, cst.Name):
        return False
    return any(p.name.value == window.value and p.default is None for p in func.params.params)


def returns_cutoff(flow: FunctionFlow) -> bool:
    """The function hands back `now - window` (a fixed window): its callers age stamps with it."""
    for node in _descendants(flow.func.body):
        if isinstance(node, cst.Return) and node.value is not None:
            shifted = _shifted(flow, node.value)
            if shifted is not None and shifted[2] is cst.Subtract and flow.is_now(shifted[0]):
                if shifted[1] is None or not (ADAPTIVE.search(_names_in(shifted[1])) or flow.is_now(shifted[1])):
                    return True
    return False


def module_functions(module: cst.Module):
    """(function, owning class) of every function and method, nested ones included."""
    stack: list[tuple[cst.CSTNode, cst.ClassDef | None]] = [(module, None)]
    while stack:
        node, cls = stack.pop()
        for child in children(node):
            if isinstance(child, cst.FunctionDef):
                yield child, cls
                stack.append((child, None))
            elif isinstance(child, cst.ClassDef):
                stack.append((child, child))
            elif isinstance(child, (cst.BaseSuite, cst.BaseCompoundStatement, cst.SimpleStatementLine)):
                stack.append((child, cls))


# A file worth this pass: a clock reading or an age helper, and a stamp word.
# (a function may be handed the caller's reading: `def has_failed(now, task)`)
_CLOCK_TEXT = re.compile(r"now\s*\(|time\s*\(|monotonic|is_older_than|delta_seconds|utcnow|def\s+\w+\([^)]*\bnow\b")
_STAMP_TEXT = re.compile(
    r"heart|beat|pulse|seen|ping|alive|check_?in|report|contact|active|updated|modified|touched|started|claimed|locked|"
    r"picked|leased|reserved|dequeued|last_?update|update_?(?:time|at)|is_older_than|delta_seconds|"
    # a bare stamp, a reported health check, a caller's cutoff
    r"timestamp|health_?check|older_than|cutoff|"
    # a peer's last word under another name (PEER_WORD)
    r"last_?(?:response|repl|recv|receive|heard|quer|message|msg)|"
    # stalled work (rules/_liveness_stalled): the item's state or the verdict on it
    r"fail|timed?_?out|stuck|orphan|running|progress|processing|handling|__isnull|_before\b",
    re.IGNORECASE,
)


class AgeTrigger:
    """TRIGGERS stand-in: both a clock word and a stamp word."""

    def search(self, text: str):
        return _CLOCK_TEXT.search(text) and _STAMP_TEXT.search(text)


# --- the guard: a fresh item is skipped, a stale one falls through to the takeover -------------
def stale_when_true(flow: FunctionFlow, comparison: cst.Comparison) -> bool | None:
    """Whether the comparison holds for a stamp older than the window (`age > W`, `stamp < now - W`,
    `stamp + W < now`), for a younger one (`stamp > cutoff`), or None when the sides are unknown."""
    left, right = comparison.left, comparison.comparisons[0].comparator
    greater = isinstance(comparison.comparisons[0].operator, (cst.GreaterThan, cst.GreaterThanEqual))
    if _difference(flow, left) is not None:
        return greater
    if _difference(flow, right) is not None:
        return not greater
    for side, sign in ((right, not greater), (left, greater)):
        shifted = _shifted(flow, side)
        if shifted is not None and shifted[2] is cst.Subtract and (flow.is_now(shifted[0]) or flow.is_cutoff_call(shifted[0])):
            return sign  # `stamp < now - W` / `now - W > stamp`
        other = left if side is right else right
        if shifted is not None and shifted[2] is cst.Add and flow.is_now(other):
            return not sign  # `stamp + W < now` / `now > stamp + W`
    return None


def skips_fresh(flow: FunctionFlow, node: cst.CSTNode) -> bool:
    """`if time_since_last_updated > stale_after: log(...) else: return False` ... `enqueue_job(...)`,
    `if started_at > stale_before: continue` ... `finalize(execution, status=Status.canceled)`: the
    branch where the stamp is fresh skips the item, the stale one falls through to the code after
    the test, which takes the work from its silent holder."""
    if not isinstance(node, cst.Comparison) or len(node.comparisons) != 1:
        return False
    stale = stale_when_true(flow, node)
    if stale is None:
        return False
    child, parent = node, flow.parent.get(id(node))
    while isinstance(parent, (cst.UnaryOperation, cst.BooleanOperation)):
        if isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
            stale = not stale
        child, parent = parent, flow.parent.get(id(parent))
    if not (isinstance(parent, cst.If) and parent.test is child):
        return False
    fresh_side = parent.orelse if stale else parent.body
    stale_side = parent.body if stale else parent.orelse
    if isinstance(fresh_side, cst.Else):
        fresh_side = fresh_side.body
    if not isinstance(fresh_side, cst.IndentedBlock) or not _ends_in_skip(fresh_side):
        return False
    if any(isinstance(n, cst.Call) and _gone_call(n, flow) for n in _descendants(fresh_side)):
        return False
    if stale_side is not None and any(isinstance(n, (cst.Return, cst.Raise, cst.Continue, cst.Break)) for n in _descendants(stale_side)):
        return False
    return _acts_after(flow, parent)


def _ends_in_skip(block: cst.IndentedBlock) -> bool:
    last = block.body[-1] if block.body else None
    if not isinstance(last, cst.SimpleStatementLine) or not last.body:
        return False
    end = last.body[-1]
    return isinstance(end, cst.Continue) or (isinstance(end, cst.Return) and not isinstance(end.value, cst.Call))


def _acts_after(flow: FunctionFlow, branch: cst.If) -> bool:
    """The statements after the test (up to the enclosing loop or the function) take the work
    over: a gone call, or a state set to a handed-back or failed value."""
    node = branch
    while isinstance(flow.parent.get(id(node)), (cst.If, cst.Else)):  # out of an elif chain
        node = flow.parent.get(id(node))
    while True:
        block = flow.parent.get(id(node))
        if not isinstance(block, cst.IndentedBlock):
            return False
        body = list(block.body)
        after = body[body.index(node) + 1:] if node in body else []
        if any(_takes_over(flow, stmt) for stmt in after):
            return True
        owner = flow.parent.get(id(block))
        if owner is None or isinstance(owner, (cst.For, cst.While, cst.FunctionDef)):
            return False
        node = owner
        while isinstance(flow.parent.get(id(node)), (cst.If, cst.Else, cst.Try, cst.ExceptHandler, cst.Finally)):
            node = flow.parent.get(id(node))


# The work given to another run: resubmitted, re-enqueued, failed or taken over. A removal is left
# out: `if fresh: return` ... `obj.delete()` ages data out (retention), nobody's work moves.
_TAKEOVER_CALL = re.compile(
    r"requeue|resubmit|re_?dispatch|^delay$|apply_async|send_task|enqueue|reschedul|re_?stage|re_?issue|cancel|fail|"
    r"take_?over|reassign|steal|reclaim|unclaim|abandon",
    re.IGNORECASE,
)


def _takes_over(flow: FunctionFlow, stmt: cst.CSTNode) -> bool:
    for inner in _descendants(stmt):
        if isinstance(inner, cst.Call):
            if _LOG.search(dotted(inner.func) or ""):
                continue
            if _TAKEOVER_CALL.search(callee_name(inner)):
                return True
            for arg in inner.args:
                if arg.keyword is not None and _STATE_FIELD.match(arg.keyword.value):
                    value = _owner_text(arg.value) or (arg.value.value.strip("'\"") if isinstance(arg.value, cst.SimpleString) else "")
                    if _HANDED_BACK.search(value.rsplit(".", 1)[-1]):
                        return True  # `finalize(execution.id, status=Status.canceled)`
        elif isinstance(inner, cst.Assign) and _marks_gone(inner):
            return True
    return False
