"""ARM302: nodes/workers declared dead from `last_seen < now() - interval '<constant>'`."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ...catalog import Example, RuleMeta, Text, register
from ..facts import table_of
from ..hits import SqlHit
from ..names import ALIVE_FLAG, DEAD_VALUE, HEARTBEAT_COLUMN, NODE_TABLE, STRONG_HEARTBEAT
from ..rule import sql_rule
from ..scope import Scope, Unit
from ..tree import column_fields, const_string, func_name, is_time_call, op_name, typed, walk

META = register(
    RuleMeta(
        id="ARM302",
        slug="sql-fixed-timeout-detector",
        family="fixed-timeout",
        language="sql",
        section_key="fixed-timeout",
        message=Text(
            en="A node is declared dead after a fixed silence; derive the threshold from observed latency (e.g. >= 3 * rtt_p99_ms) and confirm before evicting.",
            pt_BR="Um nó é declarado morto após um silêncio fixo; derive o limite da latência observada (ex.: >= 3 * rtt_p99_ms) e confirme antes de remover.",
        ),
        why=Text(
            en="A missed heartbeat cannot tell a dead node from a slow one (GC pause, network hiccup, overloaded "
            "host). A constant threshold evicts healthy workers under load and then hands their work to a second "
            "owner while the first is still running.",
            pt_BR="Um heartbeat atrasado não distingue nó morto de nó lento (pausa de GC, rede instável, host "
            "sobrecarregado). Um limite constante remove workers saudáveis sob carga e entrega o trabalho deles a "
            "um segundo dono enquanto o primeiro ainda roda.",
        ),
        use_instead=Text(
            en="A threshold from each node's observed round trips (`silent_ms >= 3 * rtt_p99_ms`), a 'suspected' state confirmed by other nodes, or the broker's own failure detection (pgmq, pg_cron).",
            pt_BR="Um limite a partir do RTT observado de cada nó (`silent_ms >= 3 * rtt_p99_ms`), um estado 'suspeito' confirmado por outros nós, ou a detecção do próprio broker (pgmq, pg_cron).",
        ),
        when_fine=Text(
            en="Adaptive thresholds from observed latency; cleanups of sessions or caches that do not declare anything dead.",
            pt_BR="Limites adaptativos derivados da latência observada; limpezas de sessões ou caches que não declaram nada morto.",
        ),
        bad=(
            Example(
                "-- remove workers que pararam de mandar heartbeat\n"
                "delete from public.workers\n"
                "where last_heartbeat < now() - interval '30 seconds';\n",
                lines=(2,),
            ),
            Example(
                "update public.instances\n"
                "   set status = 'dead'\n"
                " where last_seen < now() - interval '1 minute';\n",
                lines=(1,),
            ),
        ),
        good=(
            Example(
                "create or replace view private.suspected_dead_instances as\n"
                "select instance_id,\n"
                "       case\n"
                "         when extract(epoch from (now() - last_seen)) * 1000 >= 3 * rtt_p99_ms\n"
                "         then 'suspected_dead'\n"
                "         else 'alive'\n"
                "       end as status\n"
                "  from public.instance_heartbeats;\n"
            ),
            Example(
                "delete from public.user_sessions\n"
                "where last_seen < now() - interval '30 days';\n"
            ),
        ),
    )
)


_GATE = re.compile(r"heartbeat|seen|ping|alive|contact|check_?in|claimed|started|locked|picked|leased|attempted|expires_?at|expiry|_until\b", re.I)
# When a job was taken: a job still running past a shared window is declared stalled and
# handed to another worker, the same verdict as a missed heartbeat.
_TAKEN_AT = re.compile(
    r"^(?:claimed|started|locked|picked|leased|dequeued|acquired|reserved|taken|fetched|run_started|processing_started|attempted)"
    r"_?(?:at|on|time|ts)$"
)
_REQUEUE_VALUE = re.compile(
    r"^(?:queued|pending|ready|available|new|scheduled|retry|retrying|stalled|failed|timed_?out|timeout|abandoned|dead|lost|"
    r"expired|error|orphaned|crashed|zombie)$",
    re.I,
)
_OWNER_COLUMN = re.compile(r"^(?:worker|worker_id|locked_by|claimed_by|leased_by|reserved_by|owner|owner_id|holder|consumer|consumer_id|node_id|picked_by|runner_id|instance_id|queue_manager_id)$")
# A threshold held in a variable or parameter whose name says it comes from observed latency.
_ADAPTIVE = re.compile(r"p9\d|percentile|rtt|latency|stddev|variance|sigma|phi|ewma|mean|avg|jitter", re.I)
_DEATH_WORDS = re.compile(r"fail_?over|promote|dead|evict|reassign|requeue|take_?over|offline|unreachable|fence", re.I)


@dataclass(frozen=True)
class _Check:
    cmp: dict
    column: str
    stale: bool | None  # True: true for a silent node; False: true for a live one; None: unknown
    fixed: bool  # literal or setting (True) or a variable/parameter (False: medium confidence)


@sql_rule(META)
def check(scope: Scope) -> Iterator[SqlHit]:
    if not scope.mentions(_GATE):
        return
    migration = _migration_file(scope)
    stale_listings = _stale_listings(scope)
    for unit in scope.units:
        if unit.role == "log" or (migration and unit.role == "stmt"):
            continue
        if unit.role == "expr":
            yield from _condition(scope, unit, set())
            continue
        live: set[int] = set()
        hits = list(_unit_hits(scope, unit, live))
        if any(id(hit) not in live for hit in hits):
            # the live half of a takeover (`active as (... hb > now() - x), lost as (... hb <= now() - x)`):
            # one detector, reported where the silent ones are chosen
            hits = [hit for hit in hits if id(hit) not in live]
        elif hits and _mirrored_listing(scope, unit, stale_listings):
            hits = []
        yield from hits


# Top-level DDL or a migration tool's marker: the file is a schema migration, and its top-level
# statements run once over stored data (backfills, copies). Function bodies it defines are
# other scopes and are still judged.
_MIGRATION = re.compile(
    r"^\s*(?:--\s*\+goose\s+up|--\s*migrate:up|--\s*\+migrate\s+up|(?:create|alter)\s+(?:unique\s+)?(?:table|index|type)\b)",
    re.I | re.M,
)


def _migration_file(scope: Scope) -> bool:
    return scope.kind == "file" and not scope.facts.embedded and bool(_MIGRATION.search(scope.facts.text))


def _read_only(unit: Unit) -> dict | None:
    """The statement's top SELECT when it writes and locks nothing."""
    kind, fields = typed(unit.tree)
    if kind != "SelectStmt" or fields.get("lockingClause"):
        return None
    if any(k in ("UpdateStmt", "DeleteStmt", "InsertStmt") for k, _ in unit.nodes):
        return None
    return fields


