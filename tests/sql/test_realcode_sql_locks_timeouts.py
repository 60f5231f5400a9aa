"""ARM202 and ARM302 on the shapes real repositories use (RULES.md, "How the pitfalls look in
real code"): query files, job takeovers, lease upserts; each with look-alikes that stay quiet."""
from __future__ import annotations

from analyzers import Settings, analyze

PATH = "db/queries/workers.sql"


def found(sql: str, *rules: str, path: str = PATH) -> list[tuple[str, int, str]]:
    report = analyze(path, sql, Settings(select=frozenset(rules) if rules else None))
    assert report.notes == [], report.notes
    return [(f.rule, f.line, f.confidence) for f in report.findings]


# --- ARM302: listing the silent ones ------------------------------------------------------------


def test_select_of_dispatchers_silent_past_a_fixed_window_is_flagged():
    sql = """-- name: ListStaleDispatchers :many
SELECT d.id, d.hostname
FROM dispatchers d
WHERE
    d.last_heartbeat_at < NOW() - INTERVAL '15 seconds'
    AND d.is_active = true;

-- name: TasksOfLostWorkers :many
WITH lost AS (
    SELECT id FROM pool_members WHERE NOW() - last_seen_at > INTERVAL '1 minute'
)
SELECT t.id FROM tasks t JOIN lost ON lost.id = t.member_id;
"""
    assert found(sql, "ARM302") == [("ARM302", 5, "high"), ("ARM302", 10, "high")]


def test_user_activity_and_per_worker_grace_are_not_flagged():
    sql = """SELECT id FROM accounts WHERE last_seen < NOW() - INTERVAL '90 days';

SELECT id FROM workers w JOIN worker_settings s ON s.worker_id = w.id
 WHERE w.last_heartbeat_at < NOW() - s.grace_period;
"""
    assert found(sql, "ARM302") == []


# --- ARM302: the live set, chosen by a fixed window ----------------------------------------------
# Picking "workers heard from in the last 5 seconds" to receive work declares every other worker
# dead for that decision. (This file's earlier version kept the plain live-set SELECT quiet; the
# real-code forms of RULES.md count it as the same verdict, at medium confidence since the caller
# that uses the set is out of sight.)


def test_live_set_of_workers_picked_for_assignment_is_medium():
    sql = """-- name: AssignableRunners :many
SELECT r.id, r.region, SUM(c.capacity)::int AS capacity
FROM runners r
JOIN runner_capacity c ON c.runner_id = r.id
WHERE r.pool = @pool::text
  AND r.last_heartbeat_at > NOW() - INTERVAL '5 seconds'
  AND r.is_draining = false
GROUP BY r.id, r.region;

-- name: RunnerIfLive :one
SELECT r.*, (SELECT COUNT(*) FROM leases l WHERE l.runner_id = r.id) AS held
FROM runners r
WHERE r.id = @id::uuid
  AND r.last_heartbeat_at > NOW() - INTERVAL '5 seconds';
"""
    assert found(sql, "ARM302") == [("ARM302", 6, "medium"), ("ARM302", 14, "medium")]


def test_ownership_taken_from_an_owner_missing_its_heartbeat_is_medium():
    sql = """-- name: ClaimReports :many
UPDATE report_schedules s
SET owner_id = @me::uuid
WHERE s.enabled
  AND (
    s.owner_id IS NULL
    OR NOT EXISTS (
      SELECT 1 FROM "Scheduler" p
      WHERE p."id" = s.owner_id AND p."lastHeartbeatAt" >= NOW() - INTERVAL '10 seconds'
    )
  )
RETURNING s.*;
"""
    assert found(sql, "ARM302") == [("ARM302", 9, "medium")]


def test_live_capacity_metering_and_status_filters_are_not_flagged():
    sql = """-- name: LiveSlotsPerAccount :many
SELECT c.account_id, SUM(c.capacity) AS slots
FROM runner_capacity c JOIN runners r ON r.id = c.runner_id
WHERE r.last_heartbeat_at > NOW() - INTERVAL '5 seconds'
GROUP BY c.account_id;

-- name: ListRunners :many
SELECT r.*
FROM runners r
WHERE r.account_id = @account::uuid
  AND (
    sqlc.narg('states')::text[] IS NULL OR
    CASE
      WHEN r.last_heartbeat_at <= NOW() - INTERVAL '5 seconds' THEN 'OFFLINE'
      ELSE 'ONLINE'
    END = ANY(sqlc.narg('states')::text[])
  );
"""
    assert found(sql, "ARM302") == []


