"""The web process: the webhook endpoint, first-run registration pages and operations endpoints.

GitHub waits 10 s for a 2xx and never retries by itself, so nothing here talks to GitHub: all
work goes to the queue. The signature is checked on the raw bytes before anything is parsed,
against the webhook secret of the moment (it appears when the App is registered, no restart).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from flask import Flask, jsonify, request

from . import logs, metrics
from .credentials import Credentials
from .latency import LatencyLog, make_latency_log, p99
from .queue import JobQueue
from .registration import blueprint
from .settings import AppSettings
from .store import Store, pr_key
from .webhook import route, verify_signature

log = logging.getLogger("armadilhas.web")
READYZ_PROBE_KEY = "armadilhas-readyz#0"


def create_app(settings: AppSettings, queue: JobQueue, store: Store, *, credentials: Credentials | None = None,
               latency: LatencyLog | None = None, manifest_path: Path | None = None,
               redirect_base: str | None = None) -> Flask:
    """The one place the web process is wired. `credentials` defaults to the environment's, else
    the data directory's (see bot/credentials.py)."""
    app = Flask("armadilhas", root_path=str(Path(__file__).parent))
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    credentials = credentials or Credentials(settings)
    latency = latency or make_latency_log(settings)
    app.register_blueprint(blueprint(credentials, settings.github_api_url, settings.public_url,
                                     manifest_path=manifest_path, redirect_base=redirect_base))

    def reply(status: int, message: str, **extra):
        return jsonify({"message": message, **extra}), status

    @app.get("/healthz")
    def healthz():
        # Liveness only: the process answers. Dependencies are /readyz's business.
        return reply(200, "ok", backend=settings.backend)

    @app.get("/readyz")
    def readyz():
        problems: list[str] = []
        queued = slowest = None
        samples: list[float] = []
        try:
            queued = queue.pending()
        except Exception as exc:
            problems.append(f"queue unreachable ({settings.backend}): {type(exc).__name__}")
        try:
            store.newest_job(READYZ_PROBE_KEY)
        except Exception as exc:
            problems.append(f"state store unreachable ({settings.backend}): {type(exc).__name__}")
        try:
            samples = latency.window(settings.ready_window)
            slowest = p99(samples)
        except Exception as exc:
            problems.append(f"job latency unknown: {type(exc).__name__}")
        if slowest is not None and slowest > settings.ready_p99:
            problems.append(f"job latency p99 {slowest:.1f}s over the last {settings.ready_window}s exceeds "
                            f"{settings.ready_p99:g}s")
        body = {"backend": settings.backend, "queued": queued, "registered": credentials.registered,
                "latency_p99_seconds": slowest, "jobs_in_window": len(samples)}
        if problems:
            return reply(503, "; ".join(problems), ready=False, **body)
        return reply(200, "ready", ready=True, **body)

    @app.get("/metrics")
    def prometheus():
        body, content_type = metrics.exposition(queue)
        return app.response_class(body, mimetype=None, content_type=content_type)

    @app.post("/webhook")
    def webhook():
        event = request.headers.get("X-GitHub-Event", "")
        delivery = request.headers.get("X-GitHub-Delivery", "")
        with logs.bind(delivery=delivery or None):
            status, body = _webhook(event, delivery)
        metrics.DELIVERIES.labels(event or "none", body.get("outcome", "error")).inc()
        return jsonify(body), status

    def _webhook(event: str, delivery: str) -> tuple[int, dict]:
        creds = credentials.current()
        if creds is None:
            return 503, {"message": "the GitHub App is not registered yet: open this server's home page to register "
                                    "it", "outcome": "unregistered"}
        length = request.content_length
        if length is not None and length > settings.max_body_bytes:
            return 413, {"message": "payload too large", "outcome": "too_large"}
        body = request.get_data(cache=False)  # raises 413 past MAX_CONTENT_LENGTH for streamed bodies
        if not verify_signature(creds.webhook_secret, body, request.headers.get("X-Hub-Signature-256")):
            log.warning("delivery rejected: missing or invalid signature")
            return 401, {"message": "missing or invalid X-Hub-Signature-256", "outcome": "bad_signature"}
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return 400, {"message": "body is not valid UTF-8 JSON", "outcome": "bad_request"}
        if not isinstance(payload, dict) or not event:
            return 400, {"message": "expected a JSON object and an X-GitHub-Event header", "outcome": "bad_request"}

        decision = route(event, payload)
        if decision.work is None:
            return 200, {"message": decision.reason, "outcome": "ignored"}
        work = decision.work
        with logs.bind(repo=work.payload.get("repo"), pr=work.payload.get("number"),
                       head_sha=work.payload.get("head_sha")):
            # Only deliveries that lead to work are remembered: pings and ignored events cost nothing.
            if delivery and not store.claim_delivery(delivery, settings.dedupe_ttl):
                log.info("duplicate delivery")
                return 200, {"message": "duplicate delivery", "delivery": delivery, "outcome": "duplicate"}
            job_payload = dict(work.payload, delivery=delivery)
            if work.kind == "review":
                job_payload["job"] = store.next_job(pr_key(job_payload["repo"], job_payload["number"]))
            try:
                job_payload["enqueued_at"] = latency.now()
            except Exception:  # latency is for /readyz; a review must not wait on it
                log.warning("job latency clock unreachable; this job is not timed")
            try:
                queue.enqueue(work.kind, job_payload)
            except Exception:
                if delivery:  # let GitHub's "Redeliver" button work once the queue is back
                    store.forget_delivery(delivery)
                raise
            with logs.bind(job=job_payload.get("job")):
                log.info("delivery accepted: %s", decision.reason)
        return 202, {"message": decision.reason, "outcome": "queued"}

    @app.errorhandler(413)
    def too_large(_error):
        return reply(413, "payload too large")

    @app.errorhandler(Exception)
    def unexpected(error):
        # The traceback goes to our log, never into the response GitHub shows the repo's admins.
        code = getattr(error, "code", None)
        if isinstance(code, int) and 400 <= code < 500:
            return reply(code, getattr(error, "description", "bad request"))
        log.exception("request handler failed")
        return reply(500, "internal error")

    return app
