"""ARM101/ARM102 on migrations, PL/pgSQL, DO blocks, LANGUAGE sql, pg_cron and EXECUTE format()."""
from __future__ import annotations

from analyzers import Settings, analyze, apply_edits

PATH = "supabase/migrations/20240101000000_tokens.sql"


def found(sql: str, *rules: str) -> list[tuple[str, int]]:
    report = analyze(PATH, sql, Settings(select=frozenset(rules) if rules else None))
    assert report.notes == [], report.notes
    return [(f.rule, f.line) for f in report.findings]


def test_expiry_written_in_insert_update_and_default():
    sql = """create table public.password_resets (
  id uuid primary key default gen_random_uuid(),
  created_at timestamptz not null default now(),
  valid_until timestamptz not null default clock_timestamp() + interval '1 hour'
);

update public.sessions set expires_at = timeofday()::timestamptz + interval '2 hours' where id = $1;

alter table public.api_keys alter column lease_until set default clock_timestamp();
"""
    assert found(sql, "ARM101") == [("ARM101", 4), ("ARM101", 7), ("ARM101", 9)]


def test_expiry_comparison_in_policy_view_check_and_where():
    sql = """create policy "tokens still valid" on public.api_tokens
  for select using (expires_at > clock_timestamp());

create view public.active_invites as
  select * from public.invites where clock_timestamp() < valid_until;

delete from public.otp_codes where expires_at <= clock_timestamp();
"""
    assert found(sql, "ARM101") == [("ARM101", 2), ("ARM101", 5), ("ARM101", 7)]


def test_now_and_friends_are_never_flagged():
    sql = """insert into public.invites (email, expires_at) values ($1, now() + interval '1 day');
update public.sessions set expires_at = transaction_timestamp() + interval '1 hour';
select * from public.api_tokens where expires_at > current_timestamp;
select statement_timestamp(), clock_timestamp() - statement_timestamp() as elapsed;
"""
    assert found(sql) == []


def test_plpgsql_trigger_assigning_new_expiry_and_record_comparison():
    sql = """create or replace function public.set_invite_expiry() returns trigger
language plpgsql as $$
begin
  new.expires_at := clock_timestamp() + interval '7 days';
  return new;
end;
$$;

create or replace function public.redeem(p_token text) returns boolean
language plpgsql as $$
declare
  v_invite public.invites%rowtype;
begin
  select * into v_invite from public.invites where token = p_token;
  if v_invite.expires_at < clock_timestamp() then
    return false;
  end if;
  update public.invites set redeemed_at = now() where id = v_invite.id;
  return true;
end;
$$;
"""
    assert found(sql, "ARM101") == [("ARM101", 4), ("ARM101", 15)]


def test_variable_from_clock_timestamp_persisted_as_expiry_is_flagged_at_its_source():
    sql = """create or replace function public.issue_token(p_user uuid) returns text
language plpgsql as $$
declare
  v_token text := encode(gen_random_bytes(24), 'hex');
  v_expires timestamptz;
begin
  v_expires := clock_timestamp() + interval '24 hours';
  insert into public.api_tokens (user_id, token, expires_at)
  values (p_user, v_token, v_expires);
  return v_token;
end $$;
"""
    assert found(sql, "ARM101") == [("ARM101", 7)]


def test_polling_deadline_inside_loop_elapsed_time_and_raise_are_fine():
    sql = """create or replace function public.await_lease(p_name text) returns boolean
language plpgsql as $$
declare
  t0 timestamptz := clock_timestamp();
  v_deadline timestamptz := clock_timestamp() + interval '10 seconds';
begin
  loop
    perform 1 from public.leases where name = p_name and expires_at < clock_timestamp();
    if found then
      raise log 'lease % free after %', p_name, clock_timestamp() - t0;
      return true;
    end if;
    exit when clock_timestamp() >= v_deadline;
    perform pg_sleep(0.2);
  end loop;
  raise notice 'gave up waiting: % elapsed', clock_timestamp() - t0;
  return false;
end $$;
"""
    assert found(sql) == []


