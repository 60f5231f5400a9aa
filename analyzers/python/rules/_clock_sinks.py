"""ARM104's half of the clock analysis: expiries computed from this machine's wall clock (an OFFSET
flow: `datetime.utcnow() + timedelta(hours=24)`) that are written to storage or sent to another
process, where some other machine will compare them with its own clock.

A query that compares a stored expiry or lease with the app's clock
(`filter(expires__lt=timezone.now())`, `where(Token.expires_at < datetime.utcnow())`,
`"... WHERE expires < ?", (now,)`) counts too: the row was stamped by some other node's clock,
and the database's own `now()` is the one clock both sides can share. In-process deadlines are
ARM103's."""
from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from ._clock import OFFSET, WALL, ClockAnalysis, Flow, date_level, is_logging_call, ordering_pairs
from ._clock_arrived_rows import arrived, arrived_rows
from ._clock_claims import claim_sinks, signs_jwt
from ._clock_column_defaults import column_default_sinks
from ._clock_containers import ContainerSinks
from ._clock_scope import Scope, call_name, last_part, string_value, sym_of
from ._clock_handoffs import handoff_sinks
from ._clock_query_data import data_conditions
from ._clock_score_sweeps import check_sweep
from ._clock_query_operands import operator_comparisons, query_column, reaching_binding
from ._clock_stored import DAY_GRAINED, StoredTimes, chain_writes, chained_methods, cutoff_column
from ._stamp_cutoffs import shifted_stamp_in_query, stamp_cutoff_on_record
from ._functions import local_helper
from ._clock_write_names import LIVENESS_NAME, SCHEDULE_NAME, SCHEDULE_SQL, plain_instant, written_confidence

# Names of an instant that someone else later compares with their own clock: when access ends,
# a grace period runs out, a hold is released or a plan renews. Stamps of what already happened
# (created_at, started_at, updated_at, sent_at) stay out, and so do cache lifetimes
# (`cache_until`, `cache_expires`): an entry read a little early or late is refetched, nothing more.
EXPIRY_NAME = re.compile(
    r"^(?!\w*cache).*?(?:"
    r"expir|valid_until|valid_to|valid_through|lease_until|lease_expir|deadline|(?:^|_)ttl|^exp$|_exp$|^exp_|"
    r"^exat$|^pxat$|(?:^|_)ends?_(?:at|on)$|(?:^|_)closes?_(?:at|on)$|^trial_ends?$|(?:^|_)until$|(?:^|_)renews?_(?:at|on)$|"
    # leases and delays under queue names: claims, visibility timeouts, run-at times
    r"^lock$|lock(?:ed)?_(?:until|expir\w*|timeout_at)$|^vt$|visible_(?:at|after|from)|not_before|^nbf$|"
    r"^(?:run|available|scheduled|execute|process|retry|deliver)_(?:at|after|for)$|^eta$|^next_(?:run|attempt|retry)(?:_at|_time)?$"
    r")",
    re.IGNORECASE,
)
EXPIRY_SQL = re.compile(
    r"expir|valid_until|valid_to|valid_through|lease_until|lease_expir|deadline|\bttl|\b\w*ends?_at\b|\w_until\b|"
    r"\brenews?_at\b|\bcloses?_(?:at|on)\b|\bends?_on\b|\bvt\b|visible_(?:at|after)|\brun_at\b|not_before|"
    r"available_at|locked_until|scheduled_at|next_run_at|\block_expir",
    re.IGNORECASE,
)
# `<expiry column> < placeholder` (or the reverse) in SQL text: a comparison with a value the
# application supplies.
_PLACEHOLDER = r"(?:\?|%s|%\(\w+\)s|:\w+|\$\d+|\{\})"
_SQL_COMPARES_PARAM = re.compile(
    rf"(?P<col>[\w.\"]+)\s*(?:<=|>=|<|>)\s*{_PLACEHOLDER}|{_PLACEHOLDER}\s*(?:<=|>=|<|>)\s*(?P<col2>[\w.\"]+)",
    re.IGNORECASE,
)
# Django lookups and query-builder methods that compare a column with a value. Only the clock
# itself counts: `expires__lt=now() + timedelta(days=3)` asks what lapses soon (a report or a
# reminder), where a few seconds of skew decide nothing.
_ORDER_LOOKUPS = frozenset({"lt", "lte", "gt", "gte", "range"})
QUERY_CALLS = frozenset(
    {"filter", "exclude", "get", "where", "filter_by", "having", "and_", "or_", "delete", "select", "update",
     "first", "count", "exists", "Q", "find", "find_one", "delete_many", "update_many", "count_documents"}
)
_COUNT_QUERY = re.compile(r"^\s*select\s+count\s*\(", re.IGNORECASE)
_MONGO_COMPARE = frozenset({"$lt", "$lte", "$gt", "$gte"})
# A query chain that ends by counting: a number for a monitor or a report.
# `.exists()` is not among them: its answer decides something (is a token still valid?).
_READ_ONLY_ENDS = frozenset({"count", "aggregate", "count_documents"})
_QUERY_CHAIN = frozenset({"filter", "exclude", "select_related", "prefetch_related", "using", "order_by", "values",
                          "values_list", "distinct", "only", "defer", "annotate", "where", "filter_by", "all"})


