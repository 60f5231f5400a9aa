"""The general wall-clock flow's comparisons (see _clock_flow.py): a reading of this machine's clock
that meets an instant some other node wrote.

  compared    a slot or field of a value read back from a store, or parsed from one, compared
              with the reading (or the time since it, compared with a window);
  query       a query that picks rows older than a cut-off taken from this clock (ORM lookups,
              SQLAlchemy column comparisons), to act on them;
  store-side  the reading handed to a comparison the store makes: Mongo `$lt`/`$gte`/`$add`
              operators, the arguments of a registered server-side script.

Left out: rows newer than a cut-off (a listing), counts, retention purges and day-sized windows,
criteria built and returned for a caller, readings compared with request headers or file stamps,
and liveness stamps (the fixed-timeout rules' question)."""
from __future__ import annotations

import re

import libcst as cst

from ..walk import descendants
from ._clock import OFFSET, WALL, ClockAnalysis, enclosing_test, is_logging_call, ordering_pairs
from ._clock_deadlines import _only_logs
from ._clock_flow_shapes import CLOCKED, RETENTION, STAMP_NAME, base_name, past, reading_in
from ._clock_query_operands import operator_comparisons, query_column, reaching_binding, returned_text
from ._clock_scope import Scope, call_name, last_part, sym_of
from ._clock_sinks import QUERY_CALLS, enclosing_query
from ._clock_stored import DAY_GRAINED, DURATION_NAME, chained_methods
from ._clock_write_names import LIVENESS_NAME

# Parsing a stored text back into an instant.
_PARSERS = re.compile(r"strptime|fromisoformat|parse\w*|fromtimestamp|utcfromtimestamp|^int$|^float$|^Decimal$|to_datetime")
# Presentation and file-system readings are not stamps another node wrote.
_NOT_STORED = re.compile(r"mtime|ctime|atime|getmtime|getctime|stat|request|cookie|header", re.IGNORECASE)
_MONGO_OPS = frozenset({"$lt", "$lte", "$gt", "$gte", "$add", "$subtract"})
_MUTATORS = frozenset({"append", "extend", "update", "setdefault", "insert"})
_COUNTS = frozenset({"count", "count_documents", "estimated_document_count", "exists"})
# Calls whose result is built here, not read from anywhere.
_LOCAL_VALUES = frozenset({"dict", "list", "tuple", "copy", "deepcopy", "defaultdict", "OrderedDict", "items", "values",
                           "keys", "split", "partition", "groups", "group", "match", "search", "fullmatch", "getenv",
                           "sorted", "reversed", "min", "max", "sum", "heappop", "popleft", "next", "iter"})


