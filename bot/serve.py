"""`armadilhas serve`: the web process under gunicorn (not Flask's development server).

With the SQLite queue the huey consumer runs inside the gunicorn worker process (started after
the fork, so no thread crosses a fork); with Redis, `armadilhas worker` processes consume instead
unless `--with-worker` asks for an in-process consumer too. Without App credentials it starts
anyway and serves the registration page; the credentials take effect the moment they are stored.
"""
from __future__ import annotations

import logging

from gunicorn.app.base import BaseApplication

from . import logs, metrics
from .credentials import Credentials, LazyGateway
from .latency import make_latency_log
from .settings import AppSettings
from .web import create_app
from .worker import build_runtime

log = logging.getLogger("armadilhas.serve")
# The path without its query string: /register/done?code=... must not put the code in the log.
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


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
        return build_web(self.settings, self)

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


def prepare_runtime(runtime, credentials: Credentials, latency) -> None:
    """What `serve` and `worker` add to the runtime: credentials that may appear while running,
    metrics and log context around each job."""
    if runtime.gateway is None:
        runtime.gateway = LazyGateway(credentials)
    metrics.instrument_runtime(runtime, latency)


def build_web(settings: AppSettings, holder=None):
    """The Flask app and the runtime behind it, sharing one view of the credentials."""
    credentials = Credentials(settings)
    latency = make_latency_log(settings)
    runtime = build_runtime(settings)
    prepare_runtime(runtime, credentials, latency)
    if holder is not None:
        holder.runtime = runtime
    if not credentials.registered:
        log.warning("the GitHub App is not registered yet: open this server's home page (%s) to register it",
                    settings.public_url or f"http://{settings.host}:{settings.port}/")
    return create_app(settings, runtime.queue, runtime.store, credentials=credentials, latency=latency)


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
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "loglevel": settings.log_level.lower(),
        "logconfig_dict": logs.gunicorn_logconfig(settings.log_level, settings.log_format),
        "limit_request_field_size": 16384,
    }


def serve(settings: AppSettings, *, with_worker: bool | None = None) -> int:
    in_process = settings.backend == "sqlite" if with_worker is None else with_worker
    _Server(settings, in_process, gunicorn_options(settings)).run()
    return 0