def test_do_block_language_sql_cron_and_execute_format():
    sql = """do $$
begin
  update public.trials set ends_at = clock_timestamp() + interval '14 days', trial_deadline = clock_timestamp()
  where ends_at is null;
end $$;

create function public.valid_tokens() returns setof public.api_tokens
language sql stable as $fn$
  select * from public.api_tokens where expires_at > clock_timestamp()
$fn$;

select cron.schedule('purge-otp', '*/5 * * * *', $$delete from public.otp_codes where expires_at < clock_timestamp()$$);

create or replace function public.purge(p_table text) returns void
language plpgsql as $$
begin
  execute format('delete from %I where expires_at < clock_timestamp()', p_table);
end $$;
"""
    assert found(sql, "ARM101") == [("ARM101", 3), ("ARM101", 3), ("ARM101", 9), ("ARM101", 12), ("ARM101", 17)]


def test_non_ascii_comments_and_strings_keep_columns_exact():
    sql = """-- expiração do convite: 24 horas (não usar relógio de parede)
insert into public.convites (email, nome, expires_at) values ('joão@exemplo.com.br', 'Conceição ção', clock_timestamp() + interval '24 hours');
"""
    report = analyze(PATH, sql, Settings(select=frozenset({"ARM101"})))
    [finding] = report.findings
    line = sql.splitlines()[1]
    assert (finding.line, finding.col - 1) == (2, line.index("clock_timestamp()"))
    assert finding.end_col - 1 == line.index("clock_timestamp()") + len("clock_timestamp()")


def test_fix_rewrites_to_now_byte_exactly_with_indentation_kept():
    sql = """-- renovação de sessão
create or replace function public.touch_session(p_id uuid) returns void
language plpgsql as $$
begin
    update public.sessions
       set expires_at = clock_timestamp() + interval '1 hour',  -- sessão
           last_seen_ip = inet_client_addr()
     where id = p_id;
end $$;
insert into public.invites (email, expires_at) values ('ç@x.io', pg_catalog.clock_timestamp() + '1 day'::interval);
"""
    report = analyze(PATH, sql, Settings(select=frozenset({"ARM101"})))
    edits = [edit for f in report.findings for edit in f.fix.edits]
    assert [f.line for f in report.findings] == [6, 10]
    assert apply_edits(sql, edits) == sql.replace(
        "set expires_at = clock_timestamp()", "set expires_at = now()"
    ).replace("pg_catalog.clock_timestamp()", "now()")


def test_fix_inside_quoted_function_body_with_doubled_quotes():
    sql = """create function public.grant_trial(p uuid) returns void language plpgsql as '
begin
  update public.accounts set trial_expires_at = clock_timestamp() + interval ''30 days'' where id = p;
end';
"""
    report = analyze(PATH, sql, Settings(select=frozenset({"ARM101"})))
    assert [(f.rule, f.line) for f in report.findings] == [("ARM101", 3)]
    fixed = apply_edits(sql, report.findings[0].fix.edits)
    assert fixed == sql.replace("= clock_timestamp()", "= now()")


def test_ordering_column_written_from_clock_timestamp_not_the_view():
    sql = """create table public.activity (
  id bigint generated always as identity,
  actor uuid not null,
  happened_at timestamptz not null
);

create or replace function public.log_activity(p_actor uuid) returns void
language plpgsql as $$
begin
  insert into public.activity (actor, happened_at) values (p_actor, clock_timestamp());
end $$;

create view public.activity_feed as
  select * from public.activity order by happened_at desc;
"""
    assert found(sql, "ARM102") == [("ARM102", 10)]


def test_ordering_by_a_timestamp_column_defaulted_from_clock_timestamp():
    sql = """alter table public.messages add column sent_at timestamptz default clock_timestamp();
create index on public.messages (sent_at);
select * from public.messages where room_id = $1 order by sent_at;
"""
    assert found(sql, "ARM102") == [("ARM102", 1)]


def test_created_at_default_now_and_unordered_stamps_never_flagged_for_ordering():
    sql = """create table public.events (
  id bigint generated always as identity primary key,
  kind text not null,
  created_at timestamptz not null default now()
);
create table public.reports (id uuid primary key, rendered_at timestamptz default clock_timestamp());
select * from public.events order by id desc;
"""
    assert found(sql, "ARM102") == []
