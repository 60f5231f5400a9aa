"""Round 21, wall-clock: in-process tables of instants swept by their own class (ARM103).

Read in the misses of round 20's blind half (now `test11`): a class keeps a dict of per-key
stamps or expiries from the wall clock and a method of its own drops the entries whose instant
has passed. Every write and the sweep are in view, so the table never leaves the process:

- an expiry armed in the table (`self.window_ttl[key] = time.time() + self.ttl`), also through a
  method of the class that returns it (`self._cache[key] = (self._normalize_timeout(t), v)`),
  reported where it is armed;
- bare stamps (`self.unsaved[oid] = Entry(time.time(), item)`, a record built with
  `statetime=time.time()`, a tuple of a cookie and its store time) aged against an amount in the
  sweep, reported at the check.

Look-alikes stay quiet: the same tables on the monotonic clock, a table that is read but never
pruned, a table filled with instants read from elsewhere, and a name reused for another table's
entries in a later loop.
"""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index

CLOCK = Settings(select=frozenset({"ARM103"}))


def flagged(code: str, path: str = "app/tables.py") -> list[tuple[str, int]]:
    code = textwrap.dedent(code)
    project = build_project_index([(path, code)])
    report = analyze(path, code, CLOCK, project=project)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


def test_expiry_armed_in_the_table_is_reported_where_it_is_armed():
    code = """\
    import time


    class RollingWindows:
        def __init__(self, ttl=60):
            self.ttl = ttl
            self.window_ttl = {}
            self.rolling_window = {}

        def run(self):
            c_time = time.time()
            for k in list(self.window_ttl.keys()):
                if self.window_ttl.get(k, c_time) < c_time:
                    del self.rolling_window[k]
                    del self.window_ttl[k]

        def add(self, w_key, counter):
            self.rolling_window[w_key] = [counter]
            self.window_ttl[w_key] = time.time() + self.ttl
    """
    assert flagged(code) == [("ARM103", 19)]


def test_expiry_returned_by_a_method_of_the_class_and_swept_against_the_callers_now():
    code = """\
    from time import time


    class SimpleStore:
        def __init__(self, default_timeout=300):
            self._entries = {}
            self.default_timeout = default_timeout

        def _remove_expired(self, now):
            toremove = [k for k, (expires, _) in self._entries.items() if expires < now]
            for k in toremove:
                self._entries.pop(k, None)

        def _prune(self):
            if len(self._entries) > 500:
                now = time()
                self._remove_expired(now)

        def _normalize_timeout(self, timeout):
            timeout = timeout or self.default_timeout
            if timeout > 0:
                timeout = int(time()) + timeout
            return timeout

        def set(self, key, value, timeout=None):
            expires = self._normalize_timeout(timeout)
            self._prune()
            self._entries[key] = (expires, value)
    """
    assert flagged(code) == [("ARM103", 22)]


def test_bare_stamps_in_a_tuple_a_record_and_a_datetime_pair_are_reported_at_the_check():
    code = """\
    import time
    from collections import namedtuple
    from datetime import datetime, timezone

    ITEM_TIMEOUT = 3600
    EVENT_TIMEOUT = 86400 * 7
    Unsaved = namedtuple("Unsaved", "stamp item")


    class Event:
        def __init__(self, name, statetime):
            self.name = name
            self.statetime = statetime


    class Remote:
        def __init__(self):
            self.unsaved_items = {}
            self.events = {}

        def new_item(self, uid, item):
            self.unsaved_items[uid] = Unsaved(time.time(), item)

        def new_event(self, name):
            event = Event(name=name, statetime=time.time())
            self.events[name] = event

        def expire(self):
            timenow = time.time()
            for oid in list(self.unsaved_items.keys()):
                stamp, _ = self.unsaved_items[oid]
                if timenow > stamp + ITEM_TIMEOUT:
                    del self.unsaved_items[oid]
            for tid in list(self.events.keys()):
                event = self.events[tid]
                if timenow > event.statetime + float(EVENT_TIMEOUT):
                    del self.events[tid]


    class Client:
        def __init__(self):
            self._cookies = {}

        def update(self, cookies):
            store_time = datetime.now(tz=timezone.utc)
            for name, morsel in cookies.items():
                self._cookies[name] = (morsel, store_time)

        def clear_expired(self):
            check_time = datetime.now(tz=timezone.utc)
            expired = []
            for key, (morsel, store_time) in self._cookies.items():
                max_age = morsel.get("max-age")
                if not max_age:
                    continue
                age = check_time - store_time
                if age.total_seconds() > float(max_age):
                    expired.append(key)
            for key in expired:
                self._cookies.pop(key)
    """
    # 29 and 50, the sweeps' readings, are the held-age form's (round 20); the checks are new
    assert flagged(code) == [("ARM103", 29), ("ARM103", 32), ("ARM103", 36), ("ARM103", 50), ("ARM103", 57)]


def test_look_alikes_stay_quiet():
    code = """\
    import time

    ITEM_TIMEOUT = 3600


    class MonotonicTable:
        def __init__(self):
            self.expiries = {}

        def add(self, key):
            self.expiries[key] = time.monotonic() + ITEM_TIMEOUT

        def sweep(self):
            now = time.monotonic()
            for key, expires in list(self.expiries.items()):
                if expires < now:
                    del self.expiries[key]


    class NeverPruned:
        def __init__(self):
            self.seen = {}

        def record(self, key):
            self.seen[key] = time.time()

        def recent(self, key):
            stamp = self.seen.get(key)
            return stamp is not None and time.monotonic() - stamp < ITEM_TIMEOUT


    class ForeignStamps:
        def __init__(self):
            self.rows = {}

        def load(self, row):
            self.rows[row.id] = row.created

        def prune(self, limit):
            for key, created in list(self.rows.items()):
                if created < limit:
                    self.rows.pop(key)
    """
    assert flagged(code) == []


def test_a_name_reused_for_another_tables_entries_is_that_tables():
    code = """\
    import time

    ITEM_TIMEOUT = 3600


    class Remote:
        def __init__(self):
            self.tokens = {}
            self.items = {}

        def add_item(self, oid, item):
            self.items[oid] = (time.time(), item)

        def add_token(self, token, stamp):
            self.tokens[token] = (stamp, None)

        def expire(self, ttl):
            timenow = time.time()
            for token in list(self.tokens.keys()):
                stamp, _ = self.tokens[token]
                if timenow > stamp + ttl:
                    del self.tokens[token]
            for oid in list(self.items.keys()):
                stamp, _ = self.items[oid]
                if timenow > stamp + ITEM_TIMEOUT:
                    del self.items[oid]
    """
    # 18 (the reading) is the held-age form's; 21 ages the tokens table, filled by callers
    assert flagged(code) == [("ARM103", 18), ("ARM103", 25)]
