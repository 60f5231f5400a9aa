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
