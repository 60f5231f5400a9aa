"""ARM403: an INSERT of something that arrives again on retries (an external/event id, or a
payments/webhook/event/inbox/processed table) with no ON CONFLICT.

Flagged only when a retry or redelivery would insert the same fact twice: the row's key comes
from the caller or the delivered message, in a routine or query that receives deliveries or into
an inbox table. Quiet: keys minted by the statement, INSERT ... SELECT copies, DO blocks and
migration data, logs of attempts, trigger rows (see _delivered_inserts.py)."""
from __future__ import annotations

import re
from collections.abc import Iterator

from ...catalog import Example, RuleMeta, Text, register
from ..fixes import on_conflict_fix
from ..hits import SqlHit
from ..names import NOT_INBOX_TABLE
from ..rule import sql_rule
from ..scope import Scope, Unit
from ..tree import typed, walk
from ._delivered_inserts import (
    DELIVERY_PARAM,
    KEYISH,
    LOG_TABLE,
    STRONG_INBOX,
    WEAK_INBOX,
    column_values,
    delivery_routine,
    external_keys,
    is_copy,
    minted_key,
    minted_variables,
    origin,
    query_name_before,
    routine_around,
    routine_start,
    table_name,
)

META = register(
    RuleMeta(
        id="ARM403",
        slug="sql-insert-without-on-conflict",
        family="non-idempotent",
        language="sql",
        section_key="non-idempotent",
        message=Text(
            en="This insert records something that is delivered again on retries but has no ON CONFLICT; add a unique key and `on conflict (...) do nothing`.",
            pt_BR="Este insert grava algo que chega de novo em retentativas e não tem ON CONFLICT; crie uma chave única e use `on conflict (...) do nothing`.",
        ),
        why=Text(
            en="Webhooks, queues and payment providers deliver at least once: the same event comes back after a "
            "timeout or a crash. A plain INSERT either records it twice (double credit, double email) or fails the "
            "retry with a unique violation that the provider keeps redelivering.",
            pt_BR="Webhooks, filas e provedores de pagamento entregam pelo menos uma vez: o mesmo evento volta após "
            "um timeout ou uma queda. Um INSERT simples grava duas vezes (crédito duplo, e-mail duplo) ou falha a "
            "retentativa com violação de unicidade que o provedor continua reenviando.",
        ),
        use_instead=Text(
            en="A unique constraint on the external id and `insert ... on conflict (event_id) do nothing` (check "
            "the row count to skip work already done). With an ORM: Django's `get_or_create(external_id=...)` or "
            "`bulk_create(..., ignore_conflicts=True)`, SQLAlchemy's `insert(...).on_conflict_do_nothing()`.",
            pt_BR="Uma constraint única no id externo e `insert ... on conflict (event_id) do nothing` (confira o "
            "número de linhas para pular trabalho já feito). Com ORM: `get_or_create(external_id=...)` ou "
            "`bulk_create(..., ignore_conflicts=True)` no Django, `insert(...).on_conflict_do_nothing()` no SQLAlchemy.",
        ),
        when_fine=Text(
            en="INSERT ... ON CONFLICT, and ordinary CRUD inserts with no delivery or retry context (seeds, trigger "
            "audit rows, test fixtures, admin forms). Rows whose key is minted in the statement or routine "
            "(`gen_random_uuid()`, `nextval`), `INSERT ... SELECT` copies between tables, DO blocks, migrations, "
            "backfill and port scripts, and logs of attempts (`*_attempts`, `*_log`, `*_history`). In Python, ORM "
            "creates count only in a handler, consumer or task, and not when guarded by `get_or_create`, "
            "`except IntegrityError` or an existence check.",
            pt_BR="INSERT ... ON CONFLICT e inserts comuns de CRUD sem contexto de entrega ou retentativa (seeds, "
            "linhas de auditoria de trigger, fixtures de teste, formulários de admin). Linhas cuja chave nasce no "
            "próprio comando ou rotina (`gen_random_uuid()`, `nextval`), cópias `INSERT ... SELECT` entre tabelas, "
            "blocos DO, migrations, scripts de backfill e de port, e logs de tentativas (`*_attempts`, `*_log`, "
            "`*_history`). Em Python, creates de ORM só "
            "contam em handler, consumidor ou task, e não quando protegidos por `get_or_create`, "
            "`except IntegrityError` ou checagem de existência.",
        ),
        fixable=True,
        unsafe_fixes=True,
        fix_doc=Text(
            en="When the key column is known, the fix adds `on conflict (key) do nothing` (before `RETURNING` if "
            "there is one), in SQL files, PL/pgSQL bodies and SQL strings in Python. Safe when the same file "
            "declares a unique key on that column (CREATE TABLE, ALTER TABLE ... ADD, a unique index without WHERE), "
            "the insert returns nothing and no later statement of its routine runs after it. Unsafe otherwise: "
            "without the unique key the statement fails at run time, a RETURNING yields no row on a duplicate, and "
            "a routine's later statements would now run again on a retry; skip them when no row was inserted.",
            pt_BR="Quando a coluna-chave é conhecida, a correção adiciona `on conflict (chave) do nothing` (antes do "
            "`RETURNING`, se houver), em arquivos SQL, corpos PL/pgSQL e SQL em strings Python. Segura quando o "
            "mesmo arquivo declara chave única nessa coluna (CREATE TABLE, ALTER TABLE ... ADD, índice único sem "
            "WHERE), o insert não devolve nada e nenhum comando posterior da rotina roda depois dele. Insegura nos "
            "demais casos: sem a chave única o comando falha em execução, um RETURNING não devolve linha numa "
            "duplicata, e os comandos seguintes da rotina passariam a rodar de novo num retry; pule-os quando "
            "nenhuma linha for inserida.",
        ),
        bad=(
            Example(
                "create or replace function public.record_stripe_event(p_event jsonb) returns void\n"
                "language plpgsql as $$\n"
                "begin\n"
                "  insert into public.payments (stripe_payment_intent_id, amount_cents, status)\n"
                "  values (p_event->>'id', (p_event->>'amount')::int, 'paid');\n"
                "end $$;\n",
                lines=(4,),
            ),
            Example(
                "insert into public.webhook_events (event_id, provider, payload)\n"
                "values ($1, 'mercadopago', $2);\n",
                lines=(1,),
            ),
            Example(
                "import json\n"
                "\n"
                "from django.http import HttpResponse\n"
                "\n"
                "from .models import ProviderEvent\n"
                "\n"
                "\n"
                "def stripe_webhook(request):\n"
                "    event = json.loads(request.body)\n"
                "    ProviderEvent.objects.create(external_id=event[\"id\"], payload=event)\n"
                "    return HttpResponse(status=200)\n",
                lines=(10,),
                language="python",
                path="shop/webhooks.py",
            ),
        ),
        good=(
            Example(
                "insert into public.webhook_events (event_id, provider, payload)\n"
                "values ($1, 'mercadopago', $2)\n"
                "on conflict (event_id) do nothing;\n"
            ),
            Example(
                "insert into public.profiles (id, display_name)\n"
                "values ($1, $2);\n"
            ),
        ),
        extra_good=(
            Example(
                "from django.http import HttpResponse\n"
                "\n"
                "from .models import ProviderEvent\n"
                "\n"
                "\n"
                "def stripe_webhook(request):\n"
                "    event = json.loads(request.body)\n"
                "    ProviderEvent.objects.get_or_create(external_id=event[\"id\"], defaults={\"payload\": event})\n"
                "    return HttpResponse(status=200)\n",
                language="python",
                path="shop/webhooks.py",
            ),
            Example(
                "create or replace function public.handle_order_paid(p_payload jsonb) returns void\n"
                "language plpgsql as $$\n"
                "begin\n"
                "  insert into public.payment_events (id, kind, payload) values (gen_random_uuid(), 'paid', p_payload);\n"
                "  insert into public.payments_archive (provider_payment_id, cents)\n"
                "  select provider_payment_id, cents from public.payments where paid_at < now() - interval '1 year';\n"
                "end $$;\n"
            ),
            Example(
                "-- seed\n"
                "insert into public.payment_methods (code, label) values ('pix', 'Pix'), ('card', 'Cartão');\n"
            ),
        ),
    )
)