def _date_window(call: cst.Call) -> bool:
    """`filter(trial_end__gte=now, trial_end__lte=now + 7 days)`: rows whose date falls in a window
    from now; a listing of what lapses soon (a reminder, a report), not an expiry being enforced."""
    seen: dict[str, set[str]] = {}
    for arg in call.args:
        keyword = arg.keyword.value if arg.keyword is not None else ""
        field, _, lookup = keyword.rpartition("__")
        if field and lookup in _ORDER_LOOKUPS:
            seen.setdefault(field, set()).add(lookup[:2])
    return any(len(directions) == 2 for directions in seen.values())

# Calls that write a row or document, or send a message/request/token somewhere else.
WRITE_CALLS = frozenset(
    {
        "create", "get_or_create", "update_or_create", "bulk_create", "update", "insert", "values",
        "insert_one", "insert_many", "update_one", "update_many", "replace_one", "find_one_and_update",
        "upsert", "set", "hset", "hmset", "mset", "put_item", "update_item", "add", "save",
        "apply_async", "send_task", "delay", "enqueue", "enqueue_call", "publish", "send", "send_json",
        "post", "put", "patch", "request", "encode", "sign", "dumps", "create_access_token",
        "create_refresh_token", "emit", "write",
    }
)
# Calls that make an ORM object persistent.
PERSIST_CALLS = frozenset({"add", "add_all", "merge", "save", "bulk_create", "bulk_save_objects", "insert", "persist"})
PERSIST_EVIDENCE = PERSIST_CALLS | {"commit", "flush", "bulk_update", "update", "upsert", "save_changes"}
# SQLAlchemy's `with session.begin():` flushes and commits loaded objects' changes on exit.
SESSION_TRANSACTIONS = frozenset({"begin", "begin_nested"})
_SQL_WRITE = re.compile(r"\b(?:insert|update|upsert|merge|replace|set|values|call)\b", re.IGNORECASE)
EXECUTE_CALLS = frozenset({"execute", "executemany", "fetch", "fetchrow", "fetchval", "fetch_one", "fetch_all", "fetch_val", "query", "mogrify"})
EXPIREAT_CALLS = frozenset({"expireat", "pexpireat"})
MODEL_BASES = re.compile(r"Model$|^Base$|Base$|Document$|^Table$")


@dataclass
class Sink:
    node: cst.CSTNode  # the wall-clock expression to report
    flow: Flow
    kind: str  # "jwt" | "redis" | "sql" | "orm" | "store" | "message" | "query" | "stored" | "aged" | "returned" | "session" | "record" | "kept" | "sweep"
    detail: str  # e.g. "Token.objects.create(expires_at=...)"
    confidence: str | None = None  # None: as sure as the readings behind the flow
    # the write or query call the value is an argument of, when it is one directly (fixes need it)
    call: cst.Call | None = None


def _report_node(flow: Flow, value: cst.CSTNode) -> cst.CSTNode:
    for kind, root in flow.roots:
        if kind == OFFSET:
            return root
    return value


