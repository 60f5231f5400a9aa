"""Round 20, non-idempotent: effects and records reached through the project's own helpers.

Read in the misses of round 19's half (`test10`) and round 17's (`test8`):

- a message sent by a method of a project client class that reaches the provider through its
  own private helpers (`SMTPService.send_email_alert` -> `SMTPService._send_message` ->
  `mail.send_message`; `Sender.send_sla_message` -> `self.__send_run_message` -> `self.send`),
  called from another module;
- the record written by a helper of the same module that hands the row to a DAO function of
  another module, whose body only `session.add`s it under a committing decorator
  (`@transactional`, `@autocommit`): `provider.send_sms(...)` then
  `update_notification_to_sending(notification)`;
- the identifier a create hands back, stored through a part of the result
  (`result.transaction.id`, `sub = result.subscription` ... `sub.id`) or inside a link built
  from it (`url = base + "/browse/" + issue.key`, `f"{base}/issues/{issue.id}"`).

Look-alikes stay quiet: the same helpers when the record comes first, a DAO helper that adds to
the session with no committing decorator and no commit, a lookup (`get_*`) whose result is
stored, and a string built from something other than the call's result.
"""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index

EFFECTS = Settings(select=frozenset({"ARM401", "ARM402"}))


def flagged(code: str, path: str, modules: dict[str, str] | None = None) -> list[tuple[str, int]]:
    code = textwrap.dedent(code)
    project = build_project_index([*((p, textwrap.dedent(t)) for p, t in (modules or {}).items()), (path, code)])
    report = analyze(path, code, EFFECTS, project=project)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


# --- a client class's public method, through its own private helpers --------------------------

SMTP_SERVICE = """\
from fastapi_mail import FastMail

mail = FastMail(conf)


class SMTPService:
    @staticmethod
    async def send_email_alert(to_address, username, message_id, subject, content):
        values = {"USERNAME": username, "CONTENT": content, "MESSAGE_ID": message_id}
        html = render("message_alert_en.html", values)
        await SMTPService._send_message(to_address, subject, html)
        return True

    @staticmethod
    async def _send_message(to_address, subject, html_message):
        msg = build_message(to_address, subject, html_message)
        await mail.send_message(msg)
"""

MESSAGE_SERVICE = """\
from sqlalchemy import insert

from backend.models import Message
from backend.services.messaging.smtp_service import SMTPService


async def send_messages(messages, db):
    for message in messages:
        await SMTPService.send_email_alert(
            message.to_address, message.username, message.id, message.subject, message.body
        )
    query = insert(Message).values([m.values() for m in messages])
    await db.execute(query)
"""

MESSAGE_SERVICE_RECORD_FIRST = """\
from sqlalchemy import insert

from backend.models import Message
from backend.services.messaging.smtp_service import SMTPService


async def send_messages(messages, db):
    query = insert(Message).values([m.values() for m in messages])
    await db.execute(query)
    for message in messages:
        await SMTPService.send_email_alert(
            message.to_address, message.username, message.id, message.subject, message.body
        )
"""


def test_a_static_method_sending_through_its_own_class_helper_is_the_send_at_its_callers():
    modules = {"backend/services/messaging/smtp_service.py": SMTP_SERVICE}
    assert flagged(MESSAGE_SERVICE, "backend/services/messaging/message_service.py", modules) == [("ARM402", 9)]


def test_the_same_send_recorded_first_is_quiet():
    modules = {"backend/services/messaging/smtp_service.py": SMTP_SERVICE}
    assert flagged(MESSAGE_SERVICE_RECORD_FIRST, "backend/services/messaging/message_service.py", modules) == []


SENDER = """\
from app.services.slack import send_slack_message
from app.services.email import send_email


class NotificationSender:
    def __init__(self, config):
        self.config = config

    def send(self, title=None, summary=None):
        if self.config.slack_config is not None:
            send_slack_message(self.config.slack_config, summary, title)
        if self.config.email_config is not None:
            send_email(self.config.email_config, subject=title, message=summary)

    def send_sla_passed_message(self, pipeline, run):
        if "passed_sla" in self.config.alert_on:
            self.__send_run_message("SLA passed", pipeline, run)

    def __send_run_message(self, title, pipeline, run):
        summary = f"{title}: {pipeline.uuid} {run.id}"
        self.send(title=title, summary=summary)
"""

