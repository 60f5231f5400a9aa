"""Cross-region failover for the scheduler control plane.

Each region's standby watches the primary region's leader; if the primary goes quiet the
standby promotes itself.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

import requests

log = logging.getLogger("failover")

PRIMARY_SILENCE_LIMIT = 30.0   # s
CONFIG_TTL = 60.0
PROBE_TIMEOUT = (0.5, 2.0)


class Standby:
    def __init__(self, region: str, primary_url: str, promote: Callable[[], None]) -> None:
        self.region = region
        self.primary_url = primary_url
        self.promote = promote
        self.last_primary_beat = time.monotonic()
        self._config: dict | None = None
        self._config_loaded = 0.0

    def on_primary_beat(self) -> None:
        self.last_primary_beat = time.monotonic()

    def check(self) -> None:
        quiet_for = time.monotonic() - self.last_primary_beat
        if quiet_for >= PRIMARY_SILENCE_LIMIT:  # expect: ARM301
            log.critical("primary silent for %.1fs, promoting %s", quiet_for, self.region)
            self.promote()

    def probe_primary(self) -> bool:
        try:
            resp = requests.get(f"{self.primary_url}/healthz", timeout=PROBE_TIMEOUT)  # ok: request timeout
            return resp.ok
        except requests.RequestException:
            return False

    def config(self) -> dict:
        if self._config is None or time.monotonic() - self._config_loaded > CONFIG_TTL:  # ok: cache TTL
            self._config = requests.get(f"{self.primary_url}/config", timeout=5).json()
            self._config_loaded = time.monotonic()
        return self._config