class _Finder:
    def __init__(self, analysis: ClockAnalysis, ctx) -> None:
        self.analysis = analysis
        self.ctx = ctx
        self.sinks: dict[int, Sink] = {}
        self._ranged: set[str] | None = None
        self.containers = ContainerSinks(self, EXPIRY_NAME)
        self._signs_jwt = signs_jwt(ctx.text)
        self.stored_times = StoredTimes(self)

    @staticmethod
    def is_model(cls: cst.ClassDef) -> bool:
        return _is_model_class(cls)

    def offset(self, scope: Scope, value: cst.CSTNode, kinds=(OFFSET,)) -> Flow | None:
        flow = self.analysis.flow(scope, value)
        return flow if flow is not None and flow.kind in kinds else None

    def add(self, flow: Flow, value: cst.CSTNode, kind: str, detail: str, at_value: bool = False,
            call: cst.Call | None = None, confidence: str | None = None) -> None:
        node = value if at_value else _report_node(flow, value)
        self.sinks.setdefault(id(node), Sink(node, flow, kind, detail, confidence,
                                             call=call if node is value else None))

    # --- per scope ----------------------------------------------------------------------------
    def scan(self, scope: Scope) -> None:
        self.containers.scan(scope)
        claim_sinks(self, scope, EXPIRY_NAME, self._signs_jwt)
        for call in scope.calls:
            name = call_name(self.analysis.qname, call)
            last = last_part(name)
            if last in EXPIREAT_CALLS:
                self._expireat(scope, call, name)
            if last in EXECUTE_CALLS and call.args:
                self._sql(scope, call, name)
            self._keywords(scope, call, name, last)
            self._dicts(scope, call, name, last)
            self._lookups(scope, call, name)
            self._data_conditions(scope, call, name)
            if last == "zadd":
                self._scores(scope, call, name)
            elif last == "zincrby" and len(call.args) >= 2:
                flow = self.offset(scope, call.args[1].value)
                if flow is not None:  # the new score is the old one moved by this clock
                    self.add(flow, call.args[1].value, "redis", f"{_short(name)}(key, amount, member)")
            elif last in _SCORE_RANGES:
                self._score_range(scope, call, name, last)
                check_sweep(self, scope, call, name, _short(name), _score_dicts)
            self._script_args(scope, call, name, last)
        self._operator_comparisons(scope)
        for comparison in scope.comparisons:
            self._query_comparison(scope, comparison)
            shifted_stamp_in_query(self, scope, comparison)
            self._stored_expiry(scope, comparison)
            self.stored_times.comparison(scope, comparison)
            stamp_cutoff_on_record(self.stored_times, scope, comparison)
        for target, value in scope.attr_assigns:
            self._attribute(scope, target, value)
        handoff_sinks(self, scope)

    # --- comparisons in queries ---------------------------------------------------------------
    def _lookups(self, scope: Scope, call: cst.Call, name: str) -> None:
        """`filter(expires__lt=timezone.now())`, `{"expires_at": {"$lt": now}}`."""
        if self._only_counted(call) or _date_window(call):
            return
        for arg in call.args:
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword is None or "__" not in keyword:
                continue
            *fields, lookup = keyword.split("__")
            if lookup not in _ORDER_LOOKUPS or not fields:
                continue
            if not _due_column(fields[-1]):
                self._cutoff(scope, call, name, fields[-1], arg.value, f"{_short(name)}({keyword}=...)")
                if lookup in ("lt", "lte"):
                    arrived_rows(self, scope, call, fields[-1], arg.value, f"{_short(name)}({keyword}=...)")
                continue
            flow = self.offset(scope, arg.value, (WALL,))
            if flow is not None:
                self.add(flow, arg.value, "query", f"{_short(name)}({keyword}=...)", at_value=True, call=call)
            else:
                self._cutoff(scope, call, name, fields[-1], arg.value, f"{_short(name)}({keyword}=...)")
        if last_part(name) not in QUERY_CALLS or not call.args:
            return
        for arg in call.args:
            for key, value in self._dict_entries(scope, arg.value):
                if not EXPIRY_NAME.search(key) or not isinstance(value, cst.Dict):
                    continue
                for element in value.elements:
                    if isinstance(element, cst.DictElement) and string_value(element.key) in _MONGO_COMPARE:
                        flow = self.offset(scope, element.value, (WALL,))
                        if flow is not None:
                            self.add(flow, element.value, "query", f'{_short(name)}({{"{key}": ...}})', at_value=True)

    def _data_conditions(self, scope: Scope, call: cst.Call, name: str) -> None:
        """Conditions handed to a call as data (see _clock_query_data)."""
        conditions = list(data_conditions(self, scope, call))
        if not conditions or self._only_counted(call) or is_logging_call(self.analysis.qname, call):
            return
        for column, value, shape in conditions:
            detail = f"{_short(name)}({shape})"
            if not _due_column(column):
                self._cutoff(scope, call, name, column, value, detail)
                continue
            flow = self.offset(scope, value, (WALL,))
            if flow is not None:
                self.add(flow, value, "query", detail, at_value=True, call=call)
            else:
                self._cutoff(scope, call, name, column, value, detail)

    def _query_comparison(self, scope: Scope, comparison: cst.Comparison) -> None:
        """`Token.expires_at < datetime.utcnow()` inside `.filter(...)`/`.where(...)`."""
        query = self.enclosing_query(comparison)
        if query is not None:
            self._query_pairs(scope, query, list(ordering_pairs(comparison)))

    def _operator_comparisons(self, scope: Scope) -> None:
        """`Share.deleted_at.op("<=")(now)` inside a query: the same comparison, spelled as a call."""
        for call, left, _op, right in operator_comparisons(self.analysis, scope):
            query = self.enclosing_query(call)
            if query is not None:
                self._query_pairs(scope, query, [(left, _op, right)])

    def _query_pairs(self, scope: Scope, query: cst.Call, pairs) -> None:
        if self._only_counted(query):
            return
        for left, op, right in pairs:
            for written, other in ((left, right), (right, left)):
                column = query_column(self.analysis, scope, written)
                if column is None:
                    continue
                node, name = column
                detail = f"{_short(call_name(self.analysis.qname, query))}({self.ctx.code_for(node)} ...)"
                if not _due_column(name):
                    self._cutoff(scope, query, "", name, other, detail)
                    if op is not None and arrived(op, written is left):
                        arrived_rows(self, scope, query, name, other, detail)
                    continue
                flow = self.offset(scope, other, (WALL,))
                if flow is not None:
                    self.add(flow, other, "query", detail, at_value=True, call=query)

    def dict_entries(self, scope: Scope, value: cst.CSTNode):
        return self._dict_entries(scope, value)

    def _cutoff(self, scope: Scope, query: cst.Call, name: str, column: str, value: cst.CSTNode, detail: str) -> None:
        """`filter(sent__lt=now() - timedelta(days=3))`, `where(Queue.last_polled < now - timeout)`:
        rows stamped by other nodes aged by this node's clock. Certain when the rows are then
        deleted or updated; a selection alone may be a listing."""
        if not cutoff_column(column) or LIVENESS_NAME.search(column) or not self.stored_times.past_cutoff(scope, value):
            return  # silence since a heartbeat is the fixed-timeout rules' question
        cutoff = self.stored_times.cutoff_text(scope, value)
        value = reaching_binding(self.analysis, self.ctx, scope, value)
        flow = self.offset(scope, value, (OFFSET,))
        if flow is None:
            return
        context = f"{_scope_name(scope)} {cutoff} {self.ctx.code_for(query.func)}"
        if not _EXPIRY_CONTEXT.search(context) or DAY_GRAINED.search(cutoff):
            return  # a retention purge, a recent listing, a window of days: seconds of skew decide nothing
        if chain_writes(self.analysis, query) or re.search(r"\b(?:update|delete)\s*\(", self.ctx.code_for(query.func)):
            self.add(flow, value, "query", detail)
        else:  # rows selected as expired, stale or locked out, to act on elsewhere
            self.add(flow, value, "query", detail, confidence="medium")

    def _only_counted(self, query: cst.Call) -> bool:
        """`filter(expire_date__gte=now()).count()`: a statistic for a monitor; the count decides
        no expiry (a take or delete of the rows would be another call). An `.exists()` answers
        whether a stored expiry still holds, which is the decision itself."""
        for method in chained_methods(self.analysis, query):
            if method in _READ_ONLY_ENDS:
                return True
            if method not in _QUERY_CHAIN:
                return False
        return False

    def _stored_expiry(self, scope: Scope, comparison: cst.Comparison) -> None:
        """`timezone.now() >= self.expires` in a model's method: the column was set by whichever
        node issued the token, from its own clock."""
        self._stored_due_time(scope, comparison)
        if scope.cls is None or not _is_model_class(scope.cls):
            return
        for left, _op, right in ordering_pairs(comparison):
            for column, other in ((left, right), (right, left)):
                sym = sym_of(column) if isinstance(column, cst.Attribute) else None
                if sym is None or not sym.startswith("self.") or not _OWN_EXPIRY.search(column.attr.value):
                    continue
                if self.analysis.flow(scope, column) is not None:
                    continue  # set from this process's clock: an in-process deadline, ARM103's
                flow = self.offset(scope, other, (WALL,))
                if flow is not None:
                    self.add(flow, other, "stored", f"{self.ctx.code_for(column)}", at_value=True)

    def _stored_due_time(self, scope: Scope, comparison: cst.Comparison) -> None:
        """`queue.resume_at < datetime.now()`: a run or resume time on a record loaded from shared
        storage, written by whichever node scheduled it, judged by this node's clock. A field this
        file writes from its own clock is an in-process deadline (ARM103's)."""
        if _PRESENTATION_PATH.search(self.ctx.path) or _PRESENTATION_FUNC.search(_scope_name(scope)):
            return  # a status shown to a person: nothing is run or released by it
        for left, _op, right in ordering_pairs(comparison):
            for column, other in ((left, right), (right, left)):
                if not isinstance(column, cst.Attribute) or not SCHEDULE_NAME.search(column.attr.value):
                    continue
                if isinstance(column.value, cst.Name) and column.value.value in ("self", "cls"):
                    continue
                attr = column.attr.value
                if self.analysis.flow(scope, column) is not None or re.search(rf"\.{attr}\s*=[^=]", self.ctx.text):
                    continue  # this file sets the field itself
                flow = self.offset(scope, other, (WALL,))
                if flow is not None:
                    self.add(flow, other, "stored", self.ctx.code_for(column), at_value=True, confidence="medium")

    def enclosing_query(self, node: cst.CSTNode) -> cst.Call | None:
        return enclosing_query(self.analysis, node)

    def _scores(self, scope: Scope, call: cst.Call, name: str) -> None:
        """`zadd(queue, {job_id: now + delay})`: a run-at time in a sorted set that every worker
        compares with its own clock. A plain stamp (`{tag: time()}`) counts when this file also
        ranges over the same set by the clock (`zrangebyscore(key, 0, time() - timeout)`): the
        sweep on one node ages entries another node stamped."""
        key = self.ctx.code_for(call.args[0].value) if call.args else ""
        for score in _score_dicts(scope, call.args[1:]):
            flow = self.offset(scope, score)
            if flow is not None:
                self.add(flow, score, "redis", f"{_short(name)}({{member: score}})")
                continue
            stamp = self.offset(scope, score, (WALL,))
            if stamp is None:
                continue
            if key and key in self._clock_ranged_keys():
                self.add(stamp, score, "redis", f"{_short(name)}({{member: score}})")
            elif _LIVENESS.search(f"{_scope_name(scope)} {key}"):
                # a heartbeat's only reader is whoever ages it, usually another node by its own clock
                self.sinks.setdefault(id(score), Sink(score, stamp, "redis", f"{_short(name)}({{member: now}})",
                                                      confidence="medium"))

    def _script_args(self, scope: Scope, call: cst.Call, name: str, last: str) -> None:
        """`limiter(keys=[key], args=[limit, per, time.time()])`, `eval(LUA, 1, key, now)`: the
        server-side script compares this client's clock with entries other clients wrote from
        theirs; the script could read the one clock all clients share (`redis.call("TIME")`)."""
        if last in _EVAL_CALLS:
            values = [arg.value for arg in call.args[1:] if arg.keyword is None]
        else:
            keywords = {arg.keyword.value: arg.value for arg in call.args if arg.keyword is not None}
            if "keys" not in keywords or "args" not in keywords:
                return
            values = [keywords["args"]]
        for value in values:
            elements = ([e.value for e in value.elements] if isinstance(value, (cst.List, cst.Tuple))
                        else [value])
            for element in elements:
                flow = self.offset(scope, element, (WALL, OFFSET))
                if flow is not None:
                    self.add(flow, element, "redis", f"{_short(name)}(..., args=[now])", at_value=True)
                    return

    def _clock_ranged_keys(self) -> set[str]:
        """Sorted sets some range query here bounds by this machine's clock."""
        if self._ranged is None:
            self._ranged = set()
            for scope in self.analysis.index.scopes:
                for call in scope.calls:
                    if last_part(call_name(self.analysis.qname, call)) in _SCORE_RANGES and call.args:
                        if any(self.offset(scope, arg.value, (WALL, OFFSET)) for arg in call.args[1:]):
                            self._ranged.add(self.ctx.code_for(call.args[0].value))
        return self._ranged

    def _score_range(self, scope: Scope, call: cst.Call, name: str, last: str) -> None:
        """`zrangebyscore(queue, "-inf", now)`: the jobs due by this worker's clock, among scores
        other nodes wrote from theirs. A removal by age (`zremrangebyscore(key, 0, now - ttl)`) is
        reported where the scores are stamped, if that is in this file (see `_scores`)."""
        if last not in _DUE_READS:
            return
        for arg in call.args[1:]:
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword not in (None, "max", "min"):
                continue
            flow = self.offset(scope, arg.value, (WALL,))
            if flow is not None:
                self.add(flow, arg.value, "query", f"{_short(name)}(key, ..., now)", at_value=True)
                return

    def _expireat(self, scope: Scope, call: cst.Call, name: str) -> None:
        for arg in call.args[1:]:
            flow = self.offset(scope, arg.value, (OFFSET, WALL))
            if flow is not None:
                self.add(flow, arg.value, "redis", f"{_short(name)}(...)")

    def _keywords(self, scope: Scope, call: cst.Call, name: str, last: str) -> None:
        for arg in call.args:
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword is None or "__" in keyword:
                continue
            flow = self.offset(scope, arg.value, (OFFSET, WALL))
            if flow is None:
                continue
            detail = f"{_short(name)}({keyword}=...)"
            if last in WRITE_CALLS:
                kind = "redis" if keyword in ("exat", "pxat") else _write_kind(last)
                # SQLAlchemy `insert()/update().values(col=...)` writes a row
                confidence = written_confidence(keyword, flow.kind, EXPIRY_NAME, kind == "orm" or last == "values", name)
                if confidence == "medium" and (not plain_instant(arg.value) or date_level(self.analysis.qname, flow)):
                    continue  # a name we cannot read given text, a backdated start or a calendar date
                if confidence is not None:
                    self.add(flow, arg.value, kind, detail, call=call, confidence=confidence or None)
            elif last[:1].isupper() and self._persisted_object(scope, call):
                confidence = written_confidence(keyword, flow.kind, EXPIRY_NAME, True, name)
                if confidence == "medium" and not plain_instant(arg.value):
                    continue
                if confidence is not None:
                    self.add(flow, arg.value, "orm", detail, call=call, confidence=confidence or None)

    def _persisted_object(self, scope: Scope, call: cst.Call) -> bool:
        """`session.add(Token(expires_at=...))`, `t = Token(...); t.save()`."""
        index = self.analysis.index
        holder = index.parent_of(call)
        while isinstance(holder, (cst.Element, cst.List, cst.Tuple)):
            holder = index.parent_of(holder)
        if isinstance(holder, cst.Arg):
            outer = index.parent_of(holder)
            if isinstance(outer, cst.Call) and last_part(call_name(self.analysis.qname, outer)) in PERSIST_CALLS:
                return True
        if isinstance(holder, cst.Assign) and len(holder.targets) == 1 and isinstance(holder.targets[0].target, cst.Name):
            local = holder.targets[0].target.value
            for use in scope.uses.get(local, []):
                parent = index.parent_of(use)
                if isinstance(parent, cst.Attribute) and parent.attr.value in ("save", "insert", "put"):
                    return True
                while isinstance(parent, (cst.Element, cst.List, cst.Tuple)):
                    parent = index.parent_of(parent)
                if isinstance(parent, cst.Arg):
                    outer = index.parent_of(parent)
                    if isinstance(outer, cst.Call) and last_part(call_name(self.analysis.qname, outer)) in PERSIST_CALLS:
                        return True
        return False

    def _dict_entries(self, scope: Scope, value: cst.CSTNode, depth: int = 0):
        """(key, value) pairs of a dict literal, or of the dict a local name holds (including
        `payload["exp"] = ...` assignments)."""
        if isinstance(value, cst.Dict):
            for element in value.elements:
                if isinstance(element, cst.DictElement):
                    key = string_value(element.key)
                    if key is not None:
                        yield key, element.value
            return
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.BitOr) and depth < 2:
            # `{...} | ({...} if extra else {})`: a merge keeps the entries of both sides
            for side in (value.left, value.right):
                side = side.body if isinstance(side, cst.IfExp) else side
                yield from self._dict_entries(scope, side, depth + 1)
            return
        if isinstance(value, cst.Call) and depth < 2:
            func = value.func
            if isinstance(func, cst.Name) and func.value == "dict":
                for arg in value.args:
                    if arg.keyword is not None:
                        yield arg.keyword.value, arg.value
            elif last_part(self.analysis.qname(func) or "") == "dumps" and value.args:
                yield from self._dict_entries(scope, value.args[0].value, depth + 1)
            return
        if isinstance(value, cst.Name) and depth < 2:
            for d in scope.defs.get(value.value, []):
                if d.value is not None and not d.augmented:
                    yield from self._dict_entries(scope, d.value, depth + 1)
            for d in scope.defs.get(f"{value.value}[]", []):
                stmt = d.stmt
                if isinstance(stmt, cst.Assign) and d.value is not None:
                    for target in stmt.targets:
                        sub = target.target
                        if isinstance(sub, cst.Subscript) and len(sub.slice) == 1:
                            index = sub.slice[0].slice
                            if isinstance(index, cst.Index):
                                key = string_value(index.value)
                                if key is not None:
                                    yield key, d.value

    def _dicts(self, scope: Scope, call: cst.Call, name: str, last: str) -> None:
        is_jwt = name in ("jwt.encode", "jose.jwt.encode", "authlib.jose.jwt.encode") or (
            last in ("encode", "JWT") and "jwt" in name.lower()  # jwcrypto: `jwt.JWT(header=..., claims=...)`
        )
        # in a module that signs JWTs, a dict with an `exp` handed to its own signer
        # (`sign_identity_token(payload)`) is the claim set on its way to `jwt.encode`
        signer = self._signs_jwt and not is_jwt and last not in WRITE_CALLS and local_helper(call, self.ctx.module) is not None
        if not (is_jwt or last in WRITE_CALLS or signer) or signer and is_logging_call(self.analysis.qname, call):
            return
        for arg in call.args:
            entries = list(self._dict_entries(scope, arg.value))
            claims = is_jwt or _JWT_CLAIMS.issuperset(key for key, _ in entries) and len(entries) > 1
            for key, value in entries:
                if not EXPIRY_NAME.search(key) or signer and key not in ("exp", "nbf"):
                    continue
                flow = self.offset(scope, _formatted_instant(value))
                if flow is None:
                    continue
                if is_jwt or key in ("exp", "nbf") and (last == "encode" or claims or signer):
                    self.add(flow, value, "jwt", f'{_short(name)}({{"{key}": ...}})')
                else:
                    self.add(flow, value, _write_kind(last), f'{_short(name)}({{"{key}": ...}})')

    def _sql(self, scope: Scope, call: cst.Call, name: str) -> None:
        sql = self._sql_text(scope, call.args[0].value)
        if sql is None:
            return
        if _SQL_WRITE.search(sql):
            self._named_sql_params(scope, call, name)
        if not (EXPIRY_SQL.search(sql) or SCHEDULE_SQL.search(sql)):
            return
        if _COUNT_QUERY.search(sql):
            pass  # a number for a report or a queue's stats: it decides no expiry
        elif any(_due_column(m.group("col") or m.group("col2") or "") for m in _SQL_COMPARES_PARAM.finditer(sql)):
            for arg in call.args[1:]:
                for element in self._param_values(scope, arg.value):
                    flow = self.offset(scope, element, (WALL,))
                    if flow is not None:
                        self.add(flow, element, "query", f"{_short(name)}(...)", at_value=True)
        if not _SQL_WRITE.search(sql) or not (EXPIRY_SQL.search(sql) or SCHEDULE_SQL.search(sql)):
            return  # a visibility or resume time is a lease like any expiry
        for arg in call.args[1:]:
            for element in self._param_values(scope, arg.value):
                flow = self.offset(scope, element)
                if flow is not None:
                    self.add(flow, element, "sql", f"{_short(name)}(...)")

    def _named_sql_params(self, scope: Scope, call: cst.Call, name: str) -> None:
        """`execute("INSERT ... VALUES (%(scheduled)s ...)", {"scheduled": now + delay})`: the
        parameter's name says what the written instant is."""
        for arg in call.args[1:]:
            for key, value in self._dict_entries(scope, arg.value):
                flow = self.offset(scope, _formatted_instant(value), (OFFSET, WALL))
                if flow is None:
                    continue
                confidence = written_confidence(key, flow.kind, EXPIRY_NAME, True)
                if flow.kind == OFFSET and confidence == "medium":
                    continue  # a parameter's name (`:c`) need not be its column's
                if confidence is not None:
                    self.add(flow, value, "sql", f'{_short(name)}(..., {{"{key}": ...}})', confidence=confidence or None)

    def _sql_text(self, scope: Scope, node: cst.CSTNode, depth: int = 0) -> str | None:
        text = string_value(node)
        if text is not None:
            return text
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "format" \
                and depth < 3:
            return self._sql_text(scope, node.func.value, depth + 1)  # SQL("... {table} ...").format(table=...)
        if isinstance(node, cst.Call) and node.args and depth < 3:
            return self._sql_text(scope, node.args[0].value, depth + 1)  # text("..."), sql.SQL("...")
        if isinstance(node, cst.Name) and depth < 2:
            for d in scope.defs.get(node.value, []):
                if d.value is not None:
                    found = self._sql_text(scope, d.value, depth + 1)
                    if found is not None:
                        return found
            constant = self.analysis.module_values.get(node.value)
            if constant is not None and node.value not in scope.defs:
                return self._sql_text(scope, constant, depth + 1)
        return None

    def _param_values(self, scope: Scope, node: cst.CSTNode, depth: int = 0):
        if isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                yield element.value
        elif isinstance(node, cst.Dict):
            for element in node.elements:
                if isinstance(element, cst.DictElement):
                    yield element.value
        elif isinstance(node, cst.Name) and depth < 2:
            defs = scope.defs.get(node.value, [])
            if any(d.value is not None and isinstance(d.value, (cst.Tuple, cst.List, cst.Dict)) for d in defs):
                for d in defs:
                    if d.value is not None:
                        yield from self._param_values(scope, d.value, depth + 1)
            else:
                yield node  # asyncpg style: execute(sql, token, expires)
        else:
            yield node

    def _attribute(self, scope: Scope, target: cst.Attribute, value: cst.CSTNode) -> None:
        attr = target.attr.value
        flow = self.offset(scope, value, (OFFSET, WALL))
        if flow is None:
            return
        confidence = written_confidence(attr, flow.kind, EXPIRY_NAME, True)
        if confidence is None or (confidence == "medium" and not plain_instant(value)):
            return
        owner = target.value
        if sym_of(target) is not None:  # self.expires_at = ...
            if scope.cls is None or not (_is_model_class(scope.cls) or self._own_save(scope)):
                return
            if confidence == "medium" and not _ORM_MODEL_BASES.search(_base_names(scope.cls)):
                return  # `...Base` names many in-process classes; only a model's own fields here
        elif not isinstance(owner, cst.Name):
            return
        if sym_of(target) is None and not self._saves(scope, self.ctx.code_for(owner)):
            return
        code = self.ctx.code_for(owner)
        self.add(flow, value, "orm", f"{code}.{attr} = ... (saved)", confidence=confidence or None)

    def _own_save(self, scope: Scope) -> bool:
        """`def save(self, ...): ... super().save(...)`: an ORM model's save whatever its base is
        called (a project's abstract base); its fields are written with the row."""
        if not isinstance(scope.node, cst.FunctionDef) or scope.node.name.value != "save":
            return False
        for call in scope.calls:
            func = call.func
            if (isinstance(func, cst.Attribute) and func.attr.value == "save" and isinstance(func.value, cst.Call)
                    and isinstance(func.value.func, cst.Name) and func.value.func.value == "super"):
                return True
        return False

    def _saves(self, scope: Scope, owner: str) -> bool:
        """The object whose attribute was set is written: `sub.save()`, `session.add(sub)`,
        `bulk_update([sub], ...)`, or a session/connection commit. `stats.update({...})` on some
        other object is not evidence (a dict update; the breaker it sits next to lives in memory)."""
        for call in scope.calls:
            last = last_part(call_name(self.analysis.qname, call))
            if last in SESSION_TRANSACTIONS and isinstance(self.analysis.index.parent_of(call), cst.WithItem):
                return True  # `with session.begin():` commits what changed on its objects
            if last not in PERSIST_EVIDENCE and (not _SAVING_HELPER.match(last) or MEASURING_HELPER.search(last)):
                continue
            if last in ("commit", "flush", "save_changes", "bulk_update"):
                return True
            func = call.func
            if isinstance(func, cst.Attribute) and self.ctx.code_for(func.value) == owner:
                return True
            if any(_mentions(self.ctx.code_for(arg.value), owner) for arg in call.args):
                return True
        return False