SLACK = """\
import requests


def send_slack_message(config, message, title=None):
    requests.post(config.webhook_url, json={"text": f"{title}\\n{message}"}, timeout=10)
"""

EMAIL = """\
import smtplib


def send_email(config, subject, message):
    with smtplib.SMTP(config.host) as server:
        server.sendmail(config.sender, config.recipients, f"Subject: {subject}\\n\\n{message}")
"""

SCHEDULER = """\
from app.models import PipelineRun
from app.notification.sender import NotificationSender


def check_sla(runs, config):
    for run in runs:
        if run.passed_sla:
            continue
        sender = NotificationSender(config)
        sender.send_sla_passed_message(run.pipeline, run)
        PipelineRun.objects.filter(pk=run.pk).update(passed_sla=True)
"""


def test_a_client_method_reaching_the_send_through_two_private_methods_is_the_send():
    modules = {
        "app/notification/sender.py": SENDER,
        "app/services/slack.py": SLACK,
        "app/services/email.py": EMAIL,
    }
    assert flagged(SCHEDULER, "app/scheduler.py", modules) == [("ARM402", 10)]


# --- the record through a DAO helper that commits by decorator ---------------------------------

DAO = """\
from datetime import datetime

from app import db
from app.dao.dao_utils import transactional


@transactional
def dao_update_notification(notification):
    notification.updated_at = datetime.utcnow()
    db.session.add(notification)


def dao_stage_notification(notification):
    notification.updated_at = datetime.utcnow()
    db.session.add(notification)
"""

DELIVERY = """\
from datetime import datetime

from app.dao.notifications_dao import dao_update_notification


def send_sms_to_provider(notification, provider):
    if notification.status != "created":
        return
    reference = provider.send_sms(to=notification.to, content=notification.content, reference=str(notification.id))
    notification.reference = reference
    update_notification_to_sending(notification, provider)


def update_notification_to_sending(notification, provider):
    notification.sent_at = datetime.utcnow()
    notification.sent_by = provider.name
    dao_update_notification(notification)
"""

DELIVERY_STAGED = """\
from datetime import datetime

from app.dao.notifications_dao import dao_stage_notification


def send_sms_to_provider(notification, provider):
    if notification.status != "created":
        return
    reference = provider.send_sms(to=notification.to, content=notification.content, reference=str(notification.id))
    notification.reference = reference
    update_notification_to_sending(notification, provider)


def update_notification_to_sending(notification, provider):
    notification.sent_at = datetime.utcnow()
    notification.sent_by = provider.name
    dao_stage_notification(notification)
"""


SMS_CLIENT = """\
import boto3


class AwsSnsClient:
    def __init__(self):
        self._client = boto3.client("sns")

    def send_sms(self, to, content, reference):
        return self._client.publish(PhoneNumber=to, Message=content)["MessageId"]
"""

NOTIFY = {"app/dao/notifications_dao.py": DAO, "app/clients/sms/aws_sns.py": SMS_CLIENT}


def test_a_send_recorded_by_a_local_helper_calling_a_transactional_dao_is_flagged():
    assert flagged(DELIVERY, "app/delivery/send_to_providers.py", NOTIFY) == [("ARM402", 9)]


def test_a_dao_helper_that_only_stages_the_row_is_no_record():
    # no committing decorator and no commit: whoever commits the session is the record, out of sight
    assert flagged(DELIVERY_STAGED, "app/delivery/send_to_providers.py", NOTIFY) == []


# --- the identifier a create hands back, through a part of the result or a link -----------------

BRAINTREE_SALE = """\
from lib.brains.client import get_client
from lib.transactions.models import Transaction


def create(request, form):
    client = get_client().Transaction
    result = client.sale(form.braintree_data)
    if not result.is_success:
        raise ValueError(result)
    return Transaction.objects.create(
        amount=result.transaction.amount,
        buyer=form.buyer,
        uid_support=result.transaction.id,
    )
"""

BRAINTREE_SUBSCRIPTION = """\
from lib.brains.client import get_client
from lib.brains.models import BraintreeSubscription


def create(request, form):
    client = get_client().Subscription
    result = client.create(form.braintree_data)
    if not result.is_success:
        raise ValueError(result)
    braintree_subscription = result.subscription
    return BraintreeSubscription.objects.create(
        paymethod=form.paymethod,
        provider_id=braintree_subscription.id,
    )
"""

