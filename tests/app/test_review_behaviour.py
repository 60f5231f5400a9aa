"""The review job's promises: fenced against newer pushes, never double-posting, recovering from
422s and rate limits, answering fixed threads once, reading config from the default branch only."""
import datetime
import time

import analyzers
from bot.review.job import Reviewer, ReviewRequest

from .conftest import INSTALLATION, REPO
from .deliveries import example, pull_request_event

CHARGE = '''import stripe


def charge(order):
    intent = stripe.PaymentIntent.create(
        amount=order.total_cents,
        currency="brl",
        customer=order.customer_id,
    )
    return intent.id
'''
CHARGE_FIXED = CHARGE.replace("customer=order.customer_id,", 'customer=order.customer_id,\n        idempotency_key=f"order-{order.id}",')
TRANSFER = '''import stripe


def pay_seller(payout):
    stripe.Transfer.create(amount=payout.cents, currency="brl", destination=payout.account)
'''


def run_scheduled_now(huey, until):
    """Move scheduled tasks due before `until` to the queue as if that time had come."""
    for task in huey.read_schedule(until):
        task.eta = None
        huey.enqueue(task)


def bodies(fake, number=1):
    return [c["body"] for c in fake.review_comments(REPO, number)]


def test_push_before_the_job_runs_posts_nothing_for_the_old_head(app_world):
    fake = app_world.fake
    app_world.open_pull(1, head_files={"billing.py": CHARGE})
    app_world.push(1, {"billing.py": CHARGE_FIXED})
    assert app_world.work() == 2
    statuses = [outcome.status for _, outcome in app_world.runtime.outcomes]
    assert statuses == ["superseded", "clean"]
    assert fake.review_comments(REPO, 1) == [] and fake.reviews(REPO, 1) == []
    assert [r["head_sha"] for r in fake.check_runs(REPO)] == [fake.pulls[(REPO, 1)].head_sha]


def test_push_during_the_job_posts_no_review(app_world, github_gateway):
    fake = app_world.fake
    analysed_sha = fake.add_pull(REPO, 1, head_files={"billing.py": CHARGE}).head_sha

    def analyze_then_someone_pushes(path, text, settings):
        fake.push(REPO, 1, {"billing.py": CHARGE + "\n# newer commit\n"})
        return analyzers.analyze(path, text, settings)

    reviewer = Reviewer(github_gateway.installation(INSTALLATION), analyze=analyze_then_someone_pushes)
    outcome = reviewer.run(ReviewRequest(INSTALLATION, REPO, 1, analysed_sha))
    assert outcome.status == "stale"
    assert fake.reviews(REPO, 1) == [] and fake.review_comments(REPO, 1) == []
    [run] = fake.check_runs(REPO)
    assert (run["head_sha"], run["conclusion"]) == (analysed_sha, "skipped")


def test_redelivery_reopen_and_rerun_never_double_post(app_world):
    fake = app_world.fake
    pull = app_world.open_pull(1, head_files={"billing.py": CHARGE})
    app_world.work()
    assert len(bodies(fake)) == 1
    # A reopen, a fresh delivery of the same head, and a re-run of the check run.
    app_world.deliver("pull_request", pull_request_event("reopened", REPO, 1, pull.head_sha, INSTALLATION))
    rerun = example("check_run.rerequested")
    rerun["repository"]["full_name"] = REPO
    rerun["installation"] = {"id": INSTALLATION}
    rerun["check_run"].update(head_sha=pull.head_sha, pull_requests=[{"number": 1}])
    assert app_world.deliver("check_run", rerun).status_code == 202
    assert app_world.work() == 2
    assert len(bodies(fake)) == 1 and len(fake.reviews(REPO, 1)) == 1
    # The reopen's job was superseded by the re-run queued after it; the re-run found nothing new.
    assert [o.status for _, o in app_world.runtime.outcomes] == ["posted", "superseded", "clean"]
    assert len(fake.check_runs(REPO)) == 2


