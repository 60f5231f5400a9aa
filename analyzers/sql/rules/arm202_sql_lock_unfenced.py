"""ARM202: a session-level advisory lock or a lease row guarding later writes that carry no
fencing predicate (`where last_token < $token`)."""
from __future__ import annotations

import re
from collections.abc import Iterator

from ...catalog import Example, RuleMeta, Text, register
from ..facts import column_refs, table_of, write_statements
from ..hits import SqlHit
from ..names import EXPIRY_COLUMN, FENCE_COLUMN, HEARTBEAT_COLUMN, HOLDER_COLUMN
from ..rule import sql_rule
from ..scope import Scope, Unit
from ..tree import COMPARISONS, fields_of, func_name, op_name, typed, walk
from ._time_claims import time_claim

SESSION_LOCKS = frozenset({"pg_advisory_lock", "pg_try_advisory_lock"})
UNLOCKS = frozenset({"pg_advisory_unlock", "pg_advisory_unlock_all"})

META = register(
    RuleMeta(
        id="ARM202",
        slug="sql-lock-unfenced",
        family="unfenced-lock",
        language="sql",
        section_key="unfenced-lock",
        message=Text(
            en="This lock/lease guards later writes that no fencing token protects; issue a token (nextval) with the lock and make each write check `last_token < token`.",
            pt_BR="Este lock/lease protege escritas posteriores sem fencing token; gere um token (nextval) junto com o lock e faça cada escrita conferir `last_token < token`.",
        ),
        why=Text(
            en="A session lock or a lease row outlives pauses: the holder can stall (GC, network, a slow call), its "
            "lease expires, another worker takes over, and then the first one wakes up and writes anyway. Without "
            "a monotonic token the storage checks, both writes land (split-brain).",
            pt_BR="Um lock de sessão ou uma linha de lease sobrevive a pausas: o dono pode travar (GC, rede, uma "
            "chamada lenta), o lease expira, outro worker assume, e o primeiro acorda e grava mesmo assim. Sem um "
            "token monotônico conferido pelo storage, as duas escritas entram (split-brain).",
        ),
        use_instead=Text(
            en="pg_advisory_xact_lock(...) + nextval('fencing_tokens_seq') in one transaction, and writes with "
            "`where id = ... and last_token < token` that also set `last_token = token`.",
            pt_BR="pg_advisory_xact_lock(...) + nextval('fencing_tokens_seq') numa transação, e escritas com "
            "`where id = ... and last_token < token` que também gravam `last_token = token`.",
        ),
        when_fine=Text(
            en="pg_advisory_xact_lock whose whole critical section is one transaction; writes fenced by a token comparison.",
            pt_BR="pg_advisory_xact_lock cuja seção crítica inteira é uma transação; escritas protegidas por comparação de token.",
        ),
        bad=(
            Example(
                "create or replace function public.rebuild_daily_totals() returns void\n"
                "language plpgsql as $$\n"
                "begin\n"
                "  if not pg_try_advisory_lock(hashtext('daily_totals')) then\n"
                "    return;\n"
                "  end if;\n"
                "  delete from public.daily_totals where day = current_date;\n"
                "  insert into public.daily_totals (day, total)\n"
                "  select current_date, sum(amount) from public.orders where created_at >= current_date;\n"
                "  perform pg_advisory_unlock(hashtext('daily_totals'));\n"
                "end $$;\n",
                lines=(4,),
            ),
            Example(
                "create or replace function public.run_billing(p_worker text) returns void\n"
                "language plpgsql as $$\n"
                "begin\n"
                "  update public.job_leases\n"
                "     set holder = p_worker, expires_at = now() + interval '30 seconds'\n"
                "   where name = 'billing' and expires_at < now();\n"
                "  if not found then\n"
                "    return;\n"
                "  end if;\n"
                "  update public.invoices set status = 'sent' where status = 'ready';\n"
                "end $$;\n",
                lines=(4,),
            ),
        ),
        good=(
            Example(
                "create or replace function public.write_resource(p_id uuid, p_value text) returns boolean\n"
                "language plpgsql as $$\n"
                "declare\n"
                "  v_token bigint;\n"
                "begin\n"
                "  perform pg_advisory_xact_lock(hashtext('resource:' || p_id));\n"
                "  v_token := nextval('fencing_tokens_seq');\n"
                "  update public.locked_resource\n"
                "     set value = p_value, last_token = v_token, updated_at = now()\n"
                "   where id = p_id and last_token < v_token;\n"
                "  return found;\n"
                "end $$;\n"
            ),
            Example(
                "create or replace function public.allocate_seat(p_event uuid, p_user uuid) returns void\n"
                "language plpgsql as $$\n"
                "begin\n"
                "  perform pg_advisory_xact_lock(hashtext('seats:' || p_event));\n"
                "  update public.events set seats_left = seats_left - 1 where id = p_event and seats_left > 0;\n"
                "  insert into public.tickets (event_id, user_id) values (p_event, p_user)\n"
                "  on conflict do nothing;\n"
                "end $$;\n"
            ),
        ),
    )
)


