"""Round 23, non-idempotent: effects sent, then marked done in ways the rule did not see.

Read in the misses of round 22's half (`test13`) and of the halves before it:

- the mark kept in a cache or Redis, not a table: `cache.set(NOTIFIED_KEY, True)` after a Slack
  warning whose key the function looked up first, `redis_store.set(cache_key, now)` after the
  daily-limit mail, `cache.set(key, code, 300)` after the login code is pushed, a Redis key of
  pending work deleted in the loop once its message went out;
- a log line between a send and its sent stamp (`logging.debug("Notified ...")`);
- a public method of a class that sends through the class's own private helper
  (`self.warning_email(...)` -> `self._sendemail(...)` -> `sendemail(...)`).

Look-alikes stay quiet: a token or credentials fetched by a POST and cached (the value comes from
the response), a cache write unrelated to the send, a cache delete (an invalidation), a Redis
key deleted outside the loop of sends, a mark set before the send, a long workflow method that
calls a sender among other work, and an `auth/sign_in` POST.
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


# --- a mark kept in a cache or Redis -----------------------------------------------------------

SLACK = """\
import requests
from django.conf import settings


def send_slack_message(text):
    requests.post(settings.SLACK_WEBHOOK_URL, json={"text": text})
"""

EXPIRY_WARNING = """\
import datetime

from django.core.cache import caches
from django.utils import timezone

from itou.utils.slack import send_slack_message

NOTIFIED_KEY = "insee-expiry-already-notified"


def check_and_warn_password_renewal(expiry_date):
    cache = caches["failsafe"]
    if cache.get(NOTIFIED_KEY):
        return
    if timezone.localdate() >= expiry_date - datetime.timedelta(days=15):
        send_slack_message(f"The INSEE password expires on {expiry_date}")
    cache.set(NOTIFIED_KEY, True, timeout=60 * 60 * 24)
"""


def test_slack_warning_then_the_cache_key_it_checked_is_set():
    modules = {"itou/utils/slack.py": SLACK}
    assert flagged(EXPIRY_WARNING, "itou/utils/apis/insee.py", modules) == [("ARM402", 16)]


EXPIRY_WARNING_MARKED_FIRST = """\
from django.core.cache import caches

from itou.utils.slack import send_slack_message

NOTIFIED_KEY = "insee-expiry-already-notified"


def check_and_warn_password_renewal(expiry_date):
    cache = caches["failsafe"]
    if not cache.add(NOTIFIED_KEY, True, timeout=60 * 60 * 24):
        return
    send_slack_message(f"The INSEE password expires on {expiry_date}")
"""


def test_slack_warning_after_the_cache_claim_is_not_flagged():
    modules = {"itou/utils/slack.py": SLACK}
    assert flagged(EXPIRY_WARNING_MARKED_FIRST, "itou/utils/apis/insee.py", modules) == []


DAILY_LIMIT = """\
from app import redis_store
from app.notifications.mails import send_near_email_limit_email


def warn_if_needed(service, count, cache_key, now):
    if count >= 0.8 * service.message_limit:
        if not redis_store.get(cache_key):
            send_near_email_limit_email(service, count)
            redis_store.set(cache_key, now, ex=86400)
"""

LIMIT_MAILS = """\
from django.core.mail import send_mail


def send_near_email_limit_email(service, count):
    send_mail("Near your limit", f"{count} emails today", "noreply@example.com", [service.email])
"""


def test_limit_mail_then_the_redis_marker_it_checked():
    modules = {"app/notifications/mails.py": LIMIT_MAILS}
    assert flagged(DAILY_LIMIT, "app/notifications/validators.py", modules) == [("ARM402", 8)]


LOGIN_CODE = """\
import random

import requests
from django.core.cache import cache


def send_login_code(push_key, token, code):
    requests.post("https://push.example.com/send", json={"key": push_key, "to": token, "code": code})


def start_mfa(user):
    key = f"{user.username}:code"
    code = "%06d" % random.randint(0, 999999)
    send_login_code(user.push_key, user.wx_token, code)
    cache.set(key, code, 300)
    return {"required_mfa": True}
"""


def test_login_code_pushed_then_kept_in_the_cache():
    assert flagged(LOGIN_CODE, "apps/account/views.py") == [("ARM402", 14)]


UNRELATED_CACHE_WRITE = """\
import requests
from django.core.cache import cache


def notify_partner(order):
    requests.post("https://partner.example.com/orders", json={"id": order.id})
    cache.set("orders:dashboard-dirty", True)
    cache.delete(f"order:{order.id}")
