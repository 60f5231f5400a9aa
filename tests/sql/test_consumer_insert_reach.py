"""What reaches ARM403: a consumer's insert into an ordinary table, keyed by a field of the delivered
message, is analysed whatever the table is called; SQL inside one-shot scripts (migrations,
backfills) is not where a redelivery repeats an insert."""
from __future__ import annotations

from analyzers import Settings, analyze

ARM403 = Settings(select=frozenset({"ARM403"}))


def found(path: str, text: str) -> list[tuple[str, int]]:
    report = analyze(path, text, ARM403)
    assert report.notes == [], report.notes
    return [(f.rule, f.line) for f in report.findings]


CONSUMER = """create or replace function shop.handle_order_message(p_message jsonb)
returns void language plpgsql as $$
begin
  insert into shop.orders (id, customer_id, total_cents)
  values ((p_message->>'order_id')::uuid, (p_message->>'customer_id')::uuid, (p_message->>'total')::int);
end $$;
"""

CRUD = """create or replace function shop.create_order(p_customer uuid, p_total int)
returns uuid language plpgsql as $$
declare v_id uuid := gen_random_uuid();
begin
  insert into shop.orders (id, customer_id, total_cents) values (v_id, p_customer, p_total);
  return v_id;
end $$;
"""


def test_consumer_insert_into_an_ordinary_table_is_analysed():
    assert found("db/consumers.sql", CONSUMER) == [("ARM403", 4)]


def test_crud_insert_with_a_minted_key_stays_quiet():
    assert found("db/orders.sql", CRUD) == []


HANDLER_SCRIPT = '''\
def handle_stripe_event(cursor, event):
    cursor.execute(
        "insert into stripe_events (event_id, kind) values (%s, %s)",
        (event["id"], event["type"]),
    )
'''


def test_embedded_insert_in_a_handler_is_flagged():
    assert found("billing/webhooks.py", HANDLER_SCRIPT) == [("ARM403", 3)]


def test_embedded_insert_in_a_backfill_or_migration_script_is_not():
    assert found("scripts/backfill_stripe_events.py", HANDLER_SCRIPT) == []
    assert found("billing/migrations/0042_copy_events.py", HANDLER_SCRIPT) == []
