"""Game server registry: dedicated servers report in, the allocator picks one."""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

DEAD_AFTER = timedelta(seconds=45)
SUSPECT_PHI = 8.0


@dataclass
class GameServer:
    server_id: str
    region: str
    last_seen: datetime
    arrivals: list[float] = field(default_factory=list)


class Registry:
    def __init__(self) -> None:
        self.servers: dict[str, GameServer] = {}
        self._mu = threading.Lock()  # ok: in-process lock

    def heartbeat(self, server_id: str, region: str) -> None:
        with self._mu:
            gs = self.servers.get(server_id) or GameServer(server_id, region, datetime.utcnow())
            gs.arrivals.append(time.monotonic())
            gs.last_seen = datetime.utcnow()  # ok: just recording the heartbeat
            self.servers[server_id] = gs

    def evict_dead(self) -> list[str]:
        evicted = []
        with self._mu:
            for sid, gs in list(self.servers.items()):
                if datetime.utcnow() - gs.last_seen > DEAD_AFTER:  # expect: ARM301
                    del self.servers[sid]
                    evicted.append(sid)
        return evicted

    def phi(self, gs: GameServer) -> float:
        # ok: phi accrual detector
        if len(gs.arrivals) < 3:
            return 0.0
        gaps = [b - a for a, b in zip(gs.arrivals, gs.arrivals[1:])]
        mean = sum(gaps) / len(gaps)
        since = time.monotonic() - gs.arrivals[-1]
        return since / (mean * math.log(10))

    def evict_by_phi(self) -> list[str]:
        out = []
        with self._mu:
            for sid, gs in list(self.servers.items()):
                if self.phi(gs) > SUSPECT_PHI:  # ok: phi accrual
                    out.append(sid)
                    del self.servers[sid]
        return out


def failover_region(registry: Registry, region: str, votes: dict[str, bool], peers: int) -> bool:
    # ok: suspicion needs a quorum of peers before failover
    suspected = sum(1 for v in votes.values() if v)
    return suspected >= peers - 1


def should_failover_primary(primary_last_ping: float) -> bool:
    silent = time.monotonic() - primary_last_ping
    return silent > 30  # expect: ARM301
