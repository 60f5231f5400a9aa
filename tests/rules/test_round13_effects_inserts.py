"""Round 13: ARM403 in Python where the delivered identity is carried by the row's fields and
not only by a provider-key column name: a foreign-reference field filled from a parameter, the
payload's own id, fields set on the object before its save, and a model method that takes the
delivered message. Look-alikes: a lookup by a different value, ordinary CRUD, get_or_create."""
from __future__ import annotations

from analyzers import Settings

from .helpers import flagged

ARM403 = Settings(select=frozenset({"ARM403"}))


def test_mail_import_keyed_by_its_message_id_with_a_parent_lookup_only_is_flagged():
    code = """
        from .models import Reply


        def import_message(message, thread):
            message_id = message.get("Message-Id")
            parent = Reply.objects.filter(message_id=message.get("In-Reply-To")).first()
            reply = Reply(thread=thread, parent=parent, body=message.get_payload(), message_id=message_id)
            reply.save()
    """
    assert flagged(code, ARM403, "mail/importer.py") == [("ARM403", 9)]


def test_lookup_by_the_same_message_id_first_is_a_dedupe():
    code = """
        from .models import Reply


        def import_message(message, thread):
            message_id = message.get("Message-Id")
            if Reply.objects.filter(message_id=message_id).first():
                return
            reply = Reply(thread=thread, body=message.get_payload(), message_id=message_id)
            reply.save()
    """
    assert flagged(code, ARM403, "mail/importer.py") == []


def test_model_method_taking_the_message_with_fields_set_before_save_is_flagged():
    code = """
        from django.db import models


        class Inbox(models.Model):
            def _store(self, message):
                entry = Entry()
                entry.inbox = self
                entry.message_id = message["message-id"].strip()
                entry.save()
                entry.body = message.get_payload()
                entry.save()
                return entry
    """
    assert flagged(code, ARM403, "mail/models.py") == [("ARM403", 10)]


def test_model_method_without_a_delivered_message_is_crud():
    code = """
        from django.db import models


        class Inbox(models.Model):
            def add_entry(self, subject, reference):
                entry = Entry(inbox=self, subject=subject, external_reference=reference)
                entry.save()
                return entry
    """
    assert flagged(code, ARM403, "mail/models.py") == []


def test_event_hook_creating_a_row_with_an_external_reference_from_the_payload_is_flagged():
    code = """
        from .models import Ticket


        class IssueEventHook:
            def _open_ticket(self, data):
                return Ticket.objects.create(
                    project=self.project,
                    subject=data["title"],
                    external_reference=[self.source, data["url"]],
                )

            def _open_ticket_once(self, data):
                ticket, _ = Ticket.objects.get_or_create(
                    project=self.project, external_reference=[self.source, data["url"]]
                )
                return ticket
    """
    assert flagged(code, ARM403, "hooks/issues.py") == [("ARM403", 7)]


def test_reference_to_one_of_our_own_rows_is_no_delivered_key():
    code = """
        from .models import Usage


        def handle_volume_stats(instance, stats):
            usage = Usage()
            usage.instance_uuid = instance.uuid
            usage.reads = stats["reads"]
            usage.save()
    """
    assert flagged(code, ARM403, "compute/usage.py") == []


def test_payload_id_in_any_field_is_a_delivered_key_but_a_minted_reference_is_not():
    code = """
        import uuid

        from .models import Refund


        def handle_refund_event(event):
            Refund.objects.create(order_id=event["data"]["order"], source_event=event["id"])


        def handle_local_refund(order):
            Refund.objects.create(order_id=order.id, refund_reference=str(uuid.uuid4()))
    """
    assert flagged(code, ARM403, "payments/handlers.py") == [("ARM403", 8)]
