"""A caller whose own text spells no effect: it imports a wrapper of another module that the
project index holds as a payment or an effect (`from billing.gateway import charge_card`). With
the index the file is analysed by ARM401/ARM402 even though their text triggers never match it;
without an index, or when the import names no indexed module, nothing changes."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index
from analyzers.python.engine import select_rules

EFFECTS = Settings(select=frozenset({"ARM401", "ARM402"}))

# A forwarding payment wrapper and a notification wrapper, in their own modules.
GATEWAY = """
    import stripe


    def charge_card(**params):
        return stripe.Charge.create(**params)
"""

NOTIFY = """
    import smtplib


    def tell_customer(address, body):
        with smtplib.SMTP("localhost") as server:
            server.sendmail("shop@example.org", [address], body)
"""


def run(files: dict[str, str], path: str, index: bool = True):
    texts = {name: textwrap.dedent(text) for name, text in files.items()}
    project = build_project_index(texts) if index else None
    report = analyze(path, texts[path], EFFECTS, project=project)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


def test_unkeyed_call_of_an_imported_payment_wrapper_is_analysed():
    caller = """
        from billing.gateway import charge_card


        def settle(order):
            result = charge_card(amount=order.total, currency="eur", source=order.token)
            return result.id
    """
    files = {"billing/gateway.py": GATEWAY, "orders/settle.py": caller}
    assert run(files, "orders/settle.py") == [("ARM401", 6)]
    assert run(files, "orders/settle.py", index=False) == []


def test_module_import_then_attribute_call_is_analysed():
    caller = """
        from billing import gateway


        def settle(order):
            return gateway.charge_card(amount=order.total, currency="eur", source=order.token)
    """
    files = {"billing/gateway.py": GATEWAY, "orders/settle.py": caller}
    assert run(files, "orders/settle.py") == [("ARM401", 6)]


def test_keyed_call_of_the_wrapper_stays_quiet():
    caller = """
        from billing.gateway import charge_card


        def settle(order):
            return charge_card(amount=order.total, source=order.token, idempotency_key=f"settle-{order.id}")
    """
    files = {"billing/gateway.py": GATEWAY, "orders/settle.py": caller}
    assert run(files, "orders/settle.py") == []


def test_same_name_from_an_unindexed_module_is_not_analysed():
    # `charge_card` of a module the index never read (a local stub), imported under the same name.
    caller = """
        from orders.fakes import charge_card


        def settle(order):
            return charge_card(amount=order.total, source=order.token)
    """
    files = {"billing/gateway.py": GATEWAY, "orders/settle.py": caller, "orders/fakes.py": "def charge_card(**kw):\n    return kw\n"}
    assert run(files, "orders/settle.py") == []


def test_effect_wrapper_before_the_record_is_analysed_by_arm402_only():
    caller = """
        from shop.notify import tell_customer


        def confirm(order, db):
            tell_customer(order.email, "Your order has shipped")
            db.execute("UPDATE orders SET state = 'shipped' WHERE id = %s", (order.id,))
    """
    files = {"shop/notify.py": NOTIFY, "shop/confirm.py": caller}
    texts = {name: textwrap.dedent(text) for name, text in files.items()}
    project = build_project_index(texts)
    names = {rule for cls in select_rules(texts["shop/confirm.py"], EFFECTS, project) for rule in cls.rule_ids()}
    assert "ARM402" in names and "ARM401" not in names  # a notification is no payment
    assert run(files, "shop/confirm.py") == [("ARM402", 6)]
    assert run(files, "shop/confirm.py", index=False) == []


def test_record_without_any_wrapper_call_selects_no_effect_rule():
    caller = """
        from shop.notify import NOTICE


        def confirm(order, db):
            db.execute("UPDATE orders SET state = 'shipped' WHERE id = %s", (order.id,))
            return NOTICE
    """
    files = {"shop/notify.py": NOTIFY + "\nNOTICE = 'shipped'\n", "shop/confirm.py": caller}
    texts = {name: textwrap.dedent(text) for name, text in files.items()}
    project = build_project_index(texts)
    names = {rule for cls in select_rules(texts["shop/confirm.py"], EFFECTS, project) for rule in cls.rule_ids()}
    assert not names & {"ARM401", "ARM402"}


def test_no_index_leaves_the_selection_to_the_triggers():
    text = "from billing.gateway import charge_card\n\ncharge_card(amount=1)\n"
    assert select_rules(text, EFFECTS, None) == select_rules(text, EFFECTS)
    assert not {rule for cls in select_rules(text, EFFECTS) for rule in cls.rule_ids()} & {"ARM401", "ARM402"}
