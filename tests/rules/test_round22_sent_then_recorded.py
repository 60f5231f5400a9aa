"""Round 22, non-idempotent: effects sent, then recorded, that the rule did not see.

Read in the misses of round 21's half (`test12`) and round 20's (`test11`):

- a model method that sends mail (`contact.send_notification(...)`, `user.email_notification(...)`)
  defined in a class whose header spans lines (`class SignUpContactPerson(\n    Base, Mixin\n):`,
  as black writes it): the project index lost the class at its closing `):` and never read it;
- a mail helper whose only send is `client.emails.send(...)` (Postmark) or `message.send()`;
- a save in an earlier, finished `if` is no record made before the send (`if first: stamp; save()`
  then `if active: send(); save()`), and two blocks of one dispatch on a value
  (`if event_type == "a": ...` / `if event_type == "b": ...`) never run together;
- a class method of the project's API client named for moving money (`ShopAPIClient.refund_order()`);
- Odoo's ORM: `record.write({...})`, `env[...].create({...})`, and a state field set to what the
  effect did (`payment.state = "sent"`);
- ARM401: the charge of a fetched PaymentIntent refunded (`intent["charges"]["data"][0].refund()`).

Look-alikes stay quiet: a save that runs whenever the send does and comes first (recorded first),
a model class's own method (`Order.refund_order(...)`), a file's `write(text)`, a state set to
something else (`payment.state = "failed"`), and a POST to a login endpoint.
"""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index

EFFECTS = Settings(select=frozenset({"ARM401", "ARM402"}))


def flagged(code: str, path: str = "app/views.py", modules: dict[str, str] | None = None) -> list[tuple[str, int]]:
    code = textwrap.dedent(code)
    project = build_project_index([*((p, textwrap.dedent(t)) for p, t in (modules or {}).items()), (path, code)])
    report = analyze(path, code, EFFECTS, project=project)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


# --- a model's send method in a class whose header spans lines ---------------------------------

CONTACT_MODELS = """\
from django.core.mail import EmailMultiAlternatives
from django.db import models


class SignUpContactPerson(
    SoftDeletableBaseModel, SignUpOrGroupDependingMixin, SerializableMixin
):
    email = models.EmailField(null=True)

    def send_notification(self, notification_type, payment_link=None):
        message = self.get_notification_message(notification_type, payment_link=payment_link)
        email = EmailMultiAlternatives(*message)
        email.attach_alternative(message[1], "text/html")
        email.send(fail_silently=False)
"""

NOTIFY_COMMAND = """\
import logging

from django.core.management.base import BaseCommand
from django.utils import timezone

from registrations.models import SignUpPayment

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    def handle(self, *args, **options):
        for payment in SignUpPayment.objects.filter(expiry_notification_sent_at__isnull=True):
            contact_person = payment.signup.contact_person
            try:
                contact_person.send_notification("payment_required", payment_link=payment.checkout_url)
            except Exception:
                logger.exception("sending the notification failed")
            else:
                logger.info("Notification sent for payment %s", payment.id)
                payment.expiry_notification_sent_at = timezone.now()
                payment.save(update_fields=["expiry_notification_sent_at"])
"""


def test_send_method_of_a_class_with_a_multi_line_header_is_an_effect():
    modules = {"registrations/models.py": CONTACT_MODELS}
    assert flagged(NOTIFY_COMMAND, "registrations/management/commands/notify.py", modules) == [("ARM402", 16)]


NOTIFY_CLAIMED = """\
from django.core.management.base import BaseCommand
from django.utils import timezone

from registrations.models import SignUpPayment


class Command(BaseCommand):
    def handle(self, *args, **options):
        for payment in SignUpPayment.objects.filter(expiry_notification_sent_at__isnull=True):
            payment.expiry_notification_sent_at = timezone.now()
            payment.save(update_fields=["expiry_notification_sent_at"])
            payment.signup.contact_person.send_notification("payment_required")
"""


def test_send_method_after_its_stamp_is_saved_is_not_flagged():
    modules = {"registrations/models.py": CONTACT_MODELS}
    assert flagged(NOTIFY_CLAIMED, "registrations/management/commands/notify.py", modules) == []


# --- a mail helper through Postmark's `emails.send`, called as a user method --------------------

EMAILS_SERVICE = """\
from constance import config
from postmarker.core import PostmarkClient


def send_single_email(to_email, subject, body):
    postmark = PostmarkClient(server_token=config.POSTMARK_API_KEY)
    postmark.emails.send(From=config.EMAIL_DEFAULT_FROM, To=to_email, Subject=subject, HtmlBody=body)
    return True
"""

USER_MODEL = """\
from django.contrib.auth.models import AbstractBaseUser

from services.emails import send_single_email


class User(AbstractBaseUser):
    def __send_email(self, subject, body):
        return send_single_email(self.email, subject, body)

    def email_notification(self, subject, message):
        return self.__send_email(subject, message)
"""

WEBHOOK = """\
from django.utils import timezone
from rest_framework.views import APIView


class StripeWebhook(APIView):
    def post(self, request):
        event_type = request.data["type"]
        member_profile = get_profile(request.data)
        if event_type == "invoice.paid":
            if not member_profile.subscription_first_created:
                member_profile.subscription_first_created = timezone.now()
                member_profile.save()
            if member_profile.state != "active":
                member_profile.user.email_notification("Your payment was successful.", "Thanks")
                member_profile.subscription_status = "active"
                member_profile.save()
        if event_type == "invoice.payment_failed":
            member_profile.user.email_notification("Your membership payment failed", "Sorry")
        if event_type == "customer.subscription.deleted":
            member_profile.subscription_status = "inactive"
            member_profile.save()
"""


