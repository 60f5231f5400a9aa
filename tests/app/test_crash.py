"""A worker process killed mid-job loses nothing and duplicates nothing; a worker that was paused past
its lease cannot post (fencing). Real `armadilhas worker` processes, SIGKILL/SIGSTOP, against the fake
GitHub over HTTP, with the SQLite queue and with a real redis-server."""
import os
import signal

import pytest
from huey import RedisHuey, SqliteHuey

from bot.store import RedisStore, SqliteStore
from tests.fakegithub.faults import FaultyGitHub
from tests.fakegithub.fixtures import APP_ID, public_key_of

from .conftest import INSTALLATION, REPO, AppWorld, WorkerProcess, end_state, wait_until

CHARGE = '''import stripe


def charge(order):
    return stripe.Charge.create(amount=order.total_cents, currency="brl", source=order.token)


def refund(order):
    return stripe.Refund.create(charge=order.charge_id)
'''
FILES = {"billing.py": CHARGE, "payouts.py": CHARGE.replace("order", "payout")}


@pytest.fixture
def fake_github(app_private_key):
    fake = FaultyGitHub(app_id=APP_ID, public_key_pem=public_key_of(app_private_key))
    with fake:
        fake.add_repo(REPO, files={"README.md": "# shop\n"})
        fake.add_installation(INSTALLATION, repos=[REPO])
        yield fake
        fake.release_hangs()
    assert not fake.internal_errors, fake.internal_errors


@pytest.fixture(params=["sqlite", "redis"])
def backend(request, tmp_path):
    """(web world that enqueues like `armadilhas serve`, redis url or None) sharing the worker's queue."""
    return request.param


def _web(fake, gateway, data_dir, backend, request):
    if backend == "redis":
        url = request.getfixturevalue("redis_url")
        return AppWorld(fake, gateway, data_dir, huey=RedisHuey("armadilhas", url=url, results=False),
                        store=RedisStore(url)), url
    data_dir.mkdir(parents=True, exist_ok=True)
    # The names `armadilhas serve`/`worker` use, so the worker process consumes this queue.
    return AppWorld(fake, gateway, data_dir, huey=SqliteHuey("armadilhas", filename=str(data_dir / "queue.db"),
                                                             results=False),
                    store=SqliteStore(data_dir / "state.db")), None


def _calm_state(fake, gateway, tmp_path):
    """The same pull request reviewed with nothing going wrong (PR #2, in-process)."""
    (tmp_path / "calm").mkdir()
    calm = AppWorld(fake, gateway, tmp_path / "calm")
    calm.open_pull(2, head_files=FILES)
    calm.work()
    return end_state(fake, REPO, 2)


def test_worker_killed_after_posting_comments_is_rerun_without_duplicates(
        backend, fake_github, github_gateway, app_private_key, tmp_path, request):
    fake = fake_github
    calm = _calm_state(fake, github_gateway, tmp_path)
    assert calm["comments"] and calm["head_run_conclusions"] == ["neutral"]

    data = tmp_path / "data"
    web, redis_url = _web(fake, github_gateway, data, backend, request)
    # The PATCH that completes the Check Run comes after the review POST: hang it, then kill.
    hang = fake.hang_next("PATCH", r"/check-runs/\d+$", seconds=60, apply=False)
    web.open_pull(1, head_files=FILES)
    first = WorkerProcess(fake, app_private_key, data, redis_url=redis_url)
    try:
        assert wait_until(hang.started.is_set, 30), first.output()
        assert len(fake.review_comments(REPO, 1)) == len(calm["comments"])  # comments are on the PR already
        first.kill()
        fake.release_hangs()
    finally:
        first.stop()
    assert [r["status"] for r in fake.check_runs(REPO) if r["head_sha"] == fake.pulls[(REPO, 1)].head_sha] \
        == ["in_progress"]

    second = WorkerProcess(fake, app_private_key, data, redis_url=redis_url)
    try:
        # The dead worker's lease runs out; the new worker takes the job over and finishes it.
        assert wait_until(lambda: end_state(fake, REPO, 1)["runs_not_completed"] == 0, 30), second.output()
    finally:
        second.stop()
    assert end_state(fake, REPO, 1) == calm
    assert len(fake.requests_to("POST", rf"/pulls/1/reviews$")) == 1
    assert len(fake.requests_to("POST", r"/check-runs$")) == 2  # one per PR: the re-run adopted its run
    assert "Traceback" not in second.output(), second.output()


def test_worker_paused_past_its_lease_cannot_post(fake_github, github_gateway, app_private_key, tmp_path):
    fake = fake_github
    calm = _calm_state(fake, github_gateway, tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    web = AppWorld(fake, github_gateway, data, huey=SqliteHuey("armadilhas", filename=str(data / "queue.db"),
                                                               results=False))
    # The first worker stops (SIGSTOP: a long GC pause, a frozen VM) while reading the comments,
    # just before it would post; its lease runs out and a second worker does the review.
    hang = fake.hang_next("GET", r"/pulls/1/comments$", seconds=60, apply=True)
    web.open_pull(1, head_files=FILES)
    paused = WorkerProcess(fake, app_private_key, data)
    other = None
    try:
        assert wait_until(hang.started.is_set, 30), paused.output()
        os.kill(paused.proc.pid, signal.SIGSTOP)
        other = WorkerProcess(fake, app_private_key, data)
        assert wait_until(lambda: end_state(fake, REPO, 1)["head_run_conclusions"] == ["neutral"], 30), \
            other.output()
        # Wake the paused worker with its (now stale) answer: it must not post anything.
        reviews_before = len(fake.requests_to("POST", r"/pulls/1/reviews$"))
        fake.release_hangs()
        os.kill(paused.proc.pid, signal.SIGCONT)
        assert wait_until(lambda: "its new holder carries on" in paused.output(), 20), paused.output()
        # It woke with the answer it was waiting for, not after its HTTP client gave up.
        assert "ReadTimeout" not in paused.output(), paused.output()
    finally:
        paused.stop()
        if other is not None:
            other.stop()
    assert len(fake.requests_to("POST", r"/pulls/1/reviews$")) == reviews_before == 1
    assert end_state(fake, REPO, 1) == calm
