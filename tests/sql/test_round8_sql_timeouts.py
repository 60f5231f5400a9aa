"""ARM302, round 8: a status CASE that declares a run/node failed from the age of its stamp,
with the verdict in THEN or in ELSE, in .sql files and in SQL fragments (select-list columns)
kept in Python strings; each next to its look-alike that must stay quiet."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

ARM302 = Settings(select=frozenset({"ARM302"}))


def found(code: str, path: str) -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), ARM302)
    assert report.notes == [], report.notes
    return [(f.rule, f.line, f.confidence) for f in report.findings]


# --- .sql files -------------------------------------------------------------------------------

def test_live_branch_with_the_verdict_in_else_is_flagged():
    sql = """
    select device_id,
           case when last_ping_at >= now() - interval '1 minute' then 'online'
                else 'offline' end as state
      from devices;
    """
    assert found(sql, "db/views.sql") == [("ARM302", 3, "high")]


def test_else_that_is_not_a_verdict_is_not_flagged():
    sql = """
    select device_id,
           case when last_ping_at >= now() - interval '1 minute' then 'recent'
                else 'earlier' end as bucket
      from devices;
    """
    assert found(sql, "db/views.sql") == []


def test_started_run_without_heartbeat_declared_failed_by_age_is_flagged():
    sql = """
    select r.id,
           case when r.heartbeat_at is null
                     and now() - coalesce(r.started_at, r.created_at) > interval '2 hours'
                then 'failed'
                else 'running' end as status
      from runs r;
    """
    assert found(sql, "db/views.sql") == [("ARM302", 4, "high")]


def test_start_age_that_only_labels_a_duration_bucket_is_not_flagged():
    sql = """
    select r.id,
           case when now() - r.started_at > interval '2 hours' then 'long'
                else 'short' end as bucket
      from runs r;
    """
    assert found(sql, "db/views.sql") == []


def test_per_row_threshold_in_a_status_case_is_not_flagged():
    sql = """
    select c.id,
           case when now() - c.last_ping > c.grace then 'down' else 'up' end as status
      from checks c;
    """
    assert found(sql, "db/views.sql") == []


# --- fragments in Python strings --------------------------------------------------------------

_RUN_COLUMNS = '''
RUN_STALE_SECONDS = 360


class RunTable:
    table = "runs"
    status_columns = [
        """
        (CASE
            WHEN {table}.finished_at IS NOT NULL THEN 'completed'
            WHEN {table}.heartbeat_ts IS NOT NULL
                AND extract(epoch from now()) - {table}.heartbeat_ts <= {cutoff}
            THEN 'running'
            ELSE 'failed'
        END) AS status
        """.format(table="runs", cutoff=RUN_STALE_SECONDS),
    ]
'''


def test_status_column_template_with_a_constant_window_is_flagged():
    assert found(_RUN_COLUMNS, "app/db/runs.py") == [("ARM302", 12, "high")]


def test_status_column_template_with_a_per_call_window_is_medium():
    code = _RUN_COLUMNS.replace("cutoff=RUN_STALE_SECONDS", "cutoff=self.window")
    assert found(code, "app/db/runs.py") == [("ARM302", 12, "medium")]


def test_fstring_fragment_marking_tasks_lost_is_flagged():
    code = '''
    LOST_AFTER = 90


    def task_status_sql(alias):
        return (
            f"CASE WHEN {alias}.last_heartbeat < now() - interval '{LOST_AFTER} seconds' "
            f"THEN 'lost' ELSE {alias}.state END"
        )
    '''
    assert found(code, "app/db/tasks.py") == [("ARM302", 7, "high")]


def test_duration_fragment_that_hides_old_values_is_not_flagged():
    code = '''
    CUTOFF_MS = 86400000

    duration_column = """
        (CASE
            WHEN heartbeat_ts IS NULL AND extract(epoch from now()) * 1000 - ts_epoch > {cutoff}
            THEN NULL
            ELSE extract(epoch from now()) * 1000 - ts_epoch
        END) AS duration
    """.format(cutoff=CUTOFF_MS)
    '''
    assert found(code, "app/db/steps.py") == []


def test_status_case_inside_a_whole_statement_is_reported_once():
    code = '''
    def list_agents(conn):
        return conn.execute(
            """
            SELECT id,
                   CASE WHEN last_seen_at < now() - interval '45 seconds' THEN 'offline' ELSE 'online' END
              FROM agents
            """
        )
    '''
    assert found(code, "app/agents.py") == [("ARM302", 6, "high")]
