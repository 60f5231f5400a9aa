"""pytest fixtures shared by the services (look-alikes only; nothing here should be flagged)."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest


@pytest.fixture
def frozen_now():
    return datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def expired_hold(frozen_now):
    return {"id": 1, "expires_at": frozen_now - timedelta(minutes=1)}  # ok: fixture data


@pytest.fixture
def fake_clock(monkeypatch):
    t = [1_700_000_000.0]
    monkeypatch.setattr(time, "time", lambda: t[0])
    return t


def test_session_expires(fake_clock):
    started = fake_clock[0]
    fake_clock[0] += 3600
    assert fake_clock[0] - started == 3600  # ok: test arithmetic


class FakeRedis:
    def __init__(self) -> None:
        self.store: dict[str, object] = {}
        self.mu = threading.Lock()  # ok

    def set(self, key, value, nx=False, px=None):
        with self.mu:
            if nx and key in self.store:
                return False
            self.store[key] = value
            return True


def make_event(event_id: str = "evt_1") -> dict:
    return {"id": event_id, "created": int(time.time())}  # ok: fixture created stamp


def stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")  # ok: file name suffix


def wait_until(pred, timeout: float = 2.0) -> bool:
    end = time.monotonic() + timeout  # ok: monotonic
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return False