@sql_rule(META)
def check(scope: Scope) -> Iterator[SqlHit]:
    # A trigger's insert follows its row's transaction, and a DO block runs once (a migration
    # or maintenance script): neither is where a delivery arrives again.
    if scope.trigger or scope.kind == "do":
        return
    for unit in scope.units:
        if unit.role not in ("stmt",):
            continue
        for kind, fields in unit.nodes:
            if kind != "InsertStmt" or fields.get("onConflictClause"):
                continue
            if _guarded(fields) or is_copy(fields) or _migration_data(scope, fields):
                continue
            verdict = _verdict(scope, unit, fields)
            if verdict is not None:
                confidence, column = verdict
                fix = on_conflict_fix(scope, unit, fields, table_name(fields), column) if column else None
                yield SqlHit(META, unit.start, _line_end(unit), _message(scope, fields, column), fix, confidence)


def _verdict(scope: Scope, unit: Unit, fields: dict) -> tuple[str, str | None] | None:
    """(confidence, key column) when a retry of this INSERT would record the same fact twice."""
    table = table_name(fields)
    if LOG_TABLE.search(table):
        return None
    pairs = column_values(fields)
    minted = _minted_here(scope, unit)
    keys = external_keys(pairs, minted)
    delivered = [column for column, where in keys if where == "caller"]
    context = _delivery_context(scope, unit)
    usable = not NOT_INBOX_TABLE.search(table)
    strong = usable and bool(STRONG_INBOX.search(table))
    weak = usable and bool(WEAK_INBOX.search(table))
    if delivered:
        return ("high" if strong or weak or context else "medium"), delivered[0]
    if keys or minted_key(pairs, minted):
        return None  # the key is minted here or constant: ON CONFLICT could never match
    from_caller = [column for column, value in pairs if origin(value, minted) == "caller"]
    if not from_caller:
        return None
    if strong or (weak and context):
        return "high", None
    if context and scope.routine:
        # a consumer routine keyed by what the message carries (`id`, `msg_id`, `order_id`)
        keyed = [column for column in from_caller if KEYISH.match(column)]
        if keyed:
            own = [c for c in keyed if c in ("id", "uuid") or _MESSAGE_KEY.match(c)]
            return ("high", own[0]) if own else ("medium", keyed[0])
    return None