def _listed_checks(scope: Scope, unit: Unit) -> Iterator[tuple[str, str, bool]]:
    """(table, heartbeat column, stale?) of each fixed-window comparison of a read-only listing."""
    fields = _read_only(unit) if unit.role == "stmt" else None
    if fields is None:
        return
    tables = [table_of(r) for r in _relations(fields.get("fromClause"))]
    if len(tables) != 1:
        return
    for found in _fixed_checks(scope, fields.get("whereClause"), set()):
        if found.stale is not None and HEARTBEAT_COLUMN.search(found.column):
            yield tables[0], found.column, found.stale


def _stale_listings(scope: Scope) -> set[tuple[str, str]]:
    if scope.kind != "file":
        return set()
    return {(table, column) for unit in scope.units for table, column, stale in _listed_checks(scope, unit) if stale}


def _mirrored_listing(scope: Scope, unit: Unit, stale_listings: set[tuple[str, str]]) -> bool:
    """A query file that lists both the silent and the live members of one table by one
    heartbeat column (`ListStaleX` / `ListActiveX`): the two are one detector, judged at the
    silent listing; the live one is its complement, not a second verdict."""
    listed = list(_listed_checks(scope, unit))
    return bool(listed) and all(not stale and (table, column) in stale_listings for table, column, stale in listed)


