"""LLM fixes through the real `openai` client against the fake: a reply is accepted only when it
removes the finding without breaking the file or adding new findings."""
from __future__ import annotations

import openai
import pytest

import analyzers
from bot.llm_fix import propose_fix

CHARGE = '''import stripe


def charge_order(order):
    intent = stripe.PaymentIntent.create(
        amount=order.total_cents,
        currency="brl",
        customer=order.customer_id,
    )
    return intent.id


def show(payment_intent_id):
    return stripe.PaymentIntent.retrieve(payment_intent_id)
'''

FIXED_CALL = '''    intent = stripe.PaymentIntent.create(
        amount=order.total_cents,
        currency="brl",
        customer=order.customer_id,
        idempotency_key=f"order-{order.id}",
    )
'''


@pytest.fixture
def finding():
    [found] = analyzers.analyze("billing/charges.py", CHARGE).findings
    assert (found.rule, found.line, found.end_line, found.fix) == ("ARM401", 5, 9, None)
    return found


def fence(code: str, lang: str = "python") -> str:
    return f"Here is the fix:\n\n```{lang}\n{code}```\n"


def test_valid_fix_is_accepted(fake_openai, openai_client, finding):
    fake_openai.reply(fence(FIXED_CALL))
    fix = propose_fix(finding, CHARGE, openai_client, "gpt-test")
    assert fix is not None
    fixed = analyzers.apply_edits(CHARGE, fix.edits)
    assert fixed == CHARGE.replace('        customer=order.customer_id,\n    )\n    return intent.id',
                                   '        customer=order.customer_id,\n        idempotency_key=f"order-{order.id}",\n'
                                   '    )\n    return intent.id')
    assert analyzers.analyze("billing/charges.py", fixed).findings == []
    [request] = fake_openai.requests
    assert request["model"] == "gpt-test"
    user = request["messages"][1]["content"]
    assert "ARM401" in user and "lines 5-9" in user
    assert ">    5 |     intent = stripe.PaymentIntent.create(" in user


def test_reply_without_indentation_is_reindented(fake_openai, openai_client, finding):
    flat = "\n".join(line[4:] for line in FIXED_CALL.splitlines()) + "\n"
    fake_openai.reply(fence(flat))
    fix = propose_fix(finding, CHARGE, openai_client, "gpt-test")
    assert fix is not None
    assert FIXED_CALL in analyzers.apply_edits(CHARGE, fix.edits)


def test_reply_that_keeps_the_pitfall_is_rejected(fake_openai, openai_client, finding):
    still = FIXED_CALL.replace('        idempotency_key=f"order-{order.id}",\n', '        description="order",\n')
    fake_openai.reply(fence(still))
    assert propose_fix(finding, CHARGE, openai_client, "gpt-test") is None


def test_reply_that_breaks_syntax_is_rejected(fake_openai, openai_client, finding):
    broken = FIXED_CALL.replace("    )\n", "")  # unclosed call
    fake_openai.reply(fence(broken))
    assert propose_fix(finding, CHARGE, openai_client, "gpt-test") is None


def test_reply_that_adds_another_finding_is_rejected(fake_openai, openai_client, finding):
    extra = FIXED_CALL + "    stripe.Refund.create(payment_intent=intent.id)\n"
    fake_openai.reply(fence(extra))
    assert propose_fix(finding, CHARGE, openai_client, "gpt-test") is None


def test_suppression_comment_is_not_a_fix(fake_openai, openai_client, finding):
    hidden = FIXED_CALL.replace('        idempotency_key=f"order-{order.id}",\n', "").replace(
        "create(\n", "create(  # armadilhas: ignore[ARM401]\n")
    fake_openai.reply(fence(hidden))
    assert propose_fix(finding, CHARGE, openai_client, "gpt-test") is None


@pytest.mark.parametrize("reply", [
    "Add an idempotency key to the call.",  # no code block
    "```python\n```\n",  # the model says there is no safe fix
])
def test_reply_without_usable_code_is_ignored(fake_openai, openai_client, finding, reply):
    fake_openai.reply(reply)
    assert propose_fix(finding, CHARGE, openai_client, "gpt-test") is None


@pytest.mark.parametrize("status", [500, 429])
def test_api_errors_yield_none(fake_openai, openai_client, finding, status):
    fake_openai.fail(status)
    assert propose_fix(finding, CHARGE, openai_client, "gpt-test") is None


def test_timeout_yields_none(fake_openai, openai_client, finding):
    fake_openai.reply(fence(FIXED_CALL), delay=1.0)
    assert propose_fix(finding, CHARGE, openai_client, "gpt-test", timeout=0.2) is None


def test_wrong_api_key_yields_none(fake_openai, finding):
    client = openai.OpenAI(base_url=fake_openai.base_url, api_key="sk-wrong", max_retries=0)
    assert propose_fix(finding, CHARGE, client, "gpt-test") is None
    client.close()


def test_make_fixer_builds_the_job_fixer_from_app_settings(fake_openai, finding, tmp_path):
    from bot.llm_fix import make_fixer
    from bot.settings import AppSettings

    # The fixer keeps its cache and budgets in the data directory's state store: a fresh one here.
    settings = AppSettings(openai_base_url=fake_openai.base_url, openai_api_key=fake_openai.api_key,
                           llm_model="gpt-small", data_dir=tmp_path)
    fake_openai.reply(fence(FIXED_CALL))
    fix = make_fixer(settings)(finding, CHARGE, "python")
    assert fix is not None and FIXED_CALL in analyzers.apply_edits(CHARGE, fix.edits)
    assert fake_openai.requests[0]["model"] == "gpt-small"
