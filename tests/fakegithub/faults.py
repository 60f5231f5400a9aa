"""Faults the plain FakeGitHub cannot play: requests that hang (GitHub slow or timing out), with or
without the request being applied once the hang ends (GitHub did the work but the client gave up).

    fake = FaultyGitHub(...); fake.hang_next("POST", r"/reviews$", seconds=3, apply=True)

The hang happens before the fake takes its lock, so other requests go on being answered. With
`lost_answer=True` the request is applied at once and only its answer hangs: GitHub did the work,
the client gave up waiting, and anything the client does next sees the work done.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from werkzeug.wrappers import Response

from .server import FakeGitHub, RecordedRequest


@dataclass
class Hang:
    method: str
    path: re.Pattern
    seconds: float
    apply: bool  # after the hang: process the request normally (True) or answer 502 without applying it
    lost_answer: bool = False  # apply first, then hang the answer
    started: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)


class FaultyGitHub(FakeGitHub):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._hangs: list[Hang] = []
        self._hanging: list[Hang] = []  # taken by a request that is waiting now

    def hang_next(self, method: str, path_regex: str, seconds: float, *, apply: bool = True,
                  lost_answer: bool = False) -> Hang:
        hang = Hang(method.upper(), re.compile(path_regex), seconds, apply or lost_answer, lost_answer)
        with self._lock:
            self._hangs.append(hang)
        return hang

    def release_hangs(self) -> None:
        """End every hang: those waiting now answer at once, those not yet taken never happen."""
        with self._lock:
            hangs, self._hangs, self._hanging = self._hangs + self._hanging, [], []
        for hang in hangs:
            hang.released.set()

    def _take_hang(self, method: str, path: str) -> Hang | None:
        with self._lock:
            for hang in self._hangs:
                if hang.method == method and hang.path.search(path):
                    self._hangs.remove(hang)
                    self._hanging.append(hang)
                    return hang
        return None

    def _handle(self, request):
        hang = self._take_hang(request.method, request.path)
        if hang is not None and hang.lost_answer:
            response = super()._handle(request)
            hang.started.set()
            hang.released.wait(hang.seconds)
            return response
        if hang is not None:
            hang.started.set()
            hang.released.wait(hang.seconds)
            if not hang.apply:
                with self._lock:
                    self.requests.append(RecordedRequest(request.method, request.path, dict(request.args),
                                                         dict(request.headers), None, 502))
                return Response('{"message": "Bad Gateway"}', status=502, content_type="application/json")
        return super()._handle(request)
