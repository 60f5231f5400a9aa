"""Operations of a real `armadilhas serve` process: first run to a full review, /healthz, /readyz,
/metrics, JSON logs with the work's context, and no secret in any log line."""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from .conftest import INSTALLATION, REPO, free_port, wait_until
from .deliveries import encode, pull_request_event, signed_headers
from .test_first_run import CHARGE, registration_form

ROOT = Path(__file__).resolve().parents[2]


class ServeProcess:
    """`armadilhas serve` as the README runs it, with no App credentials, in a fresh directory."""

    def __init__(self, fake, tmp_path: Path, **env):
        self.fake = fake
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / "serve.log"
        base = {k: v for k, v in os.environ.items()
                if k not in ("APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET", "REDIS_URL", "PUBLIC_URL")}
        self.env = dict(base, GITHUB_API_URL=fake.base_url, HOST="127.0.0.1", PORT=str(self.port),
                        ARMADILHAS_DATA_DIR=str(tmp_path / "data"), **env)
        self.cwd = tmp_path

    def __enter__(self):
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--env-file", "/nonexistent"],
                                     env=dict(self.env, PYTHONPATH=str(ROOT)), cwd=self.cwd,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        if not wait_until(lambda: self.status("/healthz") == 200):
            self.__exit__()
            raise AssertionError(f"serve did not start:\n{self.log()}")
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def status(self, path: str) -> int | None:
        try:
            with urllib.request.urlopen(self.url + path, timeout=2) as r:
                return r.status
        except urllib.error.HTTPError as err:
            return err.code
        except OSError:
            return None

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def deliver(self, payload: dict, secret: str, event="pull_request") -> int:
        body = encode(payload)
        req = urllib.request.Request(self.url + "/webhook", data=body, method="POST",
                                     headers=signed_headers(body, secret, event))
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as err:
            return err.code