def _unit_hits(scope: Scope, unit: Unit, live: set[int]) -> Iterator[SqlHit]:
    """Hits of one statement; the ids of those that only pick a live set go to `live`."""
    seen: set[int] = set()
    takes_over = any(kind == "UpdateStmt" and _takes_over(fields.get("targetList")) for kind, fields in unit.nodes)
    filters = _status_filters(unit)
    seen.update(filters)  # their comparisons too: no listing of the silent ones either
    for kind, fields in unit.nodes:
        if kind == "DeleteStmt":
            table = table_of(fields.get("relation"))
            for found in _fixed_checks(scope, fields.get("whereClause"), set(seen)):
                if NODE_TABLE.search(table) or STRONG_HEARTBEAT.search(found.column):
                    seen.add(id(found.cmp))
                    yield _statement_hit(scope, unit, found)
            if NODE_TABLE.search(table):
                yield from _expired_members(unit, fields.get("whereClause"), seen)
        elif kind == "UpdateStmt":
            table = table_of(fields.get("relation"))
            marks_dead = _marks_dead(fields.get("targetList"))
            requeues = _takes_over(fields.get("targetList"))
            # the caller taking silent rows for itself (`status = 'picked', heartbeat = now()`)
            claims = claims_rows(fields.get("targetList"))
            # Comparisons not reported here stay open for the subquery that holds them
            # (`where not exists (select 1 from workers where hb > now() - ...)`).
            for found in _fixed_checks(scope, fields.get("whereClause"), set(seen), taken=requeues):
                heartbeat = HEARTBEAT_COLUMN.search(found.column)
                if (
                    (heartbeat and (marks_dead or requeues or (claims and found.stale) or (NODE_TABLE.search(table) and STRONG_HEARTBEAT.search(found.column))))
                    or (not heartbeat and requeues and found.stale)
                ):
                    seen.add(id(found.cmp))
                    yield _statement_hit(scope, unit, found)
        elif kind == "CaseExpr" and id(fields) not in filters:
            yield from _case_verdicts(scope, unit, fields, seen)
        elif kind == "SelectStmt":
            yield from _stale_selection(scope, unit, fields, seen, takes_over, live)
            if fields.get("lockingClause") and _held_filter(fields.get("whereClause")):
                yield from _expired_leases(scope, unit, fields.get("whereClause"), seen)
        if kind == "UpdateStmt" and _takes_over(fields.get("targetList")):
            yield from _expired_leases(scope, unit, fields.get("whereClause"), seen)


# A label that declares a run, task or node gone: what a status CASE yields for it.
_VERDICT = re.compile(r"^(?:crashed|zombie|stalled|abandoned|orphaned)$", re.I)


def _verdict(value: str | None) -> bool:
    return value is not None and bool(DEAD_VALUE.match(value) or _VERDICT.match(value))


def _case_verdicts(scope: Scope, unit: Unit, fields: dict, seen: set[int]) -> Iterator[SqlHit]:
    """A status computed from an age: `case when now() - hb > interval '30s' then 'dead'`, or the
    live branch with the verdict in ELSE (`when hb >= now() - x then 'running' else 'failed'`).
    In a verdict the start of a run counts as its stamp too (`started_at` of a task with no
    heartbeat yet): the run is declared failed once it is older than the window."""
    else_dead = _verdict(const_string(fields.get("defresult")))
    for when in fields.get("args") or ():
        _, clause = typed(when)
        if not clause:
            continue
        result = const_string(clause.get("result"))
        if _verdict(result):
            wanted = True
        elif result is not None and else_dead:
            wanted = False  # the live label; everything outside the window falls to ELSE
        else:
            continue
        for found in _fixed_checks(scope, clause.get("expr"), seen, taken=True):
            if found.stale is wanted or (wanted and HEARTBEAT_COLUMN.search(found.column)):
                yield _hit(unit, found)


def _stale_selection(
    scope: Scope, unit: Unit, fields: dict, seen: set[int], takes_over: bool, live: set[int]
) -> Iterator[SqlHit]:
    """`select ... from workers where last_heartbeat_at < now() - interval '30 seconds'`: the
    silent ones, listed to be reassigned or reaped by whoever runs the query; a job selected by
    `claimed_at < now() - ...` in a statement that hands it back to the queue. The mirror image,
    `last_heartbeat_at > now() - interval '5 seconds'`, picks the live set that gets work (or
    whose members keep what they own): everyone outside the window is treated as dead, but what
    the caller does with the set is out of sight, hence medium."""
    nodeish = any(NODE_TABLE.search(table_of(r)) for r in _relations(fields.get("fromClause")))
    where = fields.get("whereClause")
    for found in _fixed_checks(scope, where, seen, taken=takes_over):
        heartbeat = HEARTBEAT_COLUMN.search(found.column)
        if found.stale is False:
            if heartbeat and (STRONG_HEARTBEAT.search(found.column) or nodeish) and not _metering(fields) and not _counts_only(unit):
                hit = _hit(unit, found, confident=False)
                live.add(id(hit))
                yield hit
            continue
        if not found.stale or _already_declared_dead(where):
            continue  # a reaper of nodes some other statement already declared dead
        if not takes_over and _reports_silence(fields, found.column):
            continue
        if heartbeat:
            if STRONG_HEARTBEAT.search(found.column) or nodeish:
                yield _hit(unit, found)
        elif takes_over:
            yield _hit(unit, found)