class StoredComparisons:
    """Mixed into the flow finder, which provides `analysis`, `ctx`, `_flow` and `_add`."""

    def compared(self, scope: Scope) -> None:
        for comparison in scope.comparisons:
            if _only_logs(self.analysis, enclosing_test(self.analysis.index, comparison)):
                continue
            for left, _op, right in ordering_pairs(comparison):
                for clock_side, other in ((left, right), (right, left)):
                    flow = self._flow(scope, clock_side)
                    if flow is None or flow.kind not in CLOCKED:
                        continue
                    if self._flow(scope, other) is not None:
                        continue  # both from this clock: an in-process deadline
                    stored = self._stored(scope, other) or self._elapsed_since_stored(scope, clock_side)
                    if stored is None or LIVENESS_NAME.search(stored):
                        continue
                    if DAY_GRAINED.search(self._bound_text(scope, clock_side)):
                        continue  # a window of days (retention, a report): seconds of skew move nothing
                    node = reading_in(self.analysis, scope, clock_side, flow)
                    self._add(flow, node, "stored", stored)


    def _stored(self, scope: Scope, node: cst.CSTNode, depth: int = 0) -> str | None:
        """Text of the stored instant `node` holds: a value read back from a store (the result of a
        call, a field or slot of it) or parsed from such a value. A field of an object this code
        was handed is left to the named forms, which know which columns are expiries."""
        if depth > 3:
            return None
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract)):
            return self._stored(scope, node.left, depth + 1)
        if isinstance(node, (cst.Attribute, cst.Subscript)):
            base = node.value
            if isinstance(node, cst.Attribute):
                return None  # a row's column: the named forms know which columns are expiries
            if not self._read_back(scope, base, depth + 1):
                return None
            text = self.ctx.code_for(node)
            return None if _NOT_STORED.search(text) else text
        if isinstance(node, cst.Call):
            func = node.func
            last = last_part(call_name(self.analysis.qname, node))
            if isinstance(func, cst.Attribute) and func.attr.value == "get" and node.args:
                if self._read_back(scope, func.value, depth + 1):
                    return self._record_get(node)
                return None
            if _PARSERS.search(last or "") and node.args:
                return self._stored(scope, node.args[0].value, depth + 1)
            return None
        if isinstance(node, cst.Name):
            return self._each_def(scope, node, lambda sc, value: self._stored(sc, value, depth + 1))
        return None


    def _read_back(self, scope: Scope, node: cst.CSTNode, depth: int) -> bool:
        """`node` is the result of a read: a call's result (not a clock, not a constructor, not a
        file-system stat), a slot of one, or a local bound to one."""
        if depth > 4:
            return False
        if isinstance(node, cst.Await):
            return self._read_back(scope, node.expression, depth + 1)
        if isinstance(node, cst.Subscript):
            return self._read_back(scope, node.value, depth + 1)
        if isinstance(node, cst.Call):
            last = last_part(call_name(self.analysis.qname, node))
            if not last or last[:1].isupper() or _NOT_STORED.search(self.ctx.code_for(node.func)):
                return False
            if last in ("loads", "decode", "json") or _PARSERS.search(last):
                return bool(node.args) and self._read_back(scope, node.args[0].value, depth + 1) or last in ("loads", "json")
            return last not in _LOCAL_VALUES and self._flow(scope, node) is None
        if isinstance(node, cst.Name):
            return self._each_def(scope, node, lambda sc, value: self._read_back(sc, value, depth + 1) or None) is not None
        return False


    def _each_def(self, scope: Scope, node: cst.Name, judge):
        """`judge` of every binding of a local (None when one of them fails or it is a parameter)."""
        defs = self.analysis.index.defs_for(scope, node.value)
        if not defs or node.value in scope.params:
            return None
        found = None
        for d in defs:
            if d.value is None:
                return None
            if d.unpacked is not None:
                return None
            verdict = judge(d.scope or scope, d.value)
            if not verdict:
                return None
            found = found or verdict
        return found


    def _record_get(self, node: cst.Call) -> str | None:
        """`record.get("expires")` on a value read back: a field whose key says it holds an instant."""
        key = node.args[0].value
        if isinstance(key, cst.SimpleString) and STAMP_NAME.search(str(key.evaluated_value or "")):
            return self.ctx.code_for(node)
        return None


    def _elapsed_since_stored(self, scope: Scope, clock_side: cst.CSTNode) -> str | None:
        """`now - job.updated_at` (possibly `.total_seconds()`) on the clock side: the age of a stamp
        another node wrote, compared with a window."""
        node = clock_side
        while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and not node.args:
            node = node.func.value
        if isinstance(node, cst.Name):
            defs = self.analysis.index.defs_for(scope, node.value)
            if len(defs) != 1 or defs[0].value is None:
                return None
            node = defs[0].value
            while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and not node.args:
                node = node.func.value
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Subtract):
            left = self._flow(scope, node.left)
            if left is not None and left.kind == WALL and self._flow(scope, node.right) is None:
                return self._stored(scope, node.right)
        return None


    def query_cutoffs(self, scope: Scope) -> None:
        """`filter(created_at__lt=now - hold)`, `where(Job.updated_at < now - window)`: the rows were
        stamped by whichever node wrote them; the query picks those older than a cut-off taken from
        this node's clock, to act on them. Rows newer than a cut-off (a recent listing), counts,
        and deletions by a window of days (retention) are left out."""
        for call in scope.calls:
            if last_part(call_name(self.analysis.qname, call)) not in QUERY_CALLS or self._read_only(call):
                continue
            for arg in call.args:
                keyword = arg.keyword.value if arg.keyword is not None else ""
                field, _, lookup = keyword.rpartition("__")
                if lookup in ("lt", "lte") and field:
                    self._cutoff(scope, call, field.rpartition("__")[2], arg.value, f"{keyword}=...")
        pairs = [(comparison, left, isinstance(op, (cst.LessThan, cst.LessThanEqual)), right)
                 for comparison in scope.comparisons for left, op, right in ordering_pairs(comparison)]
        pairs += [(call, left, op.startswith("<"), right) for call, left, op, right in operator_comparisons(self.analysis, scope)]
        for node, left, older, right in pairs:
            query = enclosing_query(self.analysis, node)
            if query is None or self._read_only(query):
                continue
            column, value = (left, right) if older else (right, left)
            column = query_column(self.analysis, scope, column)
            if column is not None:
                self._cutoff(scope, query, column[1], value, f"{self.ctx.code_for(column[0])} < ...")


    def _cutoff(self, scope: Scope, query: cst.Call, column: str, value: cst.CSTNode, detail: str) -> None:
        if LIVENESS_NAME.search(column) or DURATION_NAME.search(column):
            return  # silence since a heartbeat is the fixed-timeout rules' question; amounts are no instants
        flow = self._flow(scope, reaching_binding(self.analysis, self.ctx, scope, value))
        if flow is None or flow.kind != OFFSET or not past(self.analysis, scope, value):
            return
        if self._purges(scope) or DAY_GRAINED.search(self._bound_text(scope, value)):
            return  # a retention purge, or a window of days: seconds of skew move nothing
        self._add(flow, reading_in(self.analysis, scope, value, flow), "query",
                  f"{last_part(call_name(self.analysis.qname, query))}({detail})")


    def _purges(self, scope: Scope) -> bool:
        """The function deletes, prunes or archives: rows older than a cut-off are retention."""
        return any(RETENTION.search(last_part(call_name(self.analysis.qname, call)) or "") for call in scope.calls)


    def _bound_text(self, scope: Scope, value: cst.CSTNode) -> str:
        """The cut-off as written, with what a local holding it was bound to (or what the helper
        that made it returns)."""
        text = f"{self.ctx.code_for(value)} {returned_text(self.analysis, self.ctx, scope, value)}"
        sym = sym_of(value) if isinstance(value, (cst.Name, cst.Attribute)) else None
        if sym is not None:
            for d in self.analysis.index.defs_for(scope, sym):
                if d.value is not None:
                    text += f" {self.ctx.code_for(d.value)} {returned_text(self.analysis, self.ctx, scope, d.value)}"
        return text


    def _read_only(self, query: cst.Call) -> bool:
        """A count or an existence check: a number for a report, nothing is acted on."""
        return any(m in ("count", "exists", "aggregate", "count_documents") for m in chained_methods(self.analysis, query))


    def store_side(self, scope: Scope) -> None:
        for call in scope.calls:
            last = last_part(call_name(self.analysis.qname, call))
            if _script_call(call):
                for arg in call.args:
                    if isinstance(arg.value, (cst.List, cst.Tuple)):
                        for element in arg.value.elements:
                            self._clock_value(scope, element.value, f"{last}(keys, args=[now])")
        body = scope.node.body if isinstance(scope.node, cst.FunctionDef) else None
        if body is None or "$" not in self.ctx.text:
            return  # no Mongo operator in the file: skip walking every dict of every function
        for element in _dict_elements(body):
            key = element.key
            if not (isinstance(key, cst.SimpleString) and key.evaluated_value in _MONGO_OPS):
                continue
            values = element.value.elements if isinstance(element.value, (cst.List, cst.Tuple)) else None
            if self._shown(element):
                continue
            query = self._queried(scope, element)
            if query is None:
                continue  # a criterion built for someone else (a search-parameter parser)
            op = key.evaluated_value
            for value in ([e.value for e in values] if values is not None else [element.value]):
                if past(self.analysis, scope, value) and (op in ("$gt", "$gte") or RETENTION.search(query)):
                    continue  # recent rows (a listing, a statistic) or a retention purge
                self._clock_value(scope, value, f'{{"{op}": now}}')


    def _handed_back(self, use: cst.CSTNode) -> bool:
        """The local is returned, or wrapped in a constructed object (`Query(where=q)`)."""
        parent = self.analysis.index.parent_of(use)
        if isinstance(parent, cst.Return):
            return True
        if isinstance(parent, cst.Arg):
            call = self.analysis.index.parent_of(parent)
            last = last_part(call_name(self.analysis.qname, call)) if isinstance(call, cst.Call) else ""
            return last[:1].isupper()
        return False


    def _queried(self, scope: Scope, element: cst.CSTNode) -> str | None:
        """The name of the call the criterion reaches in this function, directly or through the
        local it is stored in; None when it reaches none, or only a count."""
        index = self.analysis.index
        node = element
        while isinstance(index.parent_of(node), (cst.Dict, cst.DictElement, cst.List, cst.Tuple, cst.Element)):
            node = index.parent_of(node)
        parent = index.parent_of(node)
        local = None
        if isinstance(parent, cst.Arg):
            call = index.parent_of(parent)
            if not isinstance(call, cst.Call):
                return None
            last = last_part(call_name(self.analysis.qname, call))
            if last in _MUTATORS and isinstance(call.func, cst.Attribute):
                local = base_name(call.func.value)
            else:
                return None if last in _COUNTS else last
        elif isinstance(parent, (cst.Assign, cst.AnnAssign, cst.AssignTarget)) or isinstance(index.parent_of(parent), cst.Assign):
            stmt = parent if isinstance(parent, cst.Assign) else index.parent_of(parent)
            targets = stmt.targets if isinstance(stmt, cst.Assign) else []
            local = base_name(targets[0].target) if targets else None
        if local is None:
            return None
        uses = scope.uses.get(local, [])
        if any(self._handed_back(use) for use in uses):
            return None  # a criterion built and returned for a caller to run: a query builder
        for use in uses:
            arg = index.parent_of(use)
            call = index.parent_of(arg) if isinstance(arg, cst.Arg) else None
            if isinstance(call, cst.Call) and not is_logging_call(self.analysis.qname, call):
                last = last_part(call_name(self.analysis.qname, call))
                if last not in _MUTATORS and last not in _COUNTS:
                    return last
        return None


    def _shown(self, node: cst.CSTNode) -> bool:
        """The node sits in an argument of a logging or printing call."""
        current = self.analysis.index.parent_of(node)
        while current is not None and not isinstance(current, (cst.FunctionDef, cst.Module)):
            if isinstance(current, cst.Call) and is_logging_call(self.analysis.qname, current):
                return True
            current = self.analysis.index.parent_of(current)
        return False


    def _clock_value(self, scope: Scope, value: cst.CSTNode, detail: str) -> None:
        flow = self._flow(scope, value)
        if flow is not None and flow.kind in CLOCKED:
            self._add(flow, reading_in(self.analysis, scope, value, flow), "query", detail)


def _script_call(call: cst.Call) -> bool:
    """A registered server-side script called with its keys and arguments as two lists."""
    lists = [arg for arg in call.args if isinstance(arg.value, (cst.List, cst.Tuple))]
    if len(lists) < 2:
        return False
    keywords = {arg.keyword.value for arg in call.args if arg.keyword is not None}
    return not keywords or "keys" in keywords or "args" in keywords


def _dict_elements(body: cst.CSTNode):
    """The dict entries of one function body (nested scopes are analysed on their own)."""
    return (n for n in descendants(body, skip=(cst.FunctionDef, cst.ClassDef, cst.Lambda)) if isinstance(n, cst.DictElement))
