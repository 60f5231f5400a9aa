"""Prometheus metrics (prometheus-client), served at /metrics.

Job metrics are taken from huey's signals, so the queue and the worker need no metrics code; the
web process counts deliveries; the GitHub client reports call durations and the rate limit left.
With PROMETHEUS_MULTIPROC_DIR set (several processes on one host sharing a directory) the values
of every process are merged, as prometheus-client's multi-process mode does.
"""
from __future__ import annotations

import os
import re
import threading
import time
from contextlib import contextmanager

from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest)
from prometheus_client.core import GaugeMetricFamily

from . import logs

DELIVERIES = Counter("armadilhas_deliveries", "Webhook deliveries by event and outcome", ["event", "outcome"])
JOBS_RUNNING = Gauge("armadilhas_jobs_running", "Jobs executing now", ["kind"], multiprocess_mode="livesum")
JOBS_FINISHED = Counter("armadilhas_jobs_finished", "Job attempts by result (done, dropped, rate_limited, failed)",
                        ["kind", "result"])
JOBS_RETRIED = Counter("armadilhas_jobs_retried", "Job attempts that failed or hit a rate limit and go back to the queue "
                       "(while attempts remain)", ["kind"])
JOB_SECONDS = Histogram("armadilhas_job_duration_seconds", "Time a job attempt runs", ["kind"],
                        buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300))
JOB_LATENCY = Histogram("armadilhas_job_latency_seconds", "Delivery accepted -> job done",
                        buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900))
GITHUB_SECONDS = Histogram("armadilhas_github_call_duration_seconds", "GitHub API calls (retries included)",
                           ["operation", "outcome"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
RATE_REMAINING = Gauge("armadilhas_github_rate_limit_remaining", "x-ratelimit-remaining of the last answer",
                       ["installation"], multiprocess_mode="mostrecent")
FINDINGS = Counter("armadilhas_findings", "Findings on lines added by pull requests, by rule", ["rule"])
COMMENTS = Counter("armadilhas_comments_posted", "Inline review comments posted, by rule", ["rule"])

_OPERATION = re.compile(r"^(GET|POST|PATCH|PUT|DELETE) (/app|pull request|files|contents|review comments|permission|"
                        r"review|reply|comment|reaction|check run|annotations)")


def operation_of(what: str) -> str:
    """A bounded label from a call description ("GET pull request acme/shop#1" -> "GET pull request")."""
    match = _OPERATION.match(what)
    return match.group(0) if match else "other"


@contextmanager
def github_call(what: str):
    started = time.monotonic()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        GITHUB_SECONDS.labels(operation_of(what), outcome).observe(time.monotonic() - started)


def rate_limit(installation: int, remaining: int) -> None:
    if remaining >= 0:  # PyGithub says -1 until a response carried the header
        RATE_REMAINING.labels(str(installation)).set(remaining)


def findings(rules) -> None:
    for rule in rules:
        FINDINGS.labels(rule).inc()


def comments_posted(rules) -> None:
    for rule in rules:
        COMMENTS.labels(rule).inc()


# -- jobs: the handler the queue calls, wrapped -------------------------------------------------
def instrument_runtime(runtime, latency_log=None) -> None:
    """Count, time and give log context to every job this process runs.

    Wraps the handler bound to the queue, so the queue and the worker carry no metrics code. An
    attempt ends `done`, `dropped` (PermanentFailure: retrying cannot help), `rate_limited`
    (re-scheduled for GitHub's reset) or `failed` (the queue retries it while attempts remain)."""
    from .queue import PermanentFailure

    inner = runtime.handle
    if getattr(inner, "_armadilhas_instrumented", False):
        return

    def handle(kind: str, payload: dict, *args, **kwargs):
        started = time.monotonic()
        result = "failed"
        JOBS_RUNNING.labels(kind).inc()
        with logs.bind(delivery=payload.get("delivery") or None, repo=payload.get("repo"),
                       pr=payload.get("number"), head_sha=payload.get("head_sha"), job=payload.get("job")):
            try:
                outcome = inner(kind, payload, *args, **kwargs)
                result = "done"
                return outcome
            except PermanentFailure:
                result = "dropped"
                raise
            except Exception as exc:
                result = "rate_limited" if getattr(exc, "retry_at", None) is not None else "failed"
                raise
            finally:
                JOBS_RUNNING.labels(kind).dec()
                JOB_SECONDS.labels(kind).observe(time.monotonic() - started)
                JOBS_FINISHED.labels(kind, result).inc()
                if result in ("failed", "rate_limited"):
                    JOBS_RETRIED.labels(kind).inc()
                stamp = payload.get("enqueued_at")
                if result == "done" and latency_log is not None and isinstance(stamp, (int, float)):
                    try:
                        JOB_LATENCY.observe(latency_log.record(stamp))
                    except Exception:  # a metric must never fail the job it measures
                        pass

    handle._armadilhas_instrumented = True
    runtime.handle = handle
    runtime.queue.bind(handle)


# -- exposition ----------------------------------------------------------------------------------
class _QueueCollector:
    """Queue depth, read from the queue itself at scrape time (any process can see it)."""

    def __init__(self, queue) -> None:
        self.queue = queue

    def collect(self):
        queued = GaugeMetricFamily("armadilhas_jobs_queued", "Jobs waiting in the queue")
        scheduled = GaugeMetricFamily("armadilhas_jobs_scheduled", "Jobs waiting for a retry or a rate-limit reset")
        try:
            queued.add_metric([], self.queue.pending())
            scheduled.add_metric([], self.queue.scheduled())
        except Exception:  # the queue is down: /readyz says so; the scrape still answers
            return
        yield queued
        yield scheduled


def exposition(queue=None) -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    if queue is not None:
        extra = CollectorRegistry()
        extra.register(_QueueCollector(queue))
        body += generate_latest(extra)
    return body, CONTENT_TYPE_LATEST


def serve_metrics(port: int, host: str = "0.0.0.0", queue=None) -> None:
    """A /metrics endpoint for `armadilhas worker` processes, which have no web server of their own."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class _Quiet(WSGIRequestHandler):
        def log_message(self, *args) -> None:
            pass

    def app(environ, start_response):
        if environ.get("PATH_INFO") not in ("/metrics", "/"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        body, ctype = exposition(queue)
        start_response("200 OK", [("Content-Type", ctype), ("Content-Length", str(len(body)))])
        return [body]

    server = make_server(host, port, app, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="armadilhas-metrics", daemon=True).start()
