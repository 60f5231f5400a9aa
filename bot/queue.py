"""The job queue: one interface, two huey backends.

- SQLite (default): a file under ARMADILHAS_DATA_DIR, so queued work survives a restart; consumed
  in-process by `armadilhas serve`.
- Redis (REDIS_URL): consumed by any number of `armadilhas worker` processes.

Every job is one huey task, `armadilhas.job(kind, payload)`, dispatched to a handler bound by the
process that consumes it. Failures retry with exponential backoff; a GitHub rate limit re-schedules
the job for when the limit resets without spending a retry.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.exceptions import CancelExecution, RetryTask

from .settings import AppSettings

log = logging.getLogger("armadilhas.queue")

Handler = Callable[[str, dict], None]
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
                 retry_delay: float = 5.0, retry_backoff: float = 2.0) -> None:
        self.huey = huey
        self._handler = handler
        self._task = huey.task(retries=retries, retry_delay=retry_delay, retry_backoff=retry_backoff,
                               name=TASK_NAME)(self._run)

    def bind(self, handler: Handler) -> None:
        self._handler = handler

    def enqueue(self, kind: str, payload: dict, *, delay: float | None = None) -> str:
        if delay:
            result = self._task.schedule((kind, payload), delay=delay)
        else:
            result = self._task(kind, payload)
        return getattr(result, "id", "") if result is not None else ""

    def _run(self, kind: str, payload: dict) -> None:
        if self._handler is None:
            raise RuntimeError("this process enqueues jobs but has no handler bound to run them")
        try:
            self._handler(kind, payload)
        except PermanentFailure as exc:
            log.warning("job %s dropped: %s", kind, exc)
            raise CancelExecution(retry=False) from exc
        except Exception as exc:
            retry_at = getattr(exc, "retry_at", None)  # bot.github.models.RateLimited
            if isinstance(retry_at, (int, float)):
                # The reset time is GitHub's epoch timestamp: only the wall clock can compare with it.
                delay = max(1.0, retry_at - time.time() + 1.0)
                log.info("job %s rate limited, re-scheduled in %.0fs", kind, delay)
                raise RetryTask(delay=delay) from exc
            raise

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

    def consumer(self, workers: int = 2):
        return self.huey.create_consumer(workers=workers, worker_type="thread", periodic=False,
                                         initial_delay=0.05, max_delay=1.0, check_worker_health=True)


def sqlite_queue_path(data_dir: Path) -> Path:
    return data_dir / "queue.db"
