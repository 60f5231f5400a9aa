"""Job leases: a queued job survives the death of the worker running it.

huey deletes a task from its queue when a worker takes it, so a worker killed mid-job (SIGKILL,
OOM, a lost machine) would lose the job. Every job is therefore also written to a *journal* next
to the queue (same SQLite file or same Redis), and huey only carries the job's id:

- enqueue: journal the job (kind, payload), then hand huey its id.
- claim: a worker takes a lease of `ttl` seconds on the job and the job's fencing token goes up
  by one. A job already finished, or leased by a live holder, cannot be claimed (the huey message
  is a duplicate and is dropped).
- while running: a heartbeat renews the lease every ttl/3; before every write to GitHub the
  holder confirms with the store that its token is still the newest *and* its lease has not run
  out (`Holder.guard`). A holder that was paused past its lease and replaced finds a newer token
  and stops: it cannot post.
- finish/release: removes the job, or hands it back for a retry after a delay; both only if no
  newer token was issued meanwhile.
- reaping: a job whose lease ran out (its holder died) or that nobody picked up within `grace`
  is handed to huey again by any consumer (`due()`); a duplicate message is harmless because a
  claim is exclusive and a finished job is gone.

Lease expiry is judged by one clock only, the store's (SQLite's `julianday('now')` on the one
machine that shares the file; Redis's own `TIME` and key TTLs); holders measure their local view
with `time.monotonic()`. A clock jump can end a lease early, which costs a re-run, never a double
post: the fencing token decides.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("armadilhas.leases")


class LeaseLost(Exception):
    """This holder's lease ran out or a newer holder took the job: it must not write anything."""


@dataclass(frozen=True)
class Lease:
    job_id: str
    token: int  # fencing token: strictly increasing per job, one per claim
    attempts: int  # claims so far, this one included (crash re-runs count)
    kind: str
    payload: dict
    refunds: int = 0  # claims that ended in a rate-limit wait: they do not spend the retry budget

    @property
    def spent(self) -> int:
        return self.attempts - self.refunds


class LeaseBook(Protocol):
    def add(self, job_id: str, kind: str, payload: dict, delay: float = 0.0) -> None: ...
    def claim(self, job_id: str, ttl: float) -> Lease | None: ...
    def renew(self, lease: Lease, ttl: float) -> bool: ...
    def release(self, lease: Lease, delay: float, refund: bool = False) -> bool: ...
    def finish(self, lease: Lease) -> bool: ...
    def due(self, limit: int = 100) -> list[str]: ...
    def pending(self) -> int: ...


def make_leases(huey, *, grace: float = 300.0) -> LeaseBook:
    """The journal lives where huey keeps its queue, so one backend setting covers both."""
    storage = huey.storage
    if hasattr(storage, "conn") and hasattr(storage.conn, "eval"):  # RedisStorage: a redis.Redis client
        from .leases_redis import RedisLeases

        return RedisLeases(storage.conn, prefix=f"armadilhas:jobs:{huey.name}:", grace=grace)
    filename = getattr(storage, "filename", None)
    if filename:
        from .leases_sqlite import SqliteLeases

        return SqliteLeases(filename, grace=grace)
    raise TypeError(f"no lease journal for huey storage {type(storage).__name__}")


class Holder:
    """Keeps one lease alive from a daemon thread and answers "may this job still write?"."""

    def __init__(self, book: LeaseBook, lease: Lease, ttl: float) -> None:
        self.book = book
        self.lease = lease
        self.ttl = ttl
        self._confirmed = time.monotonic()  # start of the last renewal the store accepted
        self._lost = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{lease.job_id[:8]}", daemon=True)

    def __enter__(self) -> "Holder":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=self.ttl)

    @property
    def lost(self) -> bool:
        return self._lost

    def _renew(self) -> bool:
        started = time.monotonic()
        ok = self.book.renew(self.lease, self.ttl)
        with self._lock:
            if ok:
                self._confirmed = max(self._confirmed, started)
            else:
                self._lost = True
        return ok

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                if not self._renew():
                    log.warning("lease on job %s lost (token %d superseded or expired)",
                                self.lease.job_id, self.lease.token)
                    return
            except Exception as exc:  # store unreachable: retry next beat; guard() refuses meanwhile
                log.warning("lease renewal of job %s failed: %s", self.lease.job_id, exc)

    def guard(self) -> None:
        """Raise LeaseLost unless the store confirms, now, that this holder's token is the newest and
        its lease is live (a fencing check: GitHub takes no token, so the check happens here, just
        before each write). A store that cannot be reached raises its own error: no write either."""
        if self._lost:
            raise LeaseLost(f"job {self.lease.job_id}: token {self.lease.token} superseded")
        if not self._renew():
            raise LeaseLost(f"job {self.lease.job_id}: token {self.lease.token} superseded or lease expired")