_MESSAGE_KEY = re.compile(r"^(?:msg|message|event|delivery|webhook|notification)_?(?:id|key|uuid)$")


def _minted_here(scope: Scope, unit: Unit) -> frozenset[str]:
    """Variables of the enclosing routine that hold an id minted before this statement."""
    if not scope.routine:
        return frozenset()
    text = scope.facts.text
    return minted_variables(text, routine_start(text, unit.start), unit.start)


def _delivery_context(scope: Scope, unit: Unit) -> bool | None:
    """Whether deliveries arrive where this statement runs: the routine's name or parameters,
    or the name of a sqlc/aiosql query. Embedded SQL is judged by the Python function that runs
    it (analyzers/sql/embedded.py), so it counts as a delivery context here. None: nothing tells."""
    if scope.facts.embedded:
        return True
    text = scope.facts.text
    if scope.routine:
        routine = routine_around(text, unit.start)
        if routine is None:
            return bool(set(scope.variables) and any(DELIVERY_PARAM.match(v) for v in scope.variables)) or None
        name, params = routine
        return delivery_routine(name, params + sorted(scope.variables))
    name = query_name_before(text, unit.start)
    return None if name is None else delivery_routine(name, [])


def _message(scope: Scope, fields: dict, column: str | None) -> str | None:
    table = table_name(fields)
    if not table:
        return None
    if column:
        return (
            f"This insert into `{table}` keys its row by `{column}`, which arrives again when the delivery is "
            f"retried, and has no ON CONFLICT: the retry records it twice or fails on the unique key. Add a unique "
            f"key on `{column}` and `on conflict ({column}) do nothing`, skipping the work when no row was inserted."
        )
    return None


def _guarded(fields: dict) -> bool:
    """INSERT ... SELECT ... WHERE NOT EXISTS (...): the author already skips duplicates."""
    for kind, sub in walk(fields.get("selectStmt")):
        if kind == "SubLink" and sub.get("subLinkType") == "EXISTS_SUBLINK":
            return True
    return False


def _migration_data(scope: Scope, fields: dict) -> bool:
    """Top-level statements of a migration file: constant seeds and INSERT ... SELECT backfills."""
    if scope.kind != "file" or scope.facts.embedded:
        return False
    _, select = typed(fields.get("selectStmt"))
    if not select:
        return True
    if select.get("valuesLists"):
        return not any(kind in ("ParamRef", "ColumnRef", "FuncCall") for kind, _ in walk(select["valuesLists"]))
    return True


def _line_end(unit: Unit) -> int:
    text = unit.snippet.text
    newline = text.find("\n")
    end = len(text) if newline < 0 else newline
    return unit.snippet.offset(max(end - 1, 0)) + 1
