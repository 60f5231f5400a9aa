"""Log and metrics throttles read the wall clock only to decide when to log or record again:
the branch logs (or records a metric, or builds the message it logs) and stamps its own clock
afresh. RULES.md ARM103 never flags wall clock used only for logging. A branch that also acts
(retries, raises, breaks, pauses, drops work) is still a deadline."""
from __future__ import annotations

from .helpers import CLOCK, flagged


def test_a_log_throttle_that_restamps_its_clock_is_quiet():
    code = """\
    import logging
    import time

    logger = logging.getLogger(__name__)
    REPORT_EVERY = 30


    def apply_batch(func, batch):
        last_report = time.time()
        done = 0
        while done < len(batch):
            if last_report + REPORT_EVERY < time.time():
                logger.info("batch still running, at item %d", done)
                last_report = time.time()
            func(batch[done])
            done += 1
    """
    assert flagged(code, CLOCK) == []


def test_a_sampled_metric_restamped_with_the_checked_reading_is_quiet():
    code = """\
    import time


    class LagRecorder:
        def __init__(self, metrics):
            self._metrics = metrics
            self._last_sample = None

        def on_message(self, msg):
            now = time.time()
            if self._last_sample is None or now - self._last_sample > 1:
                if msg.sent_at is not None:
                    self._metrics.timing("consumer.lag", now - msg.sent_at)
                    self._last_sample = now
    """
    assert flagged(code, CLOCK) == []


def test_a_per_key_warning_throttle_and_a_metrics_flush_are_quiet():
    code = """\
    import logging
    import time

    log = logging.getLogger("ingest")
    _LAST_WARNED = {}
    FLUSH_EVERY = 10


    def check(topic, payload, err):
        start = time.time()
        if _LAST_WARNED.get(topic, 0) < start - 60:
            _LAST_WARNED[topic] = start
            log.warning("bad payload on %s: %s", topic, err)


    class Producer:
        def __init__(self):
            self._last_flush = time.time()

        def _reset(self):
            self._counters = {}
            self._last_flush = time.time()

        def _maybe_flush(self):
            if time.time() - self._last_flush > FLUSH_EVERY:
                self._flush_metrics()


    def watch(path_for, state):
        started = time.time()
        while state.running:
            if path_for() is None and time.time() - started > 60:
                message = "results file still missing"
                log.warning(message)
            time.sleep(5)
    """
    assert flagged(code, CLOCK) == []


def test_a_throttle_whose_branch_also_acts_is_still_flagged():
    code = """\
    import logging
    import time

    log = logging.getLogger(__name__)


    def pump(consumer, limit):
        last_ok = time.time()
        while True:
            if time.time() - last_ok > limit:
                log.warning("no progress, reconnecting")
                consumer.reconnect()
                last_ok = time.time()
            if consumer.poll():
                last_ok = time.time()
    """
    assert flagged(code, CLOCK) == [("ARM103", 10)]


def test_restamping_another_value_is_not_a_throttle():
    code = """\
    import logging
    import time

    log = logging.getLogger(__name__)


    class Lease:
        def renew_if_due(self, started, ttl):
            if time.time() - started > ttl:
                log.info("lease lapsed")
                self.expired_at = time.time()
    """
    assert flagged(code, CLOCK) == [("ARM103", 9)]


def test_clearing_state_the_check_reads_is_no_restamp():
    # Round 19's blind half (glideinWMS's entry group): the branch logs and then retires the old
    # key by setting the slots the check reads to None; that is the deadline's action, not a
    # throttle stamping its clock again.
    code = """\
    import logging
    import time

    log = logging.getLogger(__name__)


    def serve(descript, grace):
        eol = time.time() + grace
        while True:
            if time.time() > eol and descript.data["OldKey"] is not None:
                log.info("retiring the old key")
                descript.data["OldKeyType"] = None
                descript.data["OldKey"] = None
            descript.poll()
    """
    assert flagged(code, CLOCK) == [("ARM103", 8)]
