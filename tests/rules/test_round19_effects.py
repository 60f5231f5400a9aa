"""Round 19, the effects families, as real code spells them.

ARM402: a Slack post made by the project's own notifier in another module, then the alert row
that prevents a duplicate; an SMS or email whose sent stamp is set on the object afterwards
(`phone.sms_sent_at = utcnow()`, flushed by the session); an issue created in a tracker whose
id fills a model instance that is saved afterwards. ARM301: held work past a fixed window that
a sweeper hands out again (`run_task.delay(item.pk)`, `item.retry()`) instead of failing it.
Each has look-alikes that must stay quiet."""
from __future__ import annotations

import textwrap

import pytest

from analyzers import Settings, analyze, build_project_index

from .helpers import HEARTBEAT, flagged

ARM402 = Settings(select=frozenset({"ARM402"}))


def run(files: dict[str, str], path: str, settings: Settings = ARM402) -> list[tuple[str, int]]:
    texts = {name: textwrap.dedent(text) for name, text in files.items()}
    project = build_project_index(texts)
    report = analyze(path, texts[path], settings, project=project)
    return [(f.rule, f.line) for f in report.findings]


# -- a Slack post made by the project's notifier, then the alert row ---------------------------

NOTIFIER = """
    from slack_sdk import WebClient

    from alerts.settings import SLACK_TOKEN, SLACK_CHANNEL


    def post_alert(experiment_name, text, thread=None):
        client = WebClient(token=SLACK_TOKEN)
        kwargs = {"channel": SLACK_CHANNEL, "text": f"{experiment_name}: {text}"}
        if thread:
            kwargs["thread_ts"] = thread
        response = client.chat_postMessage(**kwargs)
        return response["ts"], response["channel"]
"""


def test_a_slack_post_through_the_project_notifier_then_the_alert_row_is_flagged():
    files = {
        "alerts/slack.py": NOTIFIER,
        "alerts/tasks.py": """
            from alerts.models import Alert
            from alerts.slack import post_alert


            def alert_results_ready(experiment, kind):
                if Alert.objects.filter(experiment=experiment, kind=kind).exists():
                    return
                ts, channel = post_alert(experiment.name, "results are ready")
                Alert.objects.create(experiment=experiment, kind=kind, slack_ts=ts, channel=channel)
        """,
    }
    assert run(files, "alerts/tasks.py") == [("ARM402", 9)]


def test_a_slack_post_recorded_first_is_not_flagged():
    files = {
        "alerts/slack.py": NOTIFIER,
        "alerts/tasks.py": """
            from alerts.models import Alert
            from alerts.slack import post_alert


            def alert_results_ready(experiment, kind):
                alert, created = Alert.objects.get_or_create(experiment=experiment, kind=kind)
                if not created:
                    return
                post_alert(experiment.name, "results are ready")
        """,
    }
    assert run(files, "alerts/tasks.py") == []


def test_the_notifier_task_alone_is_not_flagged():
    files = {
        "alerts/slack.py": NOTIFIER,
        "alerts/tasks.py": """
            import logging

            from alerts.slack import post_alert

            log = logging.getLogger(__name__)


            def notify(experiment, text):
                result = post_alert(experiment.name, text)
                log.info("posted %s", experiment.name)
                return result
        """,
    }
    assert run(files, "alerts/tasks.py") == []


# -- a sent stamp set on the object after the effect ---------------------------------------------

SENT_STAMPS = {
    # an SMS gateway POST, then the phone's sent stamp (committed by the caller's session)
    "sms/gateway.py": ("""
        import requests

        from .models import utcnow


        def send_via_gateway(phone, text, sid, token):
            response = requests.post(
                f"https://sms.example.net/v1/{sid}/send.json",
                auth=(sid, token),
                data={"To": phone.number, "Body": text},
                timeout=30,
            )
            if response.status_code in (200, 201):
                phone.last_sms_sent_at = utcnow()
                return response.json()["Sid"]
            raise RuntimeError(response.text)
    """, [("ARM402", 8)]),
    # Twilio's client, the stamp set just before the return
    "sms/twilio_send.py": ("""
        from twilio.rest import Client

        from .models import utcnow


        def send_via_twilio(phone, text, account, token, sender):
            client = Client(account, token)
            msg = client.messages.create(from_=sender, to=phone.number, body=text)
            phone.sms_sent_at = utcnow()
            return msg.sid
    """, [("ARM402", 9)]),
    # the stamp cleared after a send: nothing recorded
    "sms/reset.py": ("""
        from twilio.rest import Client


        def resend(phone, text, account, token, sender):
            client = Client(account, token)
            client.messages.create(from_=sender, to=phone.number, body=text)
            phone.sms_sent_at = None
    """, []),
    # the stamp set first, the send afterwards: recorded before the effect
    "sms/first.py": ("""
        import requests

        from .models import utcnow


        def send_via_gateway(phone, text):
            phone.last_sms_sent_at = utcnow()
            requests.post("https://sms.example.net/v1/send.json", data={"To": phone.number, "Body": text}, timeout=30)
    """, []),
    # a stamp on a failure path only (an except handler) records no success
    "sms/failure.py": ("""
        import requests

        from .models import utcnow


        def send_via_gateway(phone, text):
            try:
                requests.post("https://sms.example.net/v1/send.json", data={"To": phone.number}, timeout=30)
            except requests.ConnectionError:
                phone.failed_sent_at = utcnow()
    """, []),
}


