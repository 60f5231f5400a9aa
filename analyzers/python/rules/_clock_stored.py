"""ARM104: this node's wall clock judged against a time read back from shared storage.

A time value on a loaded record (an attribute of an object other than `self`, a field of an
ORM model's own row, a key of the web session or of a mapping whose key no code here writes)
was stamped by whichever node wrote it, from that node's clock. Ordering it against this node's
wall clock, directly (`token.expiry < timezone.now()`), shifted by a lifetime
(`code.auth_time + 300 < time.time()`) or as an age against a limit
(`time.time() - login.initiated_at > LOGIN_TIMEOUT`), mixes two clocks.

A value this file sets from its own clock is an in-process deadline (ARM103's, see
_clock_deadlines.py); durations (`settings.TIMEOUT`, `plan.max_age`) are amounts, not stamps, and
are never taken as the stored side.

Also here: query cutoffs, a stored column compared in a query with this node's clock moved into
the past (`filter(sent__lt=now() - timedelta(days=3))`): the rows were stamped by other nodes."""
from __future__ import annotations

import re

import libcst as cst

from ._clock import OFFSET, WALL, enclosing_test, is_logging_call, ordering_pairs
from ._clock_query_operands import past_bindings, returned_cutoff, returned_text
from ._clock_record_stamps import declares_columns, expiry_method, owning_class
from ._clock_scope import Scope, call_name, last_part, string_value

# A name that holds an instant: when something happened or lapses.
STAMP_NAME = re.compile(
    r"(?:_at|_on|_time|_ts|_epoch|_date|_datetime|_dt|stamp)$|^(?:at|ts|when|time|date)$|expir|^exp$|_exp$|^exp_|"
    r"until|deadline|(?:^|_)(?:created|updated|modified|started|touched|sent|done|issued|renewed|revoked|last_\w+)$|"
    r"^(?:created|updated|modified|started|touched|sent|issued|expire|expires|expiry)|_since$|^ctime$",
    re.IGNORECASE,
)
# Amounts of time (or counters) kept on records and settings: never the stamp side.
DURATION_NAME = re.compile(
    r"timeout|ttl|interval|period|(?:^|_)age$|max_age|delay|lifetime|duration|seconds|minutes|hours|days|window|"
    r"grace|delta|limit|leeway|tolerance|count|attempts|retries|cache|expires?_in$",  # OAuth `expires_in`: seconds
    re.IGNORECASE,
)
_AGE_UNITS = frozenset({"days", "seconds", "microseconds"})
_WRAPPERS = frozenset({"int", "float", "round", "abs", "seconds", "total_seconds", "timestamp", "to_timestamp"})
_SESSION = re.compile(r"(?:^|[._])session\b|\bsession(?:_data|_store)?$", re.IGNORECASE)
# Django's `request.GET`/`POST` are upper case; a lower-case `.get(...)` is a read of any mapping
# (`data.get("response", {}).get("expires")`), not a request.
_REQUEST = re.compile(r"(?i:header|META|environ|\bargs\b|\bparams\b|query_params)|\bGET\b|\bPOST\b")
_PRESENTATION_PATH = re.compile(r"(?:^|/)(?:admin|templatetags|serializers?|views?|forms?)(?:\.py$|/)")
_PRESENTATION_FUNC = re.compile(
    r"display|status|icon|label|badge|render|describe|humani[sz]e|__str__|__repr__|__html__|get_context", re.IGNORECASE
)
# What the amount is called when the comparison enforces a lifetime (an interval or a delta
# between refreshes is a cadence: skew changes how often, never whether access ends).
LIFETIME_WORDS = re.compile(
    r"expir|timeout|ttl|max_age|lifetime|idle|grace|valid|window|cool_?off|lease|stale|(?:^|_)age\b", re.IGNORECASE
)
# Amounts counted in days or more: seconds of skew decide nothing.
DAY_GRAINED = re.compile(r"\b(?:days|weeks|months|years)\s*=|_(?:DAYS|WEEKS|MONTHS|YEARS)\b|_(?:days|weeks|months|years)\b")
_IN_MEMORY = re.compile(r"cache|memo", re.IGNORECASE)
HIGH_NAMES = re.compile(r"expir|^exp$|valid_(?:until|to|through)|lease_(?:until|expir)|lock(?:ed)?_until", re.IGNORECASE)


