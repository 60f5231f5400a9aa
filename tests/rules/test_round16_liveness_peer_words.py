"""ARM301, round 16: a peer's last word under another name. An instant named for the last time
something arrived from the other party (`last_response`, `last_reply_at`, `last_query`,
`last_message_time`, `last_received`) is its heartbeat when the comparison takes the party out:
a branch or a collected list that removes it, or a function that answers the age itself and is
named for the removal (`should_drop`).

Look-alikes: the same age answering whether a peer is (in)active (such peers are usually only
pinged), a chat's last message, a branch that only logs, and protocol silence measured on a
monotonic clock (a catalog question, left alone)."""
from __future__ import annotations

from tests.rules.helpers import HEARTBEAT, flagged


def test_removal_answer_on_a_peer_last_response():
    code = """
    from time import time


    class Churn:
        def __init__(self, drop_time=60.0):
            self.drop_time = drop_time

        def should_drop(self, peer):
            if peer.last_response == 0:
                return False
            return time() > (peer.last_response + self.drop_time)
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 12)]


def test_async_eviction_on_the_last_reply_of_a_node():
    code = """
    import time

    REPLY_WINDOW = 90


    class Table:
        async def sweep(self):
            now = time.time()
            for node in list(self.nodes.values()):
                if now - node.last_reply_at > REPLY_WINDOW:
                    await self.evict(node)
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 11)]


def test_peer_of_a_dict_store_popped_after_its_last_query():
    code = """
    import time


    class Store:
        def __init__(self, settings):
            self.window = settings.query_window

        def prune(self):
            for key, peer in list(self.peers.items()):
                if time.time() > peer["last_query"] + self.window:
                    self.peers.pop(key)
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 11)]


def test_collected_list_of_workers_terminated():
    code = """
    import time

    TIMEOUT = 600


    def watch(workers, bridge):
        now = time.time()
        to_terminate = []
        for uid, worker in workers.items():
            if now > worker["last_message_time"] + TIMEOUT:
                to_terminate.append(uid)
        for uid in to_terminate:
            bridge.close(uid)
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 11)]


# --- look-alikes ---------------------------------------------------------------------------------
def test_inactivity_answer_is_quiet():
    code = """
    from time import time


    class Churn:
        def is_inactive(self, peer):
            return time() > (peer.last_response + self.inactive_time)
    """
    assert flagged(code, HEARTBEAT) == []


def test_chat_last_message_deleted_is_quiet():
    code = """
    import time

    IDLE = 3600


    def prune(conversations):
        for conversation in conversations:
            if time.time() - conversation.last_message_at > IDLE:
                conversation.delete()
    """
    assert flagged(code, HEARTBEAT) == []


def test_branch_that_only_logs_is_quiet():
    code = """
    import logging
    import time

    log = logging.getLogger(__name__)


    def report(peers):
        for peer in peers:
            if time.time() - peer.last_received > 30:
                log.warning("peer %s quiet", peer)
    """
    assert flagged(code, HEARTBEAT) == []


def test_monotonic_protocol_silence_is_left_to_the_catalog():
    code = """
    import time


    class Link:
        def check(self, peer):
            if time.monotonic() - peer.last_response > 30:
                self.drop(peer)
    """
    assert flagged(code, HEARTBEAT) == []
