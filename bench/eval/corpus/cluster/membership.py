"""Gossip-ish membership table kept by every node.

Each node pings its peers every HEARTBEAT_INTERVAL and records when it last heard
from them. Times are local monotonic readings.
"""
from __future__ import annotations

import logging
import statistics
import threading
import time
from dataclasses import dataclass, field

import requests

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 1.0
DEAD_AFTER_SECONDS = 10
SUSPECT_AFTER_SECONDS = 5
CACHE_TTL = 30.0


@dataclass
class Member:
    node_id: str
    address: str
    last_heartbeat: float = field(default_factory=time.monotonic)
    rtts: list[float] = field(default_factory=list)
    state: str = "alive"


class Membership:
    def __init__(self, me: str):
        self.me = me
        self.members: dict[str, Member] = {}
        self._lock = threading.Lock()  # ok: in-process lock
        self._status_cache: dict[str, tuple[float, dict]] = {}

    def on_heartbeat(self, node_id: str, rtt: float) -> None:
        with self._lock:
            m = self.members[node_id]
            m.last_heartbeat = time.monotonic()
            m.rtts = (m.rtts + [rtt])[-100:]

    def reap(self) -> None:
        now = time.monotonic()
        with self._lock:
            for m in list(self.members.values()):
                if now - m.last_heartbeat > DEAD_AFTER_SECONDS:  # expect: ARM301
                    log.warning("evicting %s", m.node_id)
                    del self.members[m.node_id]

    def ping(self, m: Member) -> None:
        try:
            requests.get(f"http://{m.address}/ping", timeout=2)  # ok: request timeout
        except requests.RequestException:
            pass

    def peer_status(self, node_id: str) -> dict:
        now = time.monotonic()
        cached = self._status_cache.get(node_id)
        if cached and now - cached[0] < CACHE_TTL:  # ok: cache TTL
            return cached[1]
        m = self.members[node_id]
        data = requests.get(f"http://{m.address}/status", timeout=3).json()
        self._status_cache[node_id] = (now, data)
        return data


class AdaptiveMembership(Membership):
    """Same table, but dead = silent for more than 3x the observed p99 RTT."""

    def threshold(self, m: Member) -> float:
        if len(m.rtts) < 20:
            return DEAD_AFTER_SECONDS
        p99 = statistics.quantiles(m.rtts, n=100)[98]
        return max(3 * p99, HEARTBEAT_INTERVAL * 3)

    def reap(self) -> None:
        now = time.monotonic()
        with self._lock:
            for m in list(self.members.values()):
                if now - m.last_heartbeat > self.threshold(m):  # ok: adaptive threshold
                    m.state = "suspect"


class QuorumMembership(Membership):
    def __init__(self, me, peers_client):
        super().__init__(me)
        self.peers = peers_client

    def reap(self) -> None:
        now = time.monotonic()
        for m in list(self.members.values()):
            silent = now - m.last_heartbeat
            if silent > SUSPECT_AFTER_SECONDS:  # ok: only suspicion; death needs a quorum
                votes = self.peers.ask_suspect(m.node_id)
                if votes >= (len(self.members) // 2) + 1:
                    m.state = "dead"


class GossipTable:
    """Older table used by the cache tier. Still in prod (não mexer sem falar com infra)."""

    def __init__(self):
        self.seen: dict[str, float] = {}

    def mark(self, node: str) -> None:
        self.seen[node] = time.monotonic()

    def dead_nodes(self) -> list[str]:
        now = time.monotonic()
        return [n for n, t in self.seen.items() if now - t >= 15]  # expect: ARM301
