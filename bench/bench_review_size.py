"""Delivery to posted review, and peak memory, for pull requests of 1, 20, 300 and 3,000 files.

    .venv/bin/python bench/bench_review_size.py [--sizes 1,20,300,3000]

Each size runs in a fresh child process holding the fake GitHub (loopback HTTP, real PyGithub) and
the App (webhook -> SQLite queue -> review job), so its peak RSS is that size's alone; the fake's own
copy of the repository is included in it (an overestimate of the App's memory). Goals: 20 files
under 3 s, 3,000 files under 300 MB.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODULE = '''import logging

import stripe

log = logging.getLogger(__name__)


def charge_{n}(order):
    log.info("charging order %s", order.id)
    return stripe.Charge.create(amount=order.total_cents, currency="brl", source=order.token)


def total_{n}(items):
    return sum(item.cents for item in items)
'''


def one(size: int) -> dict:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from huey import SqliteHuey

    from bot.github.client import GitHubGateway
    from bot.settings import AppSettings
    from bot.store import SqliteStore
    from bot.web import create_app
    from bot.worker import build_runtime
    from tests.app.deliveries import encode, pull_request_event, signed_headers
    from tests.fakegithub.server import FakeGitHub

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    repo = "acme/payments"
    with FakeGitHub(app_id=4242, public_key_pem=public_pem) as fake, tempfile.TemporaryDirectory() as tmp:
        fake.add_repo(repo)
        fake.add_installation(5, repos=[repo])
        settings = AppSettings(app_id="4242", private_key=private_pem, webhook_secret="s",
                               github_api_url=fake.base_url, data_dir=Path(tmp))
        gateway = GitHubGateway(4242, private_pem, fake.base_url, test_mode=True)
        runtime = build_runtime(settings, gateway=gateway,
                                huey=SqliteHuey("bench", filename=f"{tmp}/queue.db", results=False),
                                store=SqliteStore(f"{tmp}/state.db"))
        web = create_app(settings, runtime.queue, runtime.store).test_client()
        files = {f"payments/m{n // 100:02d}/module_{n:04d}.py": MODULE.format(n=n) for n in range(size)}
        pull = fake.add_pull(repo, 1, head_files=files)
        del files
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        body = encode(pull_request_event("opened", repo, 1, pull.head_sha, 5))
        start = time.monotonic()
        assert web.post("/webhook", data=body, headers=signed_headers(body, "s", "pull_request")).status_code == 202
        runtime.queue.run_pending()
        elapsed = time.monotonic() - start
        [outcome] = [o for _, o in runtime.outcomes]
        runs = [r for r in fake.check_runs(repo) if r["status"] == "completed"]
        result = {"files": size, "seconds": round(elapsed, 2), "status": outcome.status, "findings": outcome.findings,
                  "inline": len(fake.review_comments(repo, 1)), "completed_runs": len(runs),
                  "requests": len(fake.requests), "peak_rss_mb": round(resource.getrusage(
                      resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "rss_before_job_mb": round(rss_before / 1024, 1)}
        gateway.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,20,300,3000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one)))
        return 0
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--one", str(size)], capture_output=True, text=True,
                             timeout=1200)
        if out.returncode != 0:
            print(f"{size} files: failed\n{out.stderr[-2000:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        goal = {20: ("3 s", r["seconds"] / 3.0), 3000: ("300 MB", r["peak_rss_mb"] / 300.0)}.get(size)
        print(f"{size:>5} files: delivery -> review {r['seconds']:.2f} s, {r['findings']} findings "
              f"({r['inline']} inline, {r['completed_runs']} completed check run), {r['requests']} requests, "
              f"peak RSS {r['peak_rss_mb']:.0f} MB (before the job {r['rss_before_job_mb']:.0f} MB)"
              + (f"; ratio to the {goal[0]} goal {goal[1]:.2f}" if goal else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
