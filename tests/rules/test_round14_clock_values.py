"""Round 14's general wall-clock forms: a value is judged by what it is (a reading, an instant
moved by an amount, an elapsed time, an expiry someone else wrote), wherever it travels and
whatever it is called."""
from __future__ import annotations

from .helpers import CLOCK, flagged


# --- a table's values read back by iterating it -------------------------------------------------
def test_deadlines_kept_per_key_and_swept_by_iterating_items_are_flagged():
    code = """
        import arrow


        class Drainer:
            def __init__(self):
                self.pending = {}

            def submit(self, host):
                self.pending[host] = arrow.now().shift(seconds=90)

            def sweep(self):
                gone = []
                for host, until in self.pending.items():
                    if arrow.now() > until:
                        gone.append(host)
                for host in gone:
                    del self.pending[host]
    """
    assert flagged(code, CLOCK, "app/drainer.py") == [("ARM103", 10)]


def test_stamps_per_key_aged_in_a_comprehension_over_items_are_flagged():
    code = """
        from time import time


        class Politeness:
            def __init__(self):
                self.last_hit = {}

            def on_request(self, host):
                self.last_hit[host] = time()

            def busy_hosts(self):
                now = time()
                return [host for host, at in self.last_hit.items() if now - at < 5.0]
    """
    assert flagged(code, CLOCK, "app/politeness.py") == [("ARM103", 13)]


def test_values_of_a_table_of_monotonic_stamps_are_not_flagged():
    code = """
        import time


        class Politeness:
            def __init__(self):
                self.last_hit = {}

            def on_request(self, host):
                self.last_hit[host] = time.monotonic()

            def busy(self):
                now = time.monotonic()
                return [at for at in self.last_hit.values() if now - at < 5.0]
    """
    assert flagged(code, CLOCK, "app/politeness.py") == []


def test_table_of_limits_iterated_next_to_a_reading_is_not_flagged():
    code = """
        import time


        class Quotas:
            def __init__(self):
                self.limits = {}

            def set_limit(self, name, amount):
                self.limits[name] = amount

            def report(self, out):
                stamp = time.time()
                for name, amount in self.limits.items():
                    if amount > 10:
                        out.write(name, stamp)
    """
    assert flagged(code, CLOCK, "app/quotas.py") == []


# --- a part of an elapsed time is still an elapsed time -------------------------------------------
def test_seconds_of_an_elapsed_timedelta_checked_against_an_interval_are_flagged():
    code = """
        from django.utils import timezone


        class UsageBuffer:
            def __init__(self, flush_seconds):
                self.counts = {}
                self.flush_seconds = flush_seconds
                self.last_flushed_at = timezone.now()

            def track(self, key):
                self.counts[key] = self.counts.get(key, 0) + 1
                if (timezone.now() - self.last_flushed_at).seconds > self.flush_seconds:
                    self.flush()

            def flush(self):
                self.counts = {}
                self.last_flushed_at = timezone.now()
    """
    assert flagged(code, CLOCK, "app/usage.py") == [("ARM103", 13)]


def test_seconds_of_an_elapsed_timedelta_only_logged_are_not_flagged():
    code = """
        import logging
        from datetime import datetime

        log = logging.getLogger(__name__)


        def export(rows, write):
            started = datetime.now()
            write(rows)
            log.info("export took %ss", (datetime.now() - started).seconds)
    """
    assert flagged(code, CLOCK, "app/export.py") == []


# --- a deadline armed in two steps -------------------------------------------------------------
def test_deadline_armed_by_augmented_addition_is_flagged():
    code = """
        import time


        class Importer:
            def import_image(self, client, extra_wait):
                deadline = time.time()
                if extra_wait:
                    deadline += extra_wait
                while True:
                    try:
                        return client.import_image()
                    except Busy:
                        if time.time() < deadline:
                            time.sleep(5)
                            continue
                        raise
    """
    assert flagged(code, CLOCK, "app/importer.py") == [("ARM103", 7)]


def test_deadline_armed_in_two_steps_on_the_monotonic_clock_is_not_flagged():
    code = """
        import time


        def import_image(client, extra_wait):
            deadline = time.monotonic()
            deadline += extra_wait
            while time.monotonic() < deadline:
                if client.ready():
                    return True
                time.sleep(5)
            return False
    """
    assert flagged(code, CLOCK, "app/importer.py") == []


# --- one reading on both sides: the clock cancels out ------------------------------------------
def test_cutoff_checked_against_the_reading_it_was_made_from_is_not_flagged():
    code = """
        import datetime


        def purge_executions(store, ttl_days):
            utc_now = datetime.datetime.utcnow()
            cutoff = utc_now - datetime.timedelta(days=ttl_days)
            if cutoff >= utc_now:
                raise ValueError("the ttl must be positive")
            store.purge(older_than=cutoff)
    """
    assert flagged(code, CLOCK, "app/gc.py") == []


