"""Round 13: effects reached through project wrappers at any depth (a bounded fixed point over
the project index), the HTTP verb carried through a parameter, methods called on objects of
unknown type when every project definition of that name does the same thing, and state
handlers whose returned state is the record."""
from __future__ import annotations

from .test_round12_effects_wrappers import run

SIGNING = """
    import httpx


    class Signer:
        @classmethod
        def send_signed(cls, url, body, key, verb="post"):
            \"\"\"Sign the body and send it.\"\"\"
            headers = {"X-Signature": key}
            with httpx.Client(timeout=5) as client:
                return client.request(verb, url, headers=headers, json=body)
"""

MEMBER = """
    from platform_core.signing import Signer


    class Member:
        def deliver_signed(self, verb, url, body=None):
            return Signer.send_signed(url=url, body=body, key=self.key, verb=verb)
"""

BOT = """
    from platform_core.signing import Signer


    class Bot:
        def deliver_signed(self, verb, url, body=None):
            return Signer.send_signed(url=url, body=body, key=self.bot_key, verb=verb)
"""


def _files(handler: str) -> dict[str, str]:
    return {
        "platform_core/signing.py": SIGNING,
        "accounts/member.py": MEMBER,
        "accounts/bot.py": BOT,
        "feed/outgoing.py": handler,
    }


STATES = """
    class Phase:
        def __init__(self, **options):
            self.options = options


    class OutgoingStates:
        pending = Phase(retry=60)
        delivered = Phase()
        dropped = Phase()
"""


def test_three_levels_with_the_verb_in_a_parameter_then_the_returned_state_is_flagged():
    handler = STATES + """
        @classmethod
        def handle_pending(cls, item):
            if not item.target:
                return cls.dropped
            item.author.deliver_signed(verb="post", url=item.target, body=item.body)
            return cls.delivered
    """
    assert run(_files(handler), "feed/outgoing.py") == [("ARM402", 16)]
    assert run(_files(handler), "feed/outgoing.py", index=False) == []


def test_wrapper_called_with_a_read_verb_or_a_verb_out_of_sight_stays_quiet():
    handler = STATES + """
        @classmethod
        def handle_pending(cls, item):
            item.author.deliver_signed(verb="get", url=item.target)
            return cls.delivered

        @classmethod
        def handle_dropped(cls, item, verb):
            item.author.deliver_signed(verb, item.target)
            return cls.delivered
    """
    assert run(_files(handler), "feed/outgoing.py") == []


def test_a_state_return_before_the_effect_or_a_plain_return_value_is_no_record():
    handler = STATES + """
        @classmethod
        def handle_pending(cls, item):
            if item.done:
                return cls.delivered
            item.author.deliver_signed(verb="post", url=item.target, body=item.body)


    def forward(item):
        item.author.deliver_signed(verb="post", url=item.target, body=item.body)
        return True
    """
    assert run(_files(handler), "feed/outgoing.py") == []


def test_method_name_defined_with_different_effects_is_not_resolved_on_an_unknown_object():
    other = """
        class Cache:
            def deliver_signed(self, verb, url, body=None):
                self.entries[url] = body
    """
    handler = """
        def push(item, repo):
            item.author.deliver_signed(verb="post", url=item.target, body=item.body)
            repo.mark_done(item)
            item.save()
    """
    files = _files(handler)
    files["accounts/cache.py"] = other
    assert run(files, "feed/outgoing.py") == []
    del files["accounts/cache.py"]
    assert run(files, "feed/outgoing.py") == [("ARM402", 3)]


def test_send_mail_in_a_state_handler_then_the_next_state_is_flagged():
    code = """
        from django.core.mail import send_mail


        class Step:
            pass


        class ResetStates:
            new = Step()
            sent = Step()

            @classmethod
            def handle_new(cls, instance):
                send_mail("Reset", "Follow the link", "no-reply@example.com", [instance.email])
                return cls.sent
    """
    assert run({"accounts/reset.py": code}, "accounts/reset.py") == [("ARM402", 15)]


