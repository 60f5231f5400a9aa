"""ARM202/ARM302 look-alikes found by the noise review of whole codebases: a lease whose
guarded state is written by the acquisition itself under a holder check, one-shot migration
backfills, live sets counted for usage figures, and the live half of a stale/live pair of
listings. Each next to the form that stays flagged."""
from __future__ import annotations

from analyzers import Settings, analyze


def found(sql: str, *rules: str, path: str = "db/queries/jobs.sql") -> list[tuple[str, int, str]]:
    report = analyze(path, sql, Settings(select=frozenset(rules) if rules else None))
    assert report.notes == [], report.notes
    return [(f.rule, f.line, f.confidence) for f in report.findings]


_LEASE_WITH_CURSOR = """-- name: TakeOrRenewExportLease :one
INSERT INTO export_progress (shard, lease_owner_id, lease_expires_at, last_row_id)
VALUES (@shard::int, @owner::uuid, @expiresAt::timestamptz, @lastRowId::bigint)
ON CONFLICT (shard) DO UPDATE
SET {cursor}
    lease_owner_id = EXCLUDED.lease_owner_id,
    lease_expires_at = EXCLUDED.lease_expires_at
WHERE export_progress.lease_expires_at < NOW() OR export_progress.lease_owner_id = @owner::uuid
RETURNING *;
"""


def test_lease_upsert_writing_its_cursor_only_for_the_same_holder_is_not_flagged():
    cursor = """last_row_id = CASE
        WHEN EXCLUDED.lease_owner_id = export_progress.lease_owner_id THEN EXCLUDED.last_row_id
        ELSE export_progress.last_row_id
    END,"""
    assert found(_LEASE_WITH_CURSOR.format(cursor=cursor), "ARM202") == []


def test_lease_upsert_writing_its_cursor_blindly_is_still_flagged():
    cursor = "last_row_id = EXCLUDED.last_row_id,"
    assert found(_LEASE_WITH_CURSOR.format(cursor=cursor), "ARM202") == [("ARM202", 2, "medium")]


# --- ARM302 -------------------------------------------------------------------------------------

_BACKFILL = """{marker}CREATE TABLE worker_slots (id bigserial PRIMARY KEY, worker_id uuid NOT NULL);

-- give every worker seen lately its slots
INSERT INTO worker_slots (worker_id)
SELECT w.id FROM workers w CROSS JOIN generate_series(1, 4)
WHERE w.last_heartbeat_at > NOW() - INTERVAL '10 minutes';

DELETE FROM workers WHERE last_heartbeat_at < NOW() - INTERVAL '30 days';
"""


def test_top_level_backfill_of_a_migration_is_not_flagged():
    assert found(_BACKFILL.format(marker="-- +goose Up\n"), "ARM302", path="db/migrations/0042_slots.sql") == []
    assert found(_BACKFILL.format(marker=""), "ARM302", path="db/schema/0042_slots.sql") == []


def test_function_defined_by_a_migration_is_still_judged():
    sql = """-- +goose Up
CREATE TABLE workers (id uuid PRIMARY KEY, last_heartbeat_at timestamptz);
-- +goose StatementBegin
CREATE FUNCTION reap_workers() RETURNS void LANGUAGE sql AS $$
  DELETE FROM workers WHERE last_heartbeat_at < NOW() - INTERVAL '30 seconds';
$$;
-- +goose StatementEnd
"""
    assert found(sql, "ARM302", path="db/migrations/0043_reaper.sql") == [("ARM302", 5, "high")]


def test_same_delete_in_a_query_file_is_flagged():
    sql = "-- name: ReapWorkers :exec\nDELETE FROM workers WHERE last_heartbeat_at < NOW() - INTERVAL '30 seconds';\n"
    assert found(sql, "ARM302") == [("ARM302", 2, "high")]


def test_live_set_counted_for_usage_figures_is_not_flagged():
    sql = """-- name: GetUsage :one
WITH live AS (
    SELECT w.id FROM workers w
    WHERE w.tenant_id = @tenantId::uuid AND w.last_heartbeat_at > NOW() - INTERVAL '5 seconds'
)
SELECT
    (SELECT COUNT(*) FROM live) AS worker_count,
    COALESCE((SELECT SUM(s.units) FROM slots s WHERE s.worker_id IN (SELECT id FROM live)), 0)::bigint AS used_slots;
"""
    assert found(sql, "ARM302") == []


def test_live_set_whose_rows_are_returned_is_still_flagged_at_medium():
    sql = """-- name: ListLiveWorkers :many
SELECT w.id, w.name FROM workers w
WHERE w.tenant_id = @tenantId::uuid AND w.last_heartbeat_at > NOW() - INTERVAL '5 seconds';
"""
    assert found(sql, "ARM302") == [("ARM302", 3, "medium")]


def test_live_listing_beside_its_stale_mirror_is_reported_once():
    sql = """-- name: ListSilentSchedulers :many
SELECT * FROM schedulers WHERE last_heartbeat_at < NOW() - INTERVAL '15 seconds' AND is_active = true;

-- name: ListLiveSchedulers :many
SELECT * FROM schedulers WHERE last_heartbeat_at > NOW() - INTERVAL '15 seconds' AND is_active = true;
"""
    assert found(sql, "ARM302") == [("ARM302", 2, "high")]


def test_live_half_of_a_takeover_statement_is_not_a_second_finding():
    sql = """-- name: MoveShardsOffSilentOwners :exec
WITH live AS (
    SELECT id, ROW_NUMBER() OVER () AS n FROM shard_owners WHERE last_heartbeat_at > NOW() - INTERVAL '1 minute'
), silent AS (
    SELECT id FROM shard_owners WHERE last_heartbeat_at <= NOW() - INTERVAL '1 minute'
)
UPDATE shards SET owner_id = live.id
FROM live
WHERE shards.owner_id IN (SELECT id FROM silent) AND live.n = 1;
"""
    assert found(sql, "ARM302") == [("ARM302", 5, "high")]