"""


def test_a_cache_write_unrelated_to_the_send_is_not_its_record():
    assert flagged(UNRELATED_CACHE_WRITE, "shop/partners.py") == []


TOKEN_CACHED = """\
import httpx
from django.core.cache import cache

CREDENTIALS_KEY = "rdv-credentials"


def get_api_credentials(base_url, email, password, refresh=False):
    if refresh or not (credentials := cache.get(CREDENTIALS_KEY)):
        response = httpx.post(base_url + "/partners/orders/sync", data={"email": email, "password": password})
        credentials = {"access-token": response.headers["access-token"], "uid": response.headers["uid"]}
        cache.set(CREDENTIALS_KEY, credentials, 3600)
    return credentials


def sign_in(base_url, email, password):
    response = httpx.post(base_url + "/auth/sign_in", data={"email": email, "password": password})
    cache.set(f"session:{email}", email, 3600)
    return response
"""


def test_credentials_fetched_and_cached_are_a_cached_result_not_a_mark():
    assert flagged(TOKEN_CACHED, "itou/rdv/api.py") == []


REDIS_BATCHES = """\
import json

from app.pipeline import publish_event


class AggregateBot:
    def cleanup(self):
        redis = self.cache_get_redis_instance()
        for key in redis.keys("aggregate.*"):
            data = redis.hgetall(key)
            if int(data["c"]) >= self.threshold:
                publish_event(json.loads(data["d"]))
            redis.delete(key)

    def flush_all(self):
        redis = self.cache_get_redis_instance()
        for key in redis.keys("aggregate.*"):
            publish_event(json.loads(redis.hgetall(key)["d"]))
        redis.delete("aggregate.index")
"""

PIPELINE = """\
import pika


def publish_event(event):
    connection = pika.BlockingConnection()
    connection.channel().basic_publish(exchange="events", routing_key="", body=str(event))
"""


def test_a_redis_queue_item_deleted_in_the_loop_after_its_publish():
    modules = {"app/pipeline.py": PIPELINE}
    assert flagged(REDIS_BATCHES, "app/bots/aggregate.py", modules) == [("ARM402", 12)]


# --- a log line between a send and its stamp ----------------------------------------------------

INACTIVE_USERS = """\
import logging
from datetime import UTC, datetime

from udata.core.user import mails
from udata.models import User


def notify_inactive_users():
    for user in User.objects(deleted=None, inactive_deletion_notified_at=None):
        mails.inactive_user(user).send(user)
        logging.debug(f"Notified {user.email} of account inactivity")
        user.inactive_deletion_notified_at = datetime.now(UTC)
        user.save()
"""


def test_a_log_line_between_the_send_and_its_stamp():
    assert flagged(INACTIVE_USERS, "udata/core/user/tasks.py") == [("ARM402", 10)]


INACTIVE_USERS_OTHER_WORK = """\
import logging
from datetime import UTC, datetime

from udata.core.user import mails
from udata.models import User


def notify_inactive_users():
    for user in User.objects(deleted=None):
        mails.inactive_user(user).send(user)
        logging.debug(f"Notified {user.email} of account inactivity")
        user.refresh_profile()
        user.inactive_deletion_notified_at = datetime.now(UTC)
"""


def test_other_work_between_a_send_and_a_stamp_keeps_the_stamp_apart():
    assert flagged(INACTIVE_USERS_OTHER_WORK, "udata/core/user/tasks.py") == []


# --- a public method that sends through the class's own private helper --------------------------

SENDEMAIL = """\
import smtplib


def sendemail(subject, from_addr, to_addrs, text_data, server, port):
    smtp = smtplib.SMTP(server, port)
    smtp.sendmail(from_addr, to_addrs, f"Subject: {subject}\\n\\n{text_data}")
    smtp.quit()
"""

GUARDIAN = """\
from pulseguardian.model.base import db_session
from pulseguardian.sendemail import sendemail


class PulseGuardian:
    def _sendemail(self, to_users, subject, text_data):
        to_addrs = [user.email for user in to_users if user.email]
        if to_addrs:
            sendemail(subject=subject, from_addr="pulse@example.com", to_addrs=to_addrs,
                      text_data=text_data, server="smtp.example.com", port=25)

    def warning_email(self, users, queue_data):
        body = "Warning: your queue {0} is overgrowing".format(queue_data["name"])
        if self.emails and users:
            self._sendemail(subject="Pulse warning", to_users=users, text_data=body)

    def monitor_queues(self, queues):
        for queue in queues:
            if queue.size > self.warn_queue_size and not queue.warned:
                self.warning_email(queue.owner.owners, queue.data)
                queue.warned = True
            db_session.add(queue)
            db_session.commit()