def test_mail_helper_sent_then_saved_past_an_earlier_finished_if_is_flagged():
    # line 14: the save of the first-payment stamp (line 12) ran in its own, finished `if`;
    # line 18 is followed only by a block of another event type: no record after it
    modules = {"services/emails.py": EMAILS_SERVICE, "profile/models.py": USER_MODEL}
    assert flagged(WEBHOOK, "api_billing/views.py", modules) == [("ARM402", 14)]


RECORDED_FIRST = """\
from rest_framework.views import APIView


class StripeWebhook(APIView):
    def post(self, request):
        member_profile = get_profile(request.data)
        member_profile.subscription_status = "active"
        member_profile.save()
        if member_profile.state != "active":
            member_profile.user.email_notification("Your payment was successful.", "Thanks")
            member_profile.activated = True
            member_profile.save()
"""


def test_mail_helper_after_a_save_that_always_runs_first_is_not_flagged():
    modules = {"services/emails.py": EMAILS_SERVICE, "profile/models.py": USER_MODEL}
    assert flagged(RECORDED_FIRST, "api_billing/views.py", modules) == []


# --- a class method of the project's API client, named for moving money -------------------------

REFUND = """\
from shop.integrations.client import VerkkokauppaAPIClient


class PaymentOrderActions:
    def issue_refund(self):
        if self.payment_order.refund_id is not None:
            return
        refund = VerkkokauppaAPIClient.refund_order(order_uuid=self.payment_order.remote_id)
        self.payment_order.refund_id = refund.refund_id
        self.payment_order.save(update_fields=["refund_id"])
"""


def test_refund_through_the_project_api_client_class_then_saved_is_flagged():
    assert flagged(REFUND, "shop/actions.py") == [("ARM402", 8)]


MODEL_REFUND = """\
from shop.models import Order


def refund(order):
    Order.refund_order(order_uuid=order.remote_id)
    order.refunded = True
    order.save(update_fields=["refunded"])
"""


def test_model_class_method_named_refund_is_not_flagged():
    assert flagged(MODEL_REFUND, "shop/actions.py") == []


# --- Odoo: write({...}), and a state set to what the effect did ---------------------------------

ODOO_BULK = """\
import requests

from odoo import models


class PaymentManager(models.Model):
    _name = "g2p.payment.manager.phee"

    def send_payments(self, batches):
        for batch in batches:
            try:
                res = requests.post(self.bulk_url, files=self._files(batch), timeout=30)
                res.raise_for_status()
            except Exception:
                continue
            batch.payment_ids.write({"state": "sent"})
"""


def test_odoo_write_after_a_post_is_flagged():
    assert flagged(ODOO_BULK, "g2p_payment_phee/models/payment_manager.py") == [("ARM402", 12)]


ODOO_STATE = """\
import requests

from odoo import models


class PaymentManager(models.Model):
    _name = "g2p.payment.manager.mpesa"

    def send_payments(self, batch):
        response = requests.post(
            self.auth_endpoint_url, data={"email": self.username, "password": self.password}, timeout=10
        )
        token = response.json().get("token")
        for payment in batch.payment_ids:
            response = requests.post(
                self.payment_endpoint_url,
                headers={"Authorization": "Bearer " + token},
                data={"amount": payment.amount_issued},
                timeout=10,
            )
            response.raise_for_status()
            payment.state = "sent"
"""


def test_odoo_state_set_to_sent_after_a_post_is_flagged_and_the_login_post_is_not():
    assert flagged(ODOO_STATE, "g2p_payment_simple_mpesa/models/payment_manager.py") == [("ARM402", 15)]


ODOO_FAILED = """\
import requests


def send_payment(payment, url):
    response = requests.post(url, data={"amount": payment.amount}, timeout=10)
    if not response.ok:
        payment.state = "failed"
    with open("/tmp/last.json", "w") as fh:
        fh.write({"amount": payment.amount})
"""


def test_state_set_to_failed_and_a_file_write_are_no_record():
    assert flagged(ODOO_FAILED, "payments/send.py") == []


# --- ARM401: the charge of a fetched PaymentIntent refunded (older Stripe SDKs) -------------------

INTENT_REFUND = """\
import stripe


def refund(payment_relation):
    intent = stripe.PaymentIntent.retrieve(payment_relation.stripe_id)
    intent["charges"]["data"][0].refund()
    payment_relation.status = "refunded"
    payment_relation.save()
"""


def test_refund_of_an_intents_charge_is_flagged():
    assert flagged(INTENT_REFUND, "payment/views.py") == [("ARM401", 6), ("ARM402", 6)]


INTENT_READ = """\
import stripe


def receipt_url(payment_relation):
    intent = stripe.PaymentIntent.retrieve(payment_relation.stripe_id)
    return intent["charges"]["data"][0].get("receipt_url")
"""


def test_reading_an_intents_charge_is_not_flagged():
    assert flagged(INTENT_READ, "payment/views.py") == []