def test_enum_status_returned_after_a_send_is_not_a_state_record():
    code = """
        import enum

        from django.core.mail import send_mail


        class Outcome(enum.Enum):
            SENT = "sent"
            SKIPPED = "skipped"


        class Mailer:
            def run(self, instance):
                send_mail("Hi", "Body", "no-reply@example.com", [instance.email])
                return Outcome.SENT
    """
    assert run({"accounts/mailer.py": code}, "accounts/mailer.py") == []


def test_long_docstring_does_not_make_a_wrapper_a_workflow():
    doc = "\n".join(f"            line {i} of the documentation" for i in range(90))
    client = f'''
        import requests


        def notify_partner(url, payload):
            """Notify the partner.
{doc}
            """
            return requests.post(url, json=payload, timeout=5)
    '''
    caller = """
        from partners.client import notify_partner


        def close_order(order):
            notify_partner(order.partner_url, {"id": order.id})
            order.closed = True
            order.save()
    """
    files = {"partners/client.py": client, "orders/close.py": caller}
    assert run(files, "orders/close.py") == [("ARM402", 6)]


def test_record_written_by_a_local_helper_after_the_send_is_flagged():
    code = """
        import requests

        from .models import Delivery


        class Forwarder:
            def forward(self, order):
                requests.post(order.partner_url, json={"id": order.id}, timeout=5)
                self._remember(order)

            def forward_after_claim(self, order):
                self._remember(order)
                requests.post(order.partner_url, json={"id": order.id}, timeout=5)

            def forward_then_log(self, order):
                requests.post(order.partner_url, json={"id": order.id}, timeout=5)
                self._describe(order)

            def forward_twice(self, order):
                requests.post(order.partner_url, json={"id": order.id}, timeout=5)
                self._notify_logged(order)

            def _remember(self, order):
                Delivery.objects.create(order=order, target=order.partner_url)

            def _describe(self, order):
                return f"sent {order.id}"

            def _notify_logged(self, order):
                requests.post(order.audit_url, json={"id": order.id}, timeout=5)
                Delivery.objects.create(order=order, target=order.audit_url)
    """
    # the helper that sends and then writes is its own finding (31), not the record of line 21
    assert run({"partners/forward.py": code}, "partners/forward.py") == [("ARM402", 9), ("ARM402", 31)]


PAYMENTS = """
    import stripe


    class SourceManager:
        @staticmethod
        def create_source(amount, currency, return_url):
            return stripe.Source.create(type="alipay", amount=amount, currency=currency, redirect={"return_url": return_url})
"""

DB_HELPERS = """
    from .database import db


    def save_item(item):
        db.session.add(item)
        db.session.commit()
        return True


    def describe_item(item):
        return repr(item)
"""


def test_object_created_through_a_wrapper_then_recorded_by_a_helper_of_another_module_is_flagged():
    caller = """
        from shop.helpers.payment import SourceManager
        from shop.helpers.db import save_item


        def create_source(order):
            source = SourceManager.create_source(order.amount, "usd", order.return_url)
            order.notes = source.id
            save_item(order)
            return source.redirect["url"]
    """
    files = {"shop/helpers/payment.py": PAYMENTS, "shop/helpers/db.py": DB_HELPERS, "shop/views.py": caller}
    assert run(files, "shop/views.py") == [("ARM402", 7)]


def test_helper_that_does_not_write_is_no_record_and_a_status_post_is_no_effect():
    caller = """
        import requests

        from shop.helpers.payment import SourceManager
        from shop.helpers.db import describe_item, save_item


        def create_source(order):
            source = SourceManager.create_source(order.amount, "usd", order.return_url)
            describe_item(order)
            return source.redirect["url"]


        def verify(config, order):
            url = config.transaction_status_url
            response = requests.post(url, json={"order": order.id}, timeout=5).json()
            order.status = response["status"]
            save_item(order)
    """
    files = {"shop/helpers/payment.py": PAYMENTS, "shop/helpers/db.py": DB_HELPERS, "shop/views.py": caller}
    assert run(files, "shop/views.py") == []
