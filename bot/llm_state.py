"""What the optional LLM fixer keeps in the shared state store (the SQLite file or the Redis the
queue uses): a cache of its answers, and the spending of each pull request.

- Cache: key = hash of (finding fingerprint, rule, model, prompt version) -> the validated
  replacement, or "" when the model had no acceptable fix. A recheck, a redelivery or another
  worker asking again costs no call. Transient failures (429, 5xx, timeouts) are never cached.
- Budget: calls and tokens spent per pull request, reserved atomically before each call (SQLite:
  one conditional UPDATE; Redis: one Lua script), so concurrent workers cannot overspend.
"""
from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path
from typing import Protocol

CACHE_TTL = 30 * 86400  # Redis: answers expire after 30 days; budgets after 90
BUDGET_TTL = 90 * 86400


def cache_key(fingerprint: str, rule: str, model: str, version: str) -> str:
    return hashlib.sha256(f"{fingerprint}\0{rule}\0{model}\0{version}".encode()).hexdigest()


class LlmState(Protocol):
    def cached(self, key: str) -> str | None: ...
    def remember(self, key: str, replacement: str) -> None: ...
    def reserve(self, pr: str, tokens: int, max_calls: int, max_tokens: int) -> bool: ...
    def spend(self, pr: str, tokens: int) -> None: ...
    def spent(self, pr: str) -> tuple[int, int]: ...


class SqliteLlmState:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._db().executescript(
            """
            CREATE TABLE IF NOT EXISTS llm_fixes (key TEXT PRIMARY KEY, replacement TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS llm_budget (pr TEXT PRIMARY KEY, calls INTEGER NOT NULL DEFAULT 0,
                                                   tokens INTEGER NOT NULL DEFAULT 0);
            """
        )

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=30000")
            self._local.db = db
        return db

    def cached(self, key: str) -> str | None:
        row = self._db().execute("SELECT replacement FROM llm_fixes WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def remember(self, key: str, replacement: str) -> None:
        self._db().execute("INSERT OR REPLACE INTO llm_fixes (key, replacement) VALUES (?, ?)", (key, replacement))

    def reserve(self, pr: str, tokens: int, max_calls: int, max_tokens: int) -> bool:
        db = self._db()
        db.execute("INSERT OR IGNORE INTO llm_budget (pr) VALUES (?)", (pr,))
        cur = db.execute("UPDATE llm_budget SET calls = calls + 1, tokens = tokens + ? "
                         "WHERE pr = ? AND calls < ? AND tokens + ? <= ?", (tokens, pr, max_calls, tokens, max_tokens))
        return cur.rowcount == 1

    def spend(self, pr: str, tokens: int) -> None:
        self._db().execute("UPDATE llm_budget SET tokens = MAX(0, tokens + ?) WHERE pr = ?", (tokens, pr))

    def spent(self, pr: str) -> tuple[int, int]:
        row = self._db().execute("SELECT calls, tokens FROM llm_budget WHERE pr = ?", (pr,)).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)


_RESERVE = """
local calls = tonumber(redis.call('HGET', KEYS[1], 'calls') or '0')
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or '0')
local want = tonumber(ARGV[1])
if calls >= tonumber(ARGV[2]) or tokens + want > tonumber(ARGV[3]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'calls', 1)
redis.call('HINCRBY', KEYS[1], 'tokens', want)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1
"""


class RedisLlmState:
    def __init__(self, url: str, prefix: str = "armadilhas:llm:") -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix
        self._reserve = self.client.register_script(_RESERVE)

    def cached(self, key: str) -> str | None:
        value = self.client.get(f"{self.prefix}fix:{key}")
        return value.decode("utf-8") if value is not None else None

    def remember(self, key: str, replacement: str) -> None:
        self.client.set(f"{self.prefix}fix:{key}", replacement.encode("utf-8"), ex=CACHE_TTL)

    def reserve(self, pr: str, tokens: int, max_calls: int, max_tokens: int) -> bool:
        return bool(self._reserve(keys=[f"{self.prefix}budget:{pr}"],
                                  args=[int(tokens), int(max_calls), int(max_tokens), BUDGET_TTL]))

    def spend(self, pr: str, tokens: int) -> None:
        self.client.hincrby(f"{self.prefix}budget:{pr}", "tokens", int(tokens))

    def spent(self, pr: str) -> tuple[int, int]:
        data = self.client.hgetall(f"{self.prefix}budget:{pr}")
        return int(data.get(b"calls", 0)), int(data.get(b"tokens", 0))


def make_state(settings) -> LlmState:
    """The same store the App's queue and state use: Redis when configured, else the data dir's SQLite."""
    if getattr(settings, "redis_url", None):
        return RedisLlmState(settings.redis_url)
    return SqliteLlmState(Path(settings.data_dir) / "state.db")
