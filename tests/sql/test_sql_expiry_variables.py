"""ARM101 on PL/pgSQL variables: an expiry read back from a table into a local variable and
compared with the wall clock is persisted expiry logic; a deadline or start time computed from
clock_timestamp() inside the body is not."""
from __future__ import annotations

from analyzers import Settings, analyze, apply_edits

PATH = "supabase/migrations/20240301120000_expiry_checks.sql"

COUPON = """create or replace function public.redeem_coupon(p_code text) returns boolean
language plpgsql stable as $$
declare
  v_until timestamptz;
begin
  select valid_until into v_until from public.coupons where code = p_code;
  if v_until is null or v_until < clock_timestamp() then
    return false;
  end if;
  return true;
end $$;
"""


def report_of(sql: str):
    return analyze(PATH, sql, Settings(select=frozenset({"ARM101"})))


def found(sql: str) -> list[tuple[str, int]]:
    report = analyze(PATH, sql, Settings())
    assert report.notes == [], report.notes
    return [(f.rule, f.line) for f in report.findings]


def test_coupon_validity_loaded_with_select_into_is_flagged_and_fixed_exactly():
    report = report_of(COUPON)
    assert [(f.rule, f.line) for f in report.findings] == [("ARM101", 7)]
    [finding] = report.findings
    line = COUPON.splitlines()[6]
    assert finding.col - 1 == line.index("clock_timestamp()")
    fixed = apply_edits(COUPON, finding.fix.edits)
    assert fixed == COUPON.replace("v_until < clock_timestamp()", "v_until < now()")


def test_session_validation_with_select_into_strict_from_an_alias():
    sql = """create or replace function auth.validate_session(p_id uuid, p_token text) returns uuid
language plpgsql security definer as $$
declare
  v_user uuid;
  v_exp timestamptz;
begin
  select s.user_id, s.expires_at
    into strict v_user, v_exp
    from auth.sessions s
   where s.id = p_id and s.token_hash = crypt(p_token, s.token_hash);
  if clock_timestamp() >= v_exp then
    raise exception 'session % expired', p_id using errcode = '28000';
  end if;
  update auth.sessions set last_used_at = now() where id = p_id;
  return v_user;
end $$;
"""
    assert found(sql) == [("ARM101", 11)]
    [finding] = report_of(sql).findings
    assert apply_edits(sql, finding.fix.edits) == sql.replace("if clock_timestamp() >=", "if now() >=")


def test_assignment_from_a_scalar_subquery_and_a_copy_of_it():
    sql = """create or replace function public.can_download(p_file uuid) returns boolean
language plpgsql stable as $$
declare
  v_exp timestamptz;
  v_grace timestamptz;
begin
  v_exp := (select link_expires_at from public.shared_links where file_id = p_file);
  v_grace := coalesce(v_exp, '-infinity') + interval '5 minutes';
  return v_grace > clock_timestamp();
end $$;

create or replace function public.job_overdue(p_job bigint) returns boolean
language plpgsql as $$
declare
  v_due timestamptz := (select deadline from queue.jobs where id = p_job);
begin
  return timeofday()::timestamptz > v_due;
end $$;
"""
    assert found(sql) == [("ARM101", 9), ("ARM101", 17)]
    report = report_of(sql)
    assert report.findings[0].fix is not None
    assert apply_edits(sql, report.findings[0].fix.edits) == sql.replace("v_grace > clock_timestamp()", "v_grace > now()")
    second = apply_edits(sql, report.findings[1].fix.edits)
    assert second == sql.replace("timeofday()::timestamptz > v_due", "now()::timestamptz > v_due")


def test_expiry_returned_by_update_returning_into():
    sql = """create or replace function public.renew_lease(p_name text, p_holder text) returns boolean
language plpgsql as $$
declare
  v_lease_until timestamptz;
begin
  update public.leases
     set holder = p_holder, lease_until = now() + interval '30 seconds', fence = fence + 1
   where name = p_name
  returning lease_until into v_lease_until;
  if v_lease_until <= clock_timestamp() then
    return false;
  end if;
  return true;
end $$;
"""
    assert found(sql) == [("ARM101", 10)]


def test_polling_deadline_loop_is_never_flagged():
    sql = """create or replace function public.wait_for_export(p_id bigint) returns boolean
language plpgsql as $$
declare
  v_deadline timestamptz := clock_timestamp() + interval '5 seconds';
  v_status text;
begin
  loop
    select status into v_status from public.exports where id = p_id;
    exit when v_status = 'done';
    if clock_timestamp() > v_deadline then
      return false;
    end if;
    perform pg_sleep(0.1);
  end loop;
  return true;
end $$;
"""
    assert found(sql) == []


