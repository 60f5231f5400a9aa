"""App bench: webhook ack latency and delivery-to-review time against the fake GitHub.

    .venv/bin/python bench/bench_app.py [--deliveries 200] [--files 20]

Ack latency: N signed pull_request deliveries (distinct delivery ids) through the Flask app
in-process (verify HMAC + de-duplicate + enqueue in SQLite), i.e. what GitHub waits for minus the
network. End to end: one delivery for a PR changing `--files` Python files, run by the queue
consumer, until the review and the completed Check Run are on the fake (real PyGithub over HTTP).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from huey import SqliteHuey  # noqa: E402

from bot.github.client import GitHubGateway  # noqa: E402
from bot.settings import AppSettings  # noqa: E402
from bot.store import SqliteStore  # noqa: E402
from bot.web import create_app  # noqa: E402
from bot.worker import build_runtime  # noqa: E402
from tests.app.deliveries import encode, pull_request_event, signed_headers  # noqa: E402
from tests.fakegithub.server import FakeGitHub  # noqa: E402

SECRET = "bench-secret"
REPO = "acme/payments"
INSTALLATION = 5

MODULE = '''import logging

import stripe

log = logging.getLogger(__name__)


def charge_{n}(order):
    log.info("charging order %s", order.id)
    intent = stripe.PaymentIntent.create(
        amount=order.total_cents,
        currency="brl",
        customer=order.customer_id,
    )
    return intent.id


def refund_{n}(order):
    return stripe.Refund.create(payment_intent=order.intent_id, idempotency_key=f"refund-{{order.id}}")
'''


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=200)
    parser.add_argument("--files", type=int, default=20)
    args = parser.parse_args()

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with FakeGitHub(app_id=4242, public_key_pem=public_pem) as fake, tempfile.TemporaryDirectory() as tmp:
        fake.add_repo(REPO)
        fake.add_installation(INSTALLATION, repos=[REPO])
        settings = AppSettings(app_id="4242", private_key=private_pem, webhook_secret=SECRET,
                               github_api_url=fake.base_url, data_dir=Path(tmp))
        gateway = GitHubGateway(4242, private_pem, fake.base_url, test_mode=True)
        runtime = build_runtime(settings, gateway=gateway,
                                huey=SqliteHuey("bench", filename=f"{tmp}/queue.db", results=False),
                                store=SqliteStore(f"{tmp}/state.db"))
        web = create_app(settings, runtime.queue, runtime.store).test_client()

        # 1. Ack latency.
        latencies = []
        for i in range(args.deliveries):
            body = encode(pull_request_event("synchronize", REPO, 1000 + i, f"{i:040x}", INSTALLATION))
            headers = signed_headers(body, SECRET, "pull_request", delivery=f"bench-{i}")
            start = time.perf_counter()
            response = web.post("/webhook", data=body, headers=headers)
            latencies.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 202, response.get_json()
        while runtime.queue.huey.dequeue() is not None:  # drop the ack-bench jobs (no such PRs)
            pass
        print(f"webhook ack latency over {args.deliveries} signed deliveries: "
              f"median {statistics.median(latencies):.2f} ms, p95 {percentile(latencies, 0.95):.2f} ms, "
              f"max {max(latencies):.2f} ms")

        # 2. Delivery to posted review for a PR of N files.
        files = {f"payments/module_{n:02d}.py": MODULE.format(n=n) for n in range(args.files)}
        pull = fake.add_pull(REPO, 1, head_files=files)
        body = encode(pull_request_event("opened", REPO, 1, pull.head_sha, INSTALLATION))
        start = time.perf_counter()
        response = web.post("/webhook", data=body, headers=signed_headers(body, SECRET, "pull_request"))
        assert response.status_code == 202
        runtime.queue.run_pending()
        elapsed = time.perf_counter() - start
        comments = fake.review_comments(REPO, 1)
        runs = [r for r in fake.check_runs(REPO) if r["status"] == "completed"]
        calls = len(fake.requests)
        print(f"delivery -> review for a {args.files}-file PR: {elapsed * 1000:.0f} ms "
              f"({len(comments)} inline comments, {len(runs)} completed check run, "
              f"{calls} requests to the fake GitHub in total)")
        gateway.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
