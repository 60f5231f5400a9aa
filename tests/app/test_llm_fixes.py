"""LLM fixes reach the review as suggestion blocks only for repos that opted in."""
import dataclasses

from bot.llm_fix import make_fixer
from bot.review.job import Reviewer, ReviewRequest

from .conftest import CHARGE, INSTALLATION, REPO
from .conftest import FIXED_CHARGE as REPLY


def review(app_world, github_gateway, fake_openai, config: str):
    fake = app_world.fake
    fake.set_files(REPO, {".github/armadilhas.yml": config})
    pull = fake.add_pull(REPO, 1, head_files={"billing.py": CHARGE})
    settings = dataclasses.replace(app_world.settings, openai_base_url=fake_openai.base_url,
                                   openai_api_key=fake_openai.api_key, llm_model="fake-model")
    fake_openai.reply(REPLY)
    reviewer = Reviewer(github_gateway.installation(INSTALLATION), fixer=make_fixer(settings))
    return reviewer.run(ReviewRequest(INSTALLATION, REPO, 1, pull.head_sha))


def test_llm_fix_becomes_a_suggestion_when_the_repo_opts_in(app_world, github_gateway, fake_openai):
    review(app_world, github_gateway, fake_openai, "review:\n  llm_fixes: true\n")
    [comment] = app_world.fake.review_comments(REPO, 1)
    assert '```suggestion\n    intent = stripe.PaymentIntent.create(' in comment["body"]
    assert 'idempotency_key=f"charge-{order.id}",\n    )\n```' in comment["body"]


def test_no_llm_call_without_opt_in(app_world, github_gateway, fake_openai):
    review(app_world, github_gateway, fake_openai, "review:\n  llm_fixes: false\n")
    [comment] = app_world.fake.review_comments(REPO, 1)
    assert "```suggestion" not in comment["body"]
    assert fake_openai.requests == []
