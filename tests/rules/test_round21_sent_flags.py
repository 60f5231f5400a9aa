"""Round 21, non-idempotent: sends known by the flag that records them, and records spelled inline.

Read in the misses of round 20's half (`test11`):

- a send-named call on a project object of unknown type, followed on its own path by a flag
  named for the sending (`submission.has_been_sent_followup = True`, `task.alert_sented = True`)
  or a method named for it (`notification.update_last_sent()`), with logging between them;
  `report_*`/`alert_*`/`publish_*`/`push_*` count only with such a flag after them;
- a save of the sent object before the send (`message.timestamp = now(); message.save()`) when
  the object's sent flag is set only after the send: that save recorded something else;
- a model row built from its fields and saved in one expression (`TMSEmail(tms_id=...).save()`);
- a project e-mail class sent (`email = NotificationEmail(...); email.dispatch(obj)`,
  `NotifyModeratorsEmail.send(obj)`).

Look-alikes stay quiet: the flag set before the send (a claim), a flag on another path (an
`else` branch), another send between the call and the flag, `report_*` with no sent flag,
a send whose object's sent flag is claimed and saved before it, a class called with positional
arguments and saved (`Image(data).save()` is no model row), and an e-mail class whose row is
written before the send.
"""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index

EFFECTS = Settings(select=frozenset({"ARM401", "ARM402"}))


def flagged(code: str, path: str = "app/services.py") -> list[tuple[str, int]]:
    code = textwrap.dedent(code)
    project = build_project_index([(path, code)])
    report = analyze(path, code, EFFECTS, project=project)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


# --- a send-named call, then a flag named for the sending ------------------------------------

FOLLOWUPS = """\
from intake.notifications import FollowupNotification
from intake.services.events import EventsService


def send_followup_notifications(submissions):
    notifications = []
    for submission in submissions:
        followup_notification = FollowupNotification(submission)
        followup_notification.send()
        if followup_notification.successes:
            EventsService.followup_sent(submission, followup_notification.contact_methods)
            submission.has_been_sent_followup = True
            submission.save()
        notifications.append(followup_notification)
    return notifications
"""


def test_send_then_a_flag_named_for_the_sending_is_flagged():
    assert flagged(FOLLOWUPS) == [("ARM402", 9)]


ALERTS = """\
import logging

from api import api

logger = logging.getLogger(__name__)


def alert_failed_tasks(tasks):
    for task in tasks:
        try:
            payload = {"data": [{"event_name": f"failed_task_{task.id}", "target": task.id}]}
            api.bk_monitor.report_event(payload)
            logger.info("alert reported for task %s", task.id)
            task.alert_sented = True
            task.save(update_fields=["alert_sented"])
        except Exception as e:
            logger.error("alert failed for task %s: %s", task.id, e)
"""


def test_report_call_then_a_sent_flag_is_flagged():
    assert flagged(ALERTS) == [("ARM402", 12)]


WATCHER = """\
import json
import logging
from abc import abstractmethod

logger = logging.getLogger(__name__)


class Notification:
    @abstractmethod
    def update_last_sent(self): ...


class StatusNotification(Notification):
    notifications_cache = {}

    def update_last_sent(self):
        self.notifications_cache[self.obj_idx] = self.rank
        with self._cache_path.open(mode="w") as fh:
            json.dump(self.notifications_cache, fh)


class Watcher:
    def listen(self):
        while True:
            notification = self._queue.get(timeout=1)
            if notification.is_sent():
                continue
            details = notification.get_msg_details()
            try:
                self._notifier.notify(notification.message, **details)
                notification.update_last_sent()
            except NotificationSendError as e:
                logger.error(f"Failed to send notification. Reason: {e}.")
"""


def test_notify_then_a_method_named_for_the_sending_is_flagged():
    assert flagged(WATCHER) == [("ARM402", 30)]


def test_a_sent_flag_claimed_before_the_send_is_not_flagged():
    code = FOLLOWUPS.replace(
        "        followup_notification = FollowupNotification(submission)\n",
        "        submission.has_been_sent_followup = True\n        submission.save()\n"
        "        followup_notification = FollowupNotification(submission)\n",
    ).replace("            submission.has_been_sent_followup = True\n            submission.save()\n", "")
    assert flagged(code) == []