# `is_active`, `isActive` (quoted identifiers keep no underscore), `alive`, `online`...
_ALIVE_COLUMN = re.compile(r"^(?:is_?)?(?:alive|online|healthy|active|up|available)$")


def _already_declared_dead(where) -> bool:
    """`... and is_active = false` / `status = 'offline'`: the rows were declared dead before;
    listing them again (for cleanup) is no verdict."""
    for kind, fields in walk(where) if where is not None else ():
        if kind != "A_Expr" or op_name(fields) != "=":
            continue
        sides = [typed(fields.get(key)) for key in ("lexpr", "rexpr")]
        column = next((column_fields(f)[-1] for k, f in sides if k == "ColumnRef" and column_fields(f)), "")
        const = next((f for k, f in sides if k == "A_Const"), None)
        if column and const is not None:
            if _ALIVE_COLUMN.match(column) and const.get("boolval") is not None and not const["boolval"].get("boolval", False):
                return True
            if DEAD_VALUE.match(const_string({"A_Const": const}) or ""):
                return True
    return False


def _reports_silence(fields: dict, column: str) -> bool:
    """`select id, now() - heartbeat as silent_for ... where heartbeat < now() - $1`: a report that
    shows each row's silence to a person (a diagnostics page, a CLI listing); it takes nothing
    over (no FOR UPDATE) and the age it returns is what it is for."""
    if fields.get("lockingClause"):
        return False
    for target in fields.get("targetList") or ():
        nodes = list(walk(target))
        watches = any(kind == "ColumnRef" and column_fields(sub)[-1:] == [column] for kind, sub in nodes)
        if watches and any(is_time_call(kind, sub) for kind, sub in nodes):
            return True
    return False


def _metering(fields: dict) -> bool:
    """`select tenant_id, sum(slots) ... group by tenant_id`: a count of live capacity for
    metrics or limits, which no node's work depends on. Grouping by the node's id still names
    nodes."""
    if not any(_aggregate(target) for target in fields.get("targetList") or ()):
        return False
    for kind, sub in walk(fields.get("groupClause") or ()):
        if kind == "ColumnRef" and column_fields(sub)[-1:] in (["id"], ["worker_id"], ["node_id"], ["instance_id"]):
            return False
    return True


def _counts_only(unit: Unit) -> bool:
    """`with active as (select id from workers where hb > now() - '5s') select (select count(*)
    from active) as workers, coalesce((select sum(units) ...), 0) as used`: a statement that returns
    only figures (counts, sums) for usage or billing; no row, hence no node, is acted on."""
    fields = _read_only(unit) if unit.role == "stmt" else None
    return fields is not None and bool(fields.get("targetList")) and all(_figure(t) for t in fields["targetList"])


def _figure(target) -> bool:
    _, res = typed(target)
    kind, sub = typed((res or {}).get("val"))
    while kind in ("TypeCast", "CoalesceExpr"):
        kind, sub = typed(sub.get("arg") if kind == "TypeCast" else (sub.get("args") or [None])[0])
    if kind == "FuncCall":
        return func_name(sub) in ("sum", "count", "avg", "min", "max")
    if kind == "SubLink" and sub.get("subLinkType") == "EXPR_SUBLINK":
        _, inner = typed(sub.get("subselect"))
        return bool(inner.get("targetList")) and all(_figure(t) for t in inner["targetList"])
    return False


def _aggregate(target) -> bool:
    """A select-list item that is an aggregate (`sum(x)::int`), not one inside a subquery."""
    _, res = typed(target)
    kind, sub = typed((res or {}).get("val"))
    while kind == "TypeCast":
        kind, sub = typed(sub.get("arg"))
    return kind == "FuncCall" and func_name(sub) in ("sum", "count", "avg", "min", "max")