# Registered JWT claim names (RFC 7519) and the OpenID Connect ID-token ones: a dict made only of
# these is a token's claim set, whoever signs it later.
_JWT_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "auth_time", "nonce", "azp", "at_hash", "c_hash", "acr", "amr", "sid"})
_MESSAGE_CALLS = frozenset(
    {"apply_async", "send_task", "delay", "enqueue", "enqueue_call", "publish", "send", "send_json", "post", "put",
     "patch", "request", "emit"}
)
# Calls that unmistakably write a row or document. Other writers (`set`, `add`, `write`,
# `dumps`...) may be a cache, a task signature or a file: their message says "stored or sent".
_DATABASE_CALLS = frozenset(
    {"create", "get_or_create", "update_or_create", "bulk_create", "update", "insert", "insert_one", "insert_many",
     "update_one", "update_many", "replace_one", "find_one_and_update", "upsert", "put_item", "update_item", "save"}
)


# Expiries an application issues itself (tokens, grants, leases). Period and trial ends are
# usually the provider's dates mirrored locally (a subscription's `current_period_end`).
_OWN_EXPIRY = re.compile(r"expir|valid_(?:until|to|through)|lease_(?:until|expir)|lock(?:ed)?_until|(?:^|_)ttl", re.IGNORECASE)
# Words that say a cutoff decides expiry: what the rows lose or who is let in again.
_EXPIRY_CONTEXT = re.compile(
    r"expir|stale|timeout|timed_out|ttl|cool_?off|lock|mutex|lease|idempoten|max_age|not_ready",
    re.IGNORECASE,
)
_SCORE_RANGES = frozenset({"zrangebyscore", "zrevrangebyscore", "zremrangebyscore", "zcount"})
_LIVENESS = re.compile(r"heartbeat|keep_?alive|(?:^|_)(?:ping|touch|renew|beat)(?:$|_)", re.IGNORECASE)
_EVAL_CALLS = frozenset({"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"})
_DUE_READS = frozenset({"zrangebyscore", "zrevrangebyscore"})


