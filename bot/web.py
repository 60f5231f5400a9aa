"""The webhook endpoint: verify, de-duplicate, enqueue, answer in milliseconds.

GitHub waits 10 s for a 2xx and never retries by itself, so nothing here talks to GitHub: all
work goes to the queue. The signature is checked on the raw bytes before anything is parsed.
"""
from __future__ import annotations

import json
import logging

from flask import Flask, jsonify, request

from .queue import JobQueue
from .settings import AppSettings
from .store import Store, pr_key
from .webhook import route, verify_signature

log = logging.getLogger("armadilhas.web")


def create_app(settings: AppSettings, queue: JobQueue, store: Store) -> Flask:
    app = Flask("armadilhas")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    secret = settings.webhook_secret

    def reply(status: int, message: str, **extra):
        return jsonify({"message": message, **extra}), status

    @app.get("/healthz")
    def healthz():
        return reply(200, "ok", backend=settings.backend, queued=queue.pending())

    @app.post("/webhook")
    def webhook():
        length = request.content_length
        if length is not None and length > settings.max_body_bytes:
            return reply(413, "payload too large")
        body = request.get_data(cache=False)  # raises 413 past MAX_CONTENT_LENGTH for streamed bodies
        if not verify_signature(secret, body, request.headers.get("X-Hub-Signature-256")):
            return reply(401, "missing or invalid X-Hub-Signature-256")
        event = request.headers.get("X-GitHub-Event", "")
        delivery = request.headers.get("X-GitHub-Delivery", "")
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return reply(400, "body is not valid UTF-8 JSON")
        if not isinstance(payload, dict) or not event:
            return reply(400, "expected a JSON object and an X-GitHub-Event header")

        decision = route(event, payload)
        if decision.work is None:
            return reply(200, decision.reason)
        # Only deliveries that lead to work are remembered: pings and ignored events cost nothing.
        if delivery and not store.claim_delivery(delivery, settings.dedupe_ttl):
            return reply(200, "duplicate delivery", delivery=delivery)
        work = decision.work
        job_payload = dict(work.payload, delivery=delivery)
        if work.kind == "review":
            job_payload["job"] = store.next_job(pr_key(job_payload["repo"], job_payload["number"]))
        try:
            queue.enqueue(work.kind, job_payload)
        except Exception:
            if delivery:  # let GitHub's "Redeliver" button work once the queue is back
                store.forget_delivery(delivery)
            raise
        log.info("delivery %s: %s", delivery or "-", decision.reason)
        return reply(202, decision.reason)

    @app.errorhandler(413)
    def too_large(_error):
        return reply(413, "payload too large")

    @app.errorhandler(Exception)
    def unexpected(error):
        # The traceback goes to our log, never into the response GitHub shows the repo's admins.
        code = getattr(error, "code", None)
        if isinstance(code, int) and 400 <= code < 500:
            return reply(code, getattr(error, "description", "bad request"))
        log.exception("webhook handler failed")
        return reply(500, "internal error")

    return app
