"""The general wall-clock flow: a reading of this machine's clock followed through its function to
where it leaves the process or meets an instant another node wrote.

The named forms (_clock_sinks, _clock_deadlines and their helpers) know particular stores, column
names and shapes. This fallback runs after them, asks what the value *is* wherever it goes, and
speaks only for readings none of them reported (the flow itself, through assignments, tuple
slots, `self.` attributes, closures, arithmetic and conversions, is _clock.ClockAnalysis's):

  sent        `now ± duration`, an instant someone will compare with their own clock, given to a
              call that keeps or transmits it: an argument or keyword of any call that is not
              logging, formatting or an in-process wait, a value of a dict or list handed on, an
              attribute of an object that is then saved or handed on (ARM104);
  compared    see _clock_flow_stored.py: the reading meets an instant read back from a store, a
              query picks rows older than a cut-off from this clock, or a store-side comparison
              (a Mongo operator, a script's arguments) gets the reading (ARM104).

Left out on purpose: values that only reach logging, display or metrics; differences of two
readings (elapsed times measured here); bare stamps handed to a call; text built from a reading;
cut-offs handed to a purge or archive (retention) or written back (a backdated stamp); day-sized
horizons handed to a read (reminders and reports); results that are only counted; liveness
stamps, which are the fixed-timeout rules' question; and functions that only present data.
Every finding is medium: the callee or the store is not one the named forms know.
"""
from __future__ import annotations

import re

import libcst as cst

from ._clock import AS_TEXT, OFFSET, ClockAnalysis, Flow, is_logging_call
from ._clock_deadlines import _display_only
from ._clock_flow_shapes import RETENTION, is_past, past, report_node, shift_expression, stamp_like
from ._clock_flow_stored import StoredComparisons
from ._clock_claims import signs_jwt
from ._clock_helpers import MEDIUM
from ._clock_scope import Scope, call_name, expr_names, last_part, sym_of
from ._clock_sinks import EXECUTE_CALLS, EXPIRY_NAME, MEASURING_HELPER, QUERY_CALLS, Sink
from ._clock_stored import DAY_GRAINED
from ._clock_write_names import HISTORY_NAME, HISTORY_RECORD, SCHEDULE_NAME

# Callees that keep a value inside this process (waits, timers, arithmetic, conversions,
# in-memory containers) or only show it.
_IN_PROCESS_CALLEE = re.compile(
    r"sleep|wait|poll|timer|call_at|call_later|^(?:min|max|sorted|str|int|float|round|repr|abs|len|bool|isinstance|"
    r"print|echo|format\w*|isoformat|strftime|strptime|timedelta|relativedelta|datetime|date|time|fromtimestamp|"
    r"utcfromtimestamp|mktime|timegm|iso\w*|\w*_iso\w*|\w*isotime|replace|astimezone|localize|normalize|make_aware|make_naive|append|appendleft|"
    r"extend|insert|heappush|heapreplace|heappushpop|bisect\w*|insort\w*|setdefault|get|pop|index|count|join|"
    r"acquire|select|range|enumerate|zip|map|filter|next|iter|tuple|list|set|dict|hash|id|getattr|hasattr|"
    r"ceil|floor|divmod|pow|sum|any|all|total_seconds|timestamp|Event|Thread|Condition|Semaphore|Future|"
    r"ensure_future|create_task|run_until_complete|enter|enterabs|center|ljust|rjust|zfill)$|"
    r"render|display|metric|gauge|histogram|observe|timing|"
    r"humani[sz]e|naturaltime|timesince|timeuntil|_?log\w*|warn\w*|debug|info|error|exception|assert\w*",
    re.IGNORECASE,
)
# A browser's cookie or an HTTP date header: the browser enforces it for its own session.
_PRESENTED = re.compile(r"cookie|http_date|header", re.IGNORECASE)
# The variables a template is rendered with (`context['expire_date'] = now + ...`): display.
_TEMPLATE_CONTEXT = re.compile(r"^(?:\w+_)?(?:context|ctx)$", re.IGNORECASE)
_EXCEPTION = re.compile(r"(?:Error|Exception|Warning|Exit|Timeout|Expired)$")
# An in-memory cache or memo keeps the instant in this process.
_IN_MEMORY = re.compile(r"cache|memo", re.IGNORECASE)
# Django's cache framework is the deployment's shared cache (Redis, memcached, a table): a deadline
# kept there as a value is read back by other workers. Its timeout argument is a relative TTL.
_SHARED_CACHE = re.compile(r"^django\.core\.cache\.caches?\b")
# Sorted-set ranges are comparisons the store makes; _clock_sinks tells due reads from retention.
_RANGES = re.compile(r"range|byscore|bylex", re.IGNORECASE)
_JWT_CLAIMS = frozenset({"exp", "nbf", "iat"})
# Calls that keep what they are given: the store's own verbs and a project's data-access names.
_WRITES = re.compile(
    r"^(?:h?m?set\w*|create\w*|insert\w*|update\w*|upsert\w*|save\w*|put\w*|add\w*|store\w*|write\w*|persist\w*|"
    r"zadd|hset|rpush|lpush|publish\w*|send\w*|enqueue\w*|push\w*|post|patch|encode|sign\w*)$",
    re.IGNORECASE,
)


