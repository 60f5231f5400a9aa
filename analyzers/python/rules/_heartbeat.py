"""ARM301's analysis: a fixed-timeout failure detector.

Three things must be present together: the time since a node's last heartbeat (or the heartbeat
stamp against a cutoff), a threshold that is a constant, and a consequence that declares the node
dead (mark dead, evict, fail over, requeue its work). A comparison without a consequence is a
throttle or a health read-out, not a detector; a latency-derived threshold or a quorum step in the
consequence makes it the recommended design."""
from __future__ import annotations

import re

import libcst as cst

from ..walk import children
from ._clock import enclosing_test
from ._clock_scope import Scope, ScopeIndex, call_name, expr_names, last_part, string_value
from ._liveness_members import DOOMED_CONTAINER, check_age_call, dead_member_constant, member_stamp, returned_verdict

# `hb`, `last_hb`: the usual abbreviation, as a whole word or a suffix only
# `last_polled`: a poller's last call is its heartbeat (the server sees nothing else from it)
HB_STRONG = r"heart_?beat|hbeat|\bhb\b|_hb\b|last_?ping|last_?pong|pinged_at|last_?beat|keep_?alive|last_?contact|last_?check_?in|checked_in_at|last_?polled|polled_at"
# `last_primary_beat`, `primary_last_ok`, `last_ack_at`: the last good word from a peer. Weak:
# `last_ok` also describes a health check's result, so node context must follow.
HB_WEAK = (
    r"last_?seen|seen_at|last_?alive|alive_at|last_\w{0,24}_beat|last_ok\b|last_ok_|last_ack\b|last_ack_|"
    # a worker's last activity or a lease's last refresh: node context must follow
    r"last_?active\b|last_?activity|last_?refresh|refreshed_at|last_?renew\w*|renewed_at"
)
HEARTBEAT = re.compile(f"{HB_STRONG}|{HB_WEAK}", re.IGNORECASE)
# When an item was taken or last touched by its holder: a stamp only while the item is held.
TAKEN = r"(?:claimed|started|locked|picked|leased|reserved|dequeued|updated|modified|touched)_?(?:at|on|time|ts)(?:\b|__)|last_?updated?(?:\b|__)"
TAKEN_FIELD = re.compile(TAKEN, re.IGNORECASE)
# Held states as a literal or an enum member, in lower-cased text (the trigger's)
HELD_TRIGGER = r"[\"'](?:running|in_progress|processing|claimed|picked|started)[\"']|\.running\b"
# A field or variable that already holds the time since a node was last heard from
# (`w.silent_ms`, `quiet_for`, `since_last_report`, `hb_age`). `idle` is left out on purpose:
# an idle worker or connection is one nobody used, and reaping those is pool sizing, not
# failure detection.
SILENCE = (
    r"silent_|silence_|_silence\b|quiet_for|quiet_s\b|quiet_ms\b|quiet_secs|since_last_|(?:hb|heartbeat|beat|ping|seen|contact)_age|"
    r"since_(?:refresh|renew)"  # a lease's time since its holder last refreshed it
)
SILENCE_NAME = re.compile(SILENCE, re.IGNORECASE)
STRONG = re.compile(HB_STRONG, re.IGNORECASE)
# Where a node's last-contact instant is kept. A bare `seen` (a gossip table's `self.seen`) counts
# here, where a time-delta comparison, a fixed threshold, node context and a death consequence
# must all follow. TRIGGER takes only the rarer `self.seen`, so files are not parsed for `seen`.
STAMP_SOURCE = re.compile(f"{HB_STRONG}|{HB_WEAK}|\\bseen\\b|{SILENCE}", re.IGNORECASE)