_HEARTBEAT_GATE = re.compile(HEARTBEAT_COLUMN.pattern, re.I)
_GATE = re.compile(
    r"advisory_lock|lease|lock|holder|held_by|owner|locked_by|leader|claimed_by|acquired_by"
    # a row claimed by time under any column names (`_time_claims`)
    r"|\bset\s[^;]{0,300}?\b(?P<stamp>\w+)\s*=[^;]{0,800}?\bwhere\b[^;]{0,400}?\b(?P=stamp)\s*<(?!>)",
    re.I,
)


@sql_rule(META)
def check(scope: Scope) -> Iterator[SqlHit]:
    if scope.mentions(_HEARTBEAT_GATE):
        yield from _takeover_claims(scope)
    if not scope.mentions(_GATE):
        return
    guard: tuple[Unit, int, int, str] | None = None  # (unit, start, end, lease table or "")
    unfenced = False
    for unit in scope.units:
        if unit.role == "log":
            continue
        started = _session_lock(unit) or _lease(unit) or _claimed_by_time(unit)
        if _unlocks(unit) and guard and guard[3] == "":
            if unfenced:
                yield SqlHit(META, guard[1], guard[2])
            guard, unfenced = None, False
        if started:
            if guard and unfenced:
                yield SqlHit(META, guard[1], guard[2])
            guard, unfenced = started, False
            continue
        if guard and not unfenced:
            for kind, fields in write_statements(unit):
                if guard[3] and table_of(fields.get("relation")) == guard[3]:
                    continue  # renewing or releasing the lease itself
                if not _fenced(fields):
                    unfenced = True
                    break
    if guard and unfenced:
        yield SqlHit(META, guard[1], guard[2])
    yield from _standalone_leases(scope)


def _takeover_claims(scope: Scope) -> Iterator[SqlHit]:
    """A claim that takes rows over by heartbeat age: `update jobs set status = 'picked',
    heartbeat = now(), worker_id = $1 where id in (... heartbeat < now() - $2 ...)`, or ownership
    reassigned to the caller when the owner's heartbeat is too old (`set ticker_id = $1 where
    not exists (select 1 from tickers where id = ticker_id and heartbeat > now() - '10s')`). The row
    is a lease whose expiry is the silence: the displaced holder, only slow, keeps working and
    completes by id. The completions live elsewhere (the application, another function), hence
    medium, unless the claim hands out a token/attempt the completion can compare."""
    from .arm302_sql_fixed_timeout_detector import _fixed_checks, claims_rows  # one reading of "heartbeat age"

    for unit in scope.units:
        if unit.role != "stmt" or _issues_token(unit):
            continue
        claims = [fields for kind, fields in unit.nodes if kind == "UpdateStmt" and claims_rows(fields.get("targetList"))]
        if not claims:
            continue
        if not any(HEARTBEAT_COLUMN.search(found.column) for found in _fixed_checks(scope, unit.tree, set())):
            continue
        relation = fields_of(claims[0].get("relation"))
        if isinstance(relation.get("location"), int):
            start, end = unit.point(relation["location"])
        else:
            start, end = unit.start, _first_line_end(unit)
        yield SqlHit(META, start, end, confidence="medium")


def _standalone_leases(scope: Scope) -> Iterator[SqlHit]:
    """A query file's lease acquisition (`-- name: AcquireLease`, a leader-election upsert): the
    writes it guards live in the application, so the acquisition is the evidence unless it
    hands out a token/epoch. In SQL files; for SQL inside Python, ARM201 follows the writes of
    the lease rows it knows by their columns, and this rule reports the rows claimed by time
    under other names (`_time_claims`), whose holders work out of sight."""
    for unit in scope.units:
        if scope.routine:
            # a routine that claims rows by time and returns them: the work is its caller's
            claim = _claimed_by_time(unit) if unit.role == "stmt" and "returning" in unit.snippet.text.lower() else None
            if claim is not None and not _issues_token(unit):
                yield SqlHit(META, claim[1], claim[2], confidence="medium")
            continue
        lease = None if scope.facts.embedded else _lease(unit, loose=True)
        if lease is None and not (scope.facts.embedded and _lease(unit) is not None):
            lease = _claimed_by_time(unit)
        if lease is not None and not _issues_token(unit):
            yield SqlHit(META, lease[1], lease[2], confidence="medium")


def _claimed_by_time(unit: Unit) -> tuple[Unit, int, int, str] | None:
    """A row claimed by rewriting a stamp only once it is older than a bound (`_time_claims`),
    pointed at the claimed table."""
    relation = time_claim(unit)
    if relation is None:
        return None
    if isinstance(relation.get("location"), int):
        start, end = unit.point(relation["location"])
    else:
        start, end = unit.start, _first_line_end(unit)
    return unit, start, end, table_of(relation) or "?"


