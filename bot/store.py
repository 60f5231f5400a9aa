"""Small shared state the web process and the workers agree on.

- delivery de-duplication (a redelivery keeps its `X-GitHub-Delivery`), with a TTL;
- a per-pull-request job counter: each queued review takes the next number and a job that is no
  longer the newest for its PR drops itself (the counter is the fencing token of this app);
- a per-pull-request slash-command rate limit.

Expiry is always decided by the store's own clock (SQLite's `unixepoch()`, Redis TTLs), never
by comparing timestamps written by different processes.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Protocol


class Store(Protocol):
    def claim_delivery(self, delivery_id: str, ttl: int) -> bool:
        """True the first time an id is seen within `ttl` seconds."""

    def forget_delivery(self, delivery_id: str) -> None:
        """Undo a claim whose work could not be queued."""

    def next_job(self, key: str) -> int:
        """Take the next job number for `key` (a PR)."""

    def newest_job(self, key: str) -> int:
        """The last number taken for `key`, 0 if none."""

    def allow(self, key: str, interval: int, owner: str = "") -> bool:
        """True at most once per `interval` seconds for `key`, and again for the same non-empty
        `owner` (a re-run of the job that took the gate)."""

    def close(self) -> None: ...


def pr_key(repo: str, number: int) -> str:
    return f"{repo.lower()}#{number}"


class SqliteStore:
    """One SQLite file; safe across threads and processes (WAL, short transactions)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connect() as db:
            db.executescript(
                """
                CREATE TABLE IF NOT EXISTS deliveries (key TEXT PRIMARY KEY, expires INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS gates (key TEXT PRIMARY KEY, expires INTEGER NOT NULL);
                """
            )
            if "owner" not in {row[1] for row in db.execute("PRAGMA table_info(gates)")}:
                try:
                    db.execute("ALTER TABLE gates ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
                except sqlite3.OperationalError:  # another process added it meanwhile
                    pass

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=30000")
            # WAL + NORMAL: durable across a process crash; a power cut may forget the last claims,
            # which only means a redelivery would be processed (and fingerprints stop double posts).
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def _claim(self, table: str, key: str, ttl: int, owner: str = "") -> bool:
        # `table` is one of two literals below, never user input.
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(f"DELETE FROM {table} WHERE key = ? AND expires <= unixepoch()", (key,))
            if owner:
                cur = db.execute(f"INSERT OR IGNORE INTO {table} (key, expires, owner) VALUES (?, unixepoch() + ?, ?)",
                                 (key, int(ttl), owner))
                taken = cur.rowcount == 1 or db.execute(
                    f"SELECT 1 FROM {table} WHERE key = ? AND owner = ?", (key, owner)).fetchone() is not None
            else:
                cur = db.execute(f"INSERT OR IGNORE INTO {table} (key, expires) VALUES (?, unixepoch() + ?)",
                                 (key, int(ttl)))
                taken = cur.rowcount == 1
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return taken

    def claim_delivery(self, delivery_id: str, ttl: int) -> bool:
        return self._claim("deliveries", delivery_id, ttl)

    def forget_delivery(self, delivery_id: str) -> None:
        self._connect().execute("DELETE FROM deliveries WHERE key = ?", (delivery_id,))

    def allow(self, key: str, interval: int, owner: str = "") -> bool:
        if interval <= 0:
            return True
        return self._claim("gates", key, interval, owner)

    def next_job(self, key: str) -> int:
        db = self._connect()
        row = db.execute(
            "INSERT INTO counters (key, value) VALUES (?, 1) "
            "ON CONFLICT (key) DO UPDATE SET value = value + 1 RETURNING value",
            (key,),
        ).fetchone()
        return int(row[0])

    def newest_job(self, key: str) -> int:
        row = self._connect().execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def purge_expired(self) -> None:
        db = self._connect()
        db.execute("DELETE FROM deliveries WHERE expires <= unixepoch()")
        db.execute("DELETE FROM gates WHERE expires <= unixepoch()")

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


class RedisStore:
    """The same state in Redis, for several web and worker processes on several machines."""

    def __init__(self, url: str, prefix: str = "armadilhas:") -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix

    def claim_delivery(self, delivery_id: str, ttl: int) -> bool:
        return bool(self.client.set(f"{self.prefix}delivery:{delivery_id}", 1, nx=True, ex=max(1, int(ttl))))

    def forget_delivery(self, delivery_id: str) -> None:
        self.client.delete(f"{self.prefix}delivery:{delivery_id}")

    def allow(self, key: str, interval: int, owner: str = "") -> bool:
        if interval <= 0:
            return True
        gate = f"{self.prefix}gate:{key}"
        if self.client.set(gate, owner or "1", nx=True, ex=int(interval)):
            return True
        # The value is written once, by the SET above: a match means this owner took the gate.
        return bool(owner) and self.client.get(gate) == owner.encode()

    def next_job(self, key: str) -> int:
        return int(self.client.incr(f"{self.prefix}job:{key}"))

    def newest_job(self, key: str) -> int:
        value = self.client.get(f"{self.prefix}job:{key}")
        return int(value) if value is not None else 0

    def close(self) -> None:
        self.client.close()