# Text turned back into an instant (`parse_datetime(s)`, `dateutil.parser.parse(s)`, `isoparse(s)`,
# `datetime.strptime(s, fmt)`, `datetime.fromisoformat(s)`, a project's `str_to_date(s)`): records,
# documents and API payloads keep instants as text, and the parse hands back the instant the writer
# stamped, from its own clock.
_PARSE = re.compile(
    r"^(?:parse(?:_?(?:date_?time|datetime|date|time|timestamp|iso\w*|dt))?|\w*isoparse|fromisoformat|strptime|"
    r"\w*str_?to_?(?:date_?time|datetime|date|dt|time)|(?:iso|string|text)_?to_(?:date_?time|datetime|date|dt))$",
    re.IGNORECASE,
)
# Modules whose `parse`/`get` of a text is an instant (bare `parse(...)` of anything else may be a URL).
_PARSE_MODULES = ("dateutil.", "arrow.", "pendulum.", "iso8601.", "ciso8601.", "django.utils.dateparse.")


def parsed_text(qname, node: cst.CSTNode) -> cst.CSTNode | None:
    """The text a parse of an instant reads (`parse_datetime(row["expires"])`,
    `arrow.get(s).datetime`), or None when `node` is no such parse."""
    if isinstance(node, cst.Attribute) and node.attr.value in ("datetime", "naive") and isinstance(node.value, cst.Call):
        node = node.value  # arrow's instant as a datetime
    if not isinstance(node, cst.Call) or not node.args or node.args[0].keyword is not None or node.args[0].star:
        return None
    name = qname(node.func) or ""
    last = name.rpartition(".")[2]
    if last == "get" and name.split(".")[0] in ("arrow", "pendulum"):
        return node.args[0].value
    if not _PARSE.match(last):
        return None
    if last.lower() == "parse" and not name.startswith(_PARSE_MODULES):
        return None
    return node.args[0].value


# Compact encodings a token carries its timestamp in: Django's password-reset style tokens
# (`int_to_base36(ts)` when made, `base36_to_int(ts_b36)` when checked), base62 in signed cookies.
# Decoding one reads back the instant the issuing node wrote, from its own clock.
_TOKEN_DECODES = frozenset({"base36_to_int", "b36decode", "b62decode", "base62_to_int"})
_TOKEN_ENCODINGS = frozenset({"base36", "base62"})


def token_stamp(qname, node: cst.CSTNode) -> cst.CSTNode | None:
    """The token text `node` decodes a timestamp from (`base36_to_int(ts_b36)`, `int(ts, 36)`,
    `baseconv.base62.decode(value)`), or None."""
    node = _unwrap(node)
    if not isinstance(node, cst.Call) or not node.args or node.args[0].keyword is not None or node.args[0].star:
        return None
    parts = (qname(node.func) or "").split(".")
    if parts[-1] in _TOKEN_DECODES or (parts[-1] == "decode" and len(parts) > 1 and parts[-2] in _TOKEN_ENCODINGS):
        return node.args[0].value
    if parts == ["int"] and len(node.args) == 2 and isinstance(node.args[1].value, cst.Integer) \
            and node.args[1].value.value == "36":
        return node.args[0].value
    return None


def _unwrap(node: cst.CSTNode) -> cst.CSTNode:
    """`int(x)`, `seconds(x)`, `x.total_seconds()`, `(x).days`: the same instant or age."""
    for _ in range(4):
        if isinstance(node, cst.Call) and node.args and len(node.args) == 1 and isinstance(node.func, cst.Name) \
                and node.func.value in _WRAPPERS:
            node = node.args[0].value
        elif isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute) \
                and node.func.attr.value in _WRAPPERS:
            node = node.func.value
        elif isinstance(node, cst.Attribute) and node.attr.value in _AGE_UNITS and isinstance(node.value, cst.BinaryOperation):
            node = node.value
        else:
            break
    return node


