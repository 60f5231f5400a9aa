"""Round 20, wall clock: a reading checked against an instant held where the function cannot see it
made, in the default set when its names say that a lifetime ends.

Read in the misses of round 19's half (now `test10`, causes 1 and 2) and round 17's (test8):

- A1, narrowed: the age of a held stamp (a field, a record's slot, a parameter) against an amount
  named for a lifetime: a timeout, a TTL, a lease, a session's or token's age
  (`now - run.started_at > pipeline_run_timeout`, `acquired + timedelta(seconds=self.lease_duration)
  <= utcnow()`). The rest of the held-age shape (throttles, refresh cadences, windows) stays in
  preview.
- A2 (preview only: as many NEAR as TRUE sites on test10): a held instant named for when it lapses
  (`expires_at`, `expiry_datetime`, `valid_until`, `deadline`, `lock_until`) compared with the
  reading directly, no amount.

Look-alikes stay quiet: an amount held where the instant should be (`age > max_age` with only the
limit held), a refresh cadence, a user-set date with no lapse name (`show_until` is not a lock's or
a validity's end), a constant date, a field this file writes itself.
"""
from __future__ import annotations

from analyzers import Settings

from .helpers import CLOCK, flagged

PREVIEW = Settings(select=CLOCK.select, preview=True)


def test_run_timeout_on_a_started_at_from_the_database_is_found_by_default():
    code = """\
    from datetime import datetime, timezone


    def check_run(pipeline_run, pipeline_run_timeout):
        if pipeline_run.started_at and pipeline_run_timeout:
            time_difference = datetime.now(tz=timezone.utc).timestamp() - pipeline_run.started_at.timestamp()
            if time_difference > int(pipeline_run_timeout):
                pipeline_run.update(status="failed")
    """
    assert flagged(code, CLOCK) == [("ARM104", 6)]


def test_lease_held_in_a_parsed_annotation_plus_its_duration_is_an_in_process_deadline():
    code = """\
    import datetime


    class LeaderElector:
        def is_lock_expired(self, acquired_time):
            if acquired_time + datetime.timedelta(seconds=self.lease_duration) <= datetime.datetime.utcnow():
                return True
            return False
    """
    assert flagged(code, CLOCK) == [("ARM103", 6)]


def test_token_issue_time_aged_against_a_validity_setting():
    code = """\
    import datetime

    OTT_TOKEN_EXPIRY_MINUTES = 5


    def verify(token, tokens):
        initial_time = tokens[token]["issued"]
        time_now = datetime.datetime.now()
        if time_now - initial_time > datetime.timedelta(minutes=OTT_TOKEN_EXPIRY_MINUTES):
            raise PermissionError(token)
    """
    assert flagged(code, CLOCK) == [("ARM103", 8)]


def test_expiry_named_field_of_a_record_against_the_clock_in_preview():
    code = """\
    from datetime import datetime, timezone


    def redeem(code):
        if datetime.now(timezone.utc) > code.expiry_datetime.replace(tzinfo=timezone.utc):
            raise ValueError("code expired")
        code.used = True
    """
    assert flagged(code, PREVIEW) == [("ARM104", 5)]
    assert flagged(code, CLOCK) == []  # preview only


def test_expiry_unpacked_from_a_cache_tuple_is_an_in_process_deadline_in_preview():
    code = """\
    import time


    def cached_config(store, key):
        value, expire_at = store[key]
        if expire_at > time.time():
            return value
        return None
    """
    assert flagged(code, PREVIEW) == [("ARM103", 6)]
    assert flagged(code, CLOCK) == []  # preview only


def test_a_throttle_cadence_stays_in_preview():
    code = """\
    from datetime import datetime, timedelta


    def maybe_switch(current_provider):
        if current_provider.updated_at < datetime.utcnow() - timedelta(minutes=10):
            current_provider.switch()
    """
    assert flagged(code, CLOCK) == []
    assert flagged(code, PREVIEW) == [("ARM104", 5)]


def test_only_the_limit_held_is_no_instant():
    code = """\
    import time


    def unsign(value, max_age=None):
        timestamp = decode(value)
        age = time.time() - timestamp
        if max_age is not None and age > max_age:
            raise ValueError("expired")
        return value
    """
    assert flagged(code, CLOCK) == []
    assert flagged(code, PREVIEW) == [("ARM103", 6)]  # the preview's shape still takes it


def test_user_set_display_dates_and_constant_dates_stay_quiet():
    code = """\
    from datetime import datetime, timezone


    class Announcement:
        def is_visible(self):
            now = datetime.now(timezone.utc)
            return self.show_after < now and now < self.show_until


    def migration_notice():
        if datetime.now(timezone.utc) > datetime(2025, 1, 6, tzinfo=timezone.utc):
            raise RuntimeError("use the new config")
    """
    assert flagged(code, PREVIEW) == []


def test_a_key_this_file_writes_is_left_to_the_flow_forms():
    code = """\
    import time

    SESSIONS = {}


    def open_session(sid, ttl):
        SESSIONS[sid] = {"expires_at": time.time() + ttl}


    def active_ids():
        return [sid for sid, data in SESSIONS.items() if data["expires_at"] > time.time()]
    """
    assert flagged(code, PREVIEW) == [("ARM103", 7)]  # the flow forms' deadline, not the held form's