class _LowercaseTrigger:
    """Stands in for a TRIGGERS regex. `re.IGNORECASE` makes this alternation about 5x slower
    on large files than lower-casing the text once and matching a plain pattern."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._regex = re.compile(pattern)

    def search(self, text: str):
        return self._regex.search(text.lower())


# `self.seen` (a gossip table of last-contact instants) is rare enough to be worth a parse.
TRIGGER = _LowercaseTrigger(f"{HB_STRONG}|{HB_WEAK}|self\\.seen\\b|{SILENCE.lower()}|rangebyscore")
NODEISH = re.compile(
    r"node|worker|instance|member|peer|replica|server|host|agent|executor|consumer|leader|follower|shard|broker|"
    r"machine|pod|container|runner|daemon|primary|secondary|standby|backend|cluster|lease|gateway|region|"
    r"datacenter|data_center|fail_?over|master|controller|coordinator|engine",
    re.IGNORECASE,
)
ADAPTIVE = re.compile(r"p9\d|percentile|rtt|latency|stddev|std_dev|variance|sigma|phi|ewma|mean|avg|jitter|adaptive|dynamic", re.IGNORECASE)
THRESHOLD_WORDS = re.compile(r"interval|timeout|ttl|period|threshold|limit|grace|max_|_max|window|after|delay", re.IGNORECASE)
# Where configuration lives: a value read from these is one window for every node, however it
# was set (a settings module, a CLI option, a config object handed in).
CONFIG_OWNER = re.compile(r"conf|setting|option|opts|param|env|cfg|args", re.IGNORECASE)
# Declarations of a typed option or field with its default (traitlets, attrs, pydantic, dataclasses)
_DECLARED_OPTIONS = frozenset({"Integer", "Int", "CInt", "Float", "CFloat", "Field", "field", "Option"})
_CONFIG_READERS = frozenset({"get", "getenv", "getint", "getfloat", "parse_timedelta", "parse_duration", "timedelta", "Duration"})
# `date_diff_seconds(Worker.last_heartbeat)`: a SQL function measuring the age of a column
ELAPSED_WORDS = re.compile(r"since|elapsed|(?<![a-z])age(?![a-z])|silen|idle|gap|ago|delta|lag|stale|diff", re.IGNORECASE)
QUORUM = re.compile(r"quorum|votes?\b|voting|majority|agree|consensus|confirm", re.IGNORECASE)
DEATH_CALL = re.compile(
    r"dead|evict|fail_?over|promote|re_?queue|reassign|reschedule|redistribute|rebalance|take_?over|kill|terminate|"
    r"unregister|deregister|^remove|^delete|^discard$|^pop$|^drop|reap|purge|reclaim|steal|start_election|restart|"
    r"^_?release|^_?restore|inactivate|deactivat|unclaim|"
    # the watcher stops itself when the peer it depends on goes quiet
    r"^_?quit$|shut_?down|^_?exit$|^stop$|"
    # a transition named for the state it leads to (`mark_host_down`, `go_state_offline`)
    r"(?:mark|go|goto|move|switch|transition)_(?:\w+_)?(?:down|offline|failed|lost|unhealthy|unreachable|gone|not_ready|unavailable)"
    r"|set_(?:down|offline|failed|lost|unhealthy)",
    re.IGNORECASE,
)
STATUS_NAMES = re.compile(
    r"^(?:status|state|health|alive|is_alive|healthy|is_healthy|online|is_online|dead|is_dead|up|is_up|available|is_available|active|is_active)$",
    re.IGNORECASE,
)
DEAD_VALUES = frozenset(
    {"dead", "offline", "down", "failed", "lost", "unreachable", "unhealthy", "evicted", "timed_out", "timedout",
     "missing", "gone", "crashed", "disconnected", "unresponsive", "expired", "not_ready",
     # a judge or agent server's health column: `return "abnormal"` once its beat is old
     "abnormal", "unavailable", "not_responding"}
)
DEADISH_NAME = re.compile(r"dead|stale|expired|evict|lost|fail|down|offline|timed_?out|unresponsive|missing|gone|restart|orphan|inactive", re.IGNORECASE)
# A method or property whose answer is the liveness verdict itself (`def prune(self, config)`,
# `@property def alive`): either sense of its comparison is the detector.
LIVENESS_NAME = re.compile(
    r"^(?:is_|should_|needs_to_)?(?:alive|dead|expired|stale|timed_?out|lost|down|offline|prune|unresponsive)$", re.IGNORECASE
)
# A function whose True answer is the death verdict: its caller fails over or evicts.
VERDICT_NAME = re.compile(
    r"^(?:is|should|must|needs?_to)_(?:\w+_)?(?:dead|failover|fail_over|evict|unresponsive|down|offline|timed_?out|lost|gone)"
    r"|^(?:should|must)_(?:failover|fail_over|evict|fence|reap|take_?over|promote)",
    re.IGNORECASE,
)
_ALIVE_NAMES = re.compile(r"alive|healthy|online|up|available|active", re.IGNORECASE)
_UPPER = re.compile(r"^_?[A-Z][A-Z0-9_]+$")
_WINDOW_PARAM = re.compile(r"timeout|grace|multiple|multiplier", re.IGNORECASE)
# A flag whose True value is the death verdict itself: `down = age > timedelta(hours=1)`.
# `stale`/`expired` are left out: they also name cache entries.
VERDICT_FLAG = re.compile(r"^_?(?:is_|node_|worker_)?(?:dead|down|offline|unresponsive|unreachable|lost|crashed)$", re.IGNORECASE)
# Moving an item into one of these states takes it from its holder: `_move(to_state=QUEUED)`.
_REQUEUE_STATES = frozenset({"queued", "requeued", "error", "pending", "ready", "waiting"})
_STATE_KEYWORD = re.compile(r"(?:^|_)(?:state|status)$", re.IGNORECASE)
# Windows that age out data, not nodes.
_DATA_WINDOW = re.compile(r"ttl|retention|retain|keep|cache|session|expir|history|archive", re.IGNORECASE)
_STMT_PARENTS = (cst.IndentedBlock, cst.Module, cst.SimpleStatementSuite)


class HeartbeatAnalysis:
    def __init__(self, qname, index: ScopeIndex, module_constants: dict[str, cst.BaseExpression], ctx) -> None:
        self.qname = qname
        self.index = index
        self.constants = module_constants
        self.ctx = ctx
        # True while judging a condition that also requires the item to be held (`status ==
        # "running"`): then the time it was taken or last updated is its holder's stamp.
        self.held = False

    # --- thresholds ---------------------------------------------------------------------------
    def fixed(self, scope: Scope, expr: cst.CSTNode, depth: int = 0) -> bool:
        if depth > 7:
            return False
        if isinstance(expr, (cst.Integer, cst.Float)):
            return True
        if isinstance(expr, cst.UnaryOperation):
            return self.fixed(scope, expr.expression, depth + 1)
        if isinstance(expr, cst.BooleanOperation):
            # `worker_ttl or config.get("worker-ttl")`: the configured fallback is what runs
            return self.fixed(scope, expr.left, depth + 1) or self.fixed(scope, expr.right, depth + 1)
        if isinstance(expr, cst.BinaryOperation):
            return self.fixed(scope, expr.left, depth + 1) and self.fixed(scope, expr.right, depth + 1)
        if isinstance(expr, cst.Name):
            name = expr.value
            if ADAPTIVE.search(name):
                return False
            if name in scope.params:
                # `def reap(session, timeout=60)`: the default is the window almost every caller
                # gets; a parameter without one is the caller's choice (possibly adaptive)
                default = _param_default(scope, name)
                replaced = [d for d in scope.defs.get(name, []) if d.value is not None]
                if isinstance(default, cst.Name) and default.value == "None" and replaced:
                    # `def f(q, interval=None): if interval is None: interval = CONF.timeout`
                    return all(self.fixed(scope, d.value, depth + 1) for d in replaced)
                if default is None:
                    # `def reap(db, poll_timeout_seconds)`: named like a setting (what it times
                    # out, then the window), it is the configured one handed down; a bare
                    # `timeout` is the caller's choice and may be adaptive
                    return bool(_WINDOW_PARAM.search(name)) and name.strip("_").count("_") >= 1
                return self.fixed(scope, default, depth + 1)
            defs = scope.defs.get(name)
            if defs:
                return all(d.value is not None and self.fixed(scope, d.value, depth + 1) for d in defs)
            if name in self.constants:
                return self.fixed(scope, self.constants[name], depth + 1)
            return bool(_UPPER.match(name)) or bool(THRESHOLD_WORDS.search(name))
        if isinstance(expr, cst.Attribute):
            attr = expr.attr.value
            if ADAPTIVE.search(attr):
                return False
            if _UPPER.match(attr):
                return True
            if not self._is_self(expr):
                # `config.worker_disconnect_delay`, `options.purge_offline_workers`: whatever an
                # option is called, one value for every node; not `check.timeout`, a per-entity
                # threshold the user set on that row
                owner = expr_names(expr.value)
                if not CONFIG_OWNER.search(owner):
                    return False
                if THRESHOLD_WORDS.search(attr):
                    return True
                return not HEARTBEAT.search(attr) and _config_object(expr.value)
            defs = self.index.defs_for(scope, f"self.{attr}")
            if not defs:
                return bool(THRESHOLD_WORDS.search(attr))  # a class attribute or an injected option
            return all(d.value is not None and self.fixed(d.scope or scope, d.value, depth + 1) for d in defs)
        if isinstance(expr, cst.Subscript):
            # `self.lease_timeouts[name]`: a table of configured windows
            owner = expr_names(expr.value)
            if ADAPTIVE.search(owner):
                return False
            if THRESHOLD_WORDS.search(owner):
                return True
            # `self.config["ACTIVE_TASK_TIMEOUT"]`: one configured window read by its key
            key = string_value(expr.slice[0].slice.value) if len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index) else None
            return bool(key and THRESHOLD_WORDS.search(key) and not ADAPTIVE.search(key) and CONFIG_OWNER.search(owner))
        if isinstance(expr, cst.Call):
            name = last_part(self.qname(expr.func) or "") or last_part(call_name(self.qname, expr))
            if name in ("timedelta", "int", "float", "Duration", "seconds"):
                return bool(expr.args) and all(self.fixed(scope, a.value, depth + 1) for a in expr.args)
            if ADAPTIVE.search(expr_names(expr)):
                return False
            if name in _DECLARED_OPTIONS and expr.args:
                # `max_misses = Integer(10, config=True)`, `Field(default=30)`: a declared option
                default = next((a.value for a in expr.args if a.keyword is None or a.keyword.value in ("default", "default_value")), None)
                return default is not None and self.fixed(scope, default, depth + 1)
            if name in ("coalesce", "ifnull", "nvl"):
                # `coalesce(Worker.interval, :default)`: the shared fallback applies to most rows
                return any(self.fixed(scope, a.value, depth + 1) for a in expr.args)
            if name == "bindparam":
                # a value bound once for the whole statement: one window for every row
                key = string_value(expr.args[0].value) if expr.args else None
                return bool(key) and not ADAPTIVE.search(key)
            if name in ("max", "min"):
                # `max(self.worker_ttl, 10 * interval(n))`: a floor that is a fixed window
                return any(self.fixed(scope, a.value, depth + 1) for a in expr.args)
            receiver = expr_names(expr.func)
            key = string_value(expr.args[0].value) if expr.args else None
            if key and HEARTBEAT.search(key) and not THRESHOLD_WORDS.search(key):
                return False  # `settings.get("last_ping")`: a stamp kept in a settings store
            if name in _CONFIG_READERS and (CONFIG_OWNER.search(receiver + " " + name) or THRESHOLD_WORDS.search(receiver)):
                # `dask.config.get("...worker-ttl")`, `os.environ.get("TIMEOUT")`, `self.lease_timeouts.get(name)`
                return True
            if name in ("parse_timedelta", "parse_duration"):
                return bool(expr.args) and self.fixed(scope, expr.args[0].value, depth + 1)
        return False

    @staticmethod
    def _is_self(expr: cst.Attribute) -> bool:
        return isinstance(expr.value, cst.Name) and expr.value.value in ("self", "cls")

    # --- heartbeat stamps and elapsed times ---------------------------------------------------
    def stamp(self, scope: Scope, expr: cst.CSTNode, depth: int = 0) -> bool:
        """A node's last-heartbeat instant: `node.last_seen`, `self.heartbeats[n]`, `hb` bound by
        `for n, hb in self.heartbeats.items()`."""
        if depth > 3 or isinstance(expr, (cst.Integer, cst.Float, cst.SimpleString)):
            return False
        if member_stamp(scope, expr):
            return not self.fixed(scope, expr)  # `service.updated_at`: refreshed by each report
        text = expr_names(expr)
        if HEARTBEAT.search(text) or (self.held and TAKEN_FIELD.search(text)):
            return not THRESHOLD_WORDS.search(text) and not ELAPSED_WORDS.search(text) and not self.fixed(scope, expr)
        if isinstance(expr, cst.Call) and expr.args:
            name = last_part(self.qname(expr.func) or "")
            # `max(worker.heartbeats)`: the newest of the beats kept for a node
            if name in ("int", "float", "fromtimestamp", "utcfromtimestamp", "parse", "fromisoformat", "decode", "max"):
                return self.stamp(scope, expr.args[0].value, depth + 1)
            return False
        if isinstance(expr, cst.Name):
            for d in scope.defs.get(expr.value, []):
                if d.value is not None and self.stamp(scope, d.value, depth + 1):
                    return True
                if isinstance(d.stmt, (cst.For, cst.CompFor)) and STAMP_SOURCE.search(expr_names(d.stmt.iter)):
                    return True
        return False

    def elapsed(self, scope: Scope, expr: cst.CSTNode, depth: int = 0) -> bool:
        # room for `abs(elapsed)` <- `tdelta.total_seconds()` <- `now - stamp` (guards cycles)
        if depth > 5:
            return False
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Subtract):
            return self.stamp(scope, expr.right) and not self.fixed(scope, expr.left)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Divide, cst.FloorDivide, cst.Multiply)):
            # `w.silent_ms / 1000`: a unit conversion of an elapsed time is still one
            if self.fixed(scope, expr.right):
                return self.elapsed(scope, expr.left, depth + 1)
            if isinstance(expr.operator, cst.Multiply) and self.fixed(scope, expr.left):
                return self.elapsed(scope, expr.right, depth + 1)
            return False
        if isinstance(expr, cst.Attribute) and not self._is_self(expr):
            return self._silence_named(scope, expr.attr.value, expr)
        if isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value == "total_seconds":
                return self.elapsed(scope, func.value, depth + 1)
            name = last_part(self.qname(func) or "")
            if name in ("int", "float", "abs", "round") and expr.args:
                return self.elapsed(scope, expr.args[0].value, depth + 1)
            if name == "max" and len(expr.args) == 2 and isinstance(expr.args[0].value, cst.Integer):
                return self.elapsed(scope, expr.args[1].value, depth + 1)  # `max(0, now - seen)`: a floor at zero
            if ELAPSED_WORDS.search(name) and any(self.stamp(scope, a.value) for a in expr.args):
                return True
            if name == "delta_seconds" and len(expr.args) == 2:
                # oslo `timeutils.delta_seconds(before, after)` is `after - before` in seconds
                return self.stamp(scope, expr.args[0].value) and not self.fixed(scope, expr.args[1].value)
            return False
        if isinstance(expr, cst.Name):
            defs = scope.defs.get(expr.value, [])
            if any(d.value is not None and self.elapsed(scope, d.value, depth + 1) for d in defs):
                return True
            if not defs or all(d.value is None for d in defs):
                if HEARTBEAT.search(expr.value) and ELAPSED_WORDS.search(expr.value):
                    return True
            if all(d.value is None or _is_difference(d.value) for d in defs):
                # `quiet_for = now - self.primary_ok_at`: the name says the difference is a silence
                return self._silence_named(scope, expr.value, expr)
        return False

    def _silence_named(self, scope: Scope, name: str, expr: cst.CSTNode) -> bool:
        return bool(
            SILENCE_NAME.search(name)
            and not THRESHOLD_WORDS.search(name)
            and not _UPPER.match(name)
            and not self.fixed(scope, expr)
        )

    def cutoff(self, scope: Scope, expr: cst.CSTNode, depth: int = 0) -> bool:
        """`now - TIMEOUT`: the instant before which a heartbeat counts as missed."""
        if depth > 3:
            return False
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Subtract):
            return self.fixed(scope, expr.right) and not self.fixed(scope, expr.left) and not self.stamp(scope, expr.left)
        if isinstance(expr, cst.Name):
            defs = scope.defs.get(expr.value, [])
            return bool(defs) and all(d.value is not None and self.cutoff(scope, d.value, depth + 1) for d in defs)
        if isinstance(expr, cst.Call) and len(expr.args) == 1 and expr.args[0].keyword is None:
            # `epoch2datetime(reactor.seconds() - 600)`: the cutoff converted to the stamp's type
            return self.cutoff(scope, expr.args[0].value, depth + 1)
        return False

    def stamp_plus_fixed(self, scope: Scope, expr: cst.CSTNode) -> bool:
        """`node.last_seen + TIMEOUT` (compared with now)."""
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            return (self.stamp(scope, expr.left) and self.fixed(scope, expr.right)) or (
                self.stamp(scope, expr.right) and self.fixed(scope, expr.left)
            )
        return False

    # --- the comparison -----------------------------------------------------------------------
    def stale_sense(self, scope: Scope, left, op, right) -> bool | None:
        """True when the comparison is true for a silent node, False when true for a live one,
        None when it is not a fixed-timeout heartbeat check."""
        greater = isinstance(op, (cst.GreaterThan, cst.GreaterThanEqual))
        if self.elapsed(scope, left) and self.fixed(scope, right):
            return greater
        if self.elapsed(scope, right) and self.fixed(scope, left):
            return not greater
        if self.stamp(scope, left) and self.cutoff(scope, right):
            return not greater
        if self.cutoff(scope, left) and self.stamp(scope, right):
            return greater
        if self.stamp_plus_fixed(scope, left) and not self.fixed(scope, right):
            return not greater
        if self.stamp_plus_fixed(scope, right) and not self.fixed(scope, left):
            return greater
        return None

    # --- consequences -------------------------------------------------------------------------
    def declares_dead(self, nodes) -> bool:
        stack = list(nodes)
        while stack:
            node = stack.pop()
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            if isinstance(node, cst.Del):
                return True
            if isinstance(node, cst.Call) and self._death_call(node):
                return True
            if isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, cst.Assign) else [node]
                for target in targets:
                    if _status_name(target.target) and _dead_value(node.value, _status_name(target.target)):
                        return True
                    if _doomed_entry(target.target):
                        return True
            if isinstance(node, cst.DictElement):
                key = string_value(node.key)
                if key is not None and STATUS_NAMES.match(key) and _dead_value(node.value, key):
                    return True
            stack.extend(children(node))
        return False

    def _death_call(self, call: cst.Call) -> bool:
        func = call.func
        name = last_part(call_name(self.qname, call))
        if name and DEATH_CALL.search(name) and not name.startswith(("is_", "get_", "check_")):
            return True
        if name in ("append", "add", "put", "extend") and isinstance(func, cst.Attribute):
            if DEADISH_NAME.search(expr_names(func.value)) or DOOMED_CONTAINER.search(expr_names(func.value)):
                return True
        for arg in call.args:
            if arg.keyword is not None and STATUS_NAMES.match(arg.keyword.value) and _dead_value(arg.value, arg.keyword.value):
                return True
            if arg.keyword is not None and _STATE_KEYWORD.search(arg.keyword.value) and arg.keyword.value.lower() != "state":
                value = string_value(arg.value) or last_part(expr_names(arg.value))
                if value and (value.lower() in _REQUEUE_STATES or value.lower() in DEAD_VALUES):
                    return True  # `task.move(to_state=QUEUED)`: the work leaves its silent holder
        return False

    def consequence(self, scope: Scope, comparison: cst.CSTNode, stale: bool) -> list[cst.CSTNode] | None:
        """The code that runs on the verdict, when it declares the node dead; else None."""
        # a Call here is an age test that is its own comparison (`timeutils.is_older_than`)
        owner = enclosing_test(self.index, comparison) if isinstance(comparison, (cst.Comparison, cst.Call)) else None
        verdict = isinstance(scope.node, cst.FunctionDef) and LIVENESS_NAME.match(scope.node.name.value.lstrip("_"))
        if isinstance(owner, cst.If):
            block = owner.body if stale else owner.orelse
            if verdict and _returns_bool(owner.body):
                return [owner.test, owner.body]  # `def prune(self, config): if ...: return True`
            if block is None and not stale and _skips(owner.body):
                # `if m.last_active >= too_old: continue` - everything after the guard is what
                # happens to the silent ones
                rest = self._after(owner)
                return [owner.test, *rest] if rest and self.declares_dead(rest) else None
            if block is None:
                return None
            if self.declares_dead([block]) or (stale and _takes_over(owner.test, block)):
                return [owner.test, block]
            return None
        if owner is None and verdict:
            statement = self._statement(comparison)
            holder = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) and statement.body else None
            if isinstance(holder, cst.Return):
                return [statement]  # `@property def alive(self): return now - self.last_beat < 30`
        if isinstance(owner, cst.IfExp):
            value = owner.body if stale else owner.orelse
            holder = self.index.parent_of(owner)
            target = _assigned_name(holder)
            return [owner] if target and _dead_value(value, target) else None
        if isinstance(owner, cst.CompIf):
            comp = self.index.parent_of(self.index.parent_of(owner) or owner)
            while isinstance(comp, cst.CompFor):
                comp = self.index.parent_of(comp)
            return self._follow_value(scope, comp) if stale else None
        if owner is None and stale:
            return self._follow_value(scope, comparison)
        return None

    def _follow_value(self, scope: Scope, node: cst.CSTNode | None) -> list[cst.CSTNode] | None:
        """A selection of silent nodes (a comprehension, an ORM query): dead if what is done
        with it declares them dead: `.delete()`, `.update(status="dead")`, `for w in stale: evict(w)`."""
        if node is None:
            return None
        statement = self._statement(node)
        if statement is None:
            return None
        if self.declares_dead([statement]):
            return [statement]
        holder = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) and statement.body else None
        comprehension = isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp))
        if (
            isinstance(holder, cst.Return)
            and comprehension
            and isinstance(scope.node, cst.FunctionDef)
            and DEADISH_NAME.search(scope.node.name.value)
        ):
            return [statement]  # `def dead_nodes(self): return [n for n, t in ... if now - t > 15]`
        if (
            isinstance(holder, cst.Return)
            and isinstance(holder.value, cst.Comparison)
            and isinstance(scope.node, cst.FunctionDef)
            and VERDICT_NAME.search(scope.node.name.value)
        ):
            return [statement]  # `def should_failover(...): silent = now - last_ping; return silent > 30`
        name = _assigned_name(holder)
        if not name:
            return None
        if VERDICT_FLAG.match(name) and not comprehension:
            return [statement]  # `down = not last_ping or now - last_ping > timedelta(hours=1)`
        if DEADISH_NAME.search(name) and comprehension:
            return [statement]
        if comprehension and isinstance(scope.node, cst.FunctionDef) and DEADISH_NAME.search(scope.node.name.value):
            # `def collect_stale(...): found = [j for j in jobs if now - j.hb >= timeout]; ...
            # return found`: the function's answer is the silent set, whatever the local is called
            if any(isinstance(self.index.parent_of(use), cst.Return) for use in scope.uses.get(name, [])):
                return [statement]
        return self._follow_uses(scope, name, statement, 0)

    def _follow_uses(self, scope: Scope, name: str, statement: cst.CSTNode, depth: int) -> list[cst.CSTNode] | None:
        """What is done with the selection, through the names it is handed on to: a statement
        built here, executed there, its ids read, then marked (`stmt` -> `result` -> `ids`)."""
        for use in scope.uses.get(name, []):
            later = self._statement(use)
            if later is None or later is statement:
                continue
            if isinstance(later, cst.For):
                if self.declares_dead([later.body]):
                    return [later]
            elif self.declares_dead([later]):
                return [later]
            elif depth < 3 and isinstance(later, cst.SimpleStatementLine) and later.body:
                handed = _assigned_name(later.body[0])
                if handed and handed != name:
                    found = self._follow_uses(scope, handed, later, depth + 1)
                    if found:
                        return found
        return None

    def _after(self, statement: cst.CSTNode) -> list[cst.CSTNode]:
        parent = self.index.parent_of(statement)
        body = list(getattr(parent, "body", ()))
        return body[body.index(statement) + 1:] if statement in body else []

    def _statement(self, node: cst.CSTNode) -> cst.CSTNode | None:
        current = node
        for _ in range(200):
            parent = self.index.parent_of(current)
            if parent is None:
                return None
            if isinstance(current, cst.For) and isinstance(parent, _STMT_PARENTS):
                return current
            if isinstance(current, cst.SimpleStatementLine):
                return current
            if isinstance(parent, _STMT_PARENTS) or isinstance(current, cst.BaseCompoundStatement):
                return current
            current = parent
        return None


# A job or schedule some worker holds: a stale heartbeat on it is the holder's.
_HELD_VALUES = frozenset({"picked", "running", "started", "claimed", "locked", "processing", "in_progress", "leased", "reserved", "active"})
_OWNER_FIELD = re.compile(r"^(?:owner|owner_id|holder|locked_by|claimed_by|picked_by|worker|worker_id|node_id|consumer_id|\w*manager_id)$")


def _takes_over(test: cst.BaseExpression, block: cst.CSTNode) -> bool:
    """`elif job["status"] == "picked" and now - job["heartbeat"] > 30: job["heartbeat"] = now`:
    a held item whose holder went quiet is stamped (or owned) by this process, which runs it
    again. The holder is not this process: a re-stamp of `self.last_beat` is a sender's throttle."""
    held = False
    stack = [test]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Comparison) and any(isinstance(c.operator, (cst.Equal, cst.In)) for c in node.comparisons):
            names = expr_names(node.left)
            values = [string_value(c.comparator) for c in node.comparisons]
            if re.search(r"status|state", names, re.I) and any(v and v.lower() in _HELD_VALUES for v in values):
                held = True
        stack.extend(children(node))
    if not held:
        return False
    stack = [block]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, cst.Assign):
            for target in node.targets:
                field = _field_name(target.target)
                if field and (STRONG.search(field) or _OWNER_FIELD.match(field)):
                    return True
        stack.extend(children(node))
    return False