def _formatted_instant(value: cst.BaseExpression) -> cst.BaseExpression:
    """The instant inside `int(dateformat.format(when, "U"))` / `format(when, "%s")`: a claim or
    field written as epoch seconds or text. Only where the value is written: elsewhere a
    formatted instant is a message."""
    current = value
    for _ in range(3):
        if not isinstance(current, cst.Call) or not current.args:
            break
        func = current.func
        name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else ""
        if name in ("int", "str", "float") or name == "timestamp" and len(current.args) == 1:
            current = current.args[0].value  # `datetime.datetime.timestamp(when)`: the unbound method
        elif name == "format" and (isinstance(func, cst.Name) or isinstance(func.value, (cst.Name, cst.Attribute))):
            current = current.args[0].value  # not `"{}".format(...)`: its receiver is the template
        else:
            break
    return current


def _score_dicts(scope: Scope, args):
    """The scores of `{member: score}` mappings passed to zadd: literal or comprehension, directly,
    through a name bound to one, or through `*args` built beforehand."""
    for arg in args:
        value = arg.value
        if arg.star == "*" and isinstance(value, cst.Name):
            for d in scope.defs.get(value.value, []):
                if isinstance(d.value, (cst.List, cst.Tuple)):
                    for element in d.value.elements:
                        yield from _mapping_scores(element.value)
        elif isinstance(value, cst.Name) and not arg.star:
            for d in scope.defs.get(value.value, []):
                yield from _mapping_scores(d.value)
            for target, slot_value in scope.slot_assigns:  # `scores[member] = now` before the zadd
                if isinstance(target.value, cst.Name) and target.value.value == value.value:
                    yield slot_value
        else:
            yield from _mapping_scores(value)