class StoredTimes:
    """Finds wall-clock comparisons against stored times in one file (one instance per file)."""

    def __init__(self, finder) -> None:
        self.finder = finder
        self.analysis = finder.analysis
        self.ctx = finder.ctx
        self.ages: dict[int, cst.Comparison] = {}  # id(reported node) -> its age comparison

    # --- what is stored, what is ours ------------------------------------------------------
    def stored(self, scope: Scope, node: cst.CSTNode, depth: int = 0) -> tuple[cst.CSTNode, str] | None:
        """(operand, its name) when `node` is a time read back from storage."""
        node = _unwrap(node)
        text = parsed_text(self.analysis.qname, node)
        if text is not None:
            node = _unwrap(text)  # the instant a stored text holds (see `_PARSE`)
        if isinstance(node, cst.Attribute):
            name = node.attr.value
            if not (STAMP_NAME.search(name) or HIGH_NAMES.search(name)) or DURATION_NAME.search(name) or name.startswith("st_"):
                return None  # `os.stat(path).st_mtime`: a file's stamp, not a record's
            owner = node.value
            if isinstance(owner, cst.Name) and owner.value in ("self", "cls"):
                # a model's own expiry; its other dates are often calendar settings a person chose,
                # but its creation stamp aged in its own expiry check is not (_clock_record_stamps).
                # A record class's declared expiry field (dataclass, pydantic, attrs: annotated,
                # never assigned by code here) was filled from data too.
                cls = owning_class(self.analysis.index, scope)
                if cls is None:
                    return None
                row = self.finder.is_model(cls) or declares_columns(cls)
                if not HIGH_NAMES.search(name) and not (row and expiry_method(self.analysis.index, scope)):
                    return None
                if row:
                    return node, name  # set on itself or not, the field is saved with the row
                if not _declared_field(cls, name):
                    return None
            elif not isinstance(owner, (cst.Name, cst.Attribute, cst.Subscript)):
                return None
            elif isinstance(owner, cst.Name) and (owner.value in self.analysis.imported or owner.value[:1].isupper()):
                return None  # a module's constant (`settings.X`) or a model's column in a query
            if self.analysis.flow(scope, node) is not None or self._written_here(name):
                return None
            return node, name
        key = _read_key(node)
        if key is not None:
            key_name, receiver = key
            if not STAMP_NAME.search(key_name) or DURATION_NAME.search(key_name):
                return None
            if self.analysis.flow(scope, node) is not None or _REQUEST.search(self.ctx.code_for(receiver)):
                return None  # a request's own header: a replay window the sender's clock sets
            if not _SESSION.search(self.ctx.code_for(receiver)) and (
                    not HIGH_NAMES.search(key_name) or self._key_written_here(key_name)):
                return None  # outside the session, only an expiry key no code here writes
            return node, key_name
        if isinstance(node, cst.Name) and depth == 0:
            defs = scope.defs.get(node.value, [])
            token = token_stamp(self.analysis.qname, defs[0].value) if len(defs) == 1 and defs[0].value is not None else None
            if token is not None and self.analysis.flow(scope, node) is None:
                # a timestamp decoded from a token: named for what it is by the text it came from
                # (`expires_at`) when that says more than the local does
                text = _unwrap(token)
                said = text.value if isinstance(text, cst.Name) and HIGH_NAMES.search(text.value) else node.value
                return node, said
            if len(defs) == 1 and defs[0].value is not None and not defs[0].augmented:
                found = self.stored(scope, defs[0].value, depth + 1)
                if found is not None:
                    return node, found[1]
            if not defs and node.value in scope.params and HIGH_NAMES.search(node.value) \
                    and self.analysis.flow(scope, node) is None:
                # `def archive_if_expired(expiration)`: an expiry handed in, no caller here
                # computing it from this clock (those are ARM103's in-process deadlines)
                return node, node.value
        return None

    def _written_here(self, attr: str) -> bool:
        """A class here sets the field on itself: an in-memory object (`self.expires = ...`). A
        field set on a loaded record (`token.expiry = ...; token.save()`) is still stored."""
        return re.search(rf"\bself\.{re.escape(attr)}\s*(?::[^=\n]*)?=(?!=)", self.ctx.text) is not None

    def _key_written_here(self, key: str) -> bool:
        k = re.escape(key)
        return re.search(rf"\[\s*['\"]{k}['\"]\s*\]\s*=(?!=)|['\"]{k}['\"]\s*:|\b{k}\s*=(?!=)", self.ctx.text) is not None

    def clock(self, scope: Scope, node: cst.CSTNode) -> bool:
        flow = self.analysis.flow(scope, _unwrap(node))
        return flow is not None and flow.kind in (WALL, OFFSET) and bool(flow.calls)

    def _side(self, scope: Scope, node: cst.CSTNode, depth: int = 0):
        """('clock'|'stored'|'aged'|'age'|None, stored operand or None, name): a reading, a stored
        time, a stored time moved by an amount, this clock minus a stored time."""
        inner = _unwrap(node)
        if isinstance(inner, cst.Name) and depth == 0:
            # `expiry = token.created_at + timedelta(hours=2)`, compared later under that name; so is
            # an age (`elapsed = (timezone.now() - self.last_refreshed).seconds`)
            bound = _bound_age(scope, inner)
            if bound is not None:
                kind, operand, name = self._side(scope, bound, depth + 1)
                if kind in ("aged", "age"):
                    return kind, operand, name
        if isinstance(inner, cst.BinaryOperation) and isinstance(inner.operator, (cst.Add, cst.Subtract)):
            left, right = inner.left, inner.right
            stored_left = self.stored(scope, left)
            stored_right = self.stored(scope, right)
            if isinstance(inner.operator, cst.Subtract) and self.clock(scope, left) and stored_right:
                return "age", stored_right[0], stored_right[1]  # now - stamp
            if isinstance(inner.operator, cst.Subtract) and stored_left and self.clock(scope, right):
                return "age", stored_left[0], stored_left[1]  # stamp - now: time left
            if stored_left and not self.clock(scope, right):
                return "aged", stored_left[0], stored_left[1]  # stamp + lifetime
            if stored_right and isinstance(inner.operator, cst.Add) and not self.clock(scope, left):
                return "aged", stored_right[0], stored_right[1]
        found = self.stored(scope, inner)
        if found is not None:
            return "stored", found[0], found[1]
        if self.clock(scope, inner):
            return "clock", None, ""
        return None, None, ""

    # --- comparisons -------------------------------------------------------------------------
    def comparison(self, scope: Scope, comparison: cst.Comparison) -> None:
        if _PRESENTATION_PATH.search(self.ctx.path) or _PRESENTATION_FUNC.search(_scope_name(scope)):
            return  # a status shown to a person: nothing is run or released by it
        owner = scope.cls.name.value if scope.cls is not None else ""
        if _IN_MEMORY.search(f"{self.ctx.path} {owner} {_scope_name(scope)}"):
            return  # an in-memory cache's entries: this process's own clock on both sides (ARM103's)
        if self.finder.enclosing_query(comparison) is not None:
            return  # a query's condition: the query rules judge it
        if _only_logs(self, comparison) or _only_labels(self, comparison):
            return  # nothing is decided: the branch only reports, or returns a text to show
        for left, _op, right in ordering_pairs(comparison):
            one, other = self._side(scope, left), self._side(scope, right)
            for (kind, operand, name), (other_kind, _, _), mine, theirs in ((one, other, left, right), (other, one, right, left)):
                if kind in ("stored", "aged") and other_kind == "clock":
                    # a bare date compared with now may be a calendar setting (an event's end, a
                    # task's start); a stamp aged by a lifetime, or an expiry, is not
                    if HIGH_NAMES.search(name) and kind == "stored":
                        self._add(scope, theirs, operand, None)
                    elif (kind == "aged" and self._lifetime(mine, scope, operand)) or (
                            self.past_cutoff(scope, theirs) and self._lifetime(self.cutoff_text(scope, theirs))):
                        self._add(scope, theirs, operand, "medium")
                elif kind == "age" and other_kind is None and self._lifetime(theirs, scope, operand):
                    node = self._add(scope, mine, operand, "medium")
                    if node is not None:
                        self.ages[id(node)] = comparison

    # _stamp_cutoffs reads the same sides and gates them by what the comparison decides
    def side(self, scope: Scope, node: cst.CSTNode):
        return self._side(scope, node)

    def add_medium(self, scope: Scope, node: cst.CSTNode, operand: cst.CSTNode) -> cst.CSTNode | None:
        return self._add(scope, node, operand, "medium")

    def bound_text(self, scope: Scope, node: cst.CSTNode) -> str:
        """The expression as written, with what a name in it was bound to once."""
        inner = _unwrap(node)
        if isinstance(inner, cst.Name):
            defs = scope.defs.get(inner.value, [])
            if len(defs) == 1 and defs[0].value is not None:
                return f"{inner.value} {self.ctx.code_for(defs[0].value)}"
        return self.ctx.code_for(node)

    def _lifetime(self, amount, scope: Scope | None = None, operand: cst.CSTNode | None = None) -> bool:
        """The amount a stamp is aged against is a lifetime, counted finer than days: named for
        one, or any amount when a record's own stamp is aged in its expiry check."""
        text = amount if isinstance(amount, str) else self.ctx.code_for(amount)
        if DAY_GRAINED.search(text):
            return False
        if LIFETIME_WORDS.search(text):
            return True
        return scope is not None and _on_self(operand) and expiry_method(self.analysis.index, scope)

    def _add(self, scope: Scope, node: cst.CSTNode, operand: cst.CSTNode, confidence: str | None) -> cst.CSTNode | None:
        part = _clock_part(self, scope, node)
        flow = self.analysis.flow(scope, part)
        if flow is None:
            return None
        # an age bound to a name (`elapsed = now() - row.started_at`) is reported at its reading too;
        # a cutoff bound to one (`ago = now() - timedelta(minutes=5)`) at the comparison, as before
        bound = _bound_age(scope, node)
        bound = bound is not None and self._side(scope, bound, 1)[0] in ("age", "aged")
        report_at = flow.calls[0] if len(flow.calls) == 1 and (bound or _single_use_reading(self, scope, node)) else node
        self.finder.add(flow, report_at, "stored", self.ctx.code_for(operand), at_value=True, confidence=confidence)
        return report_at

    # --- query cutoffs -----------------------------------------------------------------------
    def past_cutoff(self, scope: Scope, value: cst.CSTNode, depth: int = 0) -> bool:
        """`now() - timedelta(days=3)`, a name bound to one (once, or in each branch), or the value
        of a helper that returns one: this node's clock moved back."""
        value = _unwrap(value)
        if isinstance(value, cst.Name) and depth == 0:
            return past_bindings(self.analysis, scope, value, lambda bound: self.past_cutoff(scope, bound, 1))
        if returned_cutoff(self.analysis, scope, value):
            return True
        if not (isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Subtract)):
            return False
        left = self.analysis.flow(scope, _unwrap(value.left))
        return left is not None and left.kind == WALL and self.analysis.flow(scope, value.right) is None


    def cutoff_text(self, scope: Scope, value: cst.CSTNode) -> str:
        """The cutoff as written, with the name it was bound to (`sent_threshold = now - ...`)."""
        value = _unwrap(value)
        if isinstance(value, cst.Name):
            defs = scope.defs.get(value.value, [])
            bound = " ".join(f"{self.ctx.code_for(d.value)} {returned_text(self.analysis, self.ctx, scope, d.value)}"
                             for d in defs if d.value is not None)
            return f"{value.value} {bound}"
        return f"{self.ctx.code_for(value)} {returned_text(self.analysis, self.ctx, scope, value)}"


