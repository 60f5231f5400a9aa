"""A pull_request delivery, end to end: Flask endpoint -> SQLite queue -> review job -> real
PyGithub over HTTP -> the fake GitHub, which validates comments against the diff like GitHub."""
from .conftest import REPO

BILLING_BASE = '''import stripe


def refund(order):
    return stripe.Refund.create(payment_intent=order.intent_id, idempotency_key=f"refund-{order.id}")
'''

# Lines 6-14 are added; lines 9-13 hold a charge without an idempotency key; the refund above (unchanged) is fine.
BILLING_HEAD = BILLING_BASE + '''

def charge(order):
    intent = stripe.PaymentIntent.create(
        amount=order.total_cents,
        currency="brl",
        customer=order.customer_id,
    )
    return intent.id
'''

# Already on the default branch: the same kind of call, but on a line the PR does not touch.
LEGACY = '''import stripe


def legacy_charge(order):
    return stripe.Charge.create(amount=order.total_cents, currency="brl", source=order.token)
'''


def test_opened_pull_request_gets_inline_review_and_completed_check_run(app_world):
    fake = app_world.fake
    fake.set_files(REPO, {"README.md": "# shop\n", "shop/legacy.py": LEGACY})
    pull = app_world.open_pull(1, base_files={"shop/billing.py": BILLING_BASE},
                               head_files={"shop/billing.py": BILLING_HEAD, "shop/legacy.py": LEGACY + "\n# touched\n",
                                           "docs/notes.md": "no code here\n"})
    assert app_world.work() == 1

    [review] = fake.reviews(REPO, 1)
    assert review["state"] == "COMMENTED"
    assert review["commit_id"] == pull.head_sha
    comments = fake.review_comments(REPO, 1)
    assert [(c["path"], c.get("start_line"), c["line"], c["side"]) for c in comments] == [
        ("shop/billing.py", 9, 13, "RIGHT")
    ]
    body = comments[0]["body"]
    assert body.startswith("**ARM401 · py-side-effect-without-idempotency-key**")
    assert "<!-- armadilhas:fingerprint=" in body
    assert "kit-mcp/blob/main/kit/skills/armadilhas-sistemas-distribuidos/SKILL.md#req-armadilhas-05" in body

    [run] = fake.check_runs(REPO)
    assert run["name"] == "armadilhas" and run["head_sha"] == pull.head_sha
    assert (run["status"], run["conclusion"]) == ("completed", "neutral")
    assert "| ARM401 | py-side-effect-without-idempotency-key | 1 |" in run["output"]["summary"]
    assert [(a["path"], a["start_line"], a["end_line"]) for a in run["annotations"]] == [("shop/billing.py", 9, 13)]