def _status_filters(unit: Unit) -> set[int]:
    """CASE expressions inside the WHERE clause of a query: a status computed only to filter a
    listing (`case when hb < now() - ... then 'INACTIVE' ... end = any($1)`) is neither stored
    nor returned, so nobody acts on it."""
    found: set[int] = set()
    for kind, fields in unit.nodes:
        if kind == "SelectStmt" and fields.get("whereClause") is not None:
            for k, sub in walk(fields["whereClause"]):
                if k == "CaseExpr":
                    found.update(id(inner) for _, inner in walk({k: sub}))
    return found


def _condition(scope: Scope, unit: Unit, seen: set[int]) -> Iterator[SqlHit]:
    """A PL/pgSQL condition: `if v_last_ping >= now() - interval '15 seconds' then ... else
    <failover>`. The branches are not in the unit; a death word in the body says what follows."""
    after = scope.facts.text[unit.end:unit.end + 1500]
    stop = re.search(r"\bend\s+if\b", after, re.I)
    body = after[: stop.start()] if stop else after
    for found in _fixed_checks(scope, unit.tree, seen, variables_as_columns=True):
        if STRONG_HEARTBEAT.search(found.column) or HEARTBEAT_COLUMN.search(found.column):
            confident = found.fixed and bool(_DEATH_WORDS.search(body))
            yield _hit(unit, found, confident)


def _relations(node) -> Iterator[dict]:
    for kind, fields in walk(node) if node is not None else ():
        if kind == "RangeVar":
            yield fields


def _takes_over(targets) -> bool:
    """An UPDATE that hands a job back (`status = 'queued'`, `locked_by = null`) or declares it
    stalled/failed."""
    for target in targets or ():
        _, res = typed(target)
        if not res:
            continue
        name = res.get("name", "").lower()
        if name in ("status", "state", "phase") and any(_REQUEUE_VALUE.match(v) for v in _set_values(res.get("val"))):
            return True  # also `state = case when attempt >= max_attempts then 'discarded' else 'available' end`
        kind, fields = typed(res.get("val"))
        if _OWNER_COLUMN.match(name) and kind == "A_Const" and (fields.get("isnull") or _negative(fields)):
            return True  # `claimed_by = null`, or the sentinel of no holder (`claimed_by = -1`)
        if (_TAKEN_AT.match(name) or HEARTBEAT_COLUMN.search(name)) and kind == "A_Const" and fields.get("isnull"):
            return True  # `claimed_at = null, heartbeated_at = null`: the claim itself is cleared
    return False


def _set_values(node) -> list[str]:
    """The literal values an assignment can store: the value, or each result of a CASE."""
    kind, fields = typed(node)
    if kind == "CaseExpr":
        results = [typed(when)[1].get("result") for when in fields.get("args") or ()] + [fields.get("defresult")]
        return [v for v in (const_string(r) for r in results if r is not None) if v is not None]
    value = const_string(node)
    return [value] if value is not None else []


def _negative(const: dict) -> bool:
    ival = const.get("ival")
    return isinstance(ival, dict) and isinstance(ival.get("ival"), int) and ival["ival"] < 0


# A column naming who holds a row (a role noun: `worker_id`, `queue_manager_id`, `"tickerId"`: quoted camel case
# is lowercased without an underscore), or `locked_by`.
_CLAIMANT_COLUMN = re.compile(
    r"^(?:last_)?(?:\w*(?:er|or)|node|instance|agent|host|process)_?id$|^(?:locked|claimed|picked|held|leased|acquired)_by$"
)
_CLAIMED_STATUS = re.compile(r"^(?:picked|started|running|claimed|locked|leased|processing|in_progress|active|taken|reserved)$", re.I)


def claims_rows(targets) -> bool:
    """SET gives the row to the caller (`worker_id = $1`) or renews its heartbeat in a taken
    status (`status = 'picked', heartbeat = now()`)."""
    claimant = heartbeat = status = False
    for target in targets or ():
        _, res = typed(target)
        if not res:
            continue
        name = res.get("name", "").lower()
        kind, value = typed(res.get("val"))
        while kind == "TypeCast":
            kind, value = typed(value.get("arg"))
        if _CLAIMANT_COLUMN.match(name) and kind in ("ParamRef", "ColumnRef"):
            claimant = True
        elif HEARTBEAT_COLUMN.search(name) and is_time_call(kind, value):
            heartbeat = True
        elif name in ("status", "state") and _CLAIMED_STATUS.match(const_string(res.get("val")) or ""):
            status = True
    return claimant or (heartbeat and status)


