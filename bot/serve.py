"""`armadilhas serve`: the webhook endpoint under gunicorn (not Flask's development server).

With the SQLite queue the huey consumer runs inside the gunicorn worker process (started after
the fork, so no thread crosses a fork); with Redis, `armadilhas worker` processes consume instead
unless `--with-worker` asks for an in-process consumer too.
"""
from __future__ import annotations

import logging

from gunicorn.app.base import BaseApplication

from .settings import AppSettings
from .web import create_app
from .worker import build_runtime

log = logging.getLogger("armadilhas.serve")


class _Server(BaseApplication):
    def __init__(self, settings: AppSettings, in_process_worker: bool, options: dict) -> None:
        self.settings = settings
        self.in_process_worker = in_process_worker
        self.options = options
        self.runtime = None
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("post_worker_init", self._post_worker_init)
        self.cfg.set("worker_exit", self._worker_exit)

    def load(self):
        self.runtime = build_runtime(self.settings)
        return create_app(self.settings, self.runtime.queue, self.runtime.store)

    def _post_worker_init(self, worker) -> None:
        if not self.in_process_worker or self.runtime is None:
            return
        consumer = self.runtime.queue.consumer(workers=self.settings.worker_threads)
        consumer.start()
        worker._armadilhas_consumer = consumer
        log.info("in-process worker consuming the %s queue", self.settings.backend)

    def _worker_exit(self, server, worker) -> None:
        consumer = getattr(worker, "_armadilhas_consumer", None)
        if consumer is not None:
            consumer.stop(graceful=True)


def gunicorn_options(settings: AppSettings) -> dict:
    return {
        "bind": f"{settings.host}:{settings.port}",
        # One process, many threads: the handler only verifies, de-duplicates and enqueues.
        "workers": 1,
        "worker_class": "gthread",
        "threads": settings.web_threads,
        "timeout": 30,
        "graceful_timeout": 30,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "limit_request_field_size": 16384,
    }


def serve(settings: AppSettings, *, with_worker: bool | None = None) -> int:
    settings.require_app()
    in_process = settings.backend == "sqlite" if with_worker is None else with_worker
    _Server(settings, in_process, gunicorn_options(settings)).run()
    return 0
