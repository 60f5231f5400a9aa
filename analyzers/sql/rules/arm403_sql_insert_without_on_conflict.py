"""ARM403: an INSERT of something that arrives again on retries (an external/event id, or a
payments/webhook/event/inbox/processed table) with no ON CONFLICT."""
from __future__ import annotations

from collections.abc import Iterator

from ...catalog import Example, RuleMeta, Text, register
from ..facts import table_of
from ..hits import SqlHit
from ..names import EXTERNAL_KEY, INBOX_TABLE, NOT_INBOX_TABLE
from ..rule import sql_rule
from ..scope import Scope, Unit
from ..tree import typed, walk

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
            "audit rows, test fixtures, admin forms). In Python, ORM creates count only in a handler, consumer or "
            "task, and not when guarded by `get_or_create`, `except IntegrityError` or an existence check.",
            pt_BR="INSERT ... ON CONFLICT e inserts comuns de CRUD sem contexto de entrega ou retentativa (seeds, "
            "linhas de auditoria de trigger, fixtures de teste, formulários de admin). Em Python, creates de ORM só "
            "contam em handler, consumidor ou task, e não quando protegidos por `get_or_create`, "
            "`except IntegrityError` ou checagem de existência.",
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
                "-- seed\n"
                "insert into public.payment_methods (code, label) values ('pix', 'Pix'), ('card', 'Cartão');\n"
            ),
        ),
    )
)


@sql_rule(META)
def check(scope: Scope) -> Iterator[SqlHit]:
    if scope.trigger:
        return  # a trigger's insert follows its row's transaction; it is not a delivery
    for unit in scope.units:
        if unit.role not in ("stmt",):
            continue
        for kind, fields in unit.nodes:
            if kind != "InsertStmt" or fields.get("onConflictClause"):
                continue
            if _keyed_by_delivery(fields) and not _guarded(fields) and not _migration_data(scope, fields):
                yield SqlHit(META, unit.start, _line_end(unit))


def _keyed_by_delivery(fields: dict) -> bool:
    table = table_of(fields.get("relation"))
    if INBOX_TABLE.search(table) and not NOT_INBOX_TABLE.search(table):
        return True
    columns = [typed(c)[1].get("name", "").lower() for c in fields.get("cols") or ()]
    return any(EXTERNAL_KEY.match(column) for column in columns)


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