def cutoff_column(name: str) -> bool:
    """Whatever a past instant is compared with holds an instant; only amounts are left out."""
    bare = name.strip('"').rpartition(".")[2]
    return not DURATION_NAME.search(bare)


def _on_self(node: cst.CSTNode | None) -> bool:
    return isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self"


def _declared_field(cls: cst.ClassDef, name: str) -> bool:
    """`expires_at: int` in the class body: a field a record class declares and its
    constructor fills from data."""
    for statement in cls.body.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.target.value == name:
                    return True
    return False


def _bound_age(scope: Scope, node: cst.CSTNode) -> cst.CSTNode | None:
    """What `elapsed` was bound to once, when that is a sum or difference (`now - row.started_at`)."""
    inner = _unwrap(node)
    if not isinstance(inner, cst.Name):
        return None
    defs = scope.defs.get(inner.value, [])
    if len(defs) == 1 and defs[0].value is not None and not defs[0].augmented \
            and isinstance(_unwrap(defs[0].value), cst.BinaryOperation):
        return defs[0].value
    return None


def _clock_part(stored: StoredTimes, scope: Scope, node: cst.CSTNode, depth: int = 0) -> cst.CSTNode:
    inner = _unwrap(node)
    bound = _bound_age(scope, inner) if depth == 0 else None
    if bound is not None and stored.analysis.flow(scope, inner) is None:
        return _clock_part(stored, scope, bound, 1)  # an age bound to a name: its reading
    if isinstance(inner, cst.BinaryOperation) and not stored.clock(scope, inner):
        return inner.left if stored.clock(scope, inner.left) else inner.right
    return inner