def _doomed_entry(target: cst.CSTNode) -> bool:
    """`dead_workers[topic] = worker`: the member is filed among the dead."""
    if not isinstance(target, cst.Subscript):
        return False
    owner = target.value
    name = owner.attr.value if isinstance(owner, cst.Attribute) else getattr(owner, "value", None)
    return isinstance(name, str) and bool(re.match(r"^_?(?:dead|lost|expired|stale|offline|down)_\w+$", name))


def _field_name(target: cst.CSTNode) -> str | None:
    """`job["heartbeat"]`, `job.heartbeat`: a field of an item, not of `self`."""
    if isinstance(target, cst.Attribute):
        base = target.value
        if isinstance(base, cst.Name) and base.value in ("self", "cls"):
            return None
        return target.attr.value
    if isinstance(target, cst.Subscript) and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
        if isinstance(target.value, cst.Name) and target.value.value in ("self", "cls"):
            return None
        return string_value(target.slice[0].slice.value)
    return None


_CONFIG_HOLDER = re.compile(r"^_?(?:\w+_)?(?:conf|config|cfg|settings|options|opts|args)$", re.IGNORECASE)


def _config_object(owner: cst.BaseExpression) -> bool:
    """`options`, `app_settings`, `self.config`: a configuration object of the process, not an
    option set on one entity (`peer.options`)."""
    if isinstance(owner, cst.Attribute) and isinstance(owner.value, cst.Name) and owner.value.value in ("self", "cls"):
        owner = owner.attr
    return isinstance(owner, cst.Name) and bool(_CONFIG_HOLDER.match(owner.value))


