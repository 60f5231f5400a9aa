"""Every artefact the App posts is posted once, even when the job that posts it runs again: the review
body that lists findings beyond `max_comments`, and the replies to slash commands. The re-run is
forced the way production forces it: GitHub applies a creating POST but the client times out, so
the job fails and runs again. Real PyGithub over HTTP against the fake GitHub."""
import pytest

from bot.commands import HELP, TOO_SOON
from bot.github.client import GitHubGateway
from bot.review import render
from tests.fakegithub.faults import FaultyGitHub
from tests.fakegithub.fixtures import APP_ID, public_key_of

from .conftest import INSTALLATION, REPO, AppWorld, end_state
from .deliveries import comment_event
from .test_faults import drain

CHARGE = '''import stripe


def charge(order):
    return stripe.Charge.create(amount=order.total_cents, currency="brl", source=order.token)


def refund(order):
    return stripe.Refund.create(charge=order.charge_id)
'''
# Six findings, two inline (max_comments: 2), four listed in the review body.
FILES = {f"{name}.py": CHARGE.replace("order", name) for name in ("billing", "payouts", "refunds")}
CONFIG = "review:\n  max_comments: 2\n"


@pytest.fixture
def fake(app_private_key):
    fake = FaultyGitHub(app_id=APP_ID, public_key_pem=public_key_of(app_private_key))
    with fake:
        fake.add_repo(REPO, files={"README.md": "# shop\n", ".github/armadilhas.yml": CONFIG})
        fake.add_installation(INSTALLATION, repos=[REPO])
        yield fake
        fake.release_hangs()
    assert not fake.internal_errors, fake.internal_errors


@pytest.fixture
def world(fake, app_private_key, tmp_path):
    # timeout=1: a hang of 2 s is a timeout for the client (PyGithub takes whole seconds).
    gateway = GitHubGateway(APP_ID, app_private_key, fake.base_url, test_mode=True, timeout=1)
    yield AppWorld(fake, gateway, tmp_path)
    gateway.close()


def _review_view(fake, number):
    """The reviews as people read them: text without the job marker, and what each lists."""
    return sorted((render.REVIEW_KEY.sub("", r["body"]).strip(), tuple(sorted(render.listed_of(r["body"]))))
                  for r in fake.reviews(REPO, number))


def test_overflow_review_is_not_posted_again_when_its_job_reruns(world, fake):
    world.open_pull(2, head_files=FILES)  # the calm run of the same files
    drain(world)
    calm, calm_reviews = end_state(fake, REPO, 2), _review_view(fake, 2)
    [(text, listed)] = calm_reviews
    assert len(calm["comments"]) == 2 and len(listed) == 4 and "4 more findings" in text

    # GitHub applies the review, the client times out: the job fails and its retry runs.
    hang = fake.hang_next("POST", r"/pulls/1/reviews$", seconds=2, lost_answer=True)
    world.open_pull(1, head_files=FILES)
    drain(world)
    assert hang.started.is_set() and len(fake.reviews(REPO, 1)) == 1
    assert [o.status for _, o in world.runtime.outcomes][-1] == "clean"  # the retry found it all posted
    assert end_state(fake, REPO, 1) == calm
    assert _review_view(fake, 1) == calm_reviews
    assert len(fake.requests_to("POST", r"/pulls/1/reviews$")) == 1


def test_a_later_job_does_not_list_or_comment_what_a_review_body_listed(world, fake):
    world.open_pull(1, head_files=FILES)
    drain(world)
    [(_, listed)] = _review_view(fake, 1)
    comments = end_state(fake, REPO, 1)["comments"]
    # A reopen queues a new job for the same head: nothing it would say is new.
    world.deliver("pull_request", _reopened(fake))
    drain(world)
    assert end_state(fake, REPO, 1)["comments"] == comments
    assert len(fake.reviews(REPO, 1)) == 1 and len(listed) == 4


def _reopened(fake):
    from .deliveries import pull_request_event

    return pull_request_event("reopened", REPO, 1, fake.pulls[(REPO, 1)].head_sha, INSTALLATION)


def _say(world, body, login):
    comment = world.fake.add_issue_comment(REPO, 1, body, user=login)
    response = world.deliver("issue_comment", comment_event(REPO, 1, body, login, INSTALLATION,
                                                            comment_id=comment["id"]))
    assert response.status_code == 202
    return comment["id"]


def _replies(fake):
    return [c["body"] for c in fake.issue_comments(REPO, 1) if c["user"] == "armadilhas[bot]"]


def test_help_reply_is_not_posted_again_when_its_job_reruns(world, fake):
    world.open_pull(1, head_files={"billing.py": CHARGE})
    drain(world)
    hang = fake.hang_next("POST", r"/issues/1/comments$", seconds=2, lost_answer=True)
    comment_id = _say(world, "/armadilhas help", "maria")
    drain(world)
    assert hang.started.is_set()
    [reply] = _replies(fake)
    assert reply.startswith(HELP) and render.reply_to_of(reply) == comment_id
    assert len(fake.requests_to("POST", r"/issues/1/comments$")) == 1  # not retried blindly either
    assert [o for k, o in world.runtime.outcomes if k == "command"] == ["help"]


def test_recheck_rerun_passes_its_own_gate_instead_of_replying_too_soon(world, fake):
    world.open_pull(1, head_files={"billing.py": CHARGE})
    drain(world)
    fake.set_permission(REPO, "maria", "write")
    # The command's PR read fails past the client's retries, after the gate was taken.
    fake.fail_next("GET", r"/pulls/1$", 502, times=4)
    _say(world, "/armadilhas recheck", "maria")
    drain(world)
    assert not any(TOO_SOON.split(" ", 3)[3][:30] in r for r in _replies(fake)), _replies(fake)
    assert _replies(fake) == []
    assert [o for k, o in world.runtime.outcomes if k == "command"] == ["recheck queued"]
    assert end_state(fake, REPO, 1)["duplicates"] == 0 and len(fake.reviews(REPO, 1)) == 1
    # A second recheck within the interval from someone else's comment is still refused.
    _say(world, "/armadilhas recheck", "maria")
    drain(world)
    [reply] = _replies(fake)
    assert "less than 60 seconds ago" in reply


def test_review_body_fits_githubs_cap_and_marks_exactly_what_it_lists():
    import dataclasses

    import analyzers
    from bot.config import load_repo_config

    [finding, _] = analyzers.analyze("billing.py", CHARGE, load_repo_config(CONFIG).settings).findings
    many = [dataclasses.replace(finding, fingerprint=f"{i:016x}") for i in range(5000)]
    body = render.review_body(25, many, 25, "en", key="1:3@abc")
    listed = render.listed_of(body)
    assert len(body) <= render.MAX_OUTPUT_CHARS and render.review_key_of(body) == "1:3@abc"
    assert 0 < len(listed) < 5000 and f"and {5000 - len(listed)} more" in body
    assert all(f"{i:016x}" in listed for i in range(len(listed)))  # the first ones, in order
    assert body.count("**ARM401**") == len(listed)
