"""ARM301, round 10: a timer armed for a fixed delay whose callback purges or evicts a peer
unless word arrived first. Look-alikes: a shutdown timer, an idle close, a delay handed in by the
caller, a timer whose callback only retries."""
from __future__ import annotations

import textwrap

from analyzers import analyze
from tests.rules.helpers import HEARTBEAT


def graded(code: str, path: str = "cluster/admission.py") -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), HEARTBEAT)
    assert report.notes == []
    return [(f.rule, f.line, f.confidence) for f in report.findings]


def test_join_timer_that_evicts_a_silent_node_is_flagged():
    code = """
    import asyncio

    JOIN_GRACE = 15


    class Admission:
        def on_join(self, node_id):
            self.pending[node_id] = asyncio.get_running_loop().call_later(
                JOIN_GRACE, self._evict_silent, node_id
            )

        def _evict_silent(self, node_id):
            self.pending.pop(node_id, None)
    """
    assert graded(code) == [("ARM301", 9, "medium")]


def test_deadline_timer_with_a_lambda_purging_a_worker_is_flagged():
    code = """
    class Pool:
        handshake_timeout = 20

        def accept(self, worker):
            self.ioloop.add_timeout(
                self.ioloop.time() + self.handshake_timeout,
                lambda: self.purge_worker(worker.ident),
            )
    """
    assert graded(code, "pool/accept.py") == [("ARM301", 6, "medium")]


def test_shutdown_idle_and_caller_chosen_timers_stay_quiet():
    code = """
    class Server:
        def begin_shutdown(self):
            self.loop.call_later(5, self.stop)

        def on_idle(self, conn):
            self.loop.call_later(300, conn.close)

        def watch(self, worker, delay):
            self.loop.call_later(delay, self.evict_worker, worker)

        def retry_later(self, node):
            self.loop.call_later(30, self.reconnect_node, node)
    """
    assert graded(code, "net/server.py") == []