def hands_on(qname, call: cst.Call) -> bool:
    """Passing an object to `call` may hand it on to be kept: not a logging call, and not a
    helper that only records measurements about it (`update_metrics(task)`)."""
    return not is_logging_call(qname, call) and not MEASURING_HELPER.search(last_part(call_name(qname, call)) or "")


def find_flow_sinks(analysis: ClockAnalysis, ctx, covered: set[int], taken: set[int]) -> list[Sink]:
    """Sinks for readings the named forms left alone; `covered` holds id() of readings already
    reported, `taken` id() of reported nodes."""
    finder = _FlowFinder(analysis, ctx, covered, taken)
    for scope in analysis.index.scopes:
        if _display_only(scope, getattr(ctx, "path", "")):
            continue
        finder.sent(scope)
        finder.compared(scope)
        finder.store_side(scope)
        finder.query_cutoffs(scope)
    return finder.found


class _FlowFinder(StoredComparisons):
    def __init__(self, analysis: ClockAnalysis, ctx, covered: set[int], taken: set[int]) -> None:
        self.analysis = analysis
        self.ctx = ctx
        self.covered = covered
        self.taken = taken
        self.found: list[Sink] = []
        self._signs_jwt = signs_jwt(ctx.text)

    # --- bookkeeping ------------------------------------------------------------------------
    def _add(self, flow: Flow, node: cst.CSTNode, kind: str, detail: str) -> None:
        if id(node) in self.taken or any(id(call) in self.covered for call in flow.calls):
            return
        self.taken.add(id(node))
        self.covered.update(id(call) for call in flow.calls)
        self.found.append(Sink(node, flow, kind, detail, MEDIUM))

    def _flow(self, scope: Scope, node: cst.CSTNode) -> Flow | None:
        return self.analysis.flow(scope, node)

    # --- (b) an expiry or due time handed on -------------------------------------------------
    def sent(self, scope: Scope) -> None:
        for call in scope.calls:
            name = call_name(self.analysis.qname, call)
            last = last_part(name)
            if not last or (_IN_PROCESS_CALLEE.search(last) and not _store_set(call, last)) or _EXCEPTION.search(last):
                continue
            if is_logging_call(self.analysis.qname, call) or self.analysis.wall_name(call):
                continue
            if last in EXECUTE_CALLS or last in QUERY_CALLS or _PRESENTED.search(last):
                continue  # SQL text and query lookups have their own, finer judges in _clock_sinks
            if last[:1].isupper() and not self._constructed_and_kept(scope, call):
                continue  # an object that may live and die in memory
            if _IN_MEMORY.search(name) and not _SHARED_CACHE.match(name) or _RANGES.search(last) or HISTORY_RECORD.search(name):
                continue  # a local cache; a store-side range (the named forms judge those); a history log
            local = self._local_callee(scope, call)
            for arg in call.args:
                keyword = arg.keyword.value if arg.keyword is not None else None
                if isinstance(arg.value, cst.Name) and _TEMPLATE_CONTEXT.search(arg.value.value):
                    continue  # a template's context: rendered for a person (an e-mail's "expires on")
                record = self._record_literal(scope, arg.value)
                for item, in_record, key in _items(record or arg.value, key=keyword):
                    if local and not in_record:
                        continue  # a deadline handed to this file's own helper: an in-process wait
                    if key is not None and self._named_elsewhere(key):
                        continue
                    if record is not None and not (key and (EXPIRY_NAME.search(key) or SCHEDULE_NAME.search(key))):
                        continue  # a record built beforehand: only the fields named for when it lapses
                    flow = self._flow(scope, item)
                    if flow is None or flow.kind != OFFSET or not self._shifted(scope, flow, item):
                        continue
                    if not self._kept_by(scope, call, last, flow, item):
                        continue
                    self._add(flow, report_node(flow, item), "store", f"{last}({keyword or '...'}=...)")
        for target, value in scope.attr_assigns:
            if sym_of(target) is not None:
                continue  # `self.x`: kept in this object
            flow = self._flow(scope, value)
            if flow is None or flow.kind != OFFSET or not self._shifted(scope, flow, value):
                continue
            owner = target.value
            if isinstance(owner, cst.Name) and self._handed_on(scope, owner.value):
                self._add(flow, report_node(flow, value), "kept", f"{owner.value}.{target.attr.value}")

    def _record_literal(self, scope: Scope, value: cst.CSTNode) -> cst.Dict | None:
        """The dict literal a local holds when it is handed on (`token = {...}`, then
        `self.new_unique_data("token", token)`): the one dict literal bound to it (the name may be
        reused later for something else, such as the token's text)."""
        if not isinstance(value, cst.Name) or _IN_MEMORY.search(value.value):
            return None
        records = [d.value for d in scope.defs.get(value.value, []) if isinstance(d.value, cst.Dict)]
        return records[0] if len(records) == 1 else None

    def _named_elsewhere(self, key: str) -> bool:
        """A field the named forms already read by its name and left alone: a history stamp or a
        calendar date (`logged_at`, `payment_date`); and a JWT claim in a file that signs tokens,
        whose own form reports it where the token is signed."""
        if EXPIRY_NAME.search(key) or SCHEDULE_NAME.search(key):
            return self._signs_jwt and key in _JWT_CLAIMS
        return bool(HISTORY_NAME.search(key))

    def _local_callee(self, scope: Scope, call: cst.Call) -> bool:
        func = call.func
        if isinstance(func, cst.Name):
            return func.value in self.analysis.module_functions or bool(self.analysis.index.defs_for(scope, func.value))
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
            methods = self.analysis.class_methods.get(id(scope.cls), {}) if scope.cls is not None else {}
            return func.attr.value in methods
        return False

    def _constructed_and_kept(self, scope: Scope, call: cst.Call) -> bool:
        """`session.add(Key(expires=...))`, `key = Key(...); key.save()`."""
        index = self.analysis.index
        holder = index.parent_of(call)
        if isinstance(holder, cst.Arg):
            outer = index.parent_of(holder)
            return isinstance(outer, cst.Call) and not is_logging_call(self.analysis.qname, outer)
        if isinstance(holder, cst.Assign) and len(holder.targets) == 1 and isinstance(holder.targets[0].target, cst.Name):
            return self._handed_on(scope, holder.targets[0].target.value)
        return False

    def _handed_on(self, scope: Scope, local: str) -> bool:
        """The object is returned, saved or passed to another call after the attribute is set."""
        index = self.analysis.index
        for use in scope.uses.get(local, []):
            parent = index.parent_of(use)
            if isinstance(parent, cst.Attribute) and parent.value is use:
                holder = index.parent_of(parent)
                if isinstance(holder, cst.Call) and holder.func is parent:
                    return True  # `token.save()`, `obj.put()`
            if isinstance(parent, cst.Arg):
                call = index.parent_of(parent)
                if isinstance(call, cst.Call) and hands_on(self.analysis.qname, call):
                    return True
        return False

    def _shifted(self, scope: Scope, flow: Flow, item: cst.CSTNode) -> bool:
        """The value is the clock moved by an amount of time: not the time since a stamp, not
        text glued to a reading, not a reading rounded by itself (`ts - ts % 3600`)."""
        shift = shift_expression(flow, item)
        if shift is None:
            # armed by a helper or a pendulum/arrow shift; a formatted stamp is text, not an instant moved
            return AS_TEXT not in flow.syms
        scope_here = self.analysis.index.scope_of.get(id(shift)) or scope
        if any(AS_TEXT in (self._flow(scope_here, side) or Flow("", (), (), frozenset())).syms
               for side in (shift.left, shift.right)):
            return False  # `str(now) + name`: text glued to a reading; `str(now + ttl)` is the instant as text
        for side in (shift.left, shift.right):
            if isinstance(side, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
                return False
        amount = shift.right if self._flow(scope_here, shift.left) is not None else shift.left
        if set(expr_names(amount).split()) & flow.syms or self._flow(scope_here, amount) is not None:
            return False
        return isinstance(shift.operator, cst.Add) or not stamp_like(amount)

    def _kept_by(self, scope: Scope, call: cst.Call, last: str, flow: Flow, item: cst.CSTNode) -> bool:
        """The callee keeps or sends the instant. Left out: a cut-off handed to a purge or archive
        (retention); a day-sized window handed to a read (a reminder or report horizon: only a
        write of a day-sized expiry, such as an invitation's, is enforced later); a backdated
        stamp written to a store; a read whose result is only counted."""
        before_now = past(self.analysis, scope, item) or is_past(flow)
        if before_now and RETENTION.search(last):
            return False
        writes = bool(_WRITES.search(last))
        if before_now and writes:
            return False  # a backdated start or a forced refresh, not an instant in the future
        if not writes and DAY_GRAINED.search(self._amount_text(scope, flow, item)):
            return False
        return not self._only_counted(scope, call)

    def _amount_text(self, scope: Scope, flow: Flow, item: cst.CSTNode) -> str:
        shift = shift_expression(flow, item)
        return self.ctx.code_for(shift) if shift is not None else ""

    def _only_counted(self, scope: Scope, call: cst.Call) -> bool:
        """`rows = repo.get_all(older_than=...)` used only as `len(rows)`: a number for a monitor."""
        index = self.analysis.index
        holder = index.parent_of(call)
        if isinstance(holder, cst.Await):
            holder = index.parent_of(holder)
        if not (isinstance(holder, cst.Assign) and len(holder.targets) == 1 and isinstance(holder.targets[0].target, cst.Name)):
            return False
        uses = scope.uses.get(holder.targets[0].target.value, [])
        if not uses:
            return False
        for use in uses:
            arg = index.parent_of(use)
            outer = index.parent_of(arg) if isinstance(arg, cst.Arg) else None
            if not (isinstance(outer, cst.Call) and isinstance(outer.func, cst.Name) and outer.func.value == "len"):
                return False
        return True



def _store_set(call: cst.Call, last: str) -> bool:
    """`zk.set(path, value)`, `client.set(key, value)`: a method that keeps a value under a key,
    not the builtin `set(...)` (local caches are left out by their names, see _IN_MEMORY)."""
    return last == "set" and isinstance(call.func, cst.Attribute) and len(call.args) >= 2


def _items(value: cst.CSTNode, depth: int = 0, in_record: bool = False, key: str | None = None):
    """(value, inside a literal, its field name) for the value and, inside dict/list/tuple
    literals, each element (a dict value carries its key)."""
    if depth > 3:
        return
    if isinstance(value, cst.Dict):
        for element in value.elements:
            if isinstance(element, cst.DictElement):
                name = element.key.evaluated_value if isinstance(element.key, cst.SimpleString) else None
                yield from _items(element.value, depth + 1, True, name if isinstance(name, str) else None)
            elif isinstance(element, cst.StarredDictElement):
                yield from _items(element.value, depth + 1, True)
        return
    if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
        for element in value.elements:
            yield from _items(element.value, depth + 1, True, key)
        return
    yield value, in_record, key










