"""ARM202, ARM302 and ARM403: flag and never-flag cases from RULES.md in realistic SQL."""
from __future__ import annotations

from analyzers import Settings, analyze

PATH = "supabase/migrations/20240301120000_workers.sql"


def found(sql: str, *rules: str) -> list[tuple[str, int]]:
    report = analyze(PATH, sql, Settings(select=frozenset(rules) if rules else None))
    assert report.notes == [], report.notes
    return [(f.rule, f.line) for f in report.findings]


# --- ARM202 -------------------------------------------------------------------------------


def test_session_advisory_lock_at_top_level_guarding_writes():
    sql = """select pg_advisory_lock(4242);
update public.accounts set balance = balance - 100 where id = 'a';
update public.accounts set balance = balance + 100 where id = 'b';
select pg_advisory_unlock(4242);
"""
    assert found(sql, "ARM202") == [("ARM202", 1)]


def test_lease_row_then_unfenced_writes_in_procedure():
    sql = """create or replace procedure public.rollup_metrics(p_worker text)
language plpgsql as $$
declare
  v_now timestamptz := now();
begin
  insert into public.leases as l (name, holder, expires_at)
  values ('metrics', p_worker, now() + interval '1 minute')
  on conflict (name) do update
     set holder = excluded.holder, expires_at = excluded.expires_at
   where l.expires_at < now();
  if not found then
    return;
  end if;
  insert into public.metrics_hourly (hour, hits)
  select date_trunc('hour', v_now), count(*) from public.hits where at > v_now - interval '1 hour';
  update public.leases set expires_at = now() + interval '1 minute' where name = 'metrics' and holder = p_worker;
end $$;
"""
    assert found(sql, "ARM202") == [("ARM202", 6)]


def test_lease_with_fenced_writes_and_canonical_pattern_are_fine():
    sql = """create or replace function public.publish(p_worker text, p_doc uuid, p_body text) returns boolean
language plpgsql as $$
declare
  v_token bigint;
begin
  update public.leases
     set holder = p_worker, expires_at = now() + interval '30 seconds',
         fencing_token = nextval('fencing_tokens_seq')
   where name = 'publisher' and (expires_at < now() or holder = p_worker)
  returning fencing_token into v_token;
  if v_token is null then
    return false;
  end if;
  update public.documents set body = p_body, last_token = v_token
   where id = p_doc and last_token < v_token;
  return found;
end $$;

begin;
select pg_advisory_xact_lock(hashtext('resource:42'));
select nextval('fencing_tokens_seq') as token;
update public.locked_resource set value = 'x', last_token = 17, updated_at = now()
 where id = '0b6c7c57-3f8e-4d5c-9d1b-6f1f0e7b8a11' and last_token < 17;
commit;
"""
    assert found(sql, "ARM202") == []


def test_xact_lock_self_fencing_and_lock_helpers_without_writes_are_fine():
    sql = """create or replace function public.transfer(p_from uuid, p_to uuid, p_cents bigint) returns void
language plpgsql as $$
begin
  perform pg_advisory_xact_lock(hashtext('wallet:' || least(p_from, p_to)::text));
  update public.wallets set cents = cents - p_cents where id = p_from;
  update public.wallets set cents = cents + p_cents where id = p_to;
end $$;

create or replace function public.try_lock(p_key bigint) returns boolean
language sql as $$ select pg_try_advisory_lock(p_key) $$;
"""
    assert found(sql, "ARM202") == []


def test_session_lock_inside_language_sql_and_cron():
    sql = """select cron.schedule('rebuild-search', '0 * * * *', $cmd$
  select pg_advisory_lock(77);
  delete from public.search_index;
  insert into public.search_index select id, to_tsvector(body) from public.posts;
  select pg_advisory_unlock(77);
$cmd$);
"""
    assert found(sql, "ARM202") == [("ARM202", 2)]


# --- ARM302 -------------------------------------------------------------------------------


def test_fixed_heartbeat_timeouts_flagged():
    sql = """delete from workers where last_heartbeat < now() - interval '30 seconds';

update public.nodes set alive = false
 where now() - last_seen > interval '45 seconds';

create view public.node_status as
select id,
       case when extract(epoch from now() - last_ping_at) > 60 then 'offline' else 'online' end as status
  from public.nodes;

select cron.schedule('reap', '* * * * *', $$update public.consumers set status = 'dead' where heartbeat_at < now() - '2 minutes'::interval$$);
"""
    # UPDATE/DELETE findings start on the statement's first line (the view's CASE on its comparison).
    assert found(sql, "ARM302") == [("ARM302", 1), ("ARM302", 3), ("ARM302", 8), ("ARM302", 11)]