def test_deadline_re_armed_from_a_reading_taken_on_every_pass_is_flagged():
    code = """
        import datetime


        def pace(items, handle):
            next_run = None
            for item in items:
                now = datetime.datetime.utcnow()
                if next_run is not None and now < next_run:
                    continue
                handle(item)
                next_run = now + datetime.timedelta(seconds=5)
    """
    assert flagged(code, CLOCK, "app/pace.py") == [("ARM103", 12)]


# --- a refresh interval of an in-memory cache is an in-process deadline ------------------------
def test_cache_refresh_interval_on_the_wall_clock_is_flagged():
    code = """
        import time


        class ExtensionCache:
            def __init__(self, api, interval):
                self.api = api
                self.interval = interval
                self.last_sync = None
                self.extensions = {}

            def refresh_if_needed(self):
                if not self.last_sync or time.time() - self.last_sync >= self.interval:
                    self.extensions = self.api.list_extensions()
                    self.last_sync = time.time()
    """
    assert flagged(code, CLOCK, "app/extensions.py") == [("ARM103", 15)]


# --- readings through a class's own static helper --------------------------------------------------
def test_record_expiry_compared_with_a_static_clock_helper_is_flagged():
    code = """
        import time


        class Ownership:
            @staticmethod
            def _now_secs():
                return int(time.time())

            @staticmethod
            def is_owned(token):
                return token.owner and token.expiration_time > Ownership._now_secs()
    """
    assert flagged(code, CLOCK, "app/ownership.py") == [("ARM104", 12)]


def test_record_expiry_compared_with_a_static_monotonic_helper_is_not_flagged():
    code = """
        import time


        class Ownership:
            @staticmethod
            def _now_secs():
                return time.monotonic()

            @staticmethod
            def is_owned(token):
                return token.owner and token.expiration_time > Ownership._now_secs()
    """
    assert flagged(code, CLOCK, "app/ownership.py") == []


# --- the check side of an expiry that came from elsewhere -----------------------------------------
def test_declared_expiry_field_of_a_record_class_compared_with_the_clock_is_flagged():
    code = """
        import time

        from pydantic import BaseModel


        class ExpiryCaveat(BaseModel):
            expires_at: int

            def verify(self):
                return int(time.time()) < self.expires_at
    """
    assert flagged(code, CLOCK, "app/caveats.py") == [("ARM104", 11)]


def test_expiry_field_the_class_sets_from_its_own_clock_is_an_in_process_deadline():
    code = """
        import time


        class LocalToken:
            def __init__(self, ttl):
                self.expires_at = time.time() + ttl

            def valid(self):
                return time.time() < self.expires_at
    """
    assert flagged(code, CLOCK, "app/tokens.py") == [("ARM103", 7)]


def test_expiry_handed_in_as_a_parameter_and_compared_with_the_clock_is_flagged():
    code = """
        import time


        class Archiver:
            def archive_if_expired(self, expiration_timestamp):
                if expiration_timestamp > time.time():
                    return False
                return self.archive()
    """
    assert flagged(code, CLOCK, "app/archiver.py") == [("ARM104", 7)]


def test_expiry_parameter_compared_with_the_monotonic_clock_is_not_flagged():
    code = """
        import time


        def still_waiting(expiration):
            return expiration > time.monotonic()
    """
    assert flagged(code, CLOCK, "app/waits.py") == []


# --- an expiry written as text -----------------------------------------------------------------
def test_expiry_written_as_text_to_a_coordination_store_is_flagged():
    code = """
        import time


        def pause(zk, minutes):
            expiry = time.time() + minutes * 60
            zk.set("/pause", str(expiry).encode("utf-8"))
    """
    assert flagged(code, CLOCK, "app/pause.py") == [("ARM104", 6)]


def test_reading_glued_to_text_and_sent_is_not_flagged():
    code = """
        import time


        def tag(zk, name):
            zk.set("/tags", (str(time.time()) + name).encode("utf-8"))
    """
    assert flagged(code, CLOCK, "app/tags.py") == []


# --- an existence check decides; a count only reports ------------------------------------------
def test_expiry_checked_in_a_query_answered_by_exists_is_flagged():
    code = """
        from django.utils import timezone


        def token_status(user, PhoneToken):
            active = PhoneToken.objects.filter(
                user=user,
                valid_until__gte=timezone.now(),
            ).exists()
            return {"active": active}
    """
    assert flagged(code, CLOCK, "app/status.py") == [("ARM104", 8)]


def test_expired_rows_only_counted_are_not_flagged():
    code = """
        from django.utils import timezone


        def expired_count(PhoneToken):
            return PhoneToken.objects.filter(valid_until__lt=timezone.now()).count()
    """
    assert flagged(code, CLOCK, "app/stats_report.py") == []


def test_reading_stepped_back_window_by_window_is_not_a_deadline():
    code = """
        import time


        def passcodes(totp, windows, period):
            ts = time.time()
            codes = [totp.generate(ts)]
            for _ in range(windows):
                ts -= period
                codes.append(totp.generate(ts))
            return codes
    """
    assert flagged(code, CLOCK, "app/otp.py") == []
