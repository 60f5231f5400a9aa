"""ARM302: nodes/workers declared dead from `last_seen < now() - interval '<constant>'`."""
from __future__ import annotations

import re
from collections.abc import Iterator

from ...catalog import Example, RuleMeta, Text, register
from ..facts import table_of
from ..hits import SqlHit
from ..names import ALIVE_FLAG, DEAD_VALUE, HEARTBEAT_COLUMN, NODE_TABLE, STRONG_HEARTBEAT
from ..rule import sql_rule
from ..scope import Scope, Unit
from ..tree import column_fields, const_string, is_time_call, op_name, typed, walk

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


_GATE = re.compile(r"heartbeat|seen|ping|alive|contact|check_?in", re.I)


@sql_rule(META)
def check(scope: Scope) -> Iterator[SqlHit]:
    if not scope.mentions(_GATE):
        return
    for unit in scope.units:
        if unit.role == "log":
            continue
        for kind, fields in unit.nodes:
            if kind == "DeleteStmt":
                table = table_of(fields.get("relation"))
                for cmp, column in _fixed_checks(scope, fields.get("whereClause")):
                    if NODE_TABLE.search(table) or STRONG_HEARTBEAT.search(column):
                        yield _statement_hit(unit, cmp)
            elif kind == "UpdateStmt":
                table = table_of(fields.get("relation"))
                marks_dead = _marks_dead(fields.get("targetList"))
                for cmp, column in _fixed_checks(scope, fields.get("whereClause")):
                    if marks_dead or (NODE_TABLE.search(table) and STRONG_HEARTBEAT.search(column)):
                        yield _statement_hit(unit, cmp)
            elif kind == "CaseExpr":
                for when in fields.get("args") or ():
                    _, clause = typed(when)
                    if clause and DEAD_VALUE.match(const_string(clause.get("result")) or ""):
                        for cmp, _column in _fixed_checks(scope, clause.get("expr")):
                            yield _hit(unit, cmp)


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


def _fixed_checks(scope: Scope, node) -> Iterator[tuple[dict, str]]:
    """Comparisons of a heartbeat column's age with a constant: `last_seen < now() - interval '30s'`,
    `now() - last_seen > interval '30s'`, `extract(epoch from now() - last_seen) > 30`."""
    if node is None:
        return
    for kind, fields in walk(node):
        if kind != "A_Expr" or fields.get("kind") != "AEXPR_OP" or op_name(fields) not in ("<", "<=", ">", ">="):
            continue
        columns, clocks, constants, unknown = [], 0, 0, False
        for sub_kind, sub in walk({"A_Expr": fields}):
            if sub_kind == "ColumnRef":
                parts = column_fields(sub)
                if parts and HEARTBEAT_COLUMN.search(parts[-1]) and not (len(parts) == 1 and parts[0] in scope.variables):
                    columns.append(parts[-1])
                else:
                    unknown = True  # another column or a variable: possibly an adaptive threshold
            elif sub_kind == "ParamRef":
                unknown = True
            elif is_time_call(sub_kind, sub):
                clocks += 1
            elif sub_kind == "A_Const":
                constants += 1
        if columns and clocks and constants and not unknown:
            yield fields, columns[0]


def _hit(unit: Unit, cmp: dict) -> SqlHit:
    start, end = unit.span({"A_Expr": cmp})
    return SqlHit(META, start, end)


def _statement_hit(unit: Unit, cmp: dict) -> SqlHit:
    """The UPDATE/DELETE that declares nodes dead, from its first line through the fixed
    threshold: the statement is the decision, the comparison is what to change (ARM202 and
    ARM403 also report whole statements from their first line)."""
    _, end = unit.span({"A_Expr": cmp})
    return SqlHit(META, unit.start, end)