def _param_default(scope: Scope, name: str) -> cst.BaseExpression | None:
    func = scope.node
    if not isinstance(func, cst.FunctionDef):
        return None
    params = func.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.name.value == name:
            return param.default
    return None


def _skips(block: cst.CSTNode) -> bool:
    """A guard's body that only leaves: `continue`, or `return` without a verdict."""
    statements = list(getattr(block, "body", ()))
    if len(statements) != 1 or not isinstance(statements[0], cst.SimpleStatementLine):
        return False
    small = statements[0].body
    return len(small) == 1 and (
        isinstance(small[0], cst.Continue) or (isinstance(small[0], cst.Return) and small[0].value is None)
    )


def _returns_bool(block: cst.CSTNode) -> bool:
    for statement in getattr(block, "body", ()):
        for small in getattr(statement, "body", ()):
            if isinstance(small, cst.Return) and isinstance(small.value, cst.Name) and small.value.value in ("True", "False"):
                return True
    return False


def _is_difference(value: cst.CSTNode) -> bool:
    return isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Subtract)


def _assigned_name(holder) -> str | None:
    if isinstance(holder, cst.Assign) and len(holder.targets) == 1:
        target = holder.targets[0].target
        if isinstance(target, cst.Name):
            return target.value
        if isinstance(target, cst.Attribute):
            return target.attr.value
    return None