def _marks_dead(targets) -> bool:
    for target in targets or ():
        _, res = typed(target)
        if not res:
            continue
        value = const_string(res.get("val"))
        if value is not None and DEAD_VALUE.match(value):
            return True
        kind, fields = typed(res.get("val"))
        if ALIVE_FLAG.match(res.get("name", "").lower()) and kind == "A_Const" and fields.get("boolval") is not None:
            if not fields["boolval"].get("boolval", False):
                return True
    return False


def _fixed_checks(
    scope: Scope, node, seen: set[int], taken: bool = False, variables_as_columns: bool = False
) -> Iterator[_Check]:
    """Comparisons of a heartbeat column's age with a shared threshold: `last_seen < now() -
    interval '30s'`, `now() - last_seen > interval '30s'`, `extract(epoch from now() - last_seen)
    > 30`, `heartbeat < now() - $1::interval`, `claimed_at < now() - v_timeout` (with `taken`).
    A threshold read from another column (per-entity or adaptive) is not a detector."""
    if node is None:
        return
    for kind, fields in walk(node):
        if kind != "A_Expr" or fields.get("kind") != "AEXPR_OP" or op_name(fields) not in ("<", "<=", ">", ">="):
            continue
        if id(fields) in seen:
            continue
        sides = [_side(scope, fields.get(key), taken, variables_as_columns) for key in ("lexpr", "rexpr")]
        if any(side is None for side in sides):
            continue
        (l_cols, l_clock, l_const, l_vars), (r_cols, r_clock, r_const, r_vars) = sides
        columns = l_cols + r_cols
        if len(columns) != 1 or not (l_clock or r_clock) or not (l_const or r_const or l_vars or r_vars):
            continue
        less = op_name(fields) in ("<", "<=")
        if l_cols and not l_clock:
            stale = less  # `hb < now() - x`
        elif r_cols and not r_clock:
            stale = not less  # `now() - x > hb`
        elif l_cols:
            stale = not less  # `now() - hb > x`
        else:
            stale = less  # `x < now() - hb`
        seen.add(id(fields))
        yield _Check(fields, columns[0], stale, not (l_vars or r_vars))


def _side(scope: Scope, node, taken: bool, variables_as_columns: bool):
    """(watched columns, clock calls, constants, variable thresholds) of one side of a
    comparison; None when it reads another column or an adaptive value."""
    columns: list[str] = []
    clocks = constants = variables = 0
    fallbacks = _coalesce_fallbacks(node, taken)
    for kind, sub in walk(node) if node is not None else ():
        if id(sub) in fallbacks:
            continue
        if kind == "ColumnRef":
            parts = column_fields(sub)
            name = parts[-1] if parts else ""
            is_variable = len(parts) == 1 and name in scope.variables
            watched = HEARTBEAT_COLUMN.search(name) or (taken and _TAKEN_AT.match(name))
            if watched and (not is_variable or variables_as_columns):
                columns.append(name)
            elif is_variable and not _ADAPTIVE.search(name):
                variables += 1  # `v_timeout`, `p_stale_after`: one window for every node
            else:
                return None
        elif kind == "ParamRef":
            variables += 1
        elif is_time_call(kind, sub):
            clocks += 1
        elif kind == "A_Const":
            constants += 1
        elif kind == "FuncCall" and func_name(sub) == "current_setting":
            constants += 1  # a setting is still one fixed window
    return columns, clocks, constants, variables


def _coalesce_fallbacks(node, taken: bool) -> set[int]:
    """Columns standing in for a missing stamp: `coalesce(hb, created_at)` is still the age of
    the heartbeat, so only its first argument is watched."""
    skipped: set[int] = set()
    for kind, sub in walk(node) if node is not None else ():
        if kind == "FuncCall" and func_name(sub) in ("coalesce", "greatest"):
            args = sub.get("args")
        elif kind in ("CoalesceExpr", "MinMaxExpr"):
            args = sub.get("args")
        else:
            continue
        if not args:
            continue
        first_kind, first = typed(args[0])
        name = (column_fields(first) or [""])[-1] if first_kind == "ColumnRef" else ""
        if HEARTBEAT_COLUMN.search(name) or (taken and _TAKEN_AT.match(name)):
            skipped.update(id(f) for arg in args[1:] for k, f in walk(arg) if k == "ColumnRef")
    return skipped


