"""Job leasing on Postgres (psycopg 3)."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

import psycopg

INVITE_DAYS = 7


def compact_partition(conn: psycopg.Connection, partition: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("select pg_try_advisory_lock(hashtext(%s))", (partition,))
        (got,) = cur.fetchone()
        if not got:
            return False
        try:
            cur.execute("delete from metrics_rollup where partition = %s", (partition,))  # expect: ARM201|ARM202  (the guarded write: RULES.md real-code form)
            cur.execute("insert into metrics_rollup select * from rollup_source(%s)", (partition,))
            conn.commit()
        finally:
            cur.execute("select pg_advisory_unlock(hashtext(%s))", (partition,))
    return True


def claim_job_lease(conn: psycopg.Connection, job: str, worker: str) -> bool:
    cur = conn.execute(
        """
        update job_leases
           set holder = %s, expires_at = now() + interval '30 seconds'
         where job = %s and expires_at < now()
        """,
        (worker, job),
    )
    conn.commit()
    if cur.rowcount == 0:
        return False
    conn.execute("update report_snapshots set body = build_report(%s) where job = %s", (job, job))  # expect: ARM201|ARM202  (the guarded write: RULES.md real-code form)
    conn.commit()
    return True


def write_with_fence(conn: psycopg.Connection, resource_id: str, value: str, call_api) -> bool:
    # ok: canonical xact lock + sequence token + last_token predicate
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"resource:{resource_id}",))
        (token,) = conn.execute("select nextval('fencing_tokens_seq')").fetchone()
        call_api(resource_id)
        cur = conn.execute(
            """update locked_resource
                  set value = %s, last_token = %s, updated_at = now()
                where id = %s and last_token < %s""",
            (value, token, resource_id, token),
        )
        return cur.rowcount == 1


def bump_counter(conn: psycopg.Connection, name: str) -> None:
    # ok: xact lock, single transaction, no external call
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (name,))
        conn.execute("update counters set n = n + 1 where name = %s", (name,))


def create_invite(conn: psycopg.Connection, email: str) -> str:
    code = secrets.token_hex(8)
    conn.execute(
        "insert into invites (code, email, expires_at) values (%s, %s, %s)",
        (code, email, datetime.now(timezone.utc) + timedelta(days=INVITE_DAYS)),  # expect: ARM104
    )
    conn.commit()
    return code


def create_invite_v2(conn: psycopg.Connection, email: str) -> str:
    code = secrets.token_hex(8)
    # ok: expiry computed by the database in the writing transaction
    conn.execute(
        "insert into invites (code, email, expires_at) values (%s, %s, now() + interval '7 days')",
        (code, email),
    )
    conn.commit()
    return code
