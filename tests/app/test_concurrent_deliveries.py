"""The same delivery sent 10 times at once, to two real `armadilhas serve --no-worker` processes
sharing a real redis-server: exactly one job is queued, and a worker turns it into exactly one
review and one Check Run (GitHub redelivers with the same X-GitHub-Delivery; a load balancer
spreads the copies over web processes)."""
import http.client
import os
import subprocess
import sys
import threading

from huey import RedisHuey

from bot.store import RedisStore, pr_key
from bot.queue import JobQueue

from .conftest import INSTALLATION, REPO, SECRET, WorkerProcess, free_port, end_state, wait_until
from .deliveries import encode, pull_request_event, signed_headers
from .test_crash import FILES

COPIES = 10


class WebProcess:
    def __init__(self, fake, redis_url: str, data_dir) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        env = dict(os.environ, WEBHOOK_SECRET=SECRET, GITHUB_API_URL=fake.base_url, HOST="127.0.0.1",
                   PORT=str(self.port), ARMADILHAS_DATA_DIR=str(data_dir), REDIS_URL=redis_url, LOG_FORMAT="text")
        for name in ("APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_PATH"):
            env.pop(name, None)  # a web-only process needs the webhook secret alone
        code = "import sys; from bot.cli import main; sys.exit(main(['serve', '--no-worker', '--env-file', '/nonexistent']))"
        self.log = open(data_dir / "web.log", "wb")
        self.proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=data_dir,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def healthy(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except OSError:
            return False

    def post(self, body: bytes, headers: dict) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("POST", "/webhook", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
        with open(self.log.name, "rb") as f:
            return f.read().decode(errors="replace")


def test_same_delivery_ten_times_to_two_web_processes_makes_one_job(fake_github, app_private_key, redis_url,
                                                                     tmp_path):
    fake = fake_github
    fake.add_repo(REPO, files={"README.md": "# shop\n"})
    fake.add_installation(INSTALLATION, repos=[REPO])
    pull = fake.add_pull(REPO, 1, head_files=FILES)
    body = encode(pull_request_event("opened", REPO, 1, pull.head_sha, INSTALLATION))
    headers = signed_headers(body, SECRET, "pull_request", delivery="a6b0c9e2-5f1d-11ef-8d2a-7d1e5c0ffee0")

    webs = [WebProcess(fake, redis_url, tmp_path / f"web{i}") for i in range(2)]
    answers: list[tuple[int, bytes]] = []
    try:
        assert all(wait_until(web.healthy, 30) for web in webs)
        start = threading.Barrier(COPIES)
        lock = threading.Lock()

        def send(web):
            start.wait(10)
            answer = web.post(body, headers)
            with lock:
                answers.append(answer)

        threads = [threading.Thread(target=send, args=(webs[i % 2],)) for i in range(COPIES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        logs = [web.stop() for web in webs]
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * (COPIES - 1) + [202], (answers, logs)
    assert sum(b'"duplicate"' in text for _, text in answers) == COPIES - 1

    # One job in the journal, one number taken from the PR's counter.
    store = RedisStore(redis_url)
    queue = JobQueue(RedisHuey("armadilhas", url=redis_url, results=False))
    try:
        assert queue.leases.pending() == 1 and queue.pending() == 1
        assert store.newest_job(pr_key(REPO, 1)) == 1
    finally:
        store.close()

    worker = WorkerProcess(fake, app_private_key, tmp_path / "worker", redis_url=redis_url)
    try:
        assert wait_until(lambda: end_state(fake, REPO, 1)["head_run_conclusions"] == ["neutral"]
                          and not queue.leases.pending(), 30), worker.output()
    finally:
        worker.stop()
    assert len(fake.reviews(REPO, 1)) == 1 and len(fake.check_runs(REPO)) == 1
    state = end_state(fake, REPO, 1)
    assert state["duplicates"] == 0 and len(state["comments"]) == 4 and state["runs_not_completed"] == 0
    assert all("Traceback" not in log for log in logs), logs