def _scope_name(scope: Scope) -> str:
    return scope.node.name.value if isinstance(scope.node, cst.FunctionDef) else ""


def _mapping_scores(value):
    if isinstance(value, cst.Dict):
        for element in value.elements:
            if isinstance(element, cst.DictElement):
                yield element.value
    elif isinstance(value, cst.DictComp):
        yield value.value


# Code that shows records to people (admin pages, template tags, serializers, status labels).
_PRESENTATION_PATH = re.compile(r"(?:^|/)(?:admin|templatetags|serializers?|views?)(?:\.py$|/)")
_PRESENTATION_FUNC = re.compile(r"display|status|icon|label|badge|render|describe|__str__|__repr__", re.IGNORECASE)
# A project's own writer handed the object (`self._update(job)`, `repo.save_job(job)`).
_SAVING_HELPER = re.compile(r"^_*(?:update|save|persist|store|upsert|write)(?:_\w+)?$")
# `update_metrics(task)`, `write_stats(job)`: the helper records measurements about the object,
# it does not write the object itself.
MEASURING_HELPER = re.compile(r"_(?:metrics?|stats?|statistics|counters?|gauges?|histograms?|timings?)$")


def _due_column(name: str) -> bool:
    """A stored instant whose comparison with the present decides something: an expiry, or a
    run time that says a job or message is due."""
    bare = name.strip('"').rpartition(".")[2]
    if "cache" in bare.lower():
        return False  # an entry read a little early or late is refetched, nothing more
    return bool(EXPIRY_NAME.search(bare) or SCHEDULE_NAME.search(bare) or EXPIRY_SQL.search(name) or SCHEDULE_SQL.search(name))