def test_422_from_github_posts_the_valid_comments_and_lists_the_rest(app_world):
    fake = app_world.fake
    app_world.open_pull(1, head_files={"a_billing.py": CHARGE, "b_payouts.py": TRANSFER})
    # GitHub rejects the whole review, then the half holding the first comment.
    fake.fail_next("POST", r"/pulls/1/reviews$", 422, times=2, body={
        "message": "Unprocessable Entity",
        "errors": ["Pull request review thread line must be part of the diff"], "status": "422"})
    app_world.work()
    assert [c["path"] for c in fake.review_comments(REPO, 1)] == ["b_payouts.py"]
    outcome = app_world.outcome()
    assert (outcome.posted, outcome.rejected) == (1, 1)
    run = fake.check_runs(REPO)[-1]
    assert "GitHub refused these inline comments" in run["output"]["summary"]
    assert "`a_billing.py:5` **ARM401**" in run["output"]["summary"]


def test_rate_limit_reschedules_the_job_for_the_reset_time(app_world):
    fake = app_world.fake
    app_world.open_pull(1, head_files={"billing.py": CHARGE})
    reset = int(time.time()) + 900
    fake.fail_next("GET", r"/pulls/1$", 403, headers={
        "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    huey = app_world.runtime.queue.huey
    app_world.work()
    assert fake.reviews(REPO, 1) == []
    [task] = huey.scheduled()
    eta = task.eta.replace(tzinfo=datetime.timezone.utc).timestamp()
    assert reset <= eta <= reset + 5
    # When the limit resets the job runs and posts.
    run_scheduled_now(huey, datetime.datetime.utcfromtimestamp(reset + 10))
    app_world.work()
    assert len(fake.review_comments(REPO, 1)) == 1


def test_server_errors_are_retried_with_backoff(app_world):
    fake = app_world.fake
    app_world.open_pull(1, head_files={"billing.py": CHARGE})
    fake.fail_next("POST", r"/check-runs$", 502, times=20)  # beyond the client's own retries
    huey = app_world.runtime.queue.huey
    app_world.work()
    [task] = huey.scheduled()
    # The job waits in the lease journal, released for its retry: no worker holds it.
    assert app_world.runtime.queue.leases.pending() == 1
    assert app_world.runtime.queue.leases.due() == []  # the scheduled retry, not the reaper, runs it
    fake._faults.clear()
    run_scheduled_now(huey, datetime.datetime.utcnow() + datetime.timedelta(hours=1))
    app_world.work()
    assert len(fake.review_comments(REPO, 1)) == 1


def test_finding_gone_after_a_push_gets_one_fixed_reply(app_world):
    fake = app_world.fake
    app_world.open_pull(1, head_files={"billing.py": CHARGE})
    app_world.work()
    [comment] = fake.review_comments(REPO, 1)
    app_world.push(1, {"billing.py": CHARGE_FIXED})
    app_world.work()
    replies = [c for c in fake.review_comments(REPO, 1) if c.get("in_reply_to_id") == comment["id"]]
    assert len(replies) == 1 and replies[0]["body"].startswith("✅ Fixed: `ARM401`")
    app_world.push(1, {"README.md": "# shop, again\n"})
    app_world.work()
    replies = [c for c in fake.review_comments(REPO, 1) if c.get("in_reply_to_id") == comment["id"]]
    assert len(replies) == 1


def test_comment_limit_summarises_the_rest(app_world):
    fake = app_world.fake
    fake.set_files(REPO, {".github/armadilhas.yml": "review:\n  max_comments: 1\n"})
    app_world.open_pull(1, head_files={"a.py": CHARGE, "b.py": TRANSFER})
    app_world.work()
    assert len(fake.review_comments(REPO, 1)) == 1
    [review] = fake.reviews(REPO, 1)
    assert "1 more finding not commented inline" in review["body"] and "`b.py:5`" in review["body"]


def test_config_comes_from_the_default_branch_and_a_bad_file_fails_the_check(app_world):
    fake = app_world.fake
    fake.set_files(REPO, {".github/armadilhas.yml": "review:\n  max_comment: 3\n"})
    # The PR tries to switch the rule off on its own branch: ignored, the default branch rules.
    app_world.open_pull(1, head_files={"billing.py": CHARGE, ".github/armadilhas.yml": "rules:\n  ignore: [ARM4]\n"})
    app_world.work()
    assert fake.reviews(REPO, 1) == []
    [run] = fake.check_runs(REPO)
    assert run["conclusion"] == "failure"
    assert "review.max_comment" in run["output"]["summary"]


def test_pr_branch_config_cannot_silence_the_review(app_world):
    fake = app_world.fake
    app_world.open_pull(1, head_files={"billing.py": CHARGE, ".github/armadilhas.yml": "rules:\n  ignore: [ARM4]\n"})
    app_world.work()
    assert len(fake.review_comments(REPO, 1)) == 1


def test_failure_conclusion_and_portuguese_when_configured(app_world):
    fake = app_world.fake
    fake.set_files(REPO, {".github/armadilhas.yml": "language: pt-BR\nreview:\n  conclusion: failure\n"})
    app_world.open_pull(1, head_files={"billing.py": CHARGE})
    app_world.work()
    [run] = fake.check_runs(REPO)
    assert run["conclusion"] == "failure"
    assert "| Regra | Nome | Achados |" in run["output"]["summary"]
    assert "**Use em vez disso:**" in bodies(fake)[0]


def test_drafts_are_skipped_unless_configured(app_world):
    fake = app_world.fake
    app_world.open_pull(1, head_files={"billing.py": CHARGE}, draft=True)
    app_world.work()
    assert app_world.outcome().status == "draft" and fake.check_runs(REPO) == []
    fake.set_files(REPO, {".github/armadilhas.yml": "review:\n  drafts: true\n"})
    app_world.open_pull(2, head_files={"billing.py": CHARGE}, draft=True)
    app_world.work()
    assert len(fake.review_comments(REPO, 2)) == 1


def test_citation_links_to_the_skill_copy_inside_the_repo(app_world):
    fake = app_world.fake
    skill = ".claude/skills/armadilhas-sistemas-distribuidos/SKILL.md"
    fake.set_files(REPO, {skill: "# skill\n"})
    pull = app_world.open_pull(1, head_files={"billing.py": CHARGE})
    app_world.work()
    [body] = bodies(fake)
    assert f"{fake.base_url}/{REPO}/blob/{pull.head_sha}/{skill}#req-armadilhas-05" in body or \
        f"/{REPO}/blob/{pull.head_sha}/{skill}#req-armadilhas-05" in body


def test_files_without_a_patch_are_diffed_locally_and_reported_in_the_summary(app_world):
    fake = app_world.fake
    fake.set_files(REPO, {"billing.py": CHARGE.replace("def charge", "def old_charge")})
    app_world.open_pull(1, head_files={"billing.py": CHARGE + "\n\n" + TRANSFER.split("\n\n\n")[1]},
                        omit_patch_for={"billing.py"})
    app_world.work()
    assert fake.review_comments(REPO, 1) == []  # GitHub takes no line comments without a diff
    [review] = fake.reviews(REPO, 1)
    # Only the transfer (line 14) was added; the charge was already on the default branch.
    assert "`billing.py:14` **ARM401**" in review["body"] and "billing.py:5`" not in review["body"]
    [run] = fake.check_runs(REPO)
    assert [a["start_line"] for a in run["annotations"]] == [14]


def test_closed_pull_request_is_not_reviewed(app_world):
    fake = app_world.fake
    pull = app_world.open_pull(1, head_files={"billing.py": CHARGE})
    pull.state = "closed"
    app_world.work()
    assert app_world.outcome().status == "closed" and fake.check_runs(REPO) == []


def test_a_python_script_without_an_extension_is_reviewed(app_world):
    # `bin/payout` is a Python script installed without a suffix (its shebang says so);
    # `Makefile` and a shell script are not Python, and no note is written about them.
    fake = app_world.fake
    script = "#!/usr/bin/env python3\n" + TRANSFER
    app_world.open_pull(1, head_files={"bin/payout": script, "Makefile": "all:\n\tpython -m shop\n",
                                       "bin/run": "#!/bin/sh\nexec python -m shop\n"})
    app_world.work()
    assert [(c["path"], c["line"]) for c in fake.review_comments(REPO, 1)] == [("bin/payout", 6)]
    run = fake.check_runs(REPO)[-1]
    assert "Makefile" not in run["output"]["summary"] and "bin/run" not in run["output"]["summary"]
