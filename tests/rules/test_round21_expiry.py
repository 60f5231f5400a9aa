"""Round 21, wall-clock ARM104: persisted expiries compared with the app clock, read in the misses
of round 20's blind half (now `test11`).

- A model's own expiry read by its methods (`timezone.now() >= self.expires`): the model may derive
  from a library's abstract model (its body declares ORM columns), the check may sit in a closure
  of the method, and the model may set the field on itself in `save()`: it is saved with the row.
- A model's creation stamp aged in a method named for expiry or validity (`now - self.created_at >
  timedelta(hours=48)`, `self.created + timedelta(hours=1)` bound to a name), also an age bound to a
  name (`elapsed = (now - self.last_refreshed).seconds` against the OAuth `expires_in`).
- `arrow.utcnow().datetime` is a reading; `max(stored, now + delta)` keeps this clock's instant.
- An expiry column's `default=` helper or lambda returning `now + delta`.
- Narrowed: rows acted on once their instant has come by today's date (`date.today()`), and an
  expiry put in a template's context (`context["expire_date"]`, an e-mail's text), are left alone.

Look-alikes stay quiet: the same age outside an expiry method, day-scale ages, a poll's `close_at`
(a date a person chose), a branch that only returns a text to show, a creation stamp default
(`default=timezone.now`), a non-expiry column, a `server_default`, a formatted reading.
"""
from __future__ import annotations

from analyzers import Settings, analyze

CLOCK = Settings(select=frozenset({"ARM103", "ARM104"}))


def flagged(path: str, code: str) -> list[tuple[str, int]]:
    report = analyze(path, code, CLOCK)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


MODELS = """\
import datetime

from django.db import models
from django.utils import timezone
from oauth2_provider.models import AbstractAccessToken


class AccessToken(AbstractAccessToken):
    description = models.CharField(blank=True, max_length=1000)
    expires = models.DateTimeField(null=True)

    def is_expired(self):
        if not self.expires:
            return False
        return timezone.now() >= self.expires


class UserEmailVerifier(models.Model):
    key = models.CharField(max_length=255)
    expires_on = models.DateTimeField()

    def save(self, *args, **kwargs):
        if not self.expires_on:
            self.expires_on = timezone.now() + datetime.timedelta(days=7)
        super().save(*args, **kwargs)

    def has_expired(self):
        now = timezone.now()
        return now > self.expires_on


class InviteCode(models.Model):
    url = models.URLField()
    created_at = models.DateTimeField(auto_now_add=True)

    @property
    def is_expired(self):
        return timezone.now() - self.created_at > datetime.timedelta(hours=48)

    def age_text(self):
        return timezone.now() - self.created_at > datetime.timedelta(hours=48)

    def is_archived(self):
        return timezone.now() - self.created_at > datetime.timedelta(days=365)


class DataFile(models.Model):
    created = models.DateTimeField(auto_now_add=True)

    @property
    def expired(self):
        expiration = self.created + datetime.timedelta(hours=1)
        if expiration > datetime.datetime.now(tz=expiration.tzinfo):
            return False
        return True


class Discount(models.Model):
    expiration_date = models.DateTimeField(null=True)

    def check_validity(self):
        def _not_expired():
            now = timezone.now()
            return self.expiration_date is None or now <= self.expiration_date

        return _not_expired()


class Poll(models.Model):
    close_at = models.DateTimeField(null=True)

    @property
    def is_closed(self):
        return self.close_at and self.close_at <= timezone.now()


class OutlookServer(models.Model):
    last_refreshed = models.DateTimeField(null=True)
    token = models.JSONField(default=dict)

    def token_expire(self):
        if self.last_refreshed:
            duration_seconds = (timezone.now() - self.last_refreshed).seconds
            expires_in_seconds = self.token.get("expires_in")
            if duration_seconds > expires_in_seconds:
                return _("Expired")
            return f"{duration_seconds}/{expires_in_seconds}"

    def is_token_expired(self):
        if self.last_refreshed:
            duration_seconds = (timezone.now() - self.last_refreshed).seconds
            expires_in_seconds = self.token.get("expires_in")
            if duration_seconds > expires_in_seconds:
                return True
            return False
"""


