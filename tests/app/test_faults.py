"""GitHub misbehaving in the middle of a review, pushes racing a review, a recheck during one: each
ends as a calm run ends (one review's worth of comments, no duplicates, nothing for a superseded
head, the Check Run completed). Real PyGithub over HTTP against the fake GitHub."""
import datetime
import threading

import pytest

from bot.github.client import GitHubGateway
from tests.fakegithub.faults import FaultyGitHub
from tests.fakegithub.fixtures import APP_ID, public_key_of

from .conftest import INSTALLATION, REPO, AppWorld, end_state, wait_until
from .deliveries import comment_event

CHARGE = '''import stripe


def charge(order):
    return stripe.Charge.create(amount=order.total_cents, currency="brl", source=order.token)


def refund(order):
    return stripe.Refund.create(charge=order.charge_id)
'''
FILES = {"billing.py": CHARGE, "payouts.py": CHARGE.replace("order", "payout")}
PUSHED = {"billing.py": CHARGE + "\n\ndef void(order):\n    return stripe.Refund.create(charge=order.id)\n"}


@pytest.fixture
def fake(app_private_key):
    fake = FaultyGitHub(app_id=APP_ID, public_key_pem=public_key_of(app_private_key))
    with fake:
        fake.add_repo(REPO, files={"README.md": "# shop\n"})
        fake.add_installation(INSTALLATION, repos=[REPO])
        yield fake
        fake.release_hangs()
    assert not fake.internal_errors, fake.internal_errors


@pytest.fixture
def gateway(fake, app_private_key):
    # timeout=1: a hang of 2 s is a timeout for the client (PyGithub takes whole seconds).
    gateway = GitHubGateway(APP_ID, app_private_key, fake.base_url, test_mode=True, timeout=1)
    yield gateway
    gateway.close()


@pytest.fixture
def world(fake, gateway, tmp_path):
    return AppWorld(fake, gateway, tmp_path)


@pytest.fixture
def calm(fake, gateway, tmp_path):
    (tmp_path / "calm").mkdir()
    world = AppWorld(fake, gateway, tmp_path / "calm")
    world.open_pull(2, head_files=FILES)
    world.work()
    state = end_state(fake, REPO, 2)
    assert state["comments"] and state["head_run_conclusions"] == ["neutral"]
    return state


def drain(world, rounds=10):
    """Run queued jobs, then retries scheduled for later as if their time had come (bounded)."""
    huey = world.runtime.queue.huey
    for _ in range(rounds):
        world.work()
        due = huey.read_schedule(datetime.datetime.utcnow() + datetime.timedelta(days=1))
        if not due and not huey.pending_count():
            return
        for task in due:
            task.eta = None
            huey.enqueue(task)


@pytest.mark.parametrize("status", [500, 502])
def test_server_errors_on_reads_and_on_the_review_post(world, fake, calm, status):
    fake.fail_next("GET", r"/pulls/1/files$", status, times=2)  # retried inside the job
    fake.fail_next("POST", r"/pulls/1/reviews$", status)  # maybe applied: the job re-runs instead
    world.open_pull(1, head_files=FILES)
    drain(world)
    assert end_state(fake, REPO, 1) == calm


def test_review_post_timing_out_after_github_applied_it_is_not_posted_twice(world, fake, calm):
    fake.hang_next("GET", r"/pulls/1/files$", seconds=2, apply=True)  # a slow read: retried
    # Applied at once, answered after the client gave up: the retry must find it, not post it again.
    fake.hang_next("POST", r"/pulls/1/reviews$", seconds=2, lost_answer=True)
    world.open_pull(1, head_files=FILES)
    drain(world)
    assert end_state(fake, REPO, 1) == calm
    assert len(fake.reviews(REPO, 1)) == 1


@pytest.mark.parametrize("status,headers", [
    (403, {"Retry-After": "1"}),  # secondary rate limit
    (429, {"Retry-After": "1"}),
    (403, {"Retry-After": "3600"}),  # longer than max_wait: the job is re-scheduled, not slept through
])
def test_rate_limits_mid_review(world, fake, calm, status, headers):
    fake.fail_next("GET", r"/contents/", status, headers=headers)
    fake.fail_next("POST", r"/pulls/1/reviews$", status, headers=headers)
    world.open_pull(1, head_files=FILES)
    drain(world)
    assert end_state(fake, REPO, 1) == calm


def test_two_quick_pushes_review_only_the_last_head(world, fake, calm):
    world.open_pull(1, head_files=FILES)
    world.push(1, PUSHED)
    world.push(1, {"payouts.py": None})
    drain(world)
    state = end_state(fake, REPO, 1)
    assert state["reviews_on_other_heads"] == 0 and state["duplicates"] == 0
    assert state["head_run_conclusions"] == ["neutral"] and state["runs_not_completed"] == 0
    assert {path for path, _, _ in state["comments"]} == {"billing.py"}
    assert len(state["comments"]) == 3  # charge, refund and void: the last head's findings, once


def test_recheck_during_a_running_review(world, fake, calm):
    fake.set_permission(REPO, "maria", "write")
    hang = fake.hang_next("GET", r"/pulls/1/comments$", seconds=30, apply=True)
    world.open_pull(1, head_files=FILES)
    huey = world.runtime.queue.huey
    first = huey.dequeue()
    running = threading.Thread(target=huey.execute, args=(first,))
    running.start()
    try:
        assert wait_until(hang.started.is_set, 10)
        comment = fake.add_issue_comment(REPO, 1, "/armadilhas recheck", user="maria")
        response = world.deliver("issue_comment", comment_event(REPO, 1, "/armadilhas recheck", "maria",
                                                                INSTALLATION, comment_id=comment["id"]))
        assert response.status_code == 202
        drain(world)  # the command, then the recheck's review: it posts
    finally:
        fake.release_hangs()
        running.join(30)
    drain(world)
    state = end_state(fake, REPO, 1)
    assert state["comments"] == calm["comments"] and state["duplicates"] == 0
    assert state["runs_not_completed"] == 0 and "neutral" in state["head_run_conclusions"]
    assert len(fake.reviews(REPO, 1)) == 1