"""


def test_a_send_through_the_class_own_private_helper():
    modules = {"pulseguardian/sendemail.py": SENDEMAIL}
    assert flagged(GUARDIAN, "pulseguardian/guardian.py", modules) == [("ARM402", 20)]


GUARDIAN_WORKFLOW = """\
from pulseguardian.model.base import db_session
from pulseguardian.sendemail import sendemail


class PulseGuardian:
    def _sendemail(self, to_users, subject, text_data):
        sendemail(subject=subject, from_addr="pulse@example.com", to_addrs=[u.email for u in to_users],
                  text_data=text_data, server="smtp.example.com", port=25)

    def warning_email(self, users, queue_data):
        self._sendemail(subject="Pulse warning", to_users=users, text_data=str(queue_data))

    def monitor_queues(self, queues):
        for queue in queues:
            if queue.size > self.warn_queue_size and not queue.warned:
                queue.warned = True
                self.warning_email(queue.owner.owners, queue.data)
            queue.checked = queue.checked + 1
            queue.size_seen = queue.size
            queue.owners_seen = len(queue.owner.owners)
            queue.messages_ready = queue.data["messages_ready"]
            queue.messages = queue.data["messages"]
            queue.consumers = queue.data["consumers"]
            queue.unbounded = queue.data.get("unbounded", False)
            queue.durable = queue.data.get("durable", True)
            queue.vhost = queue.data["vhost"]
            queue.exclusive = queue.data.get("exclusive", False)
            queue.auto_delete = queue.data.get("auto_delete", False)
            queue.policy = queue.data.get("policy")
            queue.node = queue.data.get("node")
            queue.state = queue.data.get("state")
            queue.memory = queue.data.get("memory")
            queue.idle_since = queue.data.get("idle_since")
            queue.arguments = queue.data.get("arguments")
            queue.owner_name = queue.owner.name
            queue.owner_email = queue.owner.email
            queue.report = "{0}: {1}".format(queue.name, queue.size)
            queue.bindings = queue.data.get("bindings", [])
            queue.rate_in = queue.data.get("rate_in", 0)
            queue.rate_out = queue.data.get("rate_out", 0)
            queue.owner_warned = queue.warned
            queue.limit = self.warn_queue_size
            queue.delete_limit = self.del_queue_size

    def run(self, queues):
        self.monitor_queues(queues)
        db_session.add_all(queues)
        db_session.commit()
"""


def test_a_long_workflow_method_calling_a_sender_is_no_send_at_its_caller():
    modules = {"pulseguardian/sendemail.py": SENDEMAIL}
    assert flagged(GUARDIAN_WORKFLOW, "pulseguardian/guardian.py", modules) == []


# --- a helper of this module named for marking the effect done ----------------------------------

WEBHOOK_MARKED = """\
import httpx

from lnbits.core.crud import get_payment, update_payment


async def send_webhook(payment, pay_link):
    async with httpx.AsyncClient() as client:
        r = await client.post(pay_link.webhook_url, json={"payment_hash": payment.payment_hash}, timeout=6)
        await mark_webhook_sent(payment.checking_id, r.status_code)


async def mark_webhook_sent(checking_id, status):
    payment = await get_payment(checking_id)
    extra = payment.extra or {}
    extra["wh_status"] = status
    payment.extra = extra
    await update_payment(payment)
"""


def test_webhook_then_a_local_helper_named_for_marking_it_sent():
    assert flagged(WEBHOOK_MARKED, "lnurlp/tasks.py") == [("ARM402", 8)]


WEBHOOK_THEN_ANOTHER_SEND = """\
import httpx


async def send_webhook(payment, pay_link):
    async with httpx.AsyncClient() as client:
        await client.post(pay_link.webhook_url, json={"payment_hash": payment.payment_hash}, timeout=6)
        await mark_webhook_sent(pay_link, payment.checking_id)


async def mark_webhook_sent(pay_link, checking_id):
    async with httpx.AsyncClient() as client:
        await client.post(pay_link.audit_url, json={"delivered": checking_id})
"""


def test_a_local_mark_helper_that_sends_again_is_no_record():
    assert flagged(WEBHOOK_THEN_ANOTHER_SEND, "lnurlp/tasks.py") == []
