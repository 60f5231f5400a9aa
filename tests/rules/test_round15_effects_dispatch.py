"""Effects reached through dispatch (rules/_effect_dispatch): a base class declares a method as a
stub and the project implements it in several places. When every implementation performs an
external effect, a call of the interface is that effect (ARM402 when it is recorded afterwards);
one implementation without an effect leaves the call alone. A method whose every definition
writes to the database is, likewise, a record wherever it is called."""
from __future__ import annotations

import textwrap

from analyzers import Settings
from analyzers.python.rules._effect_dispatch import abstract_definitions

from .test_round12_effects_wrappers import run as run_project

ARM402 = Settings(select=frozenset({"ARM402"}))

NOTIFIERS = """
    from django.core.mail import EmailMultiAlternatives
    from twilio.rest import Client


    class Notifier:
        @classmethod
        def _deliver(cls, recipients, body):
            \"\"\"Implemented by each channel.\"\"\"
            raise NotImplementedError("channels implement this")

        @classmethod
        def retry(cls, pending):
            cls._deliver(pending.recipients, pending.body)
            pending.status = "sent"
            pending.save()


    class MailNotifier(Notifier):
        @classmethod
        def _deliver(cls, recipients, body):
            message = EmailMultiAlternatives("Update", body, "noreply@example.com", recipients)
            message.send()


    class TextNotifier(Notifier):
        @classmethod
        def _deliver(cls, recipients, body):
            client = Client("sid", "token")
            for number in recipients:
                client.messages.create(body=body, to=number, from_="+15550100")
"""

QUIET_CHANNEL = """
    from notify.channels import Notifier


    class InboxNotifier(Notifier):
        @classmethod
        def _deliver(cls, recipients, body):
            for user in recipients:
                user.inbox.append(body)
"""

PROVIDERS = """
    import requests


    class PhoneProvider:
        def place_call(self, number, text):
            ...


    class TwilioLikeProvider(PhoneProvider):
        def place_call(self, number, text):
            return requests.post("https://voice.example.com/calls", json={"to": number, "say": text})


    class OtherProvider(PhoneProvider):
        def place_call(self, number, text):
            return requests.post("https://calls.example.org/v1/call", data={"n": number, "t": text})
"""

CALLER = """
    from voice.providers import PhoneProvider


    def call_user(provider: PhoneProvider, user, text, record):
        provider.place_call(user.phone, text)
        record.placed = True
        record.save()
"""


def run(files: dict[str, str], path: str, index: bool = True) -> list[tuple[str, int]]:
    return run_project(files, path, index, ARM402)


def test_own_stub_whose_implementations_all_send_is_the_send():
    files = {"notify/channels.py": NOTIFIERS}
    assert run(files, "notify/channels.py") == [("ARM402", 14)]
    assert run(files, "notify/channels.py", index=False) == []


def test_one_implementation_without_an_effect_leaves_the_call_alone():
    files = {"notify/channels.py": NOTIFIERS, "notify/inbox.py": QUIET_CHANNEL}
    assert run(files, "notify/channels.py") == []


def test_interface_method_called_on_a_collaborator_is_its_implementations_effect():
    files = {"voice/providers.py": PROVIDERS, "voice/calls.py": CALLER}
    assert run(files, "voice/calls.py") == [("ARM402", 6)]


def test_concrete_base_method_without_an_effect_is_no_stub():
    base = PROVIDERS.replace(
        "        def place_call(self, number, text):\n            ...\n",
        "        def place_call(self, number, text):\n            self.log.append((number, text))\n",
    )
    files = {"voice/providers.py": base, "voice/calls.py": CALLER}
    assert run(files, "voice/calls.py") == []


def test_recorded_before_the_dispatched_send_is_not_flagged():
    caller = """
        from voice.providers import PhoneProvider


        def call_user(provider: PhoneProvider, user, text, record):
            record.placed = True
            record.save()
            provider.place_call(user.phone, text)
    """
    files = {"voice/providers.py": PROVIDERS, "voice/calls.py": caller}
    assert run(files, "voice/calls.py") == []


def test_stub_shapes():
    source = textwrap.dedent(
        """
        import abc


        class Base:
            def a(self, x,
                  y):
                \"\"\"Docs
                over lines.\"\"\"
                raise NotImplementedError(
                    "subclasses")

            def b(self): raise NotImplementedError

            def c(self) -> None: ...

            @abc.abstractmethod
            def d(self):
                return 1

            def e(self):
                pass

            def real(self):
                value = 1
                raise NotImplementedError(value)

            def returns(self):
                return self.x
        """
    )
    assert abstract_definitions(source) == {"a": 1, "b": 1, "c": 1, "d": 1, "e": 1}
    assert abstract_definitions(source, {"a", "real"}) == {"a": 1}


STORE = """
    class AttemptStore:
        def __init__(self, db):
            self.db = db

        def setSendAttempt(self, session_id, attempt):
            cursor = self.db.cursor()
            cursor.execute("UPDATE sessions SET send_attempt = %s WHERE id = %s", (attempt, session_id))
            self.db.commit()
"""

TOKEN_SENDER = """
    from django.core.mail import send_mail

    from auth.store import AttemptStore


    def request_token(db, session, address, attempt):
        store = AttemptStore(db)
        send_mail("Your code", session.code, "noreply@example.com", [address])
        store.setSendAttempt(session.id, attempt)
"""


def test_method_whose_every_definition_writes_is_the_record():
    files = {"auth/store.py": STORE, "auth/tokens.py": TOKEN_SENDER}
    assert run(files, "auth/tokens.py") == [("ARM402", 9)]
    assert run(files, "auth/tokens.py", index=False) == []


def test_method_name_with_a_definition_that_does_not_write_is_no_record():
    cache = """
        class AttemptCache:
            def setSendAttempt(self, session_id, attempt):
                self.attempts[session_id] = attempt
    """
    files = {"auth/store.py": STORE, "auth/cache.py": cache, "auth/tokens.py": TOKEN_SENDER}
    assert run(files, "auth/tokens.py") == []

