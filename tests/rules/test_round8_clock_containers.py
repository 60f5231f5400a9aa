"""ARM104: wall-clock expiries put into web sessions, records handed on to be kept, and signed
tokens whose age is checked against a maximum."""
from __future__ import annotations

from .helpers import CLOCK, flagged


def test_flags_expiry_stored_in_flask_session():
    code = """
        from datetime import datetime

        from flask import session


        def remember_login(app, lifetime):
            session["user_id"] = 7
            session["valid_through"] = datetime.now() + lifetime
    """
    assert flagged(code, CLOCK, "web/auth.py") == [("ARM104", 9)]


def test_flags_any_offset_in_django_request_session():
    code = """
        from datetime import timedelta

        from django.utils import timezone


        def start_checkout(request):
            request.session["hold"] = (timezone.now() + timedelta(minutes=15)).isoformat()
    """
    assert flagged(code, CLOCK, "shop/views.py") == [("ARM104", 8)]


def test_flags_hard_expiry_attribute_on_imported_session():
    code = """
        from datetime import datetime, timedelta, timezone

        from flask import session


        def login(user, max_lifetime):
            session.user_id = user.id
            session.hard_expiry = datetime.now(timezone.utc) + timedelta(seconds=max_lifetime)
    """
    assert flagged(code, CLOCK, "web/login.py") == [("ARM104", 9)]


def test_flags_set_expiry_with_absolute_instant():
    code = """
        from datetime import timedelta

        from django.utils import timezone


        def remember_me(request):
            request.session.set_expiry(timezone.now() + timedelta(days=14))
    """
    assert flagged(code, CLOCK, "accounts/views.py") == [("ARM104", 8)]


def test_quiet_for_session_stamps_and_relative_lifetimes():
    code = """
        import time

        from flask import session


        def touch(request):
            session["last_seen"] = time.time()
            request.session.set_expiry(3600)


        def close_db(session):
            session.finished_at = time.time() + 5
    """
    assert flagged(code, CLOCK, "web/activity.py") == []


def test_flags_expiry_in_returned_record_medium():
    code = """
        import datetime


        def token_extra_data(response):
            data = {"access_token": response["access_token"]}
            ends = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=response["expires_in"])
            data["expires_on"] = ends.isoformat()
            return data
    """
    from textwrap import dedent

    from analyzers import analyze

    report = analyze("auth/oauth.py", dedent(code), CLOCK)
    assert [(f.rule, f.line, f.confidence) for f in report.findings] == [("ARM104", 7, "medium")]


def test_flags_token_dict_handed_to_save_call():
    code = """
        import time


        class Client:
            def refresh(self, token):
                token["expires_at"] = int(time.time()) + token["expires_in"]
                self.store_token(token)
    """
    assert flagged(code, CLOCK, "clients/oauth.py") == [("ARM104", 7)]


def test_quiet_for_in_process_records_and_durations():
    code = """
        import time
        from datetime import datetime, timedelta, timezone


        def poll_plan(interval):
            plan = {"started": time.time(), "wait": interval}
            return plan


        def remember(local_cache, key, value, ttl):
            local_cache[key] = {"value": value, "expires": time.time() + ttl}
            return local_cache


        def add_cache_headers(response, minutes):
            ends = datetime.now(timezone.utc) + timedelta(minutes=minutes)
            response["Expires"] = ends.strftime("%a, %d %b %Y %H:%M:%S GMT")
            return response
    """
    assert flagged(code, CLOCK, "app/poller.py") == []


def test_flags_signed_token_checked_with_max_age():
    code = """
        from itsdangerous import URLSafeTimedSerializer

        serializer = URLSafeTimedSerializer("k")


        def confirm_email(token):
            return serializer.loads(token, salt="confirm", max_age=86400)


        def reset_link(signer, value):
            return signer.unsign(value, max_age=3600)
    """
    from textwrap import dedent

    from analyzers import analyze

    report = analyze("accounts/tokens.py", dedent(code), CLOCK)
    assert [(f.rule, f.line, f.confidence) for f in report.findings] == [
        ("ARM104", 8, "medium"), ("ARM104", 12, "medium")]


def test_quiet_for_signed_tokens_without_age_limit_and_other_max_age():
    code = """
        import json

        from django.core import signing


        def unpack(token, response, path):
            data = signing.loads(token)
            other = signing.loads(token, max_age=None)
            response.set_cookie("k", "v", max_age=3600)
            return json.loads(path), data, other
    """
    assert flagged(code, CLOCK, "accounts/signing.py") == []


def test_wrapper_forwarding_an_optional_max_age_is_quiet_but_a_required_limit_is_not():
    # `unpack` sets no limit (its max_age defaults to None, so by default nothing expires);
    # `verify` always verifies against the limit it is given.
    code = """
        from django.core.signing import TimestampSigner


        def unpack(value, key=None, max_age=None):
            return TimestampSigner(key=key).unsign(value, max_age=max_age)


        def verify(value, limit):
            return TimestampSigner().unsign(value, max_age=limit)


        def confirm(value):
            return unpack(value, max_age=600)
    """
    from textwrap import dedent

    from analyzers import analyze

    report = analyze("accounts/signing.py", dedent(code), CLOCK)
    assert [(f.rule, f.line) for f in report.findings] == [("ARM104", 10)]
