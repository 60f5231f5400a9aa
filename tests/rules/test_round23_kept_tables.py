"""Round 23, wall-clock: in-process tables of instants that the round-21 sweep form missed (ARM103).

Read in the misses of round 22's blind half (now `test13`, cause W5): the table of per-key
deadlines or stamps is in view, but

- it is a dict of the module (`on_hold = dict()` filled by one function with
  `(alert, time.time() + HOLD_TIME)` and swept by a thread's loop in another), not an attribute
  of one class: reported at the check, the one place where the lifetime is judged;
- the entry is a dict (`cache[name] = {"expires_at": time.time() + ttl - 60, ...}`) checked and
  then written anew by the same function (a credential cache's TTL);
- the entry's stamp is read through a part of it (`last_time = entry["time"]`);
- the loop goes over a copy (`self.table.copy().items()`);
- a stamp set back by a random amount (`time() - randrange(DAY)`, spreading the first run) is a
  stamp, not an expiry: the check that ages it is the finding.

Look-alikes stay quiet: the same tables on the monotonic clock, a module table only displayed
or logged, a local dict that shadows the module's, a module table filled from a message's stamp,
and a module table read but never pruned nor re-armed by the checking function.
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


MAILER = """\
import threading
import time

HOLD_TIME = 30

on_hold = dict()


def on_message(alert):
    if alert.repeat:
        return
    on_hold[alert.id] = (alert, time.time() + HOLD_TIME)


class MailSender(threading.Thread):
    def run(self):
        while not self.should_stop:
            for alertid in list(on_hold.keys()):
                try:
                    (alert, hold_time) = on_hold[alertid]
                except KeyError:
                    continue
                if time.time() > hold_time:
                    self.send_email(alert)
                    del on_hold[alertid]
            time.sleep(2)