def register_like_a_browser(server: ServeProcess) -> str:
    """Home page -> form POST to the fake GitHub -> its redirect back, cookies kept. Returns the page."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(server.url + "/", timeout=5).read().decode()
    action, manifest = registration_form(page)
    data = urllib.parse.urlencode({"manifest": json.dumps(manifest)}).encode()
    with opener.open(urllib.request.Request(action, data=data, method="POST"), timeout=10) as done:
        return done.read().decode()


def test_first_run_to_a_full_review_and_operations_endpoints(fake_github, tmp_path):
    fake_github.add_repo(REPO)
    fake_github.add_installation(INSTALLATION, repos=[REPO])
    pull = fake_github.add_pull(REPO, 1, head_files={"billing.py": CHARGE})
    payload = pull_request_event("opened", REPO, 1, pull.head_sha, INSTALLATION)

    with ServeProcess(fake_github, tmp_path) as server:
        status, home = server.get("/")
        assert status == 200 and "Register the GitHub App" in home
        assert server.deliver(payload, "guess") == 503
        assert server.status("/readyz") == 200  # ready to be registered: a load balancer must let people in

        assert "The GitHub App is registered" in register_like_a_browser(server)
        secret = fake_github.webhook_secret
        assert server.deliver(payload, "forged-secret") == 401
        assert server.deliver(payload, secret) == 202
        assert wait_until(lambda: any(r.get("status") == "completed" for r in fake_github.check_runs(REPO)))
        assert [c["line"] for c in fake_github.review_comments(REPO, 1)] == [5]

        # The Check Run completes inside the job; its latency sample and counters are recorded as
        # the job returns, a moment later.
        assert wait_until(lambda: json.loads(server.get("/readyz")[1]).get("jobs_in_window") == 1)
        status, ready = server.get("/readyz")
        assert status == 200, ready
        ready = json.loads(ready)
        assert ready["registered"] is True and ready["jobs_in_window"] == 1
        status, text = server.get("/metrics")
        assert status == 200
        assert re.search(r'armadilhas_deliveries_total\{event="pull_request",outcome="queued"\} 1\.0', text)
        assert re.search(r'armadilhas_deliveries_total\{event="pull_request",outcome="bad_signature"\} 1\.0', text)
        assert re.search(r'armadilhas_deliveries_total\{event="pull_request",outcome="unregistered"\} 1\.0', text)
        assert re.search(r'armadilhas_jobs_finished_total\{kind="review",result="done"\} 1\.0', text)
        assert re.search(r'armadilhas_comments_posted_total\{rule="ARM401"\} 1\.0', text)
        assert re.search(r'armadilhas_findings_total\{rule="ARM401"\} 1\.0', text)
        assert re.search(r'armadilhas_github_rate_limit_remaining\{installation="77"\} \d+', text)
        assert 'armadilhas_github_call_duration_seconds_count{operation="POST review",outcome="ok"} 1.0' in text
        assert "armadilhas_job_latency_seconds_count 1.0" in text
        assert "armadilhas_jobs_queued 0.0" in text
    log = server.log()

    # One JSON object per line, the review's lines carrying its context.
    records = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    accepted = [r for r in records if r["message"].startswith("delivery accepted")]
    assert accepted and accepted[0]["repo"] == REPO and accepted[0]["pr"] == 1
    assert accepted[0]["head_sha"] == pull.head_sha and accepted[0]["delivery"] and accepted[0]["job"] == 1
    done = [r for r in records if r["logger"] == "armadilhas.worker" and "review job" in r["message"]]
    assert done and done[0]["delivery"] == accepted[0]["delivery"] and done[0]["head_sha"] == pull.head_sha

    # No secret of any kind reached a log line.
    key_lines = [l for l in fake_github.app_private_key_pem.splitlines() if l and "-----" not in l]
    tokens = list(fake_github._tokens)
    code = fake_github.requests_to("POST", r"^/app-manifests/")[0].path.split("/")[2]
    body = encode(payload)
    signature = signed_headers(body, secret, "pull_request")["X-Hub-Signature-256"]
    forbidden = {"webhook secret": secret, "client secret": fake_github.client_secret, "manifest code": code,
                 "signature": signature.split("=", 1)[1], "signature (forged)": "forged-secret"}
    forbidden.update({f"token {i}": t for i, t in enumerate(tokens)})
    forbidden.update({f"key line {i}": line for i, line in enumerate(key_lines)})
    assert tokens and key_lines
    leaks = [name for name, value in forbidden.items() if value and value in log]
    assert leaks == [], leaks
    assert "PRIVATE KEY" not in log and "eyJ" not in log and "Traceback" not in log


def test_readyz_fails_with_the_reason_when_jobs_are_slow(tmp_path):
    from huey import SqliteHuey

    from bot.latency import SqliteLatency
    from bot.queue import JobQueue
    from bot.settings import AppSettings
    from bot.store import SqliteStore
    from bot.web import create_app

    settings = AppSettings(webhook_secret="s3cret-value", data_dir=tmp_path, ready_p99=5.0, ready_window=300)
    latency = SqliteLatency(tmp_path / "latency.db")
    queue = JobQueue(SqliteHuey("ready", filename=str(tmp_path / "q.db"), results=False))
    client = create_app(settings, queue, SqliteStore(tmp_path / "state.db"), latency=latency).test_client()
    for _ in range(50):
        latency.record(latency.now() - 0.2)
    assert client.get("/readyz").status_code == 200
    latency.record(latency.now() - 60)  # one job waited a minute: over 1 % of 51 jobs
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "job latency p99" in response.get_json()["message"] and "exceeds 5s" in response.get_json()["message"]


def test_readyz_names_an_unreachable_queue_and_store(tmp_path):
    from bot.settings import AppSettings
    from bot.web import create_app
    from bot.worker import build_runtime

    settings = AppSettings(webhook_secret="s3cret-value", data_dir=tmp_path,
                           redis_url=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    runtime = build_runtime(settings)
    from bot.latency import SqliteLatency

    client = create_app(settings, runtime.queue, runtime.store,
                        latency=SqliteLatency(tmp_path / "latency.db")).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    message = response.get_json()["message"]
    assert "queue unreachable (redis)" in message and "state store unreachable (redis)" in message
    assert client.get("/healthz").status_code == 200


def test_redis_latency_log_uses_the_server_clock(redis_url):
    from bot.latency import RedisLatency, p99

    log = RedisLatency(redis_url)
    now = log.now()
    assert abs(log.record(now - 2.0) - 2.0) < 1.0
    assert len(log.window(60)) == 1 and p99(log.window(60)) >= 1.0


def test_redaction_catches_credentials_whoever_logs_them():
    from bot import logs

    logs.add_secret("my-webhook-secret-123")
    line = logs.redact('token ghs_abcdefghijklmnopqrstuvwxyz123456 secret my-webhook-secret-123 '
                       'sig sha256=' + "a" * 64 + ' jwt eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjQyfQ.c2lnbmF0dXJl')
    assert "ghs_" not in line and "my-webhook-secret-123" not in line and "aaaa" not in line and "eyJ" not in line
