"""Round 9 wall-clock forms: Twisted's reactor clock, elapsed time that sets a pause, wall-clock
instants handed to event-loop timers, and silence since a recorded heartbeat or activity."""
from analyzers import Settings, analyze

from .helpers import CLOCK, flagged

import textwrap


def _confidences(code: str) -> list[tuple[str, int, str]]:
    report = analyze("app/service.py", textwrap.dedent(code), CLOCK)
    return [(f.rule, f.line, f.confidence) for f in report.findings]


def test_reactor_seconds_is_a_wall_clock_reading():
    code = """\
    from twisted.internet import defer


    class Poller:
        def __init__(self, reactor, api):
            self._reactor = reactor
            self.api = api

        @defer.inlineCallbacks
        def wait_until_gone(self, ref, limit):
            began = self._reactor.seconds()
            while True:
                if self._reactor.seconds() - began > limit:
                    raise TimeoutError(ref)
                found = yield self.api.lookup(ref)
                if found is None:
                    return
    """
    assert flagged(code, CLOCK, "app/poller.py") == [("ARM103", 11)]


def test_injected_clock_seconds_is_a_reading_but_a_loop_time_is_not():
    code = """\
    import asyncio


    class Pump:
        def __init__(self, clock):
            self.clock = clock

        def drain(self, budget):
            t0 = self.clock.seconds()
            while self.clock.seconds() - t0 < budget:
                self.step()

        async def settle(self, budget):
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            while loop.time() - t0 < budget:
                await asyncio.sleep(0.1)
    """
    assert flagged(code, CLOCK, "app/pump.py") == [("ARM103", 9)]


def test_unit_converter_keeps_the_reading():
    code = """\
    import time

    from app.units import secs_to_datetime


    def flush_when_due(buffer, period):
        due = secs_to_datetime(time.time() + period)
        while True:
            if secs_to_datetime(time.time()) >= due:
                buffer.flush()
                return
    """
    assert flagged(code, CLOCK, "app/flush.py") == [("ARM103", 7)]


def test_elapsed_time_that_sets_the_pause_of_a_loop():
    code = """\
    import threading
    import time

    INTERVAL = 5.0


    class Reporter:
        def __init__(self):
            self.stop = threading.Event()

        def run(self):
            while not self.stop.is_set():
                cycle_began = time.time()
                self.push_counters()
                spent = time.time() - cycle_began
                self.stop.wait(max(0.0, INTERVAL - spent))

        def pace(self, batch):
            t = time.time()
            for item in batch:
                self.send(item)
            time.sleep(1 - (time.time() - t))
    """
    assert flagged(code, CLOCK, "app/reporter.py") == [("ARM103", 13), ("ARM103", 19)]


def test_monotonic_pause_and_fixed_pause_stay_quiet():
    code = """\
    import time

    INTERVAL = 5.0


    def run(stop, job):
        while not stop.is_set():
            began = time.monotonic()
            job()
            stop.wait(max(0.0, INTERVAL - (time.monotonic() - began)))


    def stamp_and_sleep(job):
        job.started = time.time()
        job()
        time.sleep(INTERVAL)
    """
    assert flagged(code, CLOCK, "app/runner.py") == []


def test_wall_clock_instant_handed_to_an_event_loop_timer():
    code = """\
    import asyncio
    import time


    def arm_expiry(loop, request, seconds):
        return loop.call_at(time.time() + seconds, request.cancel)


    def arm_on_loop_clock(loop, request, seconds):
        return loop.call_at(loop.time() + seconds, request.cancel)


    def arm_later(loop, request, seconds):
        return loop.call_later(seconds, request.cancel)
    """
    assert flagged(code, CLOCK, "app/timers.py") == [("ARM103", 6)]


def test_silence_since_a_recorded_heartbeat_is_medium():
    code = """\
    import time


    class Registry:
        def sweep(self, members, grace):
            cutoff_reading = time.time()
            gone = []
            for member in members.values():
                if cutoff_reading - member.last_ping_at > grace:
                    gone.append(member.name)
            for name in gone:
                members.pop(name)


    def prune(nodes, limit):
        now = int(time.time())
        for key, info in list(nodes.items()):
            beat = info.get("last_beat")
            if beat is not None and now - beat > limit:
                del nodes[key]
    """
    assert _confidences(code) == [("ARM103", 6, "medium"), ("ARM103", 16, "medium")]


def test_age_of_foreign_stamps_stays_quiet():
    code = """\
    import os
    import time


    def stale_file(path, limit):
        return time.time() - os.stat(path).st_mtime > limit


    def replayed(request, window):
        sent = int(request.headers["X-Timestamp"])
        return time.time() - sent > window


    def show_idle(worker, limit):
        if time.time() - worker.last_seen > limit:
            log.info("worker %s idle", worker.name)
    """
    assert flagged(code, CLOCK, "app/checks.py") == []


def test_silence_against_a_module_constant_is_left_to_the_fixed_timeout_rule():
    # One comment per comparison: with a constant window the comparison is ARM301's detector, whose
    # fix replaces the reading as well; ARM103 keeps quiet there and still reports other windows.
    code = """\
    import time

    NODE_DEAD_AFTER = 45


    def reap(db):
        now = time.time()
        for node in db.online_nodes():
            if now - node.last_heartbeat > NODE_DEAD_AFTER:
                db.mark_dead(node.id)


    def reap_with(db, grace):
        now = time.time()
        for node in db.online_nodes():
            if now - node.last_heartbeat > grace:
                db.mark_dead(node.id)
    """
    report = analyze("app/service.py", textwrap.dedent(code), Settings())
    found = sorted((f.rule, f.line) for f in report.findings)
    assert ("ARM103", 14) in found and ("ARM103", 7) not in found and ("ARM103", 9) not in found
    assert ("ARM301", 9) in found
