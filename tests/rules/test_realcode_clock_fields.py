"""ARM103 on deadlines that travel between functions: fields of records another method stamps
(`task.retry = time.time() + delay`, `job["run_at"] = now + delay`), a `now` handed to the
method that compares it, nested per-name stamp tables and `x or datetime.now()` stamps."""
from __future__ import annotations

from .helpers import CLOCK, flagged


def test_attribute_stamped_on_a_record_and_checked_in_another_method():
    code = """
    import time


    class Build:
        def __init__(self, name):
            self.name = name
            self.retry_at = None


    class Dispatcher:
        def on_failure(self, build, backoff):
            build.retry_at = time.time() + backoff

        def sweep(self, builds):
            for build in builds:
                if build.retry_at is not None and build.retry_at <= time.time():
                    self.requeue(build)
    """
    assert flagged(code, CLOCK) == [("ARM103", 13)]


def test_elapsed_since_a_record_stamp_reports_where_it_is_stamped():
    code = """
    import time


    class Node:
        def __init__(self):
            self.paused_since = None


    class Pool:
        def pause(self, node):
            node.paused_since = time.time()

        def tick(self, node, hold_for):
            if node.paused_since and time.time() - node.paused_since > hold_for:
                self.resume(node)
    """
    assert flagged(code, CLOCK) == [("ARM103", 12)]


def test_stamp_written_in_several_places_reports_the_comparison():
    code = """
    from app.clock import now


    class Supervisor:
        def __init__(self):
            self.quiet_since = now()

        def on_activity(self):
            self.quiet_since = now()

        def maybe_stop(self, idle_limit):
            if now() > self.quiet_since + idle_limit:
                self.stop()
    """
    assert flagged(code, CLOCK) == [("ARM103", 13)]


def test_string_keyed_record_fields_built_by_a_dict_literal():
    code = """
    from datetime import datetime, timedelta


    class MemoryQueue:
        def __init__(self):
            self.items = {}

        def push(self, key, payload, delay: timedelta):
            now = datetime.now()
            due = now + delay
            self.items[key] = {"payload": payload, "due": due}

        def postpone(self, key, delay):
            item = self.items[key]
            item["due"] = datetime.now() + delay

        def ready(self):
            now = datetime.now()
            return [i for i in self.items.values() if i["due"] <= now]
    """
    assert flagged(code, CLOCK) == [("ARM103", 11), ("ARM103", 16)]


def test_now_passed_to_the_method_that_measures_the_age():
    code = """
    from datetime import datetime


    class Registry:
        def __init__(self):
            self.peers = {}

        def beat(self, peer):
            self.peers[peer] = {"seen": datetime.now()}

        def _stale(self, now, window):
            return [p for p, rec in self.peers.items() if now - rec["seen"] > window]

        def evict(self, window):
            now = datetime.now()
            for peer in self._stale(now, window):
                del self.peers[peer]
    """
    assert flagged(code, CLOCK) == [("ARM103", 16)]


def test_per_name_table_of_lease_stamps():
    code = """
    import time


    class Leases:
        def refresh(self, name, lease_id):
            self.table[name][lease_id] = time.time()

        def expire(self, name, timeout):
            now = time.time()
            for lease_id in list(self.table[name]):
                if now - self.table[name][lease_id] > timeout:
                    del self.table[name][lease_id]
    """
    assert flagged(code, CLOCK) == [("ARM103", 10)]


def test_stamp_set_on_first_use_with_or():
    code = """
    import datetime


    class Loop:
        def __init__(self):
            self._idle_since = None

        def step(self, busy, limit):
            if busy:
                self._idle_since = None
                return True
            self._idle_since = self._idle_since or datetime.datetime.now()
            left = self._idle_since + limit - datetime.datetime.now()
            return left > datetime.timedelta(0)
    """
    assert flagged(code, CLOCK) == [("ARM103", 13)]


# --- look-alikes -------------------------------------------------------------------------------
def test_field_of_a_class_defined_elsewhere_is_not_followed():
    # `job.next_run` is also advanced by the job's own class in another module (a cron
    # calculation): the writes seen here are not all of them.
    code = """
    from datetime import datetime


    class Runner:
        def tick(self, jobs, window):
            now = datetime.now()
            for job in jobs:
                if job.next_run is None:
                    job.next_run = now
                if job.next_run < now + window:
                    self.fire(job)
                    job.advance()
    """
    assert flagged(code, CLOCK) == []


def test_field_also_written_from_outside_data_is_not_a_deadline():
    code = """
    import time


    class Lease:
        def __init__(self, expires_at):
            self.expires_at = expires_at


    class Holder:
        def renew(self, lease, ttl):
            lease.expires_at = time.time() + ttl

        def valid(self, lease):
            return lease.expires_at > time.time()
    """
    assert flagged(code, CLOCK) == []


def test_monotonic_stamps_on_records_stay_quiet():
    code = """
    import time


    class Node:
        def __init__(self):
            self.paused_since = None


    class Pool:
        def pause(self, node):
            node.paused_since = time.monotonic()

        def tick(self, node, hold_for):
            if node.paused_since and time.monotonic() - node.paused_since > hold_for:
                self.resume(node)
    """
    assert flagged(code, CLOCK) == []


def test_now_parameter_from_an_unseen_caller_stays_quiet():
    code = """
    from datetime import datetime


    class Registry:
        def __init__(self):
            self.peers = {}

        def beat(self, peer):
            self.peers[peer] = {"seen": datetime.now()}

        def stale(self, now, window):
            return [p for p, rec in self.peers.items() if now - rec["seen"] > window]
    """
    assert flagged(code, CLOCK) == []


def test_other_keys_of_the_same_dict_do_not_lend_their_clock():
    # `report["checked_at"]` is a clock stamp; `report.get("valid_through")` is not
    code = """
    import time


    def summarise(report, warn_before):
        report["checked_at"] = int(time.time())
        valid_through = int(report.get("valid_through", 0) or 0)
        left = valid_through - int(time.time())
        report["warning"] = left < warn_before
        return report
    """
    assert flagged(code, CLOCK) == []