def _issues_token(unit: Unit) -> bool:
    """The acquisition bumps or returns an epoch/term/token the writes can compare."""
    return bool(_TOKEN_WORD.search(unit.snippet.text))


def _session_lock(unit: Unit) -> tuple[Unit, int, int, str] | None:
    for kind, fields in unit.nodes:
        if kind == "FuncCall" and func_name(fields) in SESSION_LOCKS:
            start, end = unit.span({"FuncCall": fields})
            return unit, start, end, ""
    return None


def _unlocks(unit: Unit) -> bool:
    return any(kind == "FuncCall" and func_name(fields) in UNLOCKS for kind, fields in unit.nodes)


_TOKEN_WORD = re.compile(r"token|fenc|epoch|\bterm\b|generation|range_id|nextval", re.I)
# Without a holder column, the table's name says it holds leases (`"Lease"`, `leader_lock`).
_LEASE_TABLE = re.compile(r"lease|lock|leader|election|mutex", re.I)


def _lease(unit: Unit, loose: bool = False) -> tuple[Unit, int, int, str] | None:
    """`update leases set holder = ..., expires_at = ... where ... expires_at < now()`, or the
    same as an upsert (`on conflict ... do update set holder = ..., expires_at = ... where ...`)."""
    if unit.role != "stmt":
        return None
    for kind, fields in unit.nodes:
        if kind == "UpdateStmt":
            targets, where = fields.get("targetList"), fields.get("whereClause")
        elif kind == "InsertStmt" and fields.get("onConflictClause"):
            conflict = fields_of(fields["onConflictClause"])
            targets, where = conflict.get("targetList"), conflict.get("whereClause")
        else:
            continue
        names = {typed(t)[1].get("name", "").lower() for t in targets or ()}
        relation = fields_of(fields.get("relation"))
        table = table_of(relation)
        holder = any(HOLDER_COLUMN.match(n) for n in names) or (
            loose
            and (bool(_LEASE_TABLE.search(table)) or any(_LEASE_TABLE.search(n) and not EXPIRY_COLUMN.search(n) for n in names))
        )
        if not holder or not any(EXPIRY_COLUMN.search(n) for n in names):
            continue
        if where is None or not any(EXPIRY_COLUMN.search(parts[-1]) for parts in column_refs(where)):
            continue
        if _holder_gated_write(targets):
            continue
        if loose and isinstance(relation.get("location"), int):
            # point at the INSERT/UPDATE itself, not at the CTEs that feed it
            start, end = unit.point(relation["location"])
            return unit, start, end, table or "?"
        return unit, unit.start, _first_line_end(unit), table or "?"
    return None


def _holderish(name: str) -> bool:
    return bool(HOLDER_COLUMN.match(name)) or (bool(_LEASE_TABLE.search(name)) and not EXPIRY_COLUMN.search(name))


def _holder_gated_write(targets) -> bool:
    """`set last_offset = case when excluded.holder = t.holder then excluded.last_offset else
    t.last_offset end, holder = excluded.holder, ...`: the state the lease guards lives in the
    lease row and is written by the acquisition itself, only when the caller still is the holder.
    The holder id compared in the very statement that writes is a fence: a displaced holder's
    write keeps the new holder's value."""
    for target in targets or ():
        _, res = typed(target)
        name = (res or {}).get("name", "").lower()
        if not name or EXPIRY_COLUMN.search(name) or _holderish(name):
            continue
        for kind, case in walk(res.get("val")):
            if kind != "CaseExpr":
                continue
            for when in case.get("args") or ():
                _, clause = typed(when)
                for k, expr in walk((clause or {}).get("expr")):
                    if k == "A_Expr" and op_name(expr) == "=":
                        refs = list(column_refs({"A_Expr": expr}))
                        if len(refs) == 2 and all(_holderish(parts[-1]) for parts in refs):
                            return True
    return False


def _first_line_end(unit: Unit) -> int:
    text = unit.snippet.text
    local = text.find("\n", len(text) - len(text.lstrip()))
    end = len(text) if local < 0 else local
    return unit.snippet.offset(max(end - 1, 0)) + 1


def _fenced(fields: dict) -> bool:
    """The write compares a token/fence column in its WHERE (or ON CONFLICT ... WHERE)."""
    wheres = [fields.get("whereClause")]
    conflict = fields_of(fields.get("onConflictClause"))
    if conflict:
        wheres.append(conflict.get("whereClause"))
    for where in wheres:
        if where is None:
            continue
        for kind, expr in walk(where):
            if kind == "A_Expr" and op_name(expr) in COMPARISONS:
                if any(FENCE_COLUMN.search(parts[-1]) for parts in column_refs({"A_Expr": expr})):
                    return True
    return False
