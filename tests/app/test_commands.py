"""`/armadilhas recheck` and `/armadilhas help` through the webhook, the queue and the fake GitHub."""
import pytest

from bot.commands import parse_command

from .conftest import INSTALLATION, REPO
from .deliveries import comment_event

CHARGE = '''import stripe


def charge(order):
    return stripe.Charge.create(amount=order.total_cents, currency="brl", source=order.token)
'''


def say(app_world, body, login, *, user_type="User"):
    comment = app_world.fake.add_issue_comment(REPO, 1, body, user=login)
    payload = comment_event(REPO, 1, body, login, INSTALLATION, user_type=user_type, comment_id=comment["id"])
    return app_world.deliver("issue_comment", payload), comment["id"]


def bot_replies(fake):
    """Comments the App posted (the tests' own comments start with the command)."""
    return [c["body"] for c in fake.issue_comments(REPO, 1)
            if c["user"] == "armadilhas[bot]" and not c["body"].startswith("/armadilhas")]


@pytest.fixture
def reviewed(app_world):
    app_world.open_pull(1, head_files={"billing.py": CHARGE})
    app_world.work()
    return app_world


def test_recheck_by_a_maintainer_reruns_without_duplicating(reviewed):
    fake = reviewed.fake
    fake.set_permission(REPO, "maria", "maintain")
    response, comment_id = say(reviewed, "Pushed a fix upstream.\n/armadilhas recheck", "maria")
    assert response.status_code == 202
    reviewed.work()
    assert [r["content"] for r in fake.reactions(comment_id)] == ["eyes"]
    assert [getattr(o, "status", o) for _, o in reviewed.runtime.outcomes] == ["posted", "recheck queued", "clean"]
    assert len(fake.review_comments(REPO, 1)) == 1
    assert len(fake.check_runs(REPO)) == 2


def test_recheck_without_write_access_is_refused_politely_and_runs_nothing(reviewed):
    fake = reviewed.fake
    fake.set_permission(REPO, "drive-by", "read")
    say(reviewed, "/armadilhas recheck", "drive-by")
    reviewed.work()
    [reply] = bot_replies(fake)
    assert "Only people with write access" in reply and "@drive-by" in reply
    assert len(fake.check_runs(REPO)) == 1  # no new run


def test_unknown_user_counts_as_no_permission(reviewed):
    say(reviewed, "/armadilhas recheck", "stranger")
    reviewed.work()
    assert "Only people with write access" in bot_replies(reviewed.fake)[0]
    assert len(reviewed.fake.check_runs(REPO)) == 1


@pytest.mark.parametrize("login, user_type", [("dependabot[bot]", "Bot"), ("renovate", "Bot"),
                                              ("armadilhas[bot]", "Bot")])
def test_bots_and_the_app_itself_are_ignored(reviewed, login, user_type):
    reviewed.fake.set_permission(REPO, login, "admin")
    _, comment_id = say(reviewed, "/armadilhas recheck", login, user_type=user_type)
    reviewed.work()
    assert reviewed.fake.reactions(comment_id) == []
    assert bot_replies(reviewed.fake) == []
    assert len(reviewed.fake.check_runs(REPO)) == 1


def test_recheck_is_rate_limited_per_pull_request(reviewed):
    fake = reviewed.fake
    fake.set_permission(REPO, "maria", "write")
    say(reviewed, "/armadilhas recheck", "maria")
    say(reviewed, "/armadilhas recheck", "maria")
    reviewed.work()
    assert len(fake.check_runs(REPO)) == 2  # the first recheck ran, the second did not
    assert any("less than 60 seconds ago" in body for body in bot_replies(fake))


def test_help_lists_the_commands(reviewed):
    say(reviewed, "/armadilhas help", "anyone")
    reviewed.work()
    [reply] = bot_replies(reviewed.fake)
    assert "`/armadilhas recheck`" in reply and "`/armadilhas help`" in reply


def test_command_parsing_ignores_quotes_code_and_prose():
    assert parse_command("/armadilhas recheck") == "recheck"
    assert parse_command("thanks!\n  /armadilhas   RECHECK  \n") == "recheck"
    assert parse_command("/armadilhas") == ""
    assert parse_command("> /armadilhas recheck") is None
    assert parse_command("```\n/armadilhas recheck\n```") is None
    assert parse_command("you can run /armadilhas recheck later") is None
    assert parse_command("/armadilhas recheck please") is None