# The deadline a member's row carries: its last renewal plus one lease length for everyone
_EXPIRY_COLUMN = re.compile(r"^(?:expires?_?at|expiry|expires|expiration|lease_?(?:until|expires\w*|deadline)|valid_until|alive_until)$")


def _deadline_passed(where, seen: set[int], column: re.Pattern[str]) -> Iterator[tuple[dict, tuple]]:
    """`<deadline column> < <now-like>` comparisons (either way round) not yet reported:
    (the comparison, its now side)."""
    for kind, fields in walk(where) if where is not None else ():
        if kind != "A_Expr" or fields.get("kind") != "AEXPR_OP" or id(fields) in seen:
            continue
        op = op_name(fields)
        if op not in ("<", "<=", ">", ">="):
            continue
        left, right = typed(fields.get("lexpr")), typed(fields.get("rexpr"))
        if op in (">", ">="):
            left, right = right, left
        if left[0] == "ColumnRef" and column.match((column_fields(left[1]) or [""])[-1]):
            yield fields, right


def _expired_members(unit: Unit, where, seen: set[int]) -> Iterator[SqlHit]:
    """`delete from workers where expires_at < now()`: members (workers, the leader row) whose
    renewal deadline passed are removed, and their role or work goes to others. The deadline is
    the last renewal plus a lease length shared by all, a fixed silence; the length itself is
    written elsewhere, hence medium."""
    for fields, right in _deadline_passed(where, seen, _EXPIRY_COLUMN):
        if not (is_time_call(*right) or right[0] == "ParamRef"):
            continue
        seen.add(id(fields))
        _, end = unit.span({"A_Expr": fields})
        yield SqlHit(META, unit.start, end, confidence="medium")
        return


# The deadline a holder must renew before: a claim's or lease's expiry, not a cache entry's
_LEASE_DEADLINE = re.compile(
    r"^(?:claim|lease|lock|locked|leased|claimed|acquired|reserved|taken)_?(?:expires_?at|expires|expiry|until|deadline)$"
)


def _held_filter(where) -> bool:
    """`state = 'running'` (or another held state) among the conditions."""
    for kind, fields in walk(where) if where is not None else ():
        if kind == "A_Expr" and op_name(fields) == "=":
            for key in ("lexpr", "rexpr"):
                if _CLAIMED_STATUS.match(const_string(fields.get(key)) or ""):
                    return True
    return False


def _expired_leases(scope: Scope, unit: Unit, where, seen: set[int]) -> Iterator[SqlHit]:
    """Held rows whose claim deadline passed, locked to be failed or handed back (`select ...
    where state = 'running' and claim_expires_at <= $1 for update`), or requeued by an UPDATE:
    the holder is declared dead once one lease length, shared by all, went by without renewal.
    The length is set where the claim is made, hence medium."""
    for fields, right in _deadline_passed(where, seen, _LEASE_DEADLINE):
        now_like = is_time_call(*right) or right[0] == "ParamRef" or (
            right[0] == "ColumnRef" and len(column_fields(right[1])) == 1 and column_fields(right[1])[0] in scope.variables
        )
        if not now_like:
            continue
        seen.add(id(fields))
        start, end = unit.span({"A_Expr": fields})
        yield SqlHit(META, start, end, confidence="medium")
        return


def _hit(unit: Unit, found: _Check, confident: bool | None = None) -> SqlHit:
    start, end = unit.span({"A_Expr": found.cmp})
    high = found.fixed if confident is None else confident
    return SqlHit(META, start, end, confidence="high" if high else "medium")


def _statement_hit(scope: Scope, unit: Unit, found: _Check) -> SqlHit:
    """The UPDATE/DELETE that declares nodes dead, from its first line through the fixed
    threshold: the statement is the decision, the comparison is what to change (ARM202 and
    ARM403 also report whole statements from their first line)."""
    start, end = unit.span({"A_Expr": found.cmp})
    if scope.facts.text.count("\n", unit.start, start) > _SHORT_STATEMENT:
        # a long statement (a CASE in its SET list) is read at the threshold, where its fix goes
        return SqlHit(META, start, end, confidence="high" if found.fixed else "medium")
    return SqlHit(META, unit.start, end, confidence="high" if found.fixed else "medium")


_SHORT_STATEMENT = 3  # lines