def test_model_expiry_checks_are_flagged_and_look_alikes_are_not():
    # 15 abstract-based model, 24 save() write, 28 the reading of has_expired, 38 invite age,
    # 53 bound expiration, 63 closure, 91 the reading of the OAuth expires_in age; not 41 (age_text), 44 (days),
    # 75 (poll close_at), 86 (returns a label)
    assert flagged("app/models.py", MODELS) == [
        ("ARM104", 15), ("ARM104", 24), ("ARM104", 28), ("ARM104", 38), ("ARM104", 53), ("ARM104", 63), ("ARM104", 91),
    ]


DEFAULTS = """\
import uuid
from datetime import timedelta

import arrow
from django.db import models
from django.utils import timezone
from sqlalchemy import Column, DateTime, text


def _one_more_day():
    return timezone.now() + timedelta(1)


def _fresh_id():
    return uuid.uuid4().hex


class Published(models.Model):
    body = models.JSONField()
    added = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_one_more_day)
    created = models.DateTimeField(default=timezone.now)
    reminder = models.DateTimeField(default=_one_more_day)
    key = models.CharField(default=_fresh_id, max_length=32)


class Grant(Base):
    __tablename__ = "grants"
    expires = Column(DateTime, default=lambda: arrow.utcnow().shift(minutes=10).datetime)
    valid_until = Column(DateTime, server_default=text("now() + interval '10 minutes'"))


class Session(models.Model):
    expires_at = models.DateTimeField()

    @classmethod
    def create_for_user(cls, user):
        return Session.objects.create(
            user=user,
            expires_at=max(user.membership_expires_at, timezone.now() + timedelta(days=30)),
        )
"""


def test_expiry_column_defaults_and_extended_expiries():
    # 11 the helper behind `expires_at` default, 29 a SQLAlchemy lambda default, 40 max(stored, now + 30d);
    # not the created default, the key default, nor the server_default
    assert flagged("app/models.py", DEFAULTS) == [("ARM104", 11), ("ARM104", 29), ("ARM104", 40)]


AUTH = """\
import arrow
from rest_framework import exceptions


def authenticate_credentials(key):
    project = DataRequestProject.objects.get(master_access_token=key)
    if not project.token_expiration_disabled and project.token_expiration_date < arrow.utcnow().datetime:
        raise exceptions.AuthenticationFailed("Expired token.")
    return project


def created_label(project):
    return f"created {arrow.utcnow().datetime:%Y-%m-%d}"
"""


def test_arrow_datetime_property_is_a_reading():
    assert flagged("private_sharing/api_authentication.py", AUTH) == [("ARM104", 7)]


SCHEDULER = """\
from datetime import date, datetime, timedelta

from django.utils import timezone

from base.models import Broadcast, RotatingShiftAssign


def rotate_shift():
    today = date.today()
    for shift in RotatingShiftAssign.objects.filter(is_active=True, requested_till__lt=today):
        shift.is_active = False
        shift.save()


def finish_broadcasts():
    for broadcast in Broadcast.objects.filter(finishes_at__lte=timezone.now()):
        broadcast.status = "completed"
        broadcast.save()
"""


def test_rows_due_by_todays_date_are_a_calendar_not_an_expiry():
    # 10 compares with date.today(): left alone; 16 a bare reading, rows then written: still found
    assert flagged("base/scheduler.py", SCHEDULER) == [("ARM104", 16)]


ADAPTER = """\
from datetime import timedelta

from django.conf import settings
from django.utils import timezone


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        expire_days = settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS
        context["expire_date"] = timezone.now() + timedelta(days=expire_days)
        language = self.get_notification_language(context)
        super().send_mail(template_prefix, email, context)


def enqueue(queue, job_id):
    task = {"id": job_id}
    task["run_at"] = timezone.now() + timedelta(minutes=5)
    queue.put(task)
"""


def test_expiry_in_a_template_context_is_display():
    # 10 rendered into the confirmation e-mail; 17 a task's run_at put on a queue: still found
    assert flagged("core/account_adapter.py", ADAPTER) == [("ARM104", 17)]