def test_a_flag_on_another_branch_is_not_flagged():
    code = """\
    def ping(hosts):
        for host in hosts:
            if host.enabled:
                host.agent.send()
            else:
                host.ping_sent = True
                host.save()
    """
    assert flagged(code) == []


def test_a_flag_after_another_send_is_that_send_s_record():
    code = """\
    def relay(tasks, bus):
        for task in tasks:
            api.monitor.report_event(task.payload)
            bus.send_summary(task.id)
            task.alert_sented = True
            task.save()
    """
    assert flagged(code) == [("ARM402", 4)]  # the flag belongs to send_summary, not to report_event


def test_report_call_with_no_sent_flag_is_not_flagged():
    code = """\
    def collect(tasks):
        for task in tasks:
            api.monitor.report_progress(task.payload)
            task.progress = 100
            task.save()
    """
    assert flagged(code) == []


# --- a save before the send that stored something else ---------------------------------------

FOI_MAIL = """\
from django.utils import timezone

from .utils import send_foi_mail


def send_message(message, attachments):
    message.timestamp = timezone.now()
    message.save()

    message.email_message_id = message.make_message_id()
    send_foi_mail(
        message.subject,
        message.plaintext,
        message.sender_email,
        [message.recipient_email.strip()],
        attachments=attachments,
    )

    message.sent = True
    message.save()
"""


def test_an_earlier_save_of_the_object_flagged_sent_afterwards_is_no_record_first():
    assert flagged(FOI_MAIL) == [("ARM402", 11)]


def test_the_sent_flag_saved_before_the_send_is_record_first():
    code = FOI_MAIL.replace("    message.timestamp = timezone.now()\n", "    message.sent = True\n").replace(
        "\n    message.sent = True\n    message.save()\n", "\n"
    )
    assert flagged(code) == []


# --- a model row built and saved in one expression -------------------------------------------

TMS = """\
from django.core.mail import send_mail

from tms.models import TMSEmail


def send_tms(message, report, purpose):
    send_results = send_mail(
        message.subject,
        message.message,
        "noreply@example.com",
        message.recipients,
        fail_silently=False,
    )
    response = send_results[0]
    TMSEmail(tms_id=response["id"], subject=message.subject, report=report, purpose=purpose).save()
    return send_results
"""


def test_a_row_built_and_saved_inline_is_the_record():
    assert flagged(TMS) == [("ARM402", 7)]


def test_a_class_built_from_positional_arguments_and_saved_is_no_record():
    code = TMS.replace(
        'TMSEmail(tms_id=response["id"], subject=message.subject, report=report, purpose=purpose).save()',
        "Snapshot(response).save()",
    )
    assert flagged(code) == []


# --- a project e-mail class sent -------------------------------------------------------------

NOTIFICATIONS = """\
from .emails import NotificationEmail
from .models import Notification


def notify(obj, recipients, notification_data):
    email = NotificationEmail(recipients=recipients)
    email.dispatch(obj)
    notifications = [Notification(recipient=r, **notification_data) for r in recipients]
    Notification.objects.bulk_create(notifications)
"""


def test_an_email_class_dispatched_before_its_rows_is_flagged():
    assert flagged(NOTIFICATIONS) == [("ARM402", 7)]


def test_an_email_class_sent_by_its_classmethod_before_a_row_is_flagged():
    code = """\
    from .emails import NotifyModeratorsEmail
    from .models import Notice


    def notify_moderators(proposal):
        NotifyModeratorsEmail.send(proposal)
        Notice.objects.create(proposal=proposal, kind="moderators")
    """
    assert flagged(code) == [("ARM402", 6)]


def test_rows_written_before_the_email_class_is_sent_are_not_flagged():
    code = """\
    from .emails import NotificationEmail
    from .models import Notification


    def notify(obj, recipients, notification_data):
        Notification.objects.bulk_create([Notification(recipient=r, **notification_data) for r in recipients])
        email = NotificationEmail(recipients=recipients)
        email.dispatch(obj)
    """
    assert flagged(code) == []


def test_a_dispatch_on_an_object_not_named_for_mail_is_not_flagged():
    code = NOTIFICATIONS.replace("NotificationEmail", "NotificationEvent")
    assert flagged(code) == []
