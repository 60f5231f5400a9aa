"""`redis-server` restarted under the Redis backend while jobs are queued and one is running: every
pull request ends as a calm run ends (one review's worth of comments, no duplicates, the Check Run
completed). A real redis-server with an append-only file (as docker-compose.yml runs it), a real
`armadilhas worker` process, the fake GitHub over HTTP."""
import shutil
import socket
import subprocess
import time

import pytest
from huey import RedisHuey

from bot.store import RedisStore
from tests.fakegithub.faults import FaultyGitHub
from tests.fakegithub.fixtures import APP_ID, public_key_of

from .conftest import INSTALLATION, REPO, AppWorld, WorkerProcess, free_port, end_state, wait_until
from .test_crash import FILES

PULLS = (1, 2, 3)


class RedisProcess:
    """A redis-server this test owns: stopped and started again on the same port and data."""

    def __init__(self, workdir) -> None:
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.workdir = workdir
        self.proc = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_until(self._answers, 10):
            pytest.fail("redis-server did not start")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: redis flushes the append-only file and exits
            self.proc.wait(timeout=10)


@pytest.fixture
def redis_process(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server); Redis restart not tested")
    (tmp_path / "redis").mkdir()
    server = RedisProcess(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_github(app_private_key):  # the name github_gateway points at
    fake = FaultyGitHub(app_id=APP_ID, public_key_pem=public_key_of(app_private_key))
    with fake:
        fake.add_repo(REPO, files={"README.md": "# shop\n"})
        fake.add_installation(INSTALLATION, repos=[REPO])
        yield fake
        fake.release_hangs()
    assert not fake.internal_errors, fake.internal_errors


def test_redis_restart_with_jobs_queued_and_running(fake_github, github_gateway, app_private_key, redis_process, tmp_path):
    fake = fake_github
    (tmp_path / "calm").mkdir()
    calm_world = AppWorld(fake, github_gateway, tmp_path / "calm")
    calm_world.open_pull(9, head_files=FILES)
    calm_world.work()
    calm = end_state(fake, REPO, 9)
    assert calm["comments"] and calm["head_run_conclusions"] == ["neutral"]

    data = tmp_path / "data"
    web = AppWorld(fake, github_gateway, data, huey=RedisHuey("armadilhas", url=redis_process.url, results=False),
                   store=RedisStore(redis_process.url))
    # The first job to read its PR's comments waits there (running) while the others stay queued.
    hang = fake.hang_next("GET", r"/pulls/\d+/comments$", seconds=30, apply=True)
    for number in PULLS:
        web.open_pull(number, head_files=FILES)
    worker = WorkerProcess(fake, app_private_key, data, redis_url=redis_process.url)
    try:
        assert wait_until(hang.started.is_set, 30), worker.output()
        reviews_before = sum(len(fake.reviews(REPO, n)) for n in PULLS)
        redis_process.stop()
        time.sleep(0.5)  # the worker meets a dead Redis: heartbeat, queue reads and the running job's next step
        fake.release_hangs()
        time.sleep(0.5)
        redis_process.start()
        assert wait_until(lambda: all(end_state(fake, REPO, n)["head_run_conclusions"] == ["neutral"]
                                      and end_state(fake, REPO, n)["runs_not_completed"] == 0 for n in PULLS),
                          60), worker.output()
        assert wait_until(lambda: not web.runtime.queue.leases.pending(), 20), worker.output()
    finally:
        worker.stop()
    assert reviews_before == 0  # nothing had been posted when Redis went away
    for number in PULLS:
        assert end_state(fake, REPO, number) == calm, (number, worker.output())
        assert len(fake.reviews(REPO, number)) == 1
    # huey logs its own failed reads of the queue while Redis is down; no job error reaches it.
    assert "Unhandled exception in task" not in worker.output(), worker.output()
