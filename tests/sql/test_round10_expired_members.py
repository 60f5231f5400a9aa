"""ARM302, round 10: members removed once their renewal deadline passed
(`delete from workers where expires_at < now()`), in a file and embedded in Python; a session or
cache table cleaned by the same predicate stays quiet."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

TIMEOUTS = Settings(select=frozenset({"ARM302"}))


def graded(code: str, path: str) -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), TIMEOUTS)
    assert report.notes == []
    return [(f.rule, f.line, f.confidence) for f in report.findings]


def test_member_rows_past_their_deadline_deleted_in_a_sql_file():
    code = """\
    -- name: ReapAgents :exec
    DELETE FROM fleet_agents
    WHERE expires_at < now();

    -- name: PruneSessions :exec
    DELETE FROM user_sessions WHERE expires_at < now();
    """
    assert graded(code, "db/queries/agents.sql") == [("ARM302", 2, "medium")]


def test_leader_row_past_its_deadline_deleted_from_python():
    code = """\
    async def step_down_stale(conn, now):
        await conn.execute("DELETE FROM scheduler_leader WHERE expires_at <= $1", now)
    """
    assert graded(code, "sched/election.py") == [("ARM302", 2, "medium")]


def test_cache_rows_and_still_valid_members_stay_quiet():
    code = """\
    def tidy(cur):
        cur.execute("DELETE FROM page_cache WHERE expires_at < now()")
        cur.execute("DELETE FROM workers WHERE expires_at > now() AND drained")
    """
    assert graded(code, "ops/tidy.py") == []


def test_running_rows_past_their_claim_deadline_locked_for_failing():
    code = """\
    create function ops.reap_expired(p_limit int) returns void language plpgsql as $$
    declare
      r record;
    begin
      for r in
        select job_id, worker_name from ops.jobs
         where phase = 'running'
           and locked_until <= now()
         order by locked_until
         limit p_limit
         for update skip locked
      loop
        perform ops.fail_job(r.job_id, 'lease lapsed');
      end loop;
    end;
    $$;
    """
    assert graded(code, "db/reaper.sql") == [("ARM302", 8, "medium")]


def test_requeue_by_claim_deadline_flagged_and_plain_reads_stay_quiet():
    code = """\
    update queue_items set status = 'queued', claimed_by = null
     where claim_expires_at < now();

    select item_id from queue_items where claim_expires_at < now();

    select item_id from queue_items where status = 'running' and lock_until > now() for update;
    """
    assert graded(code, "db/items.sql") == [("ARM302", 2, "medium")]
