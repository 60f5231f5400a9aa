"""etcd-style leases on top of Postgres (no etcd in this environment).

A lease has a name, a holder and an expiry. Holders keep it alive with keepalive() and
lose it if they stop renewing for LEASE_TTL seconds.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import psycopg

log = logging.getLogger("leases")

LEASE_TTL = 20
KEEPALIVE_EVERY = 5


@dataclass
class Lease:
    name: str
    holder: str
    token: int | None = None


ACQUIRE_SQL = """
    update leases  -- expect: ARM201|ARM202
       set holder = %(holder)s,
           expires_at = now() + make_interval(secs => %(ttl)s)
     where name = %(name)s
       and (expires_at < now() or holder = %(holder)s)
"""

ACQUIRE_FENCED_SQL = """
    update leases
       set holder = %(holder)s,
           expires_at = now() + make_interval(secs => %(ttl)s),
           token = nextval('lease_tokens_seq')
     where name = %(name)s
       and (expires_at < now() or holder = %(holder)s)
    returning token
"""


def acquire(conn: psycopg.Connection, name: str, holder: str) -> Lease | None:
    with conn.cursor() as cur:
        cur.execute(ACQUIRE_SQL, {"holder": holder, "ttl": LEASE_TTL, "name": name})
        got = cur.rowcount == 1
    conn.commit()
    return Lease(name, holder) if got else None


def acquire_fenced(conn: psycopg.Connection, name: str, holder: str) -> Lease | None:
    with conn.cursor() as cur:
        cur.execute(ACQUIRE_FENCED_SQL, {"holder": holder, "ttl": LEASE_TTL, "name": name})
        row = cur.fetchone()
    conn.commit()
    return Lease(name, holder, row[0]) if row else None


def compact_partitions(conn: psycopg.Connection, holder: str) -> None:
    lease = acquire(conn, "compactor", holder)
    if lease is None:
        return
    with conn.cursor() as cur:
        cur.execute("update partitions set compacted = true, compacted_by = %s where compacted = false",
                    (holder,))
    conn.commit()


def compact_partitions_fenced(conn: psycopg.Connection, holder: str) -> None:
    lease = acquire_fenced(conn, "compactor", holder)
    if lease is None:
        return
    with conn.cursor() as cur:
        cur.execute(
            "update partitions set compacted = true, compacted_by = %s, fence = %s "
            "where compacted = false and fence < %s",   # ok: fencing predicate
            (holder, lease.token, lease.token),
        )
    conn.commit()


def hold_for(conn: psycopg.Connection, lease: Lease, work, seconds: float) -> None:
    """Keep the lease alive while `work` makes progress, for at most `seconds`."""
    stop_at = time.time() + seconds  # expect: ARM103
    last_keepalive = time.monotonic()
    while time.time() < stop_at and work.step():
        if time.monotonic() - last_keepalive >= KEEPALIVE_EVERY:  # ok: monotonic
            keepalive(conn, lease)
            last_keepalive = time.monotonic()


def keepalive(conn: psycopg.Connection, lease: Lease) -> bool:
    with conn.cursor() as cur:
        cur.execute(
            "update leases set expires_at = now() + make_interval(secs => %s) where name = %s and holder = %s",
            (LEASE_TTL, lease.name, lease.holder),
        )
        ok = cur.rowcount == 1
    conn.commit()
    if not ok:
        log.warning("lost lease %s at %.3f", lease.name, time.time())  # ok: log only
    return ok
