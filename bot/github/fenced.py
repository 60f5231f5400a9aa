"""An installation client whose writes are fenced by the job's lease.

GitHub accepts no fencing token, so the token is checked on our side of the wire: `guard()` asks
the lease store, just before each write, whether this job's token is still the newest and its
lease live, and raises `LeaseLost` otherwise. Reads pass straight through. What remains open is the
moment between the check and GitHub applying the write; a holder paused exactly there could still
land one request, which the fingerprints on every comment keep from becoming a duplicate finding.
"""
from __future__ import annotations

from typing import Callable

WRITES = frozenset({"create_check_run", "update_check_run", "create_review", "reply_to_review_comment",
                    "create_issue_comment", "add_reaction", "resolve_review_thread"})


class FencedClient:
    def __init__(self, client: object, guard: Callable[[], None]) -> None:
        self._client = client
        self._guard = guard

    def __getattr__(self, name: str):
        attr = getattr(self._client, name)
        if name not in WRITES:
            return attr

        def fenced(*args, **kwargs):
            self._guard()
            return attr(*args, **kwargs)

        return fenced
