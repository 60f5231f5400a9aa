"""Fixtures of the App tests: a real redis-server on a free loopback port when one is installed."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server); Redis backend not tested")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server):
    import redis

    client = redis.Redis.from_url(redis_server)
    client.flushdb()
    client.close()
    return redis_server


SECRET = "e2e-webhook-secret"
INSTALLATION = 77
REPO = "acme/shop"

# A file with one ARM401 finding and the model reply that fixes it, shared by the LLM-fix tests.
CHARGE = '''import stripe


def charge(order):
    intent = stripe.PaymentIntent.create(
        amount=order.total_cents,
        currency="brl",
        customer=order.customer_id,
    )
    return intent.id
'''
FIXED_CHARGE = '''```python
    intent = stripe.PaymentIntent.create(
        amount=order.total_cents,
        currency="brl",
        customer=order.customer_id,
        idempotency_key=f"charge-{order.id}",
    )
```'''


class AppWorld:
    """The App wired as `armadilhas serve` wires it (Flask app, SQLite queue and store, real
    PyGithub through GitHubGateway) against the fake GitHub; jobs run when `work()` is called."""

    def __init__(self, fake, gateway, tmp_path, huey=None, store=None):
        from huey import SqliteHuey

        from bot.settings import AppSettings
        from bot.store import SqliteStore
        from bot.web import create_app
        from bot.worker import build_runtime

        self.fake = fake
        self.settings = AppSettings(app_id="4242", webhook_secret=SECRET, github_api_url=fake.base_url,
                                    data_dir=tmp_path, recheck_interval=60)
        huey = huey or SqliteHuey("armadilhas-test", filename=str(tmp_path / "queue.db"), results=False)
        self.runtime = build_runtime(self.settings, gateway=gateway, huey=huey,
                                     store=store or SqliteStore(tmp_path / "state.db"))
        self.web = create_app(self.settings, self.runtime.queue, self.runtime.store).test_client()

    def deliver(self, event: str, payload: dict, delivery: str | None = None):
        from .deliveries import encode, signed_headers

        body = encode(payload)
        return self.web.post("/webhook", data=body, headers=signed_headers(body, SECRET, event, delivery))

    def open_pull(self, number: int, head_files: dict, base_files: dict | None = None, **kwargs):
        from .deliveries import pull_request_event

        pull = self.fake.add_pull(REPO, number, base_files=base_files or {}, head_files=head_files, **kwargs)
        response = self.deliver("pull_request", pull_request_event("opened", REPO, number, pull.head_sha, INSTALLATION))
        assert response.status_code == 202, response.get_json()
        return pull

    def push(self, number: int, head_files: dict) -> str:
        from .deliveries import pull_request_event

        sha = self.fake.push(REPO, number, head_files)
        response = self.deliver("pull_request", pull_request_event("synchronize", REPO, number, sha, INSTALLATION))
        assert response.status_code == 202
        return sha

    def work(self) -> int:
        return self.runtime.queue.run_pending()

    def outcome(self):
        return self.runtime.outcomes[-1][1]


@pytest.fixture
def app_world(fake_github, github_gateway, tmp_path):
    fake_github.add_repo(REPO, files={"README.md": "# shop\n"})
    fake_github.add_installation(INSTALLATION, repos=[REPO])
    return AppWorld(fake_github, github_gateway, tmp_path)


# -- real worker processes (crash tests) ---------------------------------------------------------
def wait_until(predicate, timeout: float = 30.0, interval: float = 0.05) -> bool:
    """Poll `predicate` until it holds or `timeout` seconds pass (monotonic clock)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


class WorkerProcess:
    """`armadilhas worker` as a real process against the fake GitHub: SIGKILL/SIGSTOP it like a host would."""

    def __init__(self, fake, private_key: str, data_dir, *, redis_url: str | None = None, lease_ttl: float = 1.5,
                 threads: int = 1):
        import os
        import sys

        data_dir.mkdir(parents=True, exist_ok=True)
        key = data_dir / "app.pem"
        key.write_text(private_key)
        env = dict(os.environ, APP_ID=str(fake.app_id), PRIVATE_KEY_PATH=str(key), WEBHOOK_SECRET=SECRET,
                   GITHUB_API_URL=fake.base_url, ARMADILHAS_DATA_DIR=str(data_dir),
                   ARMADILHAS_LEASE_TTL=str(lease_ttl), ARMADILHAS_WORKERS=str(threads), LOG_FORMAT="text")
        env.pop("REDIS_URL", None)
        if redis_url:
            env["REDIS_URL"] = redis_url
        code = "import sys; from bot.cli import main; sys.exit(main(['worker', '--env-file', '/nonexistent']))"
        self.log = open(data_dir / f"worker-{time.monotonic_ns()}.log", "wb")
        self.proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=data_dir,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no handler, no cleanup, like an OOM kill
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        with open(self.log.name, "rb") as f:
            return f.read().decode(errors="replace")


def end_state(fake, repo: str, number: int) -> dict:
    """What a pull request shows after its reviews: compared between a faulty run and a calm one."""
    from bot.review import render

    head = fake.pulls[(repo, number)].head_sha
    comments = fake.review_comments(repo, number)
    fingerprints = [render.fingerprint_of(c["body"]) for c in comments if c.get("in_reply_to_id") is None]
    runs = [r for r in fake.check_runs(repo) if r["head_sha"] == head]
    return {
        "comments": sorted((c["path"], c["line"], render.fingerprint_of(c["body"])) for c in comments),
        "duplicates": len(fingerprints) - len(set(fingerprints)),
        "reviews_on_other_heads": sum(1 for r in fake.reviews(repo, number) if r.get("commit_id") != head),
        "head_run_conclusions": sorted(r["conclusion"] or "-" for r in runs if r["conclusion"] != "skipped"),
        "runs_not_completed": sum(1 for r in fake.check_runs(repo) if r["status"] != "completed"),
    }
