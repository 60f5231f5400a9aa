"""Double-entry ledger for the wallet product (PIX in/out, boleto settlement).

All balance mutations go through Postgres; locks below protect per-account invariants.
"""
from __future__ import annotations

import logging
import threading
from decimal import Decimal
from typing import Iterator
from contextlib import contextmanager

import psycopg

log = logging.getLogger("ledger")

_metrics_lock = threading.Lock()  # ok: in-process
_posted = 0


def _bump() -> None:
    global _posted
    with _metrics_lock:
        _posted += 1


def post_transfer(conn: psycopg.Connection, debit: str, credit: str, amount: Decimal, ref: str) -> None:
    """Single-transaction transfer: xact advisory lock dies with the transaction."""
    with conn.transaction(), conn.cursor() as cur:
        for acct in sorted((debit, credit)):
            cur.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"acct:{acct}",))  # ok: xact lock
        cur.execute(
            """
            insert into ledger_entries (account_id, amount, ref)
            values (%s, %s, %s), (%s, %s, %s)
            on conflict (ref, account_id) do nothing
            """,
            (debit, -amount, ref, credit, amount, ref),
        )
        cur.execute("update accounts set balance = balance - %s where id = %s", (amount, debit))
        cur.execute("update accounts set balance = balance + %s where id = %s", (amount, credit))
    _bump()


@contextmanager
def account_session_lock(conn: psycopg.Connection, account_id: str) -> Iterator[None]:
    with conn.cursor() as cur:
        cur.execute("select pg_try_advisory_lock(hashtext(%s))", (f"recon:{account_id}",))  # expect: ARM201|ARM202
        if not cur.fetchone()[0]:
            raise RuntimeError("reconciliation already running")
    try:
        yield
    finally:
        with conn.cursor() as cur:
            cur.execute("select pg_advisory_unlock(hashtext(%s))", (f"recon:{account_id}",))


def reconcile_account(conn: psycopg.Connection, account_id: str, fetch_statement) -> None:
    """Compares our ledger with the bank statement (slow HTTP) and writes adjustments."""
    with account_session_lock(conn, account_id):
        statement = fetch_statement(account_id)        # can take minutes
        with conn.cursor() as cur:
            cur.execute(
                "update accounts set reconciled_balance = %s, reconciled_at = now() where id = %s",
                (statement["closing_balance"], account_id),
            )
        conn.commit()


def reconcile_account_fenced(conn: psycopg.Connection, account_id: str, fetch_statement) -> bool:
    """Canonical pattern: xact lock + sequence token; storage rejects stale tokens."""
    with conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"recon:{account_id}",))  # ok
        cur.execute("select nextval('recon_fencing_seq')")
        token = cur.fetchone()[0]
        statement = fetch_statement(account_id)
        cur.execute(
            """
            update accounts
               set reconciled_balance = %s, reconciled_at = now(), last_token = %s
             where id = %s and last_token < %s
            """,
            (statement["closing_balance"], token, account_id, token),
        )
        ok = cur.rowcount == 1
    conn.commit()
    if not ok:
        log.warning("reconciliation of %s fenced out (token %s)", account_id, token)
    return ok


def open_account(conn: psycopg.Connection, owner_id: str, currency: str = "BRL") -> str:
    with conn.cursor() as cur:
        cur.execute(
            "insert into accounts (owner_id, currency, balance) values (%s, %s, 0) returning id",  # ok: CRUD
            (owner_id, currency),
        )
        return cur.fetchone()[0]
