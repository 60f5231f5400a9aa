"""ARM102: clock_timestamp() written into an event-time column that rows are ordered by."""
from __future__ import annotations

import re
from collections.abc import Iterator

from ...catalog import Example, RuleMeta, Text, register
from ..facts import writes
from ..hits import SqlHit
from ..names import EVENT_COLUMN, EVENT_TABLE, TIMESTAMP_COLUMN
from ..rule import sql_rule
from ..scope import Scope
from ..wallclock import WallSources, call_span, is_expiry_column, order_keys

META = register(
    RuleMeta(
        id="ARM102",
        slug="sql-wall-clock-ordering",
        family="wall-clock",
        language="sql",
        section_key="wall-clock-ordering",
        message=Text(
            en="clock_timestamp() stamps an event-time column used for ordering; order by a sequence/identity column instead.",
            pt_BR="clock_timestamp() carimba uma coluna de tempo de evento usada para ordenar; ordene por uma sequence/identity.",
        ),
        why=Text(
            en="Rows written by different sessions and nodes each read their own real-time clock; skew and NTP "
            "corrections reorder them, so 'latest first' lists and replays show effects before causes.",
            pt_BR="Linhas gravadas por sessões e nós diferentes leem cada uma o próprio relógio de tempo real; skew e "
            "correções de NTP as reordenam, e listas 'mais recentes primeiro' ou replays mostram efeitos antes das causas.",
        ),
        use_instead=Text(
            en="A bigint identity/sequence column (`event_seq bigint generated always as identity`) as the ordering key; keep now() for display.",
            pt_BR="Uma coluna bigint identity/sequence (`event_seq bigint generated always as identity`) como chave de ordem; now() só para exibir.",
        ),
        when_fine=Text(
            en="`created_at default now()` and timestamps nobody orders by.",
            pt_BR="`created_at default now()` e carimbos de tempo pelos quais ninguém ordena.",
        ),
        bad=(
            Example(
                "insert into public.events (kind, payload, occurred_at)\n"
                "values ('user_action', $1, clock_timestamp());\n"
                "\n"
                "create view public.recent_events as\n"
                "select * from public.events order by occurred_at desc limit 100;\n",
                lines=(2,),
            ),
            Example(
                "create table public.audit_events (\n"
                "  id uuid primary key default gen_random_uuid(),\n"
                "  action text not null,\n"
                "  recorded_at timestamptz not null default clock_timestamp()\n"
                ");\n",
                lines=(4,),
            ),
        ),
        good=(
            Example(
                "create table public.events (\n"
                "  event_seq bigint generated always as identity primary key,\n"
                "  kind text not null,\n"
                "  created_at timestamptz not null default now()\n"
                ");\n"
                "select * from public.events order by event_seq desc limit 100;\n"
            ),
            Example(
                "create or replace function public.touch_profile() returns trigger\n"
                "language plpgsql as $$\n"
                "begin\n"
                "  new.last_edit_ms := extract(epoch from clock_timestamp() - now()) * 1000;\n"
                "  return new;\n"
                "end $$;\n"
            ),
        ),
    )
)


_GATE = re.compile(r"clock_timestamp|timeofday", re.I)
# ORMs that quote camelCase names (Prisma: "createdAt") lose the underscore the shared
# vocabulary expects once lowercased.
_CAMEL_STAMP = re.compile(r"(?:ed|ion|ent)at$")
# Tables that keep a history readers replay in time order: run status and job logs, state
# transitions, attempts.
_HISTORY_TABLE = re.compile(
    r"(?:^|_)(?:logs?|history|histories|transitions|state_changes|status_changes|statuses|audit|audits|attempts|"
    r"runs?_status|step_states|task_states)$|(?:^|_)(?:event|events)(?:_|$)|log$"
)


def _is_stamp(column: str) -> bool:
    return bool(TIMESTAMP_COLUMN.search(column) or _CAMEL_STAMP.search(column))


@sql_rule(META)
def check(scope: Scope) -> Iterator[SqlHit]:
    if not scope.mentions(_GATE):
        return
    sources = WallSources(scope)
    ordered = scope.facts.ordered_columns | order_keys(scope.facts.text)
    for unit in scope.units:
        if unit.role == "log":
            continue
        for write in writes(unit):
            column = write.column
            if is_expiry_column(column) or (write.how == "assign" and unit.target in scope.variables):
                continue
            event_time = EVENT_COLUMN.search(column) or (
                _is_stamp(column)
                and (EVENT_TABLE.search(write.table) or _HISTORY_TABLE.search(write.table) or column in ordered)
            )
            if not event_time:
                continue
            for source_unit, call in sources.in_value(unit, write.value):
                start, end, _ = call_span(source_unit, call)
                yield SqlHit(META, start, end)
