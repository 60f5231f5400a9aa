"""ARM301, round 9: failure detectors written without a clock comparison against a literal:
counters of silent periods, windows read from a configuration object, the newest of a list of
beats, self-shutdown when the coordinator goes quiet, an early `continue` that keeps only fresh
members and re-claimable rows (`unowned OR claim older than a window`). Each sits next to
look-alikes that must stay quiet (a probe with a timeout that only closes or logs included)."""
from __future__ import annotations

import textwrap

from analyzers import analyze
from tests.rules.helpers import HEARTBEAT, flagged


def graded(code: str, path: str = "svc/cluster.py") -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), HEARTBEAT)
    return [(f.rule, f.line, f.confidence) for f in report.findings]


# --- a window read from a configuration object, whatever the option is called --------------

def test_silence_against_any_option_of_a_config_object_is_flagged():
    code = """
    import time

    from gossip.conf import cfg


    class Roster:
        def prune(self):
            now = time.time()
            for peer_id, peer in list(self.peers.items()):
                if now - peer.last_heartbeat > cfg.forget_silent_peers:
                    del self.peers[peer_id]
    """
    assert flagged(code, HEARTBEAT, "gossip/roster.py") == [("ARM301", 11)]


def test_per_peer_option_on_the_peer_itself_stays_quiet():
    code = """
    import time


    class Roster:
        def prune(self):
            now = time.time()
            for peer_id, peer in list(self.peers.items()):
                if now - peer.last_heartbeat > peer.options.forget_silent:
                    del self.peers[peer_id]
    """
    assert flagged(code, HEARTBEAT, "gossip/roster.py") == []


def test_newest_of_a_list_of_beats_against_an_option_is_flagged():
    code = """
    import time


    def drop_quiet_agents(registry, settings):
        now = time.time()
        gone = []
        for name, agent in registry.items():
            if not agent.heartbeat_log or now - max(agent.heartbeat_log) > settings.agent_expiry:
                gone.append(name)
        for name in gone:
            registry.pop(name)
    """
    assert flagged(code, HEARTBEAT, "ops/agents.py") == [("ARM301", 9)]


# --- the process shuts itself down when its coordinator goes quiet --------------------------

def test_self_shutdown_when_the_coordinator_is_silent_is_flagged():
    code = """
    import time

    COORDINATOR_SILENCE = 45


    class Follower:
        def watchdog(self):
            while True:
                time.sleep(1)
                if self.last_pong_at and self.last_pong_at < time.time() - COORDINATOR_SILENCE:
                    self.shutdown()
    """
    assert flagged(code, HEARTBEAT, "svc/follower.py") == [("ARM301", 11)]


def test_heartbeat_sender_that_stops_on_a_flag_stays_quiet():
    code = """
    import time

    BEAT_EVERY = 5


    class Follower:
        def beat(self):
            while not self.stopping:
                self.last_heartbeat = time.time()
                self.send_heartbeat()
                if self.stopping:
                    self.shutdown()
                time.sleep(BEAT_EVERY)
    """
    assert flagged(code, HEARTBEAT, "svc/follower.py") == []


# --- counters of silent periods --------------------------------------------------------------

def test_counter_of_silent_rounds_against_a_configured_maximum_is_flagged():
    code = """
    class LinkWatch:
        def __init__(self, max_silent_rounds=5):
            self.max_silent_rounds = max_silent_rounds
            self.silent_rounds = {}

        def on_pong(self, peer):
            self.silent_rounds[peer] = 0

        def tick(self):
            for peer in list(self.silent_rounds):
                self.silent_rounds[peer] += 1
                if self.silent_rounds[peer] > self.max_silent_rounds:
                    self.evict(peer)
    """
    assert graded(code) == [("ARM301", 13, "high")]


def test_heartbeat_credit_counted_down_to_an_offline_state_is_flagged():
    code = """
    import enum

    CREDIT = 4


    class Status(enum.Enum):
        ONLINE = "online"
        OFFLINE = "offline"


    class Hub:
        def on_beat(self, conn):
            conn.heartbeat_credit = CREDIT

        def every_second(self):
            for conn in self.connections:
                if conn.heartbeat_credit < 0 and conn.status != Status.OFFLINE:
                    conn.status = Status.OFFLINE
                else:
                    conn.heartbeat_credit -= 1
    """
    assert graded(code) == [("ARM301", 18, "high")]