def _write_kind(last: str) -> str:
    if last in _MESSAGE_CALLS:
        return "message"
    return "orm" if last in _DATABASE_CALLS else "store"


_ORM_MODEL_BASES = re.compile(r"(?:^|\s)(?:\w*Model|Base|DeclarativeBase|Document)(?:\s|$)")


def _base_names(cls: cst.ClassDef) -> str:
    names = []
    for base in cls.bases:
        written = base.value
        names.append(written.attr.value if isinstance(written, cst.Attribute) else getattr(written, "value", ""))
    return " ".join(name for name in names if isinstance(name, str))


def _is_model_class(cls: cst.ClassDef) -> bool:
    for base in cls.bases:
        written = base.value
        name = written.attr.value if isinstance(written, cst.Attribute) else getattr(written, "value", "")
        if isinstance(name, str) and MODEL_BASES.search(name):
            return True
    return False


def enclosing_query(analysis: ClockAnalysis, node: cst.CSTNode) -> cst.Call | None:
    """The query call (`filter`, `where`, ...) a comparison is an argument of, through `and_`,
    `or_` and `not`."""
    index = analysis.index
    current = node
    for _ in range(6):
        parent = index.parent_of(current)
        if parent is None:
            return None
        if isinstance(parent, cst.Arg):
            call = index.parent_of(parent)
            if isinstance(call, cst.Call) and last_part(call_name(analysis.qname, call)) in QUERY_CALLS:
                return call
            return None
        if not isinstance(parent, (cst.BooleanOperation, cst.UnaryOperation, cst.ComparisonTarget, cst.Comparison)):
            return None
        current = parent
    return None


def _mentions(text: str, name: str) -> bool:
    return bool(re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", text))


def _short(name: str) -> str:
    return name.lstrip(".") or "call"


def find_sinks(analysis: ClockAnalysis, ctx) -> tuple[list[Sink], dict[int, cst.Comparison]]:
    """The sinks, and the age checks among them (id(node) -> comparison) that yield to ARM103
    when it judges the same comparison."""
    finder = _Finder(analysis, ctx)
    for scope in analysis.index.scopes:
        finder.scan(scope)
    column_default_sinks(finder, ctx.module, EXPIRY_NAME)
    return list(finder.sinks.values()), finder.stored_times.ages