def _status_name(target: cst.CSTNode) -> str | None:
    name = None
    if isinstance(target, cst.Name):
        name = target.value
    elif isinstance(target, cst.Attribute):
        name = target.attr.value
    elif isinstance(target, cst.Subscript) and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
        name = string_value(target.slice[0].slice.value)
        if name is None:  # `self.status[node_id] = "offline"`: a table of states keyed by node
            owner = target.value
            name = owner.attr.value if isinstance(owner, cst.Attribute) else getattr(owner, "value", None)
            if not isinstance(name, str):
                name = None
    return name if name and STATUS_NAMES.match(name) else None


def _dead_value(value: cst.CSTNode, status_name: str) -> bool:
    text = string_value(value)
    if text is None and isinstance(value, cst.Attribute):
        text = value.attr.value
    if text is None and isinstance(value, cst.Name) and _UPPER.match(value.value):
        text = value.value  # `STATE_MISSING`, a module's state constant
    if text is not None:
        # `STATE_MISSING`, `WorkerStatus.OFFLINE`, `SERVICE_DOWN`
        state = re.sub(r"^_?(?:state|status)_", "", text.strip().lower())
        return state in DEAD_VALUES or dead_member_constant(state, DEAD_VALUES)
    if isinstance(value, cst.Name) and value.value in ("True", "False"):
        alive = bool(_ALIVE_NAMES.search(status_name)) and "dead" not in status_name.lower()
        return (value.value == "False") == alive
    return False


