"""What a worker does with a job, and the one place that wires the App's parts from settings.

`armadilhas serve` (SQLite queue, consumer in-process) and `armadilhas worker` (Redis queue) both
build a `Runtime` here, so the two processes cannot drift apart.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Callable

from .commands import CommandHandler
from .queue import JobQueue, PermanentFailure, make_huey
from .review.job import Fixer, ReviewRequest, Reviewer
from .settings import AppSettings
from .store import RedisStore, SqliteStore, Store, pr_key

log = logging.getLogger("armadilhas.worker")


def make_store(settings: AppSettings) -> Store:
    if settings.redis_url:
        return RedisStore(settings.redis_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteStore(settings.data_dir / "state.db")


def make_gateway(settings: AppSettings):
    from .github.client import GitHubGateway

    settings.require_app()
    return GitHubGateway(settings.app_id, settings.private_key, settings.github_api_url, max_wait=settings.max_wait)


def make_fixer(settings: AppSettings) -> Fixer | None:
    """The LLM fixer when an endpoint is configured; repos still opt in with review.llm_fixes."""
    if not settings.llm_configured:
        return None
    try:
        from . import llm_fix
    except ImportError:
        return None
    factory = getattr(llm_fix, "make_fixer", None)
    return factory(settings) if factory else None


@dataclass
class Runtime:
    settings: AppSettings
    queue: JobQueue
    store: Store
    gateway: object | None = None  # GitHubGateway; None in a web-only process without credentials
    fixer: Fixer | None = None
    outcomes: list = field(default_factory=list)  # last outcomes, for tests and the bench
    _bot_login: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def bot_login(self) -> str | None:
        with self._lock:
            if self._bot_login is None and self.gateway is not None:
                self._bot_login = f"{self.gateway.app_slug()}[bot]"
            return self._bot_login

    def handle(self, kind: str, payload: dict, guard: Callable[[], None] | None = None) -> None:
        """Run one job. `guard` comes from the job's lease: called before every write to GitHub,
        it raises LeaseLost once another worker has taken the job over."""
        from .github.models import GitHubError, RateLimited

        try:
            outcome = self._dispatch(kind, payload, guard)
        except RateLimited:
            raise  # the queue re-schedules it for the reset time
        except GitHubError as exc:
            status = getattr(exc, "status", None)
            if status is not None and 400 <= status < 500 and status not in (408, 409, 429):
                raise PermanentFailure(f"GitHub answered {status}: {exc}") from exc
            raise
        log.info("%s job for %s#%s: %s", kind, payload.get("repo"), payload.get("number"), outcome)
        self.outcomes.append((kind, outcome))
        del self.outcomes[:-100]

    def _dispatch(self, kind: str, payload: dict, guard: Callable[[], None] | None):
        from .github.fenced import FencedClient

        if self.gateway is None:
            raise PermanentFailure("no GitHub App credentials configured in this process")
        client = self.gateway.installation(int(payload["installation"]))
        if guard is not None:
            client = FencedClient(client, guard)
        if kind == "review":
            request = ReviewRequest.from_payload(payload)
            store = self.store
            reviewer = Reviewer(
                client,
                is_newest=lambda r: r.job == 0 or store.newest_job(pr_key(r.repo, r.number)) <= r.job,
                bot_login=self.bot_login(),
                fixer=self.fixer,
            )
            return reviewer.run(request)
        if kind == "command":
            handler = CommandHandler(client, self.store, lambda p: self.queue.enqueue("review", p),
                                     bot_login=self.bot_login(), recheck_interval=self.settings.recheck_interval)
            return handler.run(payload)
        raise PermanentFailure(f"unknown job kind {kind!r}")


def build_runtime(settings: AppSettings, *, gateway=None, huey=None, store: Store | None = None) -> Runtime:
    """Wire queue, store, GitHub gateway and fixer. Tests pass their own gateway and huey."""
    queue = JobQueue(huey if huey is not None else make_huey(settings), retries=settings.job_retries,
                     lease_ttl=settings.lease_ttl)
    runtime = Runtime(
        settings=settings,
        queue=queue,
        store=store if store is not None else make_store(settings),
        gateway=gateway if gateway is not None else (make_gateway(settings) if settings.has_app_credentials else None),
        fixer=make_fixer(settings),
    )
    queue.bind(runtime.handle)
    return runtime


def run_worker(settings: AppSettings, *, stop: threading.Event | Callable[[], bool] | None = None) -> int:
    """Consume the queue until interrupted (SIGINT/SIGTERM via huey's consumer)."""
    runtime = build_runtime(settings)
    if runtime.gateway is None:
        settings.require_app()
    consumer = runtime.queue.consumer(workers=settings.worker_threads)
    log.info("worker consuming the %s queue with %d threads", settings.backend, settings.worker_threads)
    consumer.run()
    return 0
