"""Fixtures of the App tests: a real redis-server on a free loopback port when one is installed."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server); Redis backend not tested")
    port = _free_port()
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
