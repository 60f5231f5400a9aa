"""ARM403's fix: `on conflict (key) do nothing` before any RETURNING, in SQL files, PL/pgSQL
bodies and SQL strings in Python; safe only with a visible unique key and nothing that would now
behave differently. Exact edits and the fixed text analysed again."""
from __future__ import annotations

from analyzers import Edit, Settings, analyze, apply_edits

ARM403 = Settings(select=frozenset({"ARM403"}))

TABLE = """\
create table public.webhook_events (
  id bigserial primary key,
  event_id text not null unique,
  provider text,
  payload jsonb
);
"""
INSERT = "insert into public.webhook_events (event_id, provider, payload)\nvalues ($1, 'mercadopago', $2)"


def findings(path: str, text: str):
    report = analyze(path, text, ARM403)
    assert report.notes == []
    return report.findings


def test_a_visible_unique_key_makes_the_fix_safe_and_the_insert_reanalyses_clean():
    text = TABLE + INSERT + ";\n"
    [finding] = findings("db/queries.sql", text)
    end = text.index(";\n", len(TABLE))
    assert finding.line == 7
    assert finding.fix.applicability == "safe"
    assert finding.fix.edits == (Edit(end, end, " on conflict (event_id) do nothing"),)
    fixed = apply_edits(text, finding.fix.edits)
    assert fixed.endswith("values ($1, 'mercadopago', $2) on conflict (event_id) do nothing;\n")
    assert findings("db/queries.sql", fixed) == []


def test_without_a_unique_key_in_the_file_the_fix_is_unsafe():
    text = INSERT + ";\n"
    [finding] = findings("db/queries.sql", text)
    assert finding.fix.applicability == "unsafe"  # ON CONFLICT (event_id) fails without a unique index
    assert finding.fix.edits == (Edit(len(INSERT), len(INSERT), " on conflict (event_id) do nothing"),)
    assert findings("db/queries.sql", apply_edits(text, finding.fix.edits)) == []


def test_a_partial_unique_index_does_not_count():
    text = ("create unique index webhook_events_event on public.webhook_events (event_id) where provider = 'x';\n"
            + INSERT + ";\n")
    [finding] = findings("db/queries.sql", text)
    assert finding.fix.applicability == "unsafe"
    text = "create unique index if not exists webhook_events_event on public.webhook_events (event_id);\n" + INSERT + ";\n"
    [finding] = findings("db/queries.sql", text)
    assert finding.fix.applicability == "safe"


def test_the_clause_goes_before_returning_and_returning_makes_it_unsafe():
    text = TABLE + INSERT + " returning id;\n"
    [finding] = findings("db/queries.sql", text)
    returning = text.index("returning id")
    assert finding.fix.applicability == "unsafe"  # a duplicate now returns no row instead of failing
    assert finding.fix.edits == (Edit(returning, returning, "on conflict (event_id) do nothing "),)
    fixed = apply_edits(text, finding.fix.edits)
    assert "values ($1, 'mercadopago', $2) on conflict (event_id) do nothing returning id;\n" in fixed
    assert findings("db/queries.sql", fixed) == []


ROUTINE = """\
create table public.payments (stripe_payment_intent_id text primary key, amount_cents int, status text);

create or replace function public.record_stripe_event(p_event jsonb) returns void
language plpgsql as $$
begin
  insert into public.payments (stripe_payment_intent_id, amount_cents, status)
  values (p_event->>'id', (p_event->>'amount')::int, 'paid');
end $$;
"""


def test_plpgsql_body_last_statement_is_safe_and_a_later_statement_makes_it_unsafe():
    [finding] = findings("db/functions.sql", ROUTINE)
    end = ROUTINE.index("'paid');") + len("'paid')")
    assert finding.line == 6
    assert finding.fix.applicability == "safe"
    assert finding.fix.edits == (Edit(end, end, " on conflict (stripe_payment_intent_id) do nothing"),)
    assert findings("db/functions.sql", apply_edits(ROUTINE, finding.fix.edits)) == []
    credited = ROUTINE.replace(
        "'paid');\n", "'paid');\n  update public.balances set cents = cents + (p_event->>'amount')::int;\n")
    [finding] = findings("db/functions.sql", credited)
    assert finding.fix.applicability == "unsafe"  # the retry would now credit the balance again


def test_sql_in_a_python_string_is_fixed_inside_the_literal():
    text = (
        "def handle_webhook(conn, event):\n"
        "    conn.execute(\"insert into webhook_events (event_id, payload) values (%s, %s)\", (event['id'], event))\n"
    )
    [finding] = findings("app/hooks.py", text)
    end = text.index('%s)"') + len("%s)")
    assert (finding.line, finding.fix.applicability) == (2, "unsafe")
    assert finding.fix.edits == (Edit(end, end, " on conflict (event_id) do nothing"),)
    fixed = apply_edits(text, finding.fix.edits)
    assert 'values (%s, %s) on conflict (event_id) do nothing", (event' in fixed
    assert findings("app/hooks.py", fixed) == []


def test_no_fix_when_the_key_column_is_not_known():
    text = ("create or replace function public.on_event(p_payload jsonb) returns void language plpgsql as $$\n"
            "begin\n  insert into public.inbox_messages (payload, kind) values (p_payload, p_payload->>'kind');\nend $$;\n")
    found = findings("db/inbox.sql", text)
    assert [f.line for f in found] == [3]
    assert found[0].fix is None