def _single_use_reading(stored: StoredTimes, scope: Scope, node: cst.CSTNode) -> bool:
    """`now = time.time()` read once for this check: report at the reading, where a fix starts."""
    inner = _clock_part(stored, scope, node)
    if not isinstance(inner, cst.Name):
        return False
    defs = scope.defs.get(inner.value, [])
    return len(defs) == 1 and isinstance(defs[0].value, cst.Call)


def _only_logs(stored: StoredTimes, comparison: cst.Comparison) -> bool:
    test = enclosing_test(stored.analysis.index, comparison)
    if not isinstance(test, cst.If) or not isinstance(test.body, cst.IndentedBlock):
        return False
    for statement in test.body.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        for small in statement.body:
            if not (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)
                    and is_logging_call(stored.analysis.qname, small.value)):
                return False
    return True


def _only_labels(stored: StoredTimes, comparison: cst.Comparison) -> bool:
    """`if age > expires_in: return _("Expired")`: the branch returns a text for a person."""
    test = enclosing_test(stored.analysis.index, comparison)
    if not isinstance(test, cst.If) or not isinstance(test.body, cst.IndentedBlock) or len(test.body.body) != 1:
        return False
    statement = test.body.body[0]
    if not isinstance(statement, cst.SimpleStatementLine) or not isinstance(statement.body[0], cst.Return):
        return False
    value = statement.body[0].value
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in ("_", "gettext", "gettext_lazy") \
            and len(value.args) == 1:
        value = value.args[0].value
    return isinstance(value, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString))