def find_detectors(analysis: HeartbeatAnalysis) -> list[cst.CSTNode]:
    from ._death_timers import check_death_timer
    from ._key_liveness import check_beat_keys, check_idle_claims
    from ._lease_expiry import check_lease_expiry
    from ._miss_counters import CounterSteps

    found: list[cst.CSTNode] = []
    seen: set[int] = set()
    steps = CounterSteps(analysis.ctx.module)
    for scope in analysis.index.scopes:
        if re.search(r"\bphi\b|phi_", analysis.ctx.code_for(scope.node) if not isinstance(scope.node, cst.Module) else ""):
            continue  # a phi-accrual detector
        for comparison in scope.comparisons:
            _check_comparison(analysis, scope, comparison, found, seen)
            _check_counter(analysis, scope, steps, comparison, found, seen)
            check_lease_expiry(analysis, scope, comparison, found, seen)
        check_beat_keys(analysis, scope, found, seen)
        for call in scope.calls:
            check_age_call(analysis, scope, call, found, seen)
            _check_lookup_keywords(analysis, scope, call, found, seen)
            _check_cutoff_argument(analysis, scope, call, found, seen)
            _check_registry(analysis, scope, call, found, seen)
            check_idle_claims(analysis, scope, call, found, seen)
            check_death_timer(analysis, scope, call, found, seen)
    return found