"""


def test_module_table_of_deadlines_swept_by_another_function_is_reported_at_the_check():
    assert flagged(MAILER) == [("ARM103", 23)]


def test_module_table_on_the_monotonic_clock_is_quiet():
    assert flagged(MAILER.replace("time.time()", "time.monotonic()")) == []


def test_module_table_whose_entries_are_only_logged_is_quiet():
    code = """\
    import logging
    import time

    log = logging.getLogger(__name__)
    on_hold = {}


    def hold(alert):
        on_hold[alert.id] = (alert, time.time() + 30)


    def report():
        for alertid in list(on_hold.keys()):
            (alert, hold_time) = on_hold[alertid]
            if time.time() > hold_time:
                log.info("alert %s held past its time", alertid)
            del on_hold[alertid]
    """
    assert flagged(code) == []


def test_credential_cache_entry_checked_then_rearmed_by_the_same_function():
    code = """\
    import time

    import requests

    # the shape of an entry
    password_cache = {
        "instance_name": {
            "username": "username",
            "password": "password",
            "expires_at": "1740557906.15272",
        }
    }


    class VaultMixin:
        def get_username_password(self):
            if self.instance_name in password_cache:
                if password_cache[self.instance_name]["expires_at"] > time.time():
                    return (
                        password_cache[self.instance_name]["username"],
                        password_cache[self.instance_name]["password"],
                    )
            response = requests.get(self.url)
            response.raise_for_status()
            data = response.json()["data"]
            password_cache[self.instance_name] = {
                "username": data["username"],
                "password": data["password"],
                "expires_at": time.time() + data["ttl"] - 60,
            }
            return data["username"], data["password"]
    """
    assert flagged(code) == [("ARM103", 18)]


def test_local_dict_shadowing_the_module_table_is_left_to_the_functions_own_flow():
    # the function's flow follows its own dict from the write to the check and reports the
    # write (line 11), as before; the module-table form adds nothing at the check (line 9)
    code = """\
    import time

    fetched = {}


    def refresh(names, fetch):
        fetched = {}
        for name in names:
            if name in fetched and time.time() - fetched[name][1] < 60:
                continue
            fetched[name] = (fetch(name), time.time())
        return fetched
    """
    assert flagged(code) == [("ARM103", 11)]


def test_module_table_written_and_checked_in_one_function_is_reported_once():
    code = """\
    import time

    fetched = {}


    def refresh(names, fetch):
        for name in names:
            if name in fetched and time.time() - fetched[name][1] < 60:
                continue
            fetched[name] = (fetch(name), time.time())
        return fetched
    """
    assert flagged(code) == [("ARM103", 10)]


def test_module_table_filled_from_a_message_stamp_is_quiet():
    code = """\
    import time

    seen = {}


    def on_event(event):
        seen[event.key] = event.sent_at


    def sweep():
        for key, stamp in list(seen.items()):
            if time.time() - stamp > 60:
                del seen[key]
    """
    assert flagged(code) == []


def test_module_table_read_but_never_pruned_nor_rearmed_by_the_check_is_quiet():
    code = """\
    import time

    started = {}


    def start(job):
        started[job.id] = time.time()


    def overdue(job_id):
        return time.time() - started[job_id] > 600
    """
    assert flagged(code) == []


def test_stamp_read_through_a_part_of_the_entry_is_reported_at_the_check():
    code = """\
    import time
    from typing import TypedDict

    METAINFO_CACHE_PERIOD = 5 * 60


    class MetainfoLookupResult(TypedDict):
        time: float
        meta_info: dict


    class DownloadManager:
        def __init__(self):
            self.metainfo_cache = {}

        async def get_metainfo(self, infohash):
            metainfo = await self.lookup(infohash)
            self.metainfo_cache[infohash] = MetainfoLookupResult(time=time.time(), meta_info=metainfo)
            return metainfo

        def _task_cleanup_metainfo_cache(self):
            oldest_time = time.time() - METAINFO_CACHE_PERIOD
            for info_hash, cache_entry in list(self.metainfo_cache.items()):
                last_time = cache_entry["time"]
                if last_time < oldest_time:
                    del self.metainfo_cache[info_hash]
    """
    assert flagged(code) == [("ARM103", 25)]


def test_backdated_stamps_in_a_copied_table_are_aged_at_the_check():
    code = """\
    from random import randrange
    from time import time

    SECONDS_IN_DAY = 86400


    class Gateway:
        def __init__(self):
            self.clock_updates = {}

        def add_clock(self, address):
            start_time = time() - randrange(SECONDS_IN_DAY)
            self.clock_updates[address] = start_time

        async def update_clock_times(self):
            for address, timestamp in self.clock_updates.copy().items():
                if time() - timestamp > 3600:
                    if not await self.sync(address):
                        del self.clock_updates[address]
                        continue
                    self.clock_updates[address] = time()
    """
    assert flagged(code) == [("ARM103", 17)]


SCANNER = """\
import time


class DeviceDetect:
    def __init__(self, ip):
        self.ip = ip
        self.timeo = 0
        self.remove = False

    def connect(self, options):
        self.timeo = time.time() + options["connect_timeout"]

    def on_data(self):
        #self.timeo = time.time() + self.options['data_timeout']
        self.timeo = time.time() + 1.5

    def timeout(self):
        self.remove = True


def scan(devices, do_timeout=True):
    while devices:
        for dev in devices:
            if do_timeout and dev.timeo <= time.time():
                dev.timeout()
"""


def test_field_deadline_armed_in_methods_is_followed_past_a_commented_out_write():
    # every write of `timeo` is in view: the one commented out is no write the index missed
    assert flagged(SCANNER) == [("ARM103", 11), ("ARM103", 15)]


def test_field_deadline_with_a_write_of_another_origin_is_quiet():
    code = SCANNER.replace("        self.remove = True\n", "        self.remove = True\n        self.timeo = self.peer_deadline\n")
    assert flagged(code) == []
