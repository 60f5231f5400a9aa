"""ARM403 on SQL as repositories write it: consumer routines and named queries that insert what
a message or a provider delivered (flagged), and the shapes that only look alike: keys minted in
the statement or the routine, INSERT ... SELECT copies, DO-block backfills, logs of attempts, the
CRUD of a webhook's configuration (never flagged). Expected findings carry their confidence."""
from __future__ import annotations

from analyzers import Settings, analyze

ARM403 = Settings(select=frozenset({"ARM403"}))


def found(sql: str, path: str = "db/functions.sql") -> list[tuple[str, int, str]]:
    report = analyze(path, sql, ARM403)
    assert report.notes == [], report.notes
    return [(f.rule, f.line, f.confidence) for f in report.findings]


# --------------------------------------------------------------------------------------------
# flagged


def test_consumer_routine_inserting_what_the_message_carries():
    sql = """create or replace function app.handle_payment_message(p_message_id bigint, p_message jsonb)
returns void language plpgsql as $$
begin
  insert into app.payment_confirmations (id, order_id, amount_cents)
  values ((p_message->>'confirmation_id')::uuid, (p_message->>'order_id')::uuid, (p_message->>'amount')::int);

  insert into app.payment_notes (payment_id, note)
  values ((p_message->>'payment_id')::uuid, 'confirmed');

  insert into app.processed_messages (message_id) values (p_message_id);

  perform pgmq.archive('payments', p_message_id);
end $$;
"""
    assert found(sql) == [("ARM403", 4, "high"), ("ARM403", 7, "medium"), ("ARM403", 10, "high")]


def test_named_queries_keyed_by_a_provider_id():
    sql = """-- name: RecordStripeEvent :exec
INSERT INTO billing.stripe_events (stripe_event_id, type, payload)
VALUES (@stripe_event_id, @type, @payload);

-- name: CreateTaskEvent :exec
INSERT INTO task_events_olap (tenant_id, external_id, event_type, payload)
VALUES (@tenant_id, @external_id, @event_type, @payload);
"""
    # a CRUD-named query keyed by an external id says less: reported for review, not inline
    assert found(sql, "internal/db/queries/events.sql") == [("ARM403", 2, "high"), ("ARM403", 6, "medium")]


def test_batch_of_delivered_events_unpacked_from_a_parameter_is_not_a_copy():
    sql = """create or replace function app.ingest_webhook_batch(p_events jsonb) returns void
language sql as $$
  insert into app.webhook_events (event_id, payload)
  select e->>'id', e from jsonb_array_elements(p_events) as e;
$$;
"""
    assert found(sql) == [("ARM403", 3, "high")]


# --------------------------------------------------------------------------------------------
# never flagged


def test_keys_minted_in_the_statement_or_the_routine():
    sql = """create or replace function app.publish_event(payload jsonb, event text) returns void
language plpgsql as $$
declare
  generated_id uuid;
begin
  generated_id := gen_random_uuid();
  insert into app.outgoing_events (id, payload, event) values (generated_id, payload, event);
  insert into app.event_copies (id, payload) values (gen_random_uuid(), payload);
  insert into app.payment_events (event_id, kind) values (nextval('app.event_seq'), event);
end $$;
"""
    assert found(sql) == []


def test_insert_select_copies_between_tables():
    sql = """create or replace function app.start_ready_steps(p_run_id uuid) returns void
language sql as $$
  with started as (
    update app.step_states set status = 'started' where run_id = p_run_id and status = 'created'
    returning run_id, step_slug
  ),
  sent as (
    select s.run_id, s.step_slug, pgmq.send('steps', jsonb_build_object('run', s.run_id)) as msg_id
    from started s
  )
  insert into app.step_tasks (run_id, step_slug, message_id)
  select sent.run_id, sent.step_slug, sent.msg_id from sent;
$$;

create or replace function app.swap_events_partition(snapshot_xmin bigint) returns void
language plpgsql as $$
begin
  insert into app.events_new (tenant_id, external_id, payload)
  select tenant_id, external_id, payload from app.events where xmin::text::bigint < snapshot_xmin;
end $$;
"""
    assert found(sql) == []


def test_do_block_backfill_and_migration_data():
    sql = """do $$
declare
  r record;
begin
  for r in select id, provider_ref from legacy.charges loop
    insert into app.payments (provider_payment_id, legacy_id) values (r.provider_ref, r.id);
  end loop;
end $$;

insert into app.webhook_events (event_id, payload) values ('evt_seed', '{}');
"""
    assert found(sql, "db/migrations/20240601_port_legacy_charges.sql") == []


def test_logs_of_attempts_and_webhook_configuration_crud():
    sql = """create or replace function app.handle_delivery_attempt(p_delivery_id text, p_status int) returns void
language plpgsql as $$
begin
  insert into app.webhook_delivery_attempts (delivery_id, status) values (p_delivery_id, p_status);
  insert into app.consumer_log (message_id, note) values (p_delivery_id, 'tried');
end $$;

-- name: CreateWebhook :one
INSERT INTO v1_incoming_webhook (tenant_id, name, source_name, signing_secret)
VALUES (@tenant_id, @name, @source_name, @signing_secret)
RETURNING *;
"""
    assert found(sql) == []