@pytest.mark.parametrize("path", sorted(SENT_STAMPS))
def test_a_sent_stamp_after_the_effect_is_its_record(path):
    code, expected = SENT_STAMPS[path]
    assert flagged(code, ARM402, path) == expected


# -- an issue created elsewhere, its id in a model instance saved afterwards ----------------------

INSTANCES = {
    "tracker/push.py": ("""
        from .models import IssueLink


        def push_finding(tracker, finding, fields):
            issue = tracker.create_issue(fields=fields)
            link = IssueLink(remote_id=issue.id, remote_key=issue.key, finding=finding)
            link.save()
    """, [("ARM402", 6)]),
    # added to the session instead of saved by itself
    "tracker/epic.py": ("""
        from .db import session
        from .models import EpicLink


        def add_epic(board, engagement, title):
            epic = board.open_epic(title)
            row = EpicLink(remote_id=epic.id, engagement_id=engagement.id)
            session.add(row)
            session.commit()
    """, [("ARM402", 7)]),
    # an existing issue read back and linked: nothing was created
    "tracker/link.py": ("""
        from .models import IssueLink


        def link_existing(tracker, finding, key):
            issue = tracker_get_issue(tracker, key)
            link = IssueLink(remote_id=issue.id, remote_key=issue.key, finding=finding)
            link.save()


        def tracker_get_issue(tracker, key):
            return tracker.issue(key)
    """, []),
    # an instance built and never saved
    "tracker/preview.py": ("""
        from .models import IssueLink


        def preview(tracker, finding, fields):
            issue = tracker.create_issue(fields=fields)
            return IssueLink(remote_id=issue.id, finding=finding)
    """, []),
}


@pytest.mark.parametrize("path", sorted(INSTANCES))
def test_a_returned_id_in_a_model_instance_saved_afterwards(path):
    code, expected = INSTANCES[path]
    assert flagged(code, ARM402, path) == expected


# -- held work past a fixed window, handed out again ---------------------------------------------

REDISPATCH = {
    # in-progress rows whose update stamp is older than a setting: each is run once more
    "bulk/tasks.py": ("""
        from datetime import timedelta

        from django.conf import settings
        from django.utils import timezone

        from .models import BulkAction, Status
        from .runner import run_batch


        def resume_stuck_actions():
            cutoff = timezone.now() - timedelta(seconds=settings.BULK_STUCK_THRESHOLD)
            actions = BulkAction.objects.filter(status=Status.IN_PROGRESS, date_modified__lt=cutoff)
            for action in actions:
                run_batch.delay(action.pk)
    """, [("ARM301", 13)]),
    # the same rows retried through the item's own method
    "jobs/sweeper.py": ("""
        from datetime import timedelta

        from django.utils import timezone

        from .models import Job

        STUCK_MINUTES = 30


        def sweep():
            cutoff = timezone.now() - timedelta(minutes=STUCK_MINUTES)
            for job in Job.objects.filter(status="running", updated__lt=cutoff):
                job.retry()
    """, [("ARM301", 13)]),
    # pending rows never taken by a worker: re-sending them declares nobody dead
    "jobs/pending.py": ("""
        from datetime import timedelta

        from django.utils import timezone

        from .models import Job


        def resend_pending():
            cutoff = timezone.now() - timedelta(minutes=30)
            for job in Job.objects.filter(status="pending", created__lt=cutoff):
                job.retry()
    """, []),
    # in-progress rows past the window only reported: nothing is run again
    "jobs/report.py": ("""
        import logging
        from datetime import timedelta

        from django.utils import timezone

        from .models import Job

        log = logging.getLogger(__name__)


        def report_slow():
            cutoff = timezone.now() - timedelta(minutes=30)
            for job in Job.objects.filter(status="running", updated__lt=cutoff):
                log.warning("job %s is slow", job.pk)
    """, []),
}


@pytest.mark.parametrize("path", sorted(REDISPATCH))
def test_held_work_past_a_fixed_window_dispatched_again(path):
    code, expected = REDISPATCH[path]
    assert flagged(code, HEARTBEAT, path) == expected
