"""ARM401's fix: `idempotency_key=` from the operation's stable id on module-level Stripe calls;
exact edits, applicability, and the fixed text analysed again."""
from __future__ import annotations

import textwrap

from analyzers import Edit, Settings, analyze, apply_edits

ARM401 = Settings(select=frozenset({"ARM401"}))


def one(code: str):
    text = textwrap.dedent(code)
    report = analyze("app/billing.py", text, ARM401)
    assert report.notes == [] and len(report.findings) == 1, report.findings
    return text, report.findings[0]


def clean(text: str) -> bool:
    report = analyze("app/billing.py", text, ARM401)
    return report.findings == [] and report.notes == []


def test_a_refund_keyed_by_its_own_record_is_safe():
    text, finding = one('''\
        import stripe


        def send_refund(refund):
            stripe.Refund.create(payment_intent=refund.intent_id, amount=refund.amount_cents)
            refund.sent = True
            return refund.id
        ''')
    end = text.index("refund.amount_cents") + len("refund.amount_cents")
    assert finding.line == 5
    assert finding.fix.applicability == "safe"
    assert finding.fix.edits == (Edit(end, end, ', idempotency_key=f"refund-{refund.id}"'),)
    assert clean(apply_edits(text, finding.fix.edits))


def test_a_charge_keyed_by_the_order_is_unsafe_and_follows_a_trailing_comma_layout():
    text, finding = one('''\
        import stripe


        def charge_order(order):
            intent = stripe.PaymentIntent.create(
                amount=order.total_cents,
                currency="brl",
            )
            return intent.id, order.id
        ''')
    after_comma = text.index('currency="brl",') + len('currency="brl",')
    assert finding.fix.applicability == "unsafe"  # a retry with another card would get the first answer
    assert finding.fix.edits == (Edit(after_comma, after_comma, '\n        idempotency_key=f"payment-intent-{order.id}",'),)
    fixed = apply_edits(text, finding.fix.edits)
    assert '        currency="brl",\n        idempotency_key=f"payment-intent-{order.id}",\n    )\n' in fixed
    assert clean(fixed)


def test_an_id_parameter_is_used_as_is():
    text, finding = one('''\
        import stripe


        def charge_order(order_id, amount):
            return stripe.Charge.create(amount=amount, currency="usd")
        ''')
    end = text.index('currency="usd"') + len('currency="usd"')
    assert finding.fix.edits == (Edit(end, end, ', idempotency_key=f"charge-{order_id}"'),)
    assert finding.fix.applicability == "unsafe"
    assert clean(apply_edits(text, finding.fix.edits))


def test_no_fix_without_a_stable_id_or_when_the_object_id_is_never_read():
    _, bare = one('''\
        import stripe


        def charge(amount):
            return stripe.Charge.create(amount=amount, currency="usd")
        ''')
    assert bare.fix is None
    _, unknown = one('''\
        import stripe


        def charge(order):
            return stripe.Charge.create(amount=order["total"], currency="usd")
        ''')
    assert unknown.fix is None  # `order` may be a dict: nothing says it has an `.id`
    _, commented = one('''\
        import stripe


        def charge(order):
            # order.id would be the key
            return stripe.Charge.create(amount=order["total"], currency="usd", description="see order.id")
        ''')
    assert commented.fix is None  # comments and strings do not vouch for an attribute: only code does
