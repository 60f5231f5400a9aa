"""A finding that disappears on a new head: its thread gets the "fixed" reply and is resolved through
GraphQL (`resolveReviewThread`) on the fake GitHub, which runs the real queries against a schema
subset; a thread a person re-opened stays open."""
import pytest

from .conftest import INSTALLATION, REPO

CHARGE = '''import stripe


def charge(order):
    intent = stripe.PaymentIntent.create(
        amount=order.total_cents,
        currency="brl",
        customer=order.customer_id,
    )
    return intent.id
'''
CHARGE_FIXED = CHARGE.replace("customer=order.customer_id,",
                              'customer=order.customer_id,\n        idempotency_key=f"order-{order.id}",')


def replies_to(fake, comment_id):
    return [c for c in fake.review_comments(REPO, 1) if c.get("in_reply_to_id") == comment_id]


def bot_resolutions(fake):
    return [e for e in fake.thread_events if e[0] == "resolve" and e[2].endswith("[bot]")]


def test_fixed_finding_thread_is_resolved_and_keeps_the_reply(app_world):
    fake = app_world.fake
    app_world.open_pull(1, head_files={"billing.py": CHARGE})
    app_world.work()
    [comment] = fake.review_comments(REPO, 1)
    assert not fake.thread_resolved(comment["id"])

    app_world.push(1, {"billing.py": CHARGE_FIXED})
    app_world.work()
    [reply] = replies_to(fake, comment["id"])
    assert reply["body"].startswith("✅ Fixed: `ARM401`")
    assert fake.thread_resolved(comment["id"])
    assert bot_resolutions(fake) == [("resolve", comment["id"], "armadilhas[bot]")]
    # Through GraphQL, with GitHub's query shape.
    [query, mutation] = [r for r in fake.requests_to("POST", r"^/graphql$")]
    assert "reviewThreads(first: 100" in query.json["query"] and query.status == 200
    assert "resolveReviewThread" in mutation.json["query"] and mutation.status == 200


def test_a_thread_a_person_reopened_stays_open(app_world):
    fake = app_world.fake
    app_world.open_pull(1, head_files={"billing.py": CHARGE})
    app_world.work()
    [comment] = fake.review_comments(REPO, 1)
    app_world.push(1, {"billing.py": CHARGE_FIXED})
    app_world.work()
    assert fake.thread_resolved(comment["id"])

    fake.set_thread_resolved(comment["id"], False, by="maintainer")  # "Unresolve conversation"
    app_world.push(1, {"billing.py": CHARGE_FIXED, "README.md": "# shop, again\n"})
    app_world.work()
    assert not fake.thread_resolved(comment["id"])
    assert len(replies_to(fake, comment["id"])) == 1
    assert len(bot_resolutions(fake)) == 1


def test_a_thread_still_flagged_is_not_resolved(app_world):
    fake = app_world.fake
    app_world.open_pull(1, head_files={"billing.py": CHARGE})
    app_world.work()
    [comment] = fake.review_comments(REPO, 1)
    app_world.push(1, {"billing.py": CHARGE, "README.md": "# more\n"})
    app_world.work()
    assert not fake.thread_resolved(comment["id"]) and replies_to(fake, comment["id"]) == []
    assert fake.requests_to("POST", r"^/graphql$") == []  # nothing fixed: no GraphQL call at all


@pytest.mark.parametrize("status", [502, 403])
def test_graphql_failure_still_posts_the_reply(app_world, status):
    fake = app_world.fake
    app_world.open_pull(1, head_files={"billing.py": CHARGE})
    app_world.work()
    [comment] = fake.review_comments(REPO, 1)
    fake.fail_next("POST", r"^/graphql$", status, body={"message": "Resource not accessible by integration"},
                   times=20)
    app_world.push(1, {"billing.py": CHARGE_FIXED})
    app_world.work()
    assert app_world.outcome().fixed_replies == 1
    assert len(replies_to(fake, comment["id"])) == 1 and not fake.thread_resolved(comment["id"])


def test_the_fake_answers_like_github(github_gateway, app_world):
    """Misspelt fields, missing pagination and unknown ids fail in GitHub's shapes."""
    from bot.github.errors import GitHubError

    fake = app_world.fake
    fake.add_pull(REPO, 1, head_files={"billing.py": CHARGE})
    client = github_gateway.installation(INSTALLATION)
    assert client.review_threads(REPO, 1) == {}
    requester = client._github.requester
    _, data = requester.requestJsonAndCheck("POST", requester.graphql_url, input={
        "query": "query { repository(owner: \"acme\", name: \"shop\") { pullRequest(number: 1) { "
                 "reviewThreads { nodes { id } } } } }"})
    assert data["errors"][0]["message"].startswith("You must provide a `first` or `last` value")
    _, data = requester.requestJsonAndCheck("POST", requester.graphql_url, input={
        "query": "query { repository(owner: \"acme\", name: \"shop\") { pullRequest(number: 1) { "
                 "reviewThreads(first: 1) { nodes { resolved } } } } }"})
    assert "Cannot query field 'resolved' on type 'PullRequestReviewThread'" in data["errors"][0]["message"]
    with pytest.raises(GitHubError) as caught:
        client.resolve_review_thread("PRRT_kwDOnope")
    assert caught.value.status == 404