RANGE_BY_SCORE = frozenset({"zrangebyscore", "zrevrangebyscore", "zremrangebyscore", "zcount"})
# Sorted sets scored by the last time a member reported: workers, delivered-but-unacked
# messages, jobs in progress. A rate limiter's or cache index's window is not one.
_REGISTRY_KEY = re.compile(
    r"heart_?beat|worker|node|consumer|member|instance|unack|visib|in_?progress|inflight|processing|claimed|lease|alive|ping",
    re.IGNORECASE,
)


def _check_registry(analysis, scope, call, found, seen) -> None:
    """Redis: `zrangebyscore(key, 0, time.time() - TIMEOUT)` and what is done with the members
    (requeued, restored), or `zremrangebyscore(...)` dropping them outright."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in RANGE_BY_SCORE or len(call.args) < 3:
        return
    bounds = [a.value for a in call.args[1:3] if a.keyword is None]
    bounds += [a.value for a in call.args if a.keyword is not None and a.keyword.value in ("min", "max")]
    if not any(analysis.cutoff(scope, bound) for bound in bounds) and not _prunes_deadlines(analysis, scope, call, bounds):
        return
    key_text = expr_names(call.args[0].value)
    if not _REGISTRY_KEY.search(key_text) or QUORUM.search(key_text):
        return
    if func.attr.value != "zremrangebyscore" and analysis._follow_value(scope, call) is None:
        return
    if id(call) not in seen:
        seen.add(id(call))
        found.append(call)


def _prunes_deadlines(analysis, scope, call: cst.Call, bounds) -> bool:
    """`zremrangebyscore(key, 0, now)` in a module whose `zadd` scores are `now + window`
    (rules/_liveness_registries)."""
    from ._liveness_registries import clock_bound, scores_deadlines

    if call.func.attr.value != "zremrangebyscore" or not isinstance(scope.node, cst.FunctionDef) or len(bounds) < 2:
        return False
    if not clock_bound(scope.node, scope.cls, analysis.qname, bounds[-1]):
        return False
    if getattr(analysis, "_deadline_scores", None) is None:
        analysis._deadline_scores = scores_deadlines(analysis.ctx.module, analysis.qname)
    return analysis._deadline_scores


def _check_counter(analysis, scope, steps, comparison, found, seen) -> None:
    """`if self.missed[peer] > self.max_misses: self.evict(peer)`: periods without contact counted
    against a fixed limit."""
    from ._clock import ordering_pairs
    from ._miss_counters import stale_counter

    if id(comparison) in seen:
        return
    for left, op, right in ordering_pairs(comparison):
        stale = stale_counter(analysis, scope, steps, left, op, right)
        if stale is None:
            continue
        block = analysis.consequence(scope, comparison, stale)
        # the counter's name (missed pings, silent rounds) already says it is about a peer
        if block is None or QUORUM.search(" ".join(expr_names(n) for n in [comparison, *block])):
            continue
        seen.add(id(comparison))
        found.append(comparison)
        return


def _check_comparison(analysis, scope, comparison, found, seen) -> None:
    from ._clock import ordering_pairs

    for left, op, right in ordering_pairs(comparison):
        stale = analysis.stale_sense(scope, left, op, right)
        if stale is None:
            continue
        block = analysis.consequence(scope, comparison, stale)
        if block is None and returned_verdict(analysis, scope, comparison, stale):
            # `def get_offline_conductors(): ... return result`: the callers act on the answer
            if id(comparison) not in seen and _context_ok(analysis, scope, [comparison]):
                seen.add(id(comparison))
                found.append((comparison, "medium"))
            return
        if block is None or not _context_ok(analysis, scope, [comparison, *block]):
            continue
        if id(comparison) not in seen:
            seen.add(id(comparison))
            found.append(comparison)
        return
    if id(comparison) not in seen and _held_condition(analysis.index, comparison):
        _check_held(analysis, scope, comparison, found, seen)


def _check_held(analysis, scope, comparison, found, seen) -> None:
    """`if task.state == "running" and now - task.started_at > MAX_RUN: task.state = "failed"`:
    the age of a held item's start/claim/update stamp, one window for all, and the item is
    failed or requeued. The held test is the context; the stamp's name says less than a
    heartbeat's, hence medium."""
    from ._clock import ordering_pairs

    analysis.held = True
    try:
        for left, op, right in ordering_pairs(comparison):
            stale = analysis.stale_sense(scope, left, op, right)
            if not stale:
                continue
            block = analysis.consequence(scope, comparison, stale)
            if block is None or QUORUM.search(" ".join(expr_names(n) for n in [comparison, *block])):
                continue
            seen.add(id(comparison))
            found.append((comparison, "medium"))
            return
    finally:
        analysis.held = False


def _held_condition(index, comparison) -> bool:
    """The whole condition around `comparison` also tests that the item is held."""
    top = comparison
    while isinstance(index.parent_of(top), (cst.BooleanOperation, cst.UnaryOperation)):
        top = index.parent_of(top)
    if top is comparison:
        owner = index.parent_of(top)
        if not isinstance(owner, cst.CompIf):
            return False
        comp = index.parent_of(owner)
        tests = [c.test for c in getattr(comp, "ifs", ())] if isinstance(comp, cst.CompFor) else []
        return any(_held_test(t) for t in tests if t is not top)
    return _held_test(top)


