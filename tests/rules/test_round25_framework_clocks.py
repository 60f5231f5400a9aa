"""Round 25: framework readings of the host clock, and the verdict a health column spells.

1. Home Assistant's `dt_util.now()`, Frappe's `now_datetime()` / `get_datetime()` (no argument)
   and Odoo's `fields.Datetime.now()` read the wall clock under their own names (test15's W8:
   sensor batching periods, scheduled-sync gates, an OAuth token expiry kept in a settings row).
   `get_datetime(value)` parses a value and is no reading. Frappe's `add_to_date(instant, ...)`
   shifts the instant it is given, as `instant + timedelta(...)` does.
2. A judge server whose `status` property answers "abnormal" once its last heartbeat is older
   than a constant is declared dead by that answer (test15's OnlineJudge).
"""
from __future__ import annotations

import textwrap

from analyzers import DEFAULT, analyze


def findings(code: str, path: str = "app/sync.py") -> list[tuple[str, int]]:
    report = analyze(path, textwrap.dedent(code), DEFAULT)
    return sorted((f.rule, f.line) for f in report.findings)


FRAPPE_TOKEN = """\
from frappe.utils import add_to_date, {clock}


def store_token(settings, token):
    settings.access_token = token["access_token"]
    settings.expires_on = add_to_date({reading}, seconds=token["expires_in"])
    settings.save()
"""


def test_a_frappe_token_expiry_from_now_datetime_is_a_persisted_wall_clock_expiry():
    code = FRAPPE_TOKEN.format(clock="now_datetime", reading="now_datetime()")
    assert findings(code) == [("ARM104", 6)]


def test_frappe_get_datetime_without_a_value_is_now():
    code = FRAPPE_TOKEN.format(clock="get_datetime", reading="get_datetime()")
    assert findings(code) == [("ARM104", 6)]


def test_frappe_get_datetime_of_a_value_parses_it():
    code = FRAPPE_TOKEN.format(clock="get_datetime", reading='get_datetime(token["issued_at"])')
    assert findings(code) == []


ODOO_LOCK = """\
from datetime import timedelta

from odoo import fields, models


class Job(models.Model):
    _name = "queue.job"

    def _take(self):
        self.write({{"lease_until": {reading} + timedelta(minutes=5)}})
"""


def test_odoo_datetime_now_is_the_wall_clock():
    assert findings(ODOO_LOCK.format(reading="fields.Datetime.now()")) == [("ARM104", 10)]


def test_an_odoo_field_read_is_no_clock():
    assert findings(ODOO_LOCK.format(reading="self.create_date")) == []


HOME_ASSISTANT = """\
from homeassistant.util import dt{alias}


class Sensor:
    def __init__(self, period):
        self.period = period
        self.ready_at = None

    def collect(self, data):
        now = {reading}
        if self.ready_at is not None and now < self.ready_at:
            return
        self.ready_at = now + self.period
        self.publish(data)
"""


def test_home_assistant_dt_now_is_the_wall_clock():
    code = HOME_ASSISTANT.format(alias=" as dt_util", reading="dt_util.now()")
    assert findings(code, "custom_components/ble/sensor.py") == [("ARM103", 13)]


def test_home_assistant_dt_as_local_is_a_conversion():
    code = HOME_ASSISTANT.format(alias=" as dt_util", reading="dt_util.as_local(data.stamp)")
    assert findings(code, "custom_components/ble/sensor.py") == []


JUDGE = """\
from django.db import models
from django.utils import timezone


class JudgeServer(models.Model):
    hostname = models.TextField()
    last_heartbeat = models.DateTimeField()

    @property
    def status(self):
        if (timezone.now() - self.last_heartbeat).total_seconds() > 6:
            return "{verdict}"
        return "normal"
"""


def test_a_health_property_answering_abnormal_is_a_fixed_timeout_detector():
    assert ("ARM301", 11) in findings(JUDGE.format(verdict="abnormal"), "conf/models.py")


def test_a_health_property_answering_a_label_is_not():
    assert ("ARM301", 11) not in findings(JUDGE.format(verdict="quiet"), "conf/models.py")
