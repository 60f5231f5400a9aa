"""The job journal and leases in SQLite, in huey's own queue file (one machine, many processes)."""
from __future__ import annotations

import json
import sqlite3
import threading

from .leases import Lease

# The store's clock, in seconds with a fraction. Every process on the machine reads the same one,
# and a lease is only ever compared with it inside a statement, never with a process's own clock.
NOW = "((julianday('now') - 2440587.5) * 86400.0)"


class SqliteLeases:
    def __init__(self, filename: str, *, grace: float = 300.0) -> None:
        self.filename = filename
        self.grace = grace
        self._local = threading.local()
        self._db().executescript(
            """
            CREATE TABLE IF NOT EXISTS armadilhas_jobs (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                payload TEXT NOT NULL,
                token INTEGER NOT NULL DEFAULT 0,
                attempts INTEGER NOT NULL DEFAULT 0,
                refunds INTEGER NOT NULL DEFAULT 0,
                lease_until REAL NOT NULL DEFAULT 0,
                visible_at REAL NOT NULL
            );
            CREATE INDEX IF NOT EXISTS armadilhas_jobs_visible ON armadilhas_jobs (visible_at);
            """
        )

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.filename, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=30000")
            self._local.db = db
        return db

    def add(self, job_id: str, kind: str, payload: dict, delay: float = 0.0) -> None:
        self._db().execute(
            f"INSERT OR IGNORE INTO armadilhas_jobs (id, kind, payload, visible_at) VALUES (?, ?, ?, {NOW} + ?)",
            (job_id, kind, json.dumps(payload), float(delay) + self.grace))

    def claim(self, job_id: str, ttl: float) -> Lease | None:
        # One UPDATE: atomic against every other process claiming the same row.
        row = self._db().execute(
            f"UPDATE armadilhas_jobs SET token = token + 1, attempts = attempts + 1, "
            f"lease_until = {NOW} + ?1, visible_at = {NOW} + ?1 "
            f"WHERE id = ?2 AND lease_until <= {NOW} RETURNING token, attempts, kind, payload, refunds",
            (float(ttl), job_id)).fetchone()
        if row is None:
            return None
        return Lease(job_id, int(row[0]), int(row[1]), row[2], json.loads(row[3]), int(row[4]))

    def renew(self, lease: Lease, ttl: float) -> bool:
        cur = self._db().execute(
            f"UPDATE armadilhas_jobs SET lease_until = {NOW} + ?1, visible_at = {NOW} + ?1 "
            f"WHERE id = ?2 AND token = ?3 AND lease_until > {NOW}",
            (float(ttl), lease.job_id, lease.token))
        return cur.rowcount == 1

    def release(self, lease: Lease, delay: float, refund: bool = False) -> bool:
        cur = self._db().execute(
            f"UPDATE armadilhas_jobs SET lease_until = 0, visible_at = {NOW} + ?1, refunds = refunds + ?4 "
            f"WHERE id = ?2 AND token = ?3",
            (float(delay) + self.grace, lease.job_id, lease.token, 1 if refund else 0))
        return cur.rowcount == 1

    def finish(self, lease: Lease) -> bool:
        cur = self._db().execute("DELETE FROM armadilhas_jobs WHERE id = ? AND token = ?",
                                 (lease.job_id, lease.token))
        return cur.rowcount == 1

    def due(self, limit: int = 100) -> list[str]:
        """Jobs nobody holds whose time came; each is pushed back by `grace` so it is handed out once."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            ids = [r[0] for r in db.execute(
                f"SELECT id FROM armadilhas_jobs WHERE visible_at <= {NOW} AND lease_until <= {NOW} LIMIT ?",
                (int(limit),))]
            db.executemany(f"UPDATE armadilhas_jobs SET visible_at = {NOW} + ? WHERE id = ?",
                           [(self.grace, i) for i in ids])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return ids

    def pending(self) -> int:
        return int(self._db().execute("SELECT count(*) FROM armadilhas_jobs").fetchone()[0])