def _read_key(node: cst.CSTNode) -> tuple[str, cst.CSTNode] | None:
    """(key, receiver) of `x["key"]` or `x.get("key", ...)`."""
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        key = string_value(node.slice[0].slice.value)
        return (key, node.value) if key else None
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "get" and node.args:
        key = string_value(node.args[0].value)
        return (key, node.func.value) if key else None
    return None


def _scope_name(scope: Scope) -> str:
    return scope.node.name.value if isinstance(scope.node, cst.FunctionDef) else ""


def chained_calls(analysis, query: cst.Call):
    """The calls made on a query's result, in order (`filter(...).order_by().delete()` yields
    the `order_by()` and `delete()` calls), at most eight deep."""
    index = analysis.index
    current: cst.CSTNode = query
    for _ in range(8):
        attribute = index.parent_of(current)
        if not isinstance(attribute, cst.Attribute) or attribute.value is not current:
            return
        call = index.parent_of(attribute)
        if not isinstance(call, cst.Call):
            return
        yield call
        current = call


def chained_methods(analysis, query: cst.Call):
    """The names of `chained_calls` ("order_by", "delete")."""
    for call in chained_calls(analysis, query):
        yield call.func.attr.value


def chain_writes(analysis, query: cst.Call) -> bool:
    """The query's rows are deleted or updated (`filter(...).delete()`, `.update(...)`)."""
    return any(m in ("delete", "update", "values", "update_many", "delete_many") for m in chained_methods(analysis, query))


__all__ = ["StoredTimes", "cutoff_column", "chain_writes", "chained_methods", "call_name", "last_part"]
