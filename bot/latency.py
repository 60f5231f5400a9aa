"""Job latency (delivery accepted -> job done), shared by every process, for /readyz.

The web process stamps each job with `now()` when it enqueues it; whichever worker finishes it
records `now() - stamp`. Both readings come from one clock, the shared store's own (SQLite's in
the data directory, or the Redis server's `TIME`), so machines with drifting clocks agree.
"""
from __future__ import annotations

import math
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Protocol

KEEP = 24 * 3600  # samples older than this are pruned


class LatencyLog(Protocol):
    def now(self) -> float: ...

    def record(self, enqueued_at: float) -> float: ...

    def window(self, seconds: int) -> list[float]: ...


def p99(samples: list[float]) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


class SqliteLatency:
    _NOW = "(julianday('now') - 2440587.5) * 86400.0"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        self._db().execute("CREATE TABLE IF NOT EXISTS latency (done REAL NOT NULL, seconds REAL NOT NULL)")

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            self._local.db = db
        return db

    def now(self) -> float:
        return float(self._db().execute(f"SELECT {self._NOW}").fetchone()[0])

    def record(self, enqueued_at: float) -> float:
        db = self._db()
        row = db.execute(f"INSERT INTO latency (done, seconds) VALUES ({self._NOW}, max(0, {self._NOW} - ?)) "
                         "RETURNING seconds", (float(enqueued_at),)).fetchone()
        db.execute(f"DELETE FROM latency WHERE done < {self._NOW} - ?", (KEEP,))
        return float(row[0])

    def window(self, seconds: int) -> list[float]:
        rows = self._db().execute(f"SELECT seconds FROM latency WHERE done >= {self._NOW} - ?", (seconds,))
        return [float(r[0]) for r in rows]


class RedisLatency:
    def __init__(self, url: str, key: str = "armadilhas:latency") -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.key = key

    def now(self) -> float:
        secs, micros = self.client.time()
        return secs + micros / 1e6

    def record(self, enqueued_at: float) -> float:
        now = self.now()
        seconds = max(0.0, now - float(enqueued_at))
        pipe = self.client.pipeline()
        pipe.zadd(self.key, {f"{seconds:.6f}:{uuid.uuid4().hex}": now})
        pipe.zremrangebyscore(self.key, "-inf", now - KEEP)
        pipe.execute()
        return seconds

    def window(self, seconds: int) -> list[float]:
        now = self.now()
        members = self.client.zrangebyscore(self.key, now - seconds, "+inf")
        return [float(m.split(b":", 1)[0]) for m in members]


def make_latency_log(settings) -> LatencyLog:
    if settings.redis_url:
        return RedisLatency(settings.redis_url)
    return SqliteLatency(settings.data_dir / "latency.db")
