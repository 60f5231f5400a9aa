"""An instant of this clock moved by an amount, written into a slot of a local record that then
leaves the function through a call that keeps or sends it: whoever reads the slot back compares
it with their own clock (ARM104). The object's own tables, caches, logging, in-process
containers and backdated cut-offs stay quiet."""
from __future__ import annotations

from .helpers import CLOCK, flagged


def test_a_nested_slot_of_a_task_handed_to_a_queue_is_a_due_time_others_read():
    code = """\
    import time


    class Scheduler:
        def on_done(self, task, age):
            task["schedule"]["next_run"] = time.time() + age
            self.enqueue(task)
    """
    assert flagged(code, CLOCK) == [("ARM104", 6)]


def test_a_slot_of_a_loaded_document_written_back_to_a_file():
    code = """\
    import json
    from datetime import datetime, timedelta


    def back_off(path, key, delay):
        with open(path) as fh:
            state = json.load(fh)
        state.setdefault(key, {})
        state[key]["not_before"] = (datetime.utcnow() + timedelta(seconds=delay)).isoformat()
        with open(path, "w") as fh:
            json.dump(state, fh)
    """
    assert flagged(code, CLOCK) == [("ARM104", 9)]


def test_an_async_message_with_a_deadline_slot_published():
    code = """\
    import time


    async def offer(bus, payload, lifetime):
        message = {"body": payload}
        message["valid_until"] = int(time.time() + lifetime)
        await bus.publish("offers", message)
    """
    assert flagged(code, CLOCK) == [("ARM104", 6)]


def test_own_tables_caches_logs_and_in_process_containers_are_not_sent():
    code = """\
    import heapq
    import logging
    import time

    log = logging.getLogger(__name__)


    class Limiter:
        def arm(self, key, ttl):
            self.until[key] = time.time() + ttl

        def remember(self, memo_table, key, ttl):
            memo_table[key] = time.time() + ttl
            heapq.heappush(self.heap, memo_table)

        def note(self, key, ttl):
            entry = {}
            entry["until"] = time.time() + ttl
            log.info("armed %s", entry)
    """
    assert flagged(code, CLOCK) == []


def test_a_cut_off_in_the_past_is_not_an_expiry():
    code = """\
    import time


    def query_old(api, window):
        params = {}
        params["before"] = time.time() - window
        return api.search(params)
    """
    assert flagged(code, CLOCK) == []
