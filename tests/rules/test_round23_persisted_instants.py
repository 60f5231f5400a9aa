"""Round 23, wall clock: instants that come back as text or inside a token.

Read in the misses of the thirteenth half (with the twelfth and eleventh): an expiry another node
wrote is compared with this node's clock after a parse (`str_to_date(spec.get("expireTime"))`,
`parse_datetime(self.invoicejson["expire_time"])`, `dateutil.parser.parse(expiration)`), or a
timestamp the issuing node put in a token is decoded back (`base36_to_int(ts_b36)`,
`baseconv.base62.decode(expires_at)`) and aged by this node's clock (ARM104).

Look-alikes stay quiet: a parse of a date a request carries, a parsed stamp compared with a date
written in the code, a parsed stamp whose name says no lapse (a start date: a calendar setting), a
bare `parse` of another library, and a base36 number that is no timestamp (an id compared with a
count).
"""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index

CLOCK = Settings(select=frozenset({"ARM103", "ARM104"}))

HELPERS = {
    "btrixcloud/utils.py": """\
        from datetime import UTC, datetime


        def dt_now():
            return datetime.now(UTC).replace(microsecond=0)


        def str_to_date(string):
            return datetime.fromisoformat(string) if string else None
    """,
}


def flagged(code: str, path: str = "app/module.py", modules: dict[str, str] | None = None) -> list[tuple[str, int]]:
    code = textwrap.dedent(code)
    files = [*((p, textwrap.dedent(t)) for p, t in (modules or {}).items()), (path, code)]
    report = analyze(path, code, CLOCK, project=build_project_index(files))
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


# --- an expiry read back as text and parsed ------------------------------------------------------

def test_parsed_expiry_of_a_resource_spec_against_the_clock():
    code = """\
        from btrixcloud.utils import dt_now, str_to_date


        class ProfileOperator:
            async def sync_profile_browsers(self, data):
                spec = data.parent.get("spec", {})
                expire_time = str_to_date(spec.get("expireTime"))
                if expire_time and dt_now() >= expire_time:
                    await self.k8s.delete_profile_browser(spec.get("id"))
                    return {"status": {}}
                return {}
    """
    assert flagged(code, "btrixcloud/operator/profiles.py", HELPERS) == [("ARM104", 8)]


def test_parsed_expiry_of_a_stored_document_in_a_model_property():
    code = """\
        from django.db import models
        from django.utils import timezone
        from django.utils.dateparse import parse_datetime


        class CoinifyInvoice(models.Model):
            invoicejson = models.JSONField()

            @property
            def expired(self):
                return parse_datetime(self.invoicejson["expire_time"]) < timezone.now()
    """
    assert flagged(code, "shop/models.py") == [("ARM104", 11)]


def test_dateutil_parse_of_a_providers_expiration_read_from_nested_data():
    code = """\
        import dateutil.parser
        from datetime import datetime, timezone


        class SixpayPlugin:
            def is_pending_transaction_expired(self, transaction):
                if not (expiration := transaction.data.get("Init_PP_response", {}).get("Expiration")):
                    return False
                return dateutil.parser.parse(expiration) <= datetime.now(timezone.utc)
    """
    assert flagged(code, "payment_sixpay/plugin.py") == [("ARM104", 9)]


def test_arrow_get_of_a_stored_expiry():
    code = """\
        from datetime import datetime, timezone

        import arrow


        def lapsed(record):
            lapses = arrow.get(record["expires_at"]).datetime
            return lapses < datetime.now(timezone.utc)
    """
    assert flagged(code, "requests/expiry.py") == [("ARM104", 8)]


def test_parse_of_a_date_the_request_carries_is_not_flagged():
    code = """\
        from django.utils import timezone
        from django.utils.dateparse import parse_datetime


        def check(request):
            if parse_datetime(request.GET["expires_at"]) < timezone.now():
                raise ValueError("in the past")
    """
    assert flagged(code, "app/checks.py") == []


def test_parsed_stamp_compared_with_a_date_in_the_code_is_not_flagged():
    code = """\
        from datetime import datetime

        from django.utils.dateparse import parse_datetime

        CUTOVER = datetime(2024, 1, 1)


        def legacy(record):
            return parse_datetime(record["expires_at"]) < CUTOVER
    """
    assert flagged(code, "app/legacy.py") == []


def test_parse_of_a_plain_stamp_key_is_not_an_expiry():
    code = """\
        from django.utils import timezone
        from django.utils.dateparse import parse_datetime


        def started_before_now(event):
            return parse_datetime(event["start_date"]) < timezone.now()
    """
    assert flagged(code, "events/logic.py") == []


def test_bare_parse_of_something_else_is_no_instant():
    code = """\
        from datetime import datetime
        from urllib.parse import urlparse as parse


        def lapsed(link):
            return parse(link["expires_at"]) < datetime.now()
    """
    assert flagged(code, "app/links.py") == []


# --- a timestamp carried in a token ----------------------------------------------------------

def test_base36_timestamp_of_a_signup_token_aged_by_this_clock():
    code = """\
        from datetime import datetime

        from django.utils.crypto import constant_time_compare
        from django.utils.http import base36_to_int


        class TokenGenerator:
            timeout = 3600

            def check_token(self, token):
                try:
                    timestamp_b36, _ = token.split("-")
                    timestamp = base36_to_int(timestamp_b36)
                except ValueError:
                    return False
                if not constant_time_compare(self._make_token_with_timestamp(timestamp), token):
                    return False
                if (self._num_seconds(self._now()) - timestamp) > self.timeout:
                    return False
                return True

            def _num_seconds(self, dt):
                return int((dt - datetime(2001, 1, 1)).total_seconds())

            def _now(self):
                return datetime.now()
    """
    assert flagged(code, "itou/utils/tokens.py") == [("ARM104", 18)]


def test_base62_expiry_of_a_signed_cookie_against_this_clock():
    code = """\
        import time

        from datasette.utils import baseconv


        def actor_from_request(datasette, request):
            decoded = datasette.unsign(request.cookies["ds_actor"], "actor")
            expires_at = decoded.get("e")
            if expires_at:
                timestamp = int(baseconv.base62.decode(expires_at))
                if time.time() > timestamp:
                    return None
            return decoded["a"]
    """
    assert flagged(code, "datasette/actor_auth_cookie.py") == [("ARM104", 11)]


def test_base36_id_compared_with_a_count_is_not_flagged():
    code = """\
        import time

        from django.utils.http import base36_to_int


        def recent_enough(short_id, limit):
            number = base36_to_int(short_id)
            started = time.time()
            return number < limit and started > 0
    """
    assert flagged(code, "app/ids.py") == []

