"""Takeover claims (ARM202) and query builders (SQL returned by a method or kept in a constant,
read by ARM202/ARM302 with exact lines), with the look-alikes that stay quiet."""
from __future__ import annotations

from analyzers import Settings, analyze

ALL = Settings()


def found(text: str, path: str, *rules: str) -> list[tuple[str, int, str]]:
    report = analyze(path, text, Settings(select=frozenset(rules) if rules else None))
    assert report.notes == [], report.notes
    return [(f.rule, f.line, f.confidence) for f in report.findings]


# --- ARM202: a claim that takes rows over by heartbeat age ---------------------------------------

STALE_CLAIM = """-- name: ClaimJobs :many
WITH ready AS (
    SELECT id FROM jobs
    WHERE state = 'waiting' AND run_after <= now()
    ORDER BY id
    FOR UPDATE SKIP LOCKED
    LIMIT $1
), abandoned AS (
    SELECT id FROM jobs
    WHERE state = 'running'
      AND beat_heartbeat_at < now() - interval '45 seconds'
    FOR UPDATE SKIP LOCKED
    LIMIT $1
)
UPDATE jobs
SET state = 'running',
    beat_heartbeat_at = now(),
    worker_id = $2
WHERE id IN (SELECT id FROM ready UNION ALL SELECT id FROM abandoned)
RETURNING *;
"""


def test_claim_that_takes_over_rows_of_a_silent_worker_is_medium():
    assert found(STALE_CLAIM, "db/queries/jobs.sql", "ARM202") == [("ARM202", 15, "medium")]


def test_claim_without_an_owner_column_renewing_the_heartbeat_in_a_taken_status():
    sql = """UPDATE cron_entries
SET status = 'running', heartbeat = now()
WHERE id IN (
    SELECT id FROM cron_entries
    WHERE (status = 'idle' AND next_fire <= now())
       OR (status = 'running' AND now() - heartbeat > interval '1 minute')
    FOR UPDATE SKIP LOCKED
);
"""
    assert found(sql, "db/cron.sql", "ARM202") == [("ARM202", 1, "medium")]


def test_ownership_reassigned_when_the_owner_is_silent():
    sql = """-- name: AdoptReports :many
UPDATE
    report_schedules
SET
    "plannerId" = @plannerId::uuid
WHERE enabled
  AND NOT EXISTS (
      SELECT 1 FROM planners p
      WHERE p.id = report_schedules."plannerId" AND p.last_heartbeat >= now() - interval '20 seconds'
  )
RETURNING *;
"""
    assert found(sql, "db/queries/planner.sql", "ARM202") == [("ARM202", 3, "medium")]


def test_claims_that_issue_a_token_or_never_look_at_heartbeats_are_quiet():
    sql = """UPDATE jobs
SET state = 'running', beat_heartbeat_at = now(), worker_id = $2,
    fencing_token = nextval('job_tokens')
WHERE id IN (SELECT id FROM jobs WHERE state = 'running' AND beat_heartbeat_at < now() - interval '45 seconds');

UPDATE jobs SET state = 'running', worker_id = $2, started_at = now()
WHERE id IN (SELECT id FROM jobs WHERE state = 'waiting' FOR UPDATE SKIP LOCKED LIMIT 10);

UPDATE workers SET heartbeat = now() WHERE id = $1;

UPDATE jobs SET state = 'waiting', worker_id = NULL
WHERE state = 'running' AND beat_heartbeat_at < now() - interval '45 seconds';
"""
    assert found(sql, "db/jobs.sql", "ARM202") == []


# --- SQL returned by query builders ---------------------------------------------------------------

BUILDER = '''import dataclasses


@dataclasses.dataclass
class JobQueries:
    table: str = "jobs"

    def build_claim(self) -> str:
        t = self.table
        return f"""WITH stale AS (
    SELECT id FROM {t}
    WHERE state = 'running'
      AND heartbeat < NOW() - $3::interval
    FOR UPDATE SKIP LOCKED
    LIMIT $1
)
UPDATE {t}
SET state = 'running', heartbeat = NOW(), owner_id = $2
WHERE id IN (SELECT id FROM stale)
RETURNING *"""

    def build_schedule_pick(self) -> str:
        return f"""UPDATE {self.table}_schedules
        SET status = 'picked', heartbeat = NOW()
        WHERE status = 'picked' AND NOW() - heartbeat > interval '30 seconds'
        RETURNING id"""
'''


def test_sql_returned_by_builder_methods_is_analysed_on_its_own_lines():
    assert found(BUILDER, "app/queries.py", "ARM202", "ARM302") == [
        ("ARM302", 13, "medium"),
        ("ARM202", 17, "medium"),
        ("ARM302", 23, "high"),  # the UPDATE is the decision: reported from its first line
        ("ARM202", 23, "medium"),
    ]


def test_sql_kept_in_a_module_constant_is_analysed():
    source = '''REAP_WORKERS = """
DELETE FROM workers
WHERE last_heartbeat_at < now() - interval '2 minutes'
"""
'''
    assert found(source, "app/reaper.py", "ARM302") == [("ARM302", 2, "high")]


def test_returned_strings_that_are_not_sql_or_do_not_parse_are_silent():
    source = '''def describe(worker):
    return f"update heartbeat of {worker}: last seen too long ago"


def template(self) -> str:
    return """WITH heartbeat AS nonsense here"""


GREETING = "select a heartbeat to follow"


def report_query(self) -> str:
    # a diagnostics listing that shows each job's silence: a report, not a verdict
    return """SELECT id, EXTRACT(EPOCH FROM NOW() - heartbeat) AS silent_for
    FROM jobs
    WHERE status = 'picked' AND heartbeat < NOW() - $1::interval
    ORDER BY heartbeat"""
'''
    assert found(source, "app/text.py") == []


def test_a_constant_also_run_in_a_test_keeps_the_test_scope():
    # The same text seen running from test code is test setup, even though a constant holds it.
    source = '''INSERT_EVENT = "INSERT INTO webhook_events (event_id, body) VALUES (%s, %s)"


def test_store(cur):
    cur.execute(INSERT_EVENT, ("evt_1", "{}"))
'''
    assert found(source, "app/events.py", "ARM403") == []