def test_fixed_timeout_in_plpgsql_reaper_loop():
    sql = """create or replace function public.reap_workers() returns integer
language plpgsql as $$
declare
  v_count integer;
begin
  update public.job_runners
     set state = 'lost'
   where last_heartbeat_at < clock_timestamp() - interval '90 seconds';
  get diagnostics v_count = row_count;
  return v_count;
end $$;
"""
    assert found(sql, "ARM302") == [("ARM302", 6)]  # the UPDATE's first line


def test_adaptive_thresholds_parameters_and_ttl_cleanups_are_fine():
    sql = """update public.instance_heartbeats
   set status = 'suspected_dead'
 where extract(epoch from (now() - last_seen)) * 1000 >= 3 * rtt_p99_ms;

delete from public.sessions where last_seen < now() - interval '30 days';

delete from public.cache_entries where created_at < now() - interval '1 hour';
"""
    # A `$1` window and a bare SELECT of silent workers are detectors since RULES.md's real-code
    # forms (tests/sql/test_realcode_sql_locks_timeouts.py).
    assert found(sql, "ARM302") == []


# --- ARM403 -------------------------------------------------------------------------------


def test_webhook_and_payment_inserts_without_on_conflict():
    sql = """create or replace function public.handle_asaas_webhook(p_payload jsonb) returns void
language plpgsql security definer as $$
begin
  insert into public.processed_webhooks (provider, payload)
  values ('asaas', p_payload);
  insert into public.ledger_entries (account_id, external_id, cents)
  values ((p_payload->>'account')::uuid, p_payload->>'id', (p_payload->>'value')::bigint);
end $$;

create or replace function public.enqueue_email(p_message_id text, p_to text) returns void
language sql as $$
  insert into public.email_inbox (message_id, recipient) values (p_message_id, p_to)
$$;
"""
    assert found(sql, "ARM403") == [("ARM403", 4), ("ARM403", 6), ("ARM403", 12)]


def test_on_conflict_crud_seeds_backfills_and_triggers_are_fine():
    sql = """insert into public.payments (provider_payment_id, cents) values ($1, $2)
on conflict (provider_payment_id) do nothing;

insert into public.webhook_events (event_id, payload) values ($1, $2)
on conflict (event_id) do update set payload = excluded.payload;

insert into public.todos (user_id, title) values ($1, $2);

insert into public.payment_methods (code) values ('pix'), ('boleto');

insert into public.events_archive select * from public.events where created_at < '2023-01-01';

create or replace function public.audit_payment() returns trigger
language plpgsql as $$
begin
  insert into public.payment_events (payment_id, kind) values (new.id, tg_op);
  return new;
end $$;

create or replace function public.record_event(p_event_id text, p_body jsonb) returns void
language plpgsql as $$
begin
  insert into public.events (event_id, body)
  select p_event_id, p_body
  where not exists (select 1 from public.events where event_id = p_event_id);
end $$;
"""
    assert found(sql, "ARM403") == []


def test_execute_format_insert_into_inbox():
    sql = """create or replace function public.store(p_table text, p_id text) returns void
language plpgsql as $$
begin
  execute format('insert into %I (delivery_id) values (%L)', p_table, p_id);
end $$;
"""
    assert found(sql, "ARM403") == [("ARM403", 4)]


def test_pix_return_recorded_by_a_psp_webhook_function_without_on_conflict():
    sql = """-- Webhook do PSP: devolução liquidada (pode ser reenviado)
create or replace function public.on_pix_devolucao(p_rtr_id text, p_e2e text, p_amount numeric)
returns void language plpgsql as $$
begin
  insert into public.pix_devolucoes (rtr_id, e2e_id, amount)
  values (p_rtr_id, p_e2e, p_amount);
end $$;

create or replace function public.on_pix_recebido(p_e2e text, p_amount numeric)
returns void language plpgsql as $$
begin
  insert into public.pix_recebidos (e2e_id, amount) values (p_e2e, p_amount)
  on conflict (e2e_id) do nothing;
end $$;
"""
    assert found(sql, "ARM403") == [("ARM403", 5)]
