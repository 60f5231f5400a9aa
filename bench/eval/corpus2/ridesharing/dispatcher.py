"""Dispatcher: matches ride requests to nearby drivers.

Drivers ping every ~4s from the app; the dispatcher keeps an in-memory view of who is
available and offers each trip to one driver at a time.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import requests

log = logging.getLogger("dispatch")

DRIVER_TIMEOUT_S = 20          # driver considered gone after 20s without ping
OFFER_WINDOW_S = 15
ROUTING_URL = "https://routing.internal/v1/eta"


@dataclass
class DriverState:
    driver_id: str
    lat: float
    lng: float
    last_ping: float = field(default_factory=time.monotonic)
    busy: bool = False


class Dispatcher:
    def __init__(self) -> None:
        self._drivers: dict[str, DriverState] = {}
        self._lock = threading.Lock()  # ok: in-process lock around the dict

    def on_ping(self, driver_id: str, lat: float, lng: float) -> None:
        with self._lock:
            st = self._drivers.get(driver_id)
            if st is None:
                st = self._drivers[driver_id] = DriverState(driver_id, lat, lng)
            st.lat, st.lng = lat, lng
            st.last_ping = time.monotonic()

    def reap_drivers(self) -> list[str]:
        """Evict drivers that stopped pinging so we stop offering them trips."""
        now = time.monotonic()
        evicted = []
        with self._lock:
            for driver_id, st in list(self._drivers.items()):
                if now - st.last_ping > DRIVER_TIMEOUT_S:  # expect: ARM301
                    del self._drivers[driver_id]
                    evicted.append(driver_id)
        if evicted:
            log.info("evicted %d drivers at %s", len(evicted),
                     datetime.now(timezone.utc).isoformat())  # ok: log timestamp
        return evicted

    def eta_seconds(self, driver: DriverState, lat: float, lng: float) -> float:
        # ok: plain request timeout, not a failure detector
        resp = requests.get(ROUTING_URL, params={"from": f"{driver.lat},{driver.lng}",
                                                 "to": f"{lat},{lng}"}, timeout=2.5)
        resp.raise_for_status()
        return float(resp.json()["eta_s"])

    def offer_trip(self, trip_id: str, candidates: list[DriverState], wait_answer) -> str | None:
        for driver in candidates:
            deadline = time.time() + OFFER_WINDOW_S  # expect: ARM103
            while time.time() < deadline:
                answer = wait_answer(trip_id, driver.driver_id, poll=0.5)
                if answer == "accepted":
                    return driver.driver_id
                if answer == "declined":
                    break
        return None

    def match_batch(self, trips: list[tuple[str, float, float]], budget_s: float = 0.8) -> dict:
        """Greedy matching with a CPU budget per batch."""
        started = time.perf_counter()  # ok: perf_counter budget
        out: dict[str, str] = {}
        for trip_id, lat, lng in trips:
            if time.perf_counter() - started > budget_s:  # ok: perf_counter
                log.warning("match budget exhausted, %d trips deferred", len(trips) - len(out))
                break
            best = self._nearest(lat, lng)
            if best:
                best.busy = True
                out[trip_id] = best.driver_id
        return out

    def _nearest(self, lat: float, lng: float) -> DriverState | None:
        free = [d for d in self._drivers.values() if not d.busy]
        if not free:
            return None
        return min(free, key=lambda d: (d.lat - lat) ** 2 + (d.lng - lng) ** 2)


def wait_for_driver_app(session: requests.Session, driver_id: str) -> bool:
    # ok: monotonic deadline
    give_up = time.monotonic() + 10
    while time.monotonic() < give_up:
        r = session.get(f"https://push.internal/v1/drivers/{driver_id}/ack", timeout=3)
        if r.status_code == 200:
            return True
        time.sleep(0.25)
    return False
