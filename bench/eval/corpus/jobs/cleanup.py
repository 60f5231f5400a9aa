"""Periodic housekeeping, scheduled by APScheduler every minute."""
import logging

import psycopg

log = logging.getLogger(__name__)

REAP_SQL = """
    update workers                                     -- expect: ARM302
       set status = 'dead', stopped_at = now()
     where status = 'alive'
       and last_seen < now() - interval '60 seconds'
"""


def reap_workers(conn: psycopg.Connection) -> int:
    n = conn.execute(REAP_SQL).rowcount
    conn.commit()
    log.info("reaped %d workers", n)
    return n


def purge_expired_sessions(conn: psycopg.Connection) -> None:
    # ok: session expiry, not failure detection
    conn.execute("delete from sessions where expires_at < now()")
    conn.commit()


def purge_old_job_runs(conn: psycopg.Connection) -> None:
    # ok: retention policy
    conn.execute("delete from job_runs where finished_at < now() - interval '30 days'")
    conn.commit()


def reap_workers_adaptive(conn: psycopg.Connection) -> None:
    # ok: adaptive threshold from observed RTT
    conn.execute(
        """
        update workers
           set status = 'suspect'
         where extract(epoch from (now() - last_seen)) * 1000 >= 3 * rtt_p99_ms
        """
    )
    conn.commit()
