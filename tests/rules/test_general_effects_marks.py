"""ARM402 general forms: the effect first, then the mark that says it happened, written through
a call the rule knows only by what it writes (the key a dedupe guard reads, a sent/done state)."""
from __future__ import annotations

from analyzers import Settings

from .helpers import flagged

ARM402 = Settings(select=frozenset({"ARM402"}))


def test_guarded_send_then_marker_with_the_guard_key_is_flagged():
    code = '''
        from django.core.mail import EmailMessage

        RECEIPT_SENT = "receipt_sent"


        def send_receipt(invoice):
            if invoice.events.filter(code=RECEIPT_SENT).exists():
                return
            mail = EmailMessage("Your receipt", invoice.render(), to=[invoice.customer_email])
            try:
                mail.send()
            except Exception:
                invoice.add_event("receipt failed", code="receipt_failed")
            else:
                invoice.add_event("receipt sent", code=RECEIPT_SENT)
        '''
    assert flagged(code, ARM402, "shop/receipts.py") == [("ARM402", 12)]


def test_guard_key_passed_positionally_to_a_write_named_call_is_flagged():
    code = '''
        from django.core.mail import EmailMessage


        def run(ctx, recipient, tag):
            if tag and ctx.history.filter(tag=tag).exists():
                return
            EmailMessage("Reminder", "Do the thing", to=[recipient]).send()
            if tag:
                ctx.record_history("reminded %s" % recipient, tag)
        '''
    assert flagged(code, ARM402, "notify/actions.py") == [("ARM402", 8)]


def test_guard_key_only_logged_after_the_send_is_quiet():
    code = '''
        import logging

        from django.core.mail import EmailMessage

        log = logging.getLogger(__name__)


        def run(ctx, recipient, tag):
            if ctx.history.filter(tag=tag).exists():
                return
            EmailMessage("Reminder", "Do the thing", to=[recipient]).send()
            log.info("sent %s", tag)
            ctx.render_summary(tag)
        '''
    assert flagged(code, ARM402, "notify/actions.py") == []


def test_marker_written_before_the_send_is_quiet():
    code = '''
        from django.core.mail import EmailMessage


        def run(ctx, recipient, tag):
            if ctx.history.filter(tag=tag).exists():
                return
            ctx.record_history("reminding %s" % recipient, tag)
            EmailMessage("Reminder", "Do the thing", to=[recipient]).send()
        '''
    assert flagged(code, ARM402, "notify/actions.py") == []


def test_send_then_helper_that_sets_sent_state_is_flagged_medium():
    code = '''
        from django.core.mail import EmailMultiAlternatives


        def deliver(payload, entry=None):
            msg = EmailMultiAlternatives(subject=payload["subject"], body=payload["body"], to=payload["to"])
            msg.send()
            if entry is not None:
                set_entry_state(entry)


        def set_entry_state(entry, failed=False):
            if failed:
                entry.data["state"] = "failed"
            else:
                entry.data["state"] = "sent"
        '''
    assert flagged(code, ARM402, "core/mailer.py") == [("ARM402", 7)]
    from analyzers import analyze
    import textwrap

    report = analyze("core/mailer.py", textwrap.dedent(code), ARM402)
    assert [f.confidence for f in report.findings] == ["medium"]


def test_send_then_helper_that_sets_a_sent_flag_on_self_is_flagged():
    code = '''
        from django.core.mail import send_mail


        class Reminder:
            def fire(self):
                send_mail("Due", self.text, "bot@example.com", [self.email])
                self._done()

            def _done(self):
                self.sent = True
        '''
    assert flagged(code, ARM402, "app/reminders.py") == [("ARM402", 7)]


def test_helper_that_only_formats_or_sets_other_fields_is_quiet():
    code = '''
        from django.core.mail import send_mail


        def fire(reminder):
            send_mail("Due", reminder.text, "bot@example.com", [reminder.email])
            annotate(reminder)


        def annotate(reminder):
            reminder.label = "sent"
            reminder.status = True
        '''
    assert flagged(code, ARM402, "app/reminders.py") == []


def test_state_helper_called_before_the_send_is_quiet():
    code = '''
        from django.core.mail import send_mail


        def fire(reminder):
            mark_state(reminder)
            send_mail("Due", reminder.text, "bot@example.com", [reminder.email])


        def mark_state(reminder):
            reminder.state = "sent"
        '''
    assert flagged(code, ARM402, "app/reminders.py") == []


def test_bytes_literals_in_a_helper_after_the_effect_are_read_like_text():
    # Found on the round 19 blind half (DjangoCRM's IMAP helper: `name_on_server = b'Junk'`): the
    # mark reader matched a bytes value against a text pattern and lost the whole file.
    code = '''
        import stripe


        def _remember(order):
            order.label = b"Junk"
            order[b"state"] = "sent"


        def charge(order):
            stripe.Charge.create(amount=order.total, currency="eur", source=order.token)
            _remember(order)
        '''
    assert flagged(code, ARM402, "shop/billing.py") == [("ARM402", 11)]
    assert flagged(code.replace('b"', '"'), ARM402, "shop/billing.py") == [("ARM402", 11)]