LOOKUP_STORED = """\
from lib.brains.client import get_client
from lib.brains.models import BraintreeSubscription


def refresh(request, form):
    client = get_client().Subscription
    result = client.find_subscription(form.subscription_id)
    braintree_subscription = result.subscription
    return BraintreeSubscription.objects.create(
        paymethod=form.paymethod,
        provider_id=braintree_subscription.id,
    )
"""


def test_the_id_of_an_object_inside_the_result_stored_after_the_create():
    assert flagged(BRAINTREE_SALE, "lib/brains/views/sale.py") == [("ARM402", 7)]


def test_a_part_of_the_result_read_into_a_name_then_its_id_stored():
    assert flagged(BRAINTREE_SUBSCRIPTION, "lib/brains/views/subscription.py") == [("ARM402", 7)]


def test_a_lookup_whose_result_is_stored_is_quiet():
    assert flagged(LOOKUP_STORED, "lib/brains/views/refresh.py") == []


TRACKER = """\
from tcms.core.models import LinkReference


class Redmine:
    def __init__(self, bug_system, rpc):
        self.bug_system = bug_system
        self.rpc = rpc

    def report_issue(self, execution, project):
        new_issue = self.rpc.issue.create(
            subject=f"Failed test: {execution.case.summary}",
            project_id=project.id,
        )
        new_url = f"{self.bug_system.base_url}/issues/{new_issue.id}"
        LinkReference.objects.get_or_create(execution=execution, url=new_url, is_defect=True)
        return new_issue, new_url

    def report_board_item(self, execution, body):
        issue = self.rpc.create_work_item(body)
        issue_url = self.bug_system.base_url + "/_workitems/edit/" + str(issue["id"])
        LinkReference.objects.get_or_create(execution=execution, url=issue_url, is_defect=True)
        return issue, issue_url

    def link_manual_report(self, execution, summary):
        issue_url = self.bug_system.base_url + "/new?summary=" + summary
        self.rpc.notify_owner(summary)
        LinkReference.objects.get_or_create(execution=execution, url=issue_url, is_defect=False)
        return issue_url
"""


def test_a_link_built_from_the_created_issue_and_stored_after_it():
    assert flagged(TRACKER, "tcms/issuetracker/types.py") == [("ARM402", 10), ("ARM402", 19)]


# --- a sender named for the message it sends; a model method creating through a related manager --

ASSIGNMENT_MODELS = """\
from django.db import models
from django.utils import timezone


class LearnerContentAssignment(models.Model):
    learner_email = models.EmailField()

    def add_successful_notified_action(self):
        return self.actions.create(action_type="notified", completed_at=timezone.now())

    def last_notified_action(self):
        return self.actions.filter(action_type="notified").order_by("-completed_at").first()
"""

ASSIGNMENT_TASKS = """\
from celery import shared_task

from enterprise_access.apps.api_client.braze_client import BrazeApiClient
from enterprise_access.apps.content_assignments.models import LearnerContentAssignment


class BrazeCampaignSender:
    def __init__(self, assignment):
        self.assignment = assignment
        self.braze_client = BrazeApiClient()

    def send_campaign_message(self, properties, campaign_identifier):
        recipient = {"email": self.assignment.learner_email}
        return self.braze_client.send_campaign_message(
            campaign_identifier, recipients=[recipient], trigger_properties=properties
        )


@shared_task(bind=True, max_retries=3)
def send_email_for_new_assignment(self, assignment_uuid, campaign_uuid):
    assignment = LearnerContentAssignment.objects.get(uuid=assignment_uuid)
    campaign_sender = BrazeCampaignSender(assignment)
    campaign_sender.send_campaign_message({"course": assignment.content_title}, campaign_uuid)
    assignment.add_successful_notified_action()


@shared_task(bind=True, max_retries=3)
def send_reminder_for_assignment(self, assignment_uuid, campaign_uuid):
    assignment = LearnerContentAssignment.objects.get(uuid=assignment_uuid)
    campaign_sender = BrazeCampaignSender(assignment)
    campaign_sender.send_campaign_message({"course": assignment.content_title}, campaign_uuid)
    return assignment.last_notified_action()
"""


def test_a_campaign_message_sent_then_recorded_by_a_model_method_creating_a_related_row():
    modules = {"enterprise_access/apps/content_assignments/models.py": ASSIGNMENT_MODELS}
    assert flagged(ASSIGNMENT_TASKS, "enterprise_access/apps/content_assignments/tasks.py", modules) == [
        ("ARM402", 23)
    ]