def test_deadline_variable_also_loaded_from_a_table_stays_exempt_when_the_clock_sets_it():
    sql = """create or replace function public.wait_until(p_id bigint) returns void
language plpgsql as $$
declare
  v_deadline timestamptz;
begin
  select deadline into v_deadline from public.jobs where id = p_id;
  if v_deadline is null then
    v_deadline := clock_timestamp() + interval '30 seconds';
  end if;
  if clock_timestamp() > v_deadline then
    raise exception 'too late';
  end if;
end $$;
"""
    assert found(sql) == []


def test_elapsed_time_measurement_is_never_flagged():
    sql = """create or replace function public.rebuild_search_index() returns interval
language plpgsql as $$
declare
  t0 timestamptz;
  v_took interval;
begin
  t0 := clock_timestamp();
  refresh materialized view concurrently public.search_index;
  v_took := clock_timestamp() - t0;
  if clock_timestamp() - t0 > interval '30 seconds' then
    raise warning 'search index rebuild slow: %', v_took;
  end if;
  return v_took;
end $$;
"""
    assert found(sql) == []


def test_created_at_loaded_for_an_age_log_is_never_flagged():
    sql = """create or replace function public.report_order_age(p_order bigint) returns void
language plpgsql as $$
declare
  v_created timestamptz;
begin
  select created_at into v_created from public.orders where id = p_order;
  if v_created < clock_timestamp() - interval '1 day' then
    raise notice 'order % is % old', p_order, clock_timestamp() - v_created;
  end if;
end $$;
"""
    assert found(sql) == []


def test_coupon_function_checking_with_now_is_never_flagged():
    assert found(COUPON.replace("clock_timestamp()", "now()")) == []


def test_a_parameter_named_like_an_expiry_is_not_persisted():
    sql = """create or replace function public.is_before(p_expires_at timestamptz) returns boolean
language plpgsql as $$
declare
  v_expires_at timestamptz := p_expires_at;
begin
  return v_expires_at > clock_timestamp();
end $$;
"""
    assert found(sql) == []


def test_expiry_loaded_in_a_body_parsed_statement_by_statement():
    # `queue.job_state` (a schema-qualified type) makes pglast's PL/pgSQL parser give up; the
    # tolerant fallback still sees the SELECT ... INTO and the comparison.
    sql = """create or replace function queue.claimable(p_id bigint) returns boolean
language plpgsql as $$
declare
  v_state queue.job_state;
  v_visible_until timestamptz;
begin
  select state, visible_until into v_state, v_visible_until from queue.jobs where id = p_id;
  return v_state = 'ready' and (v_visible_until is null or v_visible_until < clock_timestamp());
end $$;
"""
    report = report_of(sql)
    assert [(f.rule, f.line) for f in report.findings] == [("ARM101", 8)]
    assert apply_edits(sql, report.findings[0].fix.edits) == sql.replace("v_visible_until < clock_timestamp()", "v_visible_until < now()")


def test_row_loop_comparing_the_persisted_expiry_of_each_row_is_flagged():
    sql = """create or replace function public.reap_leases() returns integer
language plpgsql as $$
declare
  r record;
  v_reaped integer := 0;
begin
  for r in select id, worker_id, expires_at from public.leases for update skip locked loop
    if r.expires_at < clock_timestamp() then
      delete from public.leases where id = r.id;
      v_reaped := v_reaped + 1;
    end if;
  end loop;
  for r in select id from public.accounts where plan = 'trial' loop
    delete from public.sessions where account_id = r.id and expires_at <= clock_timestamp();
  end loop;
  return v_reaped;
end $$;
"""
    assert found(sql) == [("ARM101", 8), ("ARM101", 14)]


def test_loops_that_wait_for_the_clock_are_never_flagged():
    sql = """create or replace function public.wait_for_job_deadline(p_id bigint) returns void
language plpgsql as $$
declare
  v_deadline timestamptz;
  r record;
begin
  select deadline into v_deadline from public.jobs where id = p_id;
  loop
    exit when clock_timestamp() >= v_deadline;
    perform pg_sleep(1);
  end loop;
  for r in select id, run_after from public.scheduled_jobs order by run_after loop
    if r.run_after > clock_timestamp() then
      perform pg_sleep(extract(epoch from r.run_after - clock_timestamp()));
    end if;
    perform public.run_job(r.id);
  end loop;
  for r in select id, visible_until from public.queue_items loop
    while clock_timestamp() < r.visible_until loop
      perform pg_sleep(0.5);
    end loop;
  end loop;
end $$;
"""
    assert found(sql) == []