def test_listing_nodes_already_marked_inactive_is_not_flagged():
    sql = """-- name: PurgeableDispatchers :many
SELECT d.id FROM "Dispatcher" d
WHERE d."lastHeartbeatAt" < NOW() - INTERVAL '15 seconds'
  AND d."isActive" = false;

SELECT n.id FROM nodes n
WHERE n.last_seen < NOW() - INTERVAL '1 minute' AND n.status = 'offline';
"""
    assert found(sql, "ARM302") == []


def test_heartbeat_window_passed_as_a_parameter_is_medium():
    sql = """SELECT j.id
  FROM jobs j
 WHERE j.status = 'picked'
   AND j.heartbeat < NOW() - $3::interval
 FOR UPDATE SKIP LOCKED;
"""
    assert found(sql, "ARM302") == [("ARM302", 4, "medium")]


def test_adaptive_variable_threshold_is_not_flagged():
    sql = """create or replace function ops.suspects(p_rtt_p99 interval) returns setof uuid
language sql as $$
  select id from ops.nodes where last_heartbeat < now() - 3 * p_rtt_p99;
$$;
"""
    assert found(sql, "ARM302") == []


# --- ARM302: job takeovers ----------------------------------------------------------------------


def test_claimed_jobs_past_a_default_timeout_are_handed_back():
    sql = """create or replace function queue.recover(p_timeout interval default interval '5 minutes')
returns integer
language plpgsql as $$
declare
  v_count integer;
begin
  update queue.jobs
     set status = 'queued', locked_by = null
   where status = 'running'
     and claimed_at < now() - p_timeout;
  get diagnostics v_count = row_count;
  return v_count;
end $$;
"""
    assert found(sql, "ARM302", path="db/schema/queue.sql") == [("ARM302", 7, "medium")]


def test_started_long_ago_marked_stalled_with_a_literal_window():
    sql = """update background_jobs
   set state = 'stalled'
 where state = 'running'
   and started_at < now() - interval '2 hours';
"""
    assert found(sql, "ARM302") == [("ARM302", 1, "high")]


def test_per_flow_timeout_column_and_reporting_queries_are_not_flagged():
    sql = """update steps st
   set status = 'queued', started_at = null
  from flows f
 where f.slug = st.flow_slug
   and st.started_at < now() - (f.opt_timeout * interval '1 second');

select count(*) from background_jobs where started_at < now() - interval '1 day';

update background_jobs set archived = true where started_at < now() - interval '30 days';
"""
    assert found(sql, "ARM302") == []


def test_plpgsql_condition_on_a_peer_ping_before_failover():
    sql = """create or replace function ha.check_primary() returns void
language plpgsql as $$
declare
  v_last_ping timestamptz;
begin
  select last_ping into v_last_ping from ha.members where role = 'primary';
  if v_last_ping >= now() - interval '15 seconds' then
    return;
  else
    perform ha.promote_standby();
  end if;
end $$;
"""
    assert found(sql, "ARM302") == [("ARM302", 7, "high")]


# --- ARM202: leases taken by a query file -------------------------------------------------------


def test_leader_election_upsert_in_a_query_file_is_flagged():
    sql = """-- name: TryBecomeLeader :one
insert into leader_election (name, leader_id, expires_at)
values (@name, @candidate, now() + interval '15 seconds')
on conflict (name) do update
   set leader_id = excluded.leader_id, expires_at = excluded.expires_at
 where leader_election.expires_at < now() or leader_election.leader_id = excluded.leader_id
returning leader_id;
"""
    assert found(sql, "ARM202") == [("ARM202", 2, "medium")]


def test_lease_table_without_holder_column_is_flagged():
    sql = """insert into resource_leases (resource_id, expires_at)
select unnest($1::text[]), now() + interval '30 seconds'
on conflict (resource_id) do update
   set expires_at = excluded.expires_at
 where resource_leases.expires_at < now()
returning *;
"""
    assert found(sql, "ARM202") == [("ARM202", 1, "medium")]


def test_lease_that_bumps_an_epoch_and_plain_upserts_are_not_flagged():
    sql = """insert into leader_election (name, leader_id, expires_at, epoch)
values ($1, $2, now() + interval '15 seconds', 1)
on conflict (name) do update
   set leader_id = excluded.leader_id, expires_at = excluded.expires_at,
       epoch = leader_election.epoch + 1
 where leader_election.expires_at < now()
returning epoch;
"""
    assert found(sql, "ARM202") == []
    sql = """insert into api_cache (key, body, expires_at) values ($1, $2, now() + interval '1 hour')
on conflict (key) do update set body = excluded.body, expires_at = excluded.expires_at
 where api_cache.expires_at < now();
"""
    assert found(sql, "ARM202") == []