def test_miss_count_from_a_table_reported_as_failures_is_flagged():
    code = """
    MAX_MISSES = 3


    def sweep(probation, silent):
        failures = []
        kept = {}
        for host in silent:
            misses = probation.get(host, 0) + 1
            if misses >= MAX_MISSES:
                failures.append(host)
            else:
                kept[host] = misses
        return failures, kept
    """
    assert graded(code) == [("ARM301", 10, "high")]


def test_retry_counter_and_logged_misses_stay_quiet():
    code = """
    import logging

    MAX_RETRIES = 5
    WARN_AFTER_MISSES = 3
    log = logging.getLogger(__name__)


    def deliver(client, payload):
        attempts = 0
        while True:
            attempts += 1
            if attempts > MAX_RETRIES:
                client.close()
                raise RuntimeError("gave up")
            if client.send(payload):
                return


    class Pinger:
        def tick(self):
            self.missed_pings += 1
            if self.missed_pings > WARN_AFTER_MISSES:
                log.warning("peer is slow: %s missed pings", self.missed_pings)
    """
    assert graded(code) == []


# --- an early `continue` keeps the fresh members; the rest are declared gone ------------------

def test_fresh_members_skipped_and_the_rest_deactivated_is_flagged():
    code = """
    from datetime import datetime

    AGENT_EXPIRY_MIN = 15


    def expire_agents(db, clock):
        oldest_ok = datetime.fromtimestamp(clock.time() - 60 * AGENT_EXPIRY_MIN)
        for agent in db.list_agents():
            if agent.last_seen is not None and agent.last_seen >= oldest_ok:
                continue
            db.update_agent(agent.id, active=False)
    """
    assert flagged(code, HEARTBEAT, "ops/expire.py") == [("ARM301", 10)]


def test_fresh_members_skipped_and_the_rest_only_counted_stays_quiet():
    code = """
    from datetime import datetime

    AGENT_EXPIRY_MIN = 15


    def stale_agents(db, clock):
        oldest_ok = datetime.fromtimestamp(clock.time() - 60 * AGENT_EXPIRY_MIN)
        quiet = 0
        for agent in db.list_agents():
            if agent.last_seen is not None and agent.last_seen >= oldest_ok:
                continue
            quiet += 1
        return quiet
    """
    assert flagged(code, HEARTBEAT, "ops/expire.py") == []


# --- re-claimable rows: nobody holds it, or its claim is older than a window ------------------

def test_unowned_or_claim_older_than_a_setting_is_flagged():
    code = """
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import Q
    from django.utils import timezone

    from .models import Export


    def claimable_exports():
        cutoff = timezone.now() - timedelta(minutes=settings.EXPORT_LEASE_MINUTES)
        return Export.objects.filter(
            Q(claimed_by__isnull=True) | Q(claimed_at__lt=cutoff),
            done=False,
        )
    """
    assert graded(code, "exports/queue.py") == [("ARM301", 14, "high")]


def test_held_rows_and_old_unowned_rows_stay_quiet():
    code = """
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import F, Q
    from django.utils import timezone

    from .models import Export


    def busy_exports():
        cutoff = timezone.now() - timedelta(minutes=settings.EXPORT_LEASE_MINUTES)
        return Export.objects.filter(Q(claimed_by__isnull=False) | Q(claimed_at__gt=cutoff))


    def forgotten_drafts():
        cutoff = timezone.now() - timedelta(days=30)
        return Export.objects.filter(Q(claimed_by=None) | Q(created_at__lt=cutoff))


    def overdue(now):
        return Export.objects.filter(Q(claimed_by=None) | Q(claimed_at__lt=now - F("lease")))
    """
    assert graded(code, "exports/queue.py") == []


# --- a probe with a fixed timeout whose expiry drops the peer ---------------------------------

def test_request_with_a_timeout_that_closes_its_client_stays_quiet():
    code = """
    import asyncio


    async def fetch_page(client, url):
        try:
            return await asyncio.wait_for(client.get(url), timeout=5)
        except asyncio.TimeoutError:
            client.close()
            raise


    async def probe(peer, log):
        try:
            await asyncio.wait_for(peer.ping(), timeout=2)
        except asyncio.TimeoutError:
            log.info("slow peer %s", peer)
    """
    assert graded(code, "svc/sessions.py") == []
