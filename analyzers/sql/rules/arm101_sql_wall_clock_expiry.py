"""ARM101: clock_timestamp()/timeofday() feeding persisted expiry, TTL, lease or deadline logic."""
from __future__ import annotations

import re
from collections.abc import Iterator

from ...catalog import Example, RuleMeta, Text, register
from ..expiry_vars import expiry_variables
from ..facts import column_refs, is_local_variable, writes
from ..hits import SqlHit

from ..rule import sql_rule
from ..scope import Scope
from ..tree import COMPARISONS, op_name
from ..wallclock import WallSources, call_span, is_expiry_column, now_fix, window_columns

META = register(
    RuleMeta(
        id="ARM101",
        slug="sql-wall-clock-expiry",
        family="wall-clock",
        language="sql",
        section_key="wall-clock-expiry",
        message=Text(
            en="clock_timestamp() drives a persisted expiry here; use now() so the deadline is the writing transaction's time.",
            pt_BR="clock_timestamp() define uma expiração persistida aqui; use now() para que o prazo seja o instante da transação que grava.",
        ),
        why=Text(
            en="clock_timestamp() reads the server's real-time clock on every call; NTP can move it backwards or "
            "forwards, so a token can be born expired or outlive its TTL, and comparisons drift from the time "
            "recorded by the transaction that wrote the row.",
            pt_BR="clock_timestamp() lê o relógio de tempo real a cada chamada; o NTP pode movê-lo para trás ou para "
            "frente, então um token pode nascer vencido ou durar além do TTL, e as comparações se afastam do "
            "instante registrado pela transação que gravou a linha.",
        ),
        use_instead=Text(
            en="now() (or transaction_timestamp()/current_timestamp) for persisted expiries and for checking them.",
            pt_BR="now() (ou transaction_timestamp()/current_timestamp) para gravar e conferir expirações persistidas.",
        ),
        when_fine=Text(
            en="Measuring elapsed time inside one transaction or DO block, log/RAISE output, and polling deadlines "
            "compared inside a PL/pgSQL loop (now() never advances within the transaction).",
            pt_BR="Medir tempo decorrido dentro de uma transação ou bloco DO, saída de RAISE/log e prazos de polling "
            "comparados dentro de um LOOP PL/pgSQL (now() não avança dentro da transação).",
        ),
        bad=(
            Example(
                "-- convites valem 24 horas\n"
                "insert into public.invites (email, token, expires_at)\n"
                "values ($1, $2, clock_timestamp() + interval '24 hours');\n",
                lines=(3,),
            ),
            Example(
                "create or replace function public.extend_session(p_id uuid) returns void\n"
                "language plpgsql as $$\n"
                "begin\n"
                "  update public.sessions\n"
                "     set expires_at = clock_timestamp() + interval '1 hour'\n"
                "   where id = p_id;\n"
                "end $$;\n",
                lines=(5,),
            ),
            Example(
                "select id, user_id from public.api_tokens\n"
                "where token = $1 and expires_at > clock_timestamp();\n",
                lines=(2,),
            ),
        ),
        good=(
            Example(
                "insert into public.invites (email, token, expires_at)\n"
                "values ($1, $2, now() + interval '24 hours');\n"
            ),
            Example(
                "do $$\n"
                "declare\n"
                "  t0 timestamptz := clock_timestamp();\n"
                "begin\n"
                "  perform public.refresh_reports();\n"
                "  raise notice 'refresh took %', clock_timestamp() - t0;\n"
                "end $$;\n"
            ),
            Example(
                "create or replace function public.wait_for_job(p_id bigint) returns boolean\n"
                "language plpgsql as $$\n"
                "declare\n"
                "  v_deadline timestamptz := clock_timestamp() + interval '5 seconds';\n"
                "begin\n"
                "  loop\n"
                "    if exists (select 1 from public.jobs where id = p_id and done) then\n"
                "      return true;\n"
                "    end if;\n"
                "    exit when clock_timestamp() > v_deadline;\n"
                "    perform pg_sleep(0.1);\n"
                "  end loop;\n"
                "  return false;\n"
                "end $$;\n"
            ),
        ),
        fixable=True,
    )
)


_GATE = re.compile(r"clock_timestamp|timeofday", re.I)


@sql_rule(META)
def check(scope: Scope) -> Iterator[SqlHit]:
    if not scope.mentions(_GATE):
        return
    sources = WallSources(scope)
    loaded = expiry_variables(scope)
    windowed = window_columns(scope.facts.text)
    for unit in scope.units:
        if unit.role == "log":
            continue
        for write in writes(unit):
            if not (is_expiry_column(write.column) or write.column in windowed):
                continue
            if write.how == "assign" and unit.target in scope.variables:
                continue  # a local variable: it matters only if it reaches a column (below)
            for source_unit, call in sources.in_value(unit, write.value):
                yield _hit(source_unit, call)
        if unit.in_poll:
            continue  # a poll loop must read the advancing clock; now() would never move
        for kind, fields in unit.nodes:
            if kind != "A_Expr":
                continue
            if fields.get("kind") == "AEXPR_OP" and op_name(fields) not in COMPARISONS:
                continue
            if fields.get("kind") not in ("AEXPR_OP", "AEXPR_BETWEEN", "AEXPR_NOT_BETWEEN"):
                continue
            sides = [fields.get("lexpr"), fields.get("rexpr")]
            for index, side in enumerate(sides):
                other = sides[1 - index]
                if not _mentions_expiry(scope, other, loaded):
                    continue
                for source_unit, call in sources.in_value(unit, side):
                    yield _hit(source_unit, call)


def _mentions_expiry(scope: Scope, node, loaded: frozenset[str]) -> bool:
    """An expiry column, or a local variable loaded from one (a variable computed in the body,
    such as a polling deadline, is not persisted expiry logic)."""
    for parts in column_refs(node):
        if is_local_variable(scope, parts):
            if parts[0] in loaded:
                return True
        elif is_expiry_column(parts[-1]):
            return True
    return False


def _hit(unit, call) -> SqlHit:
    start, end, exact = call_span(unit, call)
    return SqlHit(META, start, end, None, now_fix(start, end) if exact else None)
