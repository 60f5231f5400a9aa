"""ARM101/ARM102 on the shapes real queues and schedulers write: leases under queue names
(visibility timeouts, delays, claims) and history tables stamped with clock_timestamp()."""
from __future__ import annotations

from analyzers import Settings, analyze

PATH = "db/queue.sql"


def found(sql: str, *rules: str) -> list[tuple[str, int]]:
    report = analyze(PATH, sql, Settings(select=frozenset(rules) if rules else None))
    assert report.notes == [], report.notes
    return [(f.rule, f.line) for f in report.findings]


def test_visibility_timeout_set_and_checked_with_clock_timestamp():
    sql = """update jobs.q_mail
   set vt = clock_timestamp() + make_interval(secs => 30)
 where msg_id = $1;

select msg_id, message from jobs.q_mail
 where vt <= clock_timestamp()
 order by msg_id limit 10;
"""
    assert found(sql, "ARM101") == [("ARM101", 2), ("ARM101", 6)]


def test_delays_claims_and_run_at_columns_are_leases():
    sql = """create table tasks (
  id bigint generated always as identity primary key,
  run_at timestamptz not null default clock_timestamp(),
  locked_until timestamptz,
  not_before timestamptz
);

update tasks set locked_until = clock_timestamp() + interval '5 minutes' where id = $1;
insert into tasks (not_before) values (clock_timestamp() + interval '10 seconds');
select id from tasks where available_at < clock_timestamp() for update skip locked;
update outbox set visible_after = clock_timestamp() + $2 * interval '1 second' where id = $1;
"""
    assert found(sql, "ARM101") == [("ARM101", 3), ("ARM101", 8), ("ARM101", 9), ("ARM101", 10), ("ARM101", 11)]


def test_lease_columns_with_now_and_clock_for_elapsed_time_stay_quiet():
    sql = """update tasks set locked_until = now() + interval '5 minutes' where id = $1;
select id from tasks where run_at <= now();
update tasks set finished_at = clock_timestamp(), duration = clock_timestamp() - started_at where id = $1;
create table runs (id bigint, available boolean default true, format text, seat int);
"""
    assert found(sql, "ARM101", "ARM102") == []


def test_camel_case_event_stamp_and_history_tables_are_ordering_columns():
    sql = """CREATE TABLE "Event" (
    "id" UUID NOT NULL,
    "createdAt" TIMESTAMP(6) NOT NULL DEFAULT clock_timestamp(),
    "key" TEXT NOT NULL
);
create table job_status_history (
  job_id bigint not null,
  status text not null,
  changed_at timestamptz not null default clock_timestamp()
);
"""
    assert found(sql, "ARM102") == [("ARM102", 3), ("ARM102", 9)]


def test_stamps_on_entity_tables_nobody_orders_by_stay_quiet():
    sql = """create table "User" ("id" uuid, "updatedAt" timestamptz default clock_timestamp());
create table accounts (id bigint, last_login_at timestamptz default clock_timestamp());
create table audit_log (id bigint generated always as identity, created_at timestamptz default now());
"""
    assert found(sql, "ARM102") == []


def test_stamp_from_clock_timestamp_whose_age_gates_the_next_action():
    sql = """create or replace function ops.ping_idle_consumers() returns setof text
language sql as $$
  with due as (
    select c.name from ops.consumers as c
     where c.enabled
       and (c.last_pinged_at is null or c.last_pinged_at < now() - c.cooldown)
  ),
  pinged as (
    update ops.consumers as c
       set last_pinged_at = clock_timestamp()
      from due
     where c.name = due.name
    returning c.name
  )
  select name from pinged
$$;

update ops.agents set seen_at = clock_timestamp() where id = $1;
select id from ops.agents where now() - seen_at > interval '2 minutes';
"""
    assert found(sql, "ARM101", "ARM102") == [("ARM101", 10), ("ARM101", 18)]


def test_clock_timestamp_stamps_nobody_ages_stay_quiet():
    sql = """update ops.consumers set last_pinged_at = clock_timestamp() where name = $1;
select name, last_pinged_at from ops.consumers where enabled;

create or replace function ops.drain(p_budget interval) returns void
language plpgsql as $$
declare
  v_started timestamptz := clock_timestamp();
begin
  loop
    exit when clock_timestamp() - v_started > p_budget;
    perform ops.drain_one();
  end loop;
  update ops.consumers set drained_at = clock_timestamp() where name = 'main';
end $$;

update ops.agents set seen_at = now() where id = $1;
select id from ops.agents where seen_at < now() - interval '2 minutes';
"""
    assert found(sql, "ARM101", "ARM102") == []
