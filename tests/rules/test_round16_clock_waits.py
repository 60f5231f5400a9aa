"""Round 16: the length of a wait measured with the wall clock is judged however the amount
travels to the wait: held in a local (and clamped there), passed positionally to a poll, a select
or a join, or computed as the age of a stamp or the time left before a deadline whose origin this
function cannot see (`KEEPALIVE - (now - conn.last_io).total_seconds()`, `(ts + delay) - now`)."""
from __future__ import annotations

from .helpers import CLOCK, flagged


# --- the time left held in a local before the wait --------------------------------------------
def test_a_pacing_loop_whose_pause_is_held_in_a_local_is_flagged():
    code = """
        import time


        def serve_forever(interval):
            while True:
                began = time.time()
                drain_outbox()
                now = time.time()
                spent = now - began
                pause = max(0.0, interval - spent)
                time.sleep(pause)
    """
    assert flagged(code, CLOCK, "app/daemon.py") == [("ARM103", 9)]


def test_a_budget_clamped_in_a_local_and_handed_to_a_wait_keyword_is_flagged():
    code = """
        import time


        def stop_all(procs, grace=10.0):
            t0 = time.time()
            for proc in procs:
                left = max(0.0, grace - (time.time() - t0))
                proc.wait(timeout=left)
    """
    assert flagged(code, CLOCK, "app/launcher.py") == [("ARM103", 6)]


def test_a_time_left_passed_positionally_to_poll_is_flagged():
    code = """
        import select
        import time

        READ_LIMIT = 10.0


        def read_request(sock):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            opened = time.time()
            while True:
                budget = max(READ_LIMIT - (time.time() - opened), 0)
                if not budget:
                    raise TimeoutError("no request")
                for _fd, _event in poller.poll(budget * 1000):
                    return sock.recv(4096)
    """
    assert flagged(code, CLOCK, "app/streamer.py") == [("ARM103", 11)]


def test_a_time_left_passed_positionally_to_a_future_result_is_flagged():
    code = '''
        from datetime import datetime


        async def gather_within(futures, budget_s):
            started = datetime.utcnow()
            for fut in futures:
                spent = (datetime.utcnow() - started).total_seconds()
                yield fut.result(budget_s - spent)
    '''
    assert flagged(code, CLOCK, "app/fanout.py") == [("ARM103", 6)]


# --- the age of a stamp, or the time until a deadline, whose origin is out of sight -----------
def test_the_age_of_a_stamp_on_another_object_sets_a_select_timeout():
    code = """
        import datetime
        import select

        KEEPALIVE = 10


        def pump(conn):
            while True:
                idle = (datetime.datetime.now() - conn.last_io).total_seconds()
                ready, _, _ = select.select([conn], [], [], max(0.0, KEEPALIVE - idle))
                if not ready:
                    conn.send_keepalive()
    """
    assert flagged(code, CLOCK, "app/replication.py") == [("ARM103", 10)]


def test_the_time_until_a_deadline_chosen_by_the_caller_sets_a_sleep():
    code = """
        import time


        def backoff_sleep(deadline, attempt, floor=1):
            now = time.time()
            seconds_left = deadline - now
            if seconds_left <= 0:
                return 0
            to_sleep = min(2 ** attempt, 60)
            if to_sleep > seconds_left:
                to_sleep = seconds_left
            time.sleep(to_sleep)
            return to_sleep
    """
    assert flagged(code, CLOCK, "app/retry_utils.py") == [("ARM103", 6)]


def test_the_time_until_a_queued_stamp_plus_a_delay_sets_a_sleep():
    code = """
        import time


        class DelayedDelivery:
            def run(self):
                while True:
                    ts, event = self.inbox.get()
                    now = time.time()
                    time.sleep(max((ts + self.delay) - now, 0.0))
                    self.deliver(event)
    """
    assert flagged(code, CLOCK, "app/events.py") == [("ARM103", 9)]


def test_an_async_sleep_until_an_expiry_read_from_a_record_is_flagged():
    code = """
        import asyncio
        import time


        async def expire_later(msg):
            sleep_time = (msg.expiration_ts / 1000) - time.time()
            await asyncio.sleep(sleep_time)
            await msg.delete()
    """
    assert flagged(code, CLOCK, "app/bridge.py") == [("ARM103", 7)]


# --- look-alikes that stay quiet ------------------------------------------------------------
def test_a_monotonic_budget_in_a_local_is_not_flagged():
    code = """
        import time


        class Drainer:
            def drain(self, channel, grace):
                opened = time.monotonic()
                while channel.pending():
                    left = grace - (time.monotonic() - opened)
                    if left <= 0:
                        break
                    channel.poll(left)
    """
    assert flagged(code, CLOCK, "app/drain.py") == []


def test_sleeping_until_a_calendar_time_is_not_flagged():
    code = """
        import datetime
        import time


        def run_pending(job):
            idle = (job.next_run - datetime.datetime.now()).total_seconds()
            time.sleep(max(idle, 0))
            job.run()
    """
    assert flagged(code, CLOCK, "app/scheduler.py") == []


def test_the_age_of_a_file_sets_no_finding():
    code = """
        import os
        import time


        def wait_for_rotation(path, period):
            age = time.time() - os.path.getmtime(path)
            time.sleep(max(0, period - age))
    """
    assert flagged(code, CLOCK, "app/rotate.py") == []


def test_a_time_left_only_shown_to_a_person_is_not_flagged():
    code = """
        import time


        def describe(lease):
            left = max(0, lease.deadline - time.time())
            print(f"{left:.0f}s left")
            return left
    """
    assert flagged(code, CLOCK, "app/cli.py") == []


def test_a_positional_flag_of_a_queue_get_is_not_a_pause():
    code = """
        import time


        def next_item(q, started):
            elapsed = time.time() - started
            return q.get(True, 5), elapsed
    """
    assert flagged(code, CLOCK, "app/consumer.py") == []


def test_a_query_builder_select_of_an_age_is_not_a_pause():
    code = """
        from datetime import datetime

        import sqlalchemy as sa


        def job_ages(session):
            now = datetime.utcnow()
            return session.execute(sa.select(Job.id, now - Job.started_at)).all()
    """
    assert flagged(code, CLOCK, "app/reports.py") == []


def test_a_pause_from_a_loop_reading_beside_a_stamp_reported_elsewhere_is_flagged():
    code = """
        import time


        def main_loop(interval, flush_every):
            next_flush = time.time() + flush_every
            while True:
                tick = time.time()
                if tick >= next_flush:
                    flush()
                    next_flush = tick + flush_every
                now = time.time()
                spent = now - tick
                time.sleep(max(0, interval - spent))
    """
    assert flagged(code, CLOCK, "app/sender.py") == [("ARM103", 6), ("ARM103", 11), ("ARM103", 12)]


def test_the_time_left_of_a_deadline_already_reported_is_not_reported_again():
    code = """
        import time


        def wait_ready(probe, timeout):
            start = time.time()
            while time.time() - start < timeout:
                if probe():
                    return True
                time.sleep(min(1.0, timeout - (time.time() - start)))
            return False
    """
    assert flagged(code, CLOCK, "app/probe.py") == [("ARM103", 6)]
