"""The job queue: one interface, two huey backends, and leases so that no job is lost.

- SQLite (default): a file under ARMADILHAS_DATA_DIR, so queued work survives a restart; consumed
  in-process by `armadilhas serve`.
- Redis (REDIS_URL): consumed by any number of `armadilhas worker` processes.

huey carries only job ids; the jobs themselves live in a lease journal beside the queue
(bot/leases.py). A worker claims a lease before running a job and keeps it alive while it runs;
a job whose worker died is handed out again when its lease runs out, and a holder that lost its
lease cannot write to GitHub (the handler receives a `guard` to call before every write).
Failures retry with exponential backoff; a GitHub rate limit re-schedules the job for when the
limit resets without spending an attempt.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from pathlib import Path
from typing import Callable

from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.consumer import Consumer
from huey.exceptions import RetryTask

from .leases import Holder, LeaseBook, LeaseLost, make_leases
from .settings import AppSettings

log = logging.getLogger("armadilhas.queue")

Guard = Callable[[], None]
Handler = Callable[[str, dict, Guard], None]
TASK_NAME = "armadilhas.job"


class PermanentFailure(Exception):
    """Retrying cannot help (e.g. the App lost access to the repository)."""


def make_huey(settings: AppSettings, *, name: str = "armadilhas") -> Huey:
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url, results=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(settings.data_dir / "queue.db"), results=False)


class JobQueue:
    def __init__(self, huey: Huey, handler: Handler | None = None, *, retries: int = 6,
                 retry_delay: float = 5.0, retry_backoff: float = 2.0, lease_ttl: float = 30.0,
                 grace: float = 300.0, leases: LeaseBook | None = None) -> None:
        self.huey = huey
        self.leases = leases if leases is not None else make_leases(huey, grace=grace)
        self.lease_ttl = lease_ttl
        # Claims a job may take, crash re-runs included: a job that kills its worker every time
        # (a poison pill) stops after these instead of cycling forever.
        self.max_attempts = retries + 1
        self.retry_delay = retry_delay
        self.retry_backoff = retry_backoff
        self._handler = handler
        # huey's own retry counter is not used: RetryTask re-schedules without spending it, and the
        # attempt count lives in the journal, where it survives the worker.
        self._task = huey.task(name=TASK_NAME)(self._run)

    def bind(self, handler: Handler) -> None:
        self._handler = handler

    def enqueue(self, kind: str, payload: dict, *, delay: float | None = None) -> str:
        """Journal the job, then hand huey its id. Returns the job id."""
        job_id = uuid.uuid4().hex
        self.leases.add(job_id, kind, payload, delay or 0.0)
        self._send(job_id, delay)
        return job_id

    def _send(self, job_id: str, delay: float | None = None) -> None:
        if delay:
            self._task.schedule((job_id,), delay=delay)
        else:
            self._task(job_id)

    def reap(self, limit: int = 100) -> int:
        """Hand huey the jobs whose holder died or that nobody picked up in time."""
        ids = self.leases.due(limit)
        for job_id in ids:
            log.warning("job %s: lease expired or never picked up; queued again", job_id)
            self._send(job_id)
        return len(ids)

    def _run(self, job_id: str, *legacy) -> None:
        if self._handler is None:
            raise RuntimeError("this process enqueues jobs but has no handler bound to run them")
        if legacy:  # a (kind, payload) task queued by a version without leases: run it as it was
            self._handler(job_id, legacy[0], _unfenced)
            return
        lease = self.leases.claim(job_id, self.lease_ttl)
        if lease is None:
            log.debug("job %s: finished already or held by a live worker; message dropped", job_id)
            return
        if lease.spent > self.max_attempts:
            log.error("job %s (%s) given up after %d attempts", job_id, lease.kind, lease.spent - 1)
            self.leases.finish(lease)
            return
        payload = dict(lease.payload, attempt=lease.attempts)
        with Holder(self.leases, lease, self.lease_ttl) as holder:
            try:
                self._handler(lease.kind, payload, holder.guard)
            except LeaseLost as exc:
                log.warning("job %s stopped: %s; its new holder carries on", job_id, exc)
                return
            except PermanentFailure as exc:
                log.warning("job %s (%s) dropped: %s", job_id, lease.kind, exc)
                self._settle(self.leases.finish, lease)
                return
            except Exception as exc:
                self._retry_later(lease, exc)  # raises RetryTask, or leaves the lease to run out
                return
        self._settle(self.leases.finish, lease)

    def _settle(self, step: Callable, lease, *args) -> bool:
        """Finish or release a lease. When the store cannot be reached (Redis restarting) the lease
        stays as it is and runs out: the reaper hands the job out again and the re-run, idempotent,
        finds its work done. Nothing is lost and nothing is raised into huey."""
        try:
            return step(lease, *args)
        except Exception as exc:
            log.warning("job %s: the job store did not answer (%s); it runs again when its lease runs out",
                        lease.job_id, exc)
            return False

    def _retry_later(self, lease, exc: Exception) -> None:
        retry_at = getattr(exc, "retry_at", None)  # bot.github.models.RateLimited
        if isinstance(retry_at, (int, float)):
            # The reset time is GitHub's epoch timestamp: only the wall clock can compare with it.
            delay = max(1.0, retry_at - time.time() + 1.0)
            log.info("job %s rate limited, re-scheduled in %.0fs", lease.job_id, delay)
            if not self._settle(self.leases.release, lease, delay, True):
                return
            raise RetryTask(delay=delay) from exc
        if lease.spent >= self.max_attempts:
            log.error("job %s (%s) failed for the last time: %s", lease.job_id, lease.kind, exc)
            self._settle(self.leases.finish, lease)
            raise exc
        delay = self.retry_delay * self.retry_backoff ** (lease.spent - 1)
        log.warning("job %s (%s) failed (%s); retry %d in %.0fs", lease.job_id, lease.kind, exc,
                    lease.spent, delay)
        if not self._settle(self.leases.release, lease, delay):
            return
        raise RetryTask(delay=delay) from exc

    # -- consuming ---------------------------------------------------------------------------
    def pending(self) -> int:
        return self.huey.pending_count()

    def scheduled(self) -> int:
        return self.huey.scheduled_count()

    def run_pending(self, limit: int = 1000) -> int:
        """Run ready tasks in this thread until the queue is empty (tests, benches, `--once`)."""
        done = 0
        while done < limit:
            task = self.huey.dequeue()
            if task is None:
                break
            self.huey.execute(task)
            done += 1
        return done

    def consumer(self, workers: int = 2) -> "LeasedConsumer":
        return LeasedConsumer(self.huey, self, workers=workers, worker_type="thread", periodic=False,
                              initial_delay=0.05, max_delay=1.0, check_worker_health=True)


def _unfenced() -> None:
    pass


class LeasedConsumer(Consumer):
    """huey's consumer plus a thread that re-queues jobs whose lease expired (their worker died)."""

    def __init__(self, huey: Huey, queue: JobQueue, **options) -> None:
        super().__init__(huey, **options)
        self._queue = queue
        self._interval = max(0.2, queue.lease_ttl / 3)
        self._reaper = threading.Thread(target=self._reap_loop, name="lease-reaper", daemon=True)

    def start(self) -> None:
        super().start()
        self._reaper.start()

    def _reap_loop(self) -> None:
        while not self.stop_flag.wait(self._interval):
            try:
                self._queue.reap()
            except Exception as exc:  # the store may be restarting; the next round tries again
                log.warning("reaping expired leases failed: %s", exc)


def sqlite_queue_path(data_dir: Path) -> Path:
    return data_dir / "queue.db"
