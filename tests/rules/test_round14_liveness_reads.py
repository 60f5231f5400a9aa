"""ARM301, round 14: where the stamp comes from and how the verdict is spelled.

- A stamp read back from a store or a file (`cache.get(KEY)`, `float(f.read())`) is another
  writer's instant; a branch on its age that returns True/False is a health verdict whatever
  the function is called.
- A deadline helper (`return self.last_beat_at + timedelta(...)`) compared with the clock by a
  caller (`now > self.valid_until()`) ages that stamp.
- A stream claim by idle time (`min_idle_time=`) with the consumer's own option takes over a
  slow consumer's messages, whatever the client calls the method.

Look-alikes: a label chosen for display, a setting read, a helper returning the clock plus a
TTL, a token's deadline, a claim wrapper forwarding its caller's value."""
from __future__ import annotations

from tests.rules.helpers import HEARTBEAT, flagged


# --- flagged ---------------------------------------------------------------------------------
def test_heartbeat_read_back_from_a_cache_declares_the_chain_dead():
    code = """
    from datetime import datetime, timedelta, timezone

    from django.core.cache import cache

    BEAT_KEY = "sweeper:beat"


    def restart_if_dead(interval):
        raw = cache.get(BEAT_KEY)
        last_beat = datetime.fromisoformat(raw)
        limit = datetime.now(timezone.utc) - timedelta(seconds=interval * 2)
        chain_is_dead = last_beat < limit
        if chain_is_dead:
            cache.delete("sweeper:lock")
    """
    assert flagged(code, HEARTBEAT, "jobs/sweeper.py") == [("ARM301", 13)]


def test_heartbeat_file_aged_in_a_health_check_returning_false():
    code = """
    import os
    import time


    class Probe:
        def __init__(self, path):
            self.path = path
            self.max_age = int(os.environ.get("PROBE_MAX_AGE", "30"))

        def check_beat_file(self):
            with open(self.path) as f:
                last_heartbeat = float(f.read().strip())
            if time.time() - last_heartbeat > self.max_age:
                return False
            return True
    """
    assert flagged(code, HEARTBEAT, "ops/probe.py") == [("ARM301", 14)]


def test_deadline_helper_compared_by_another_method():
    code = """
    from datetime import datetime, timedelta, timezone

    from sqlalchemy.orm import declarative_base

    Base = declarative_base()
    BEAT_VALID_MINUTES = 5


    class Run(Base):
        def valid_until(self):
            return self.last_beat_at + timedelta(minutes=BEAT_VALID_MINUTES)

        def is_stale(self):
            return datetime.now(timezone.utc) > self.valid_until()
    """
    assert flagged(code, HEARTBEAT, "runs/model.py") == [("ARM301", 15)]


def test_idle_claim_with_the_consumers_own_option():
    code = """
    class Consumer:
        def __init__(self, stream, name, claim_after_ms=None):
            self.stream = stream
            self.name = name
            self.claim_after_ms = claim_after_ms

        def take_pending(self):
            if self.claim_after_ms is not None:
                self.stream.autoclaim(self.name, min_idle_time=self.claim_after_ms, count=1)
    """
    assert flagged(code, HEARTBEAT, "bus/consumer.py") == [("ARM301", 10)]


# --- never flagged ---------------------------------------------------------------------------
def test_a_setting_read_is_a_window_not_a_stamp():
    code = """
    import time


    def fresh(settings, row):
        limit = settings.get("probe_limit")
        return time.time() - limit > 0
    """
    assert flagged(code, HEARTBEAT, "ops/fresh.py") == []


def test_a_cached_value_only_labelled_for_display():
    code = """
    from datetime import datetime, timedelta


    def beat_label(cache):
        last_beat = cache.get("beat")
        recent = datetime.utcnow() - last_beat < timedelta(minutes=5)
        return "recent" if recent else "a while ago"
    """
    assert flagged(code, HEARTBEAT, "ui/labels.py") == []


def test_a_helper_returning_the_clock_plus_a_ttl_is_not_a_stamp():
    code = """
    import time

    TTL = 30


    class Entry:
        def deadline(self):
            return time.time() + TTL

        def is_stale(self):
            return time.time() > self.deadline()
    """
    assert flagged(code, HEARTBEAT, "cache/entry.py") == []


def test_a_tokens_deadline_helper_is_quiet():
    code = """
    from datetime import datetime, timedelta

    from django.db import models


    class Token(models.Model):
        def valid_until(self):
            return self.issued_at + timedelta(hours=1)

        def is_stale(self):
            return datetime.utcnow() > self.valid_until()
    """
    assert flagged(code, HEARTBEAT, "auth/model.py") == []


def test_a_claim_wrapper_forwarding_its_callers_value_is_quiet():
    code = """
    class Stream:
        def autoclaim(self, consumer, min_idle_time, count=None):
            return self.database.xautoclaim(self.key, self.group, consumer, min_idle_time=min_idle_time, count=count)
    """
    assert flagged(code, HEARTBEAT, "lib/streams.py") == []