def _held_test(node: cst.CSTNode) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Comparison) and any(isinstance(c.operator, (cst.Equal, cst.In)) for c in current.comparisons):
            if re.search(r"status|state", expr_names(current.left), re.I):
                for c in current.comparisons:
                    if _held_value(c.comparator):
                        return True
        stack.extend(children(current))
    return False


def _held_value(node: cst.CSTNode) -> bool:
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return any(_held_value(e.value) for e in node.elements)
    value = string_value(node)
    if value is None and isinstance(node, cst.Attribute):
        value = node.attr.value
    return bool(value) and value.lower() in _HELD_VALUES


def _check_cutoff_argument(analysis, scope, call, found, seen) -> None:
    """`expired = store.active_before(now - config["ACTIVE_TIMEOUT"])` and the items found are
    requeued or failed: whatever the lookup is called, its results are the silent holders' work.
    The name of the lookup says nothing, so this needs node context and is reported as medium."""
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value in RANGE_BY_SCORE:
        return
    for arg in call.args:
        if arg.keyword is not None and "__" in arg.keyword.value:
            continue  # Django lookups are _check_lookup_keywords'
        value = arg.value
        if not analysis.cutoff(scope, value):
            continue
        window = value
        while isinstance(window, cst.Name):
            defs = scope.defs.get(window.value, [])
            if len(defs) != 1 or defs[0].value is None:
                break
            window = defs[0].value
        if not isinstance(window, cst.BinaryOperation) or _DATA_WINDOW.search(expr_names(window.right)):
            continue
        statement = analysis._statement(call)
        block = analysis._follow_value(scope, call)
        if block is None or block == [statement] or not _context_ok(analysis, scope, [arg, *block]):
            continue
        if id(arg) not in seen:
            seen.add(id(arg))
            found.append((arg, "medium"))
        return


def _check_lookup_keywords(analysis, scope, call, found, seen) -> None:
    """Django: `Worker.objects.filter(last_heartbeat__lt=now - timedelta(seconds=30)).update(...)`."""
    for arg in call.args:
        keyword = arg.keyword.value if arg.keyword is not None else ""
        if not keyword or "__" not in keyword:
            continue
        field, _, lookup = keyword.rpartition("__")
        if lookup not in ("lt", "lte"):
            continue
        taken = not HEARTBEAT.search(field) and bool(TAKEN_FIELD.search(field))
        if taken and analysis.cutoff(scope, arg.value) and _or_unowned(analysis.index, call):
            # `Q(locked_by=None) | Q(locked_at__lt=now - MAX_RUN)`: a claim older than the window
            # counts as no claim, and the row is handed to the next worker
            if id(arg) not in seen:
                seen.add(id(arg))
                found.append(arg)
            continue
        held = taken and _held_filter(call)
        if not HEARTBEAT.search(field) and not held:
            continue
        if not analysis.cutoff(scope, arg.value):
            continue
        block = analysis._follow_value(scope, call)
        if block is None:
            continue
        if held:
            # `filter(status="running", started_at__lt=now - X).update(status="failed")`
            if not QUORUM.search(" ".join(expr_names(n) for n in block)) and id(arg) not in seen:
                seen.add(id(arg))
                found.append((arg, "medium"))
            continue
        if not _context_ok(analysis, scope, [arg, *block]):
            continue
        if id(arg) not in seen:
            seen.add(id(arg))
            found.append(arg)


_OWNER_LOOKUP = re.compile(r"^(?:\w+_by|owner|owner_id|holder|worker|worker_id|\w+_at)(?:__isnull|__exact)?$")


def _or_unowned(index, call: cst.Call) -> bool:
    """`call` is a `Q(...)` OR-ed with one that finds the row unheld (`Q(claimed_by=None)`,
    `Q(locked_by__isnull=True)`, `Q(locked_at__isnull=True)`)."""
    parent = index.parent_of(call)
    if not (isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.BitOr)):
        return False
    other = parent.right if parent.left is call else parent.left
    if not isinstance(other, cst.Call) or last_part(expr_names(other.func)) != "Q":
        return False
    for arg in other.args:
        keyword = arg.keyword.value if arg.keyword is not None else ""
        if not _OWNER_LOOKUP.match(keyword):
            continue
        value = arg.value
        if keyword.endswith("__isnull") and isinstance(value, cst.Name) and value.value == "True":
            return True
        if not keyword.endswith("__isnull") and isinstance(value, cst.Name) and value.value == "None":
            return True
    return False


def _held_filter(call: cst.Call) -> bool:
    """`status="running"`, `state__in=[...]` among the lookup's keywords."""
    for arg in call.args:
        keyword = arg.keyword.value if arg.keyword is not None else ""
        field = keyword.split("__")[0]
        if re.search(r"status|state", field, re.I) and keyword.endswith(("status", "state", "__in", "__exact")):
            if _held_value(arg.value):
                return True
    return False


def _context_ok(analysis: HeartbeatAnalysis, scope: Scope, nodes) -> bool:
    text = " ".join(expr_names(node) for node in nodes)
    if QUORUM.search(text):
        return False  # suspicion that needs others to agree
    if STRONG.search(text):
        return True
    # `last_seen` alone also describes users and sessions: require a sign it is about nodes.
    where = text
    if isinstance(scope.node, cst.FunctionDef):
        where += " " + scope.node.name.value
    if scope.cls is not None:
        where += " " + scope.cls.name.value
    return bool(NODEISH.search(where)) or _member_stamped(scope, nodes)


def _member_stamped(scope: Scope, nodes) -> bool:
    """A member's own refresh stamp (`service.updated_at`) is node context by itself."""
    stack = list(nodes)
    followed: dict[str, int] = {}
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Attribute, cst.Subscript)) and member_stamp(scope, node):
            return True
        if isinstance(node, cst.Name) and followed.get(node.value, 0) < 3:
            # `tdelta = now - service['updated_at']`, compared a line later
            followed[node.value] = followed.get(node.value, 0) + 1
            stack.extend(d.value for d in scope.defs.get(node.value, []) if d.value is not None)
        stack.extend(children(node))
    return False
