"""ARM104: a due time or expiry computed from this machine's wall clock and handed to another call
under its own name: `store.schedule(job, run_at=now + delay)`, `ctx.checkpoint(step, wake_at)`,
`tracker.create(user, expires_at=expires)`.

The callee's name tells nothing (a project's own store, a checkpoint, a scheduler client), but a
run time, a wake-up time or an expiry handed on is kept by whoever receives it and, sooner or
later, compared with another clock. Writes the sink finder already knows (ORM, SQL, Redis, JWT)
are reported there with more certainty; this is the looser case, at medium confidence.

Constructors are left out (`Lease(expires_at=...)` may live and die in memory; the sink finder
reports one that is saved), and so are deadlines and timeouts: handed to a helper they are usually an in-process wait
(`self._poll(deadline)`), which is ARM103's question."""
from __future__ import annotations

import re

import libcst as cst

from ._clock import OFFSET, is_logging_call
from ._clock_params_age import library_age_checks
from ._clock_scope import Scope, call_name, last_part
from ._clock_write_names import SCHEDULE_NAME

# Names of an instant someone keeps: a due time, or when access or a grant lapses.
HANDED_NAME = re.compile(
    r"expir|valid_(?:until|to|through)|^exp$|_exp$|lease_until|lock(?:ed)?_until|not_before|^nbf$",
    re.IGNORECASE,
)
# Callees that keep the instant inside this process (sleeping, waiting, event-loop timers,
# comparisons, formatting) or hand it to a browser.
_IN_PROCESS_CALLEE = re.compile(
    r"sleep|wait|poll|timer|call_at|call_later|^min$|^max$|^sorted$|^str$|^int$|^float$|^round$|^repr$|"
    r"format|isoformat|strftime|(?:^|_)date$|^print$|^len$|^isinstance$|^append$|^extend$|^insert$|^get$|^setdefault$|cache|memo|"
    # a cookie's expiry is the browser's to enforce, for the browser's own session
    r"cookie",
    re.IGNORECASE,
)


def _named_instant(name: str) -> bool:
    return bool(SCHEDULE_NAME.search(name) or HANDED_NAME.search(name)) and "cache" not in name.lower()


def handoff_sinks(finder, scope: Scope) -> None:
    # a library call that reads the clock inside and ages a stamp handed to it
    library_age_checks(finder, scope)
    analysis = finder.analysis
    for call in scope.calls:
        name = call_name(analysis.qname, call)
        last = last_part(name)
        if not last or _IN_PROCESS_CALLEE.search(last) or is_logging_call(analysis.qname, call):
            continue
        if last[:1].isupper():
            continue  # a constructor: the object may never leave (the sink finder sees it saved)
        for arg in call.args:
            if arg.star:
                continue
            keyword = arg.keyword.value if arg.keyword is not None else None
            value = arg.value
            if keyword is not None:
                if "__" in keyword or not _named_instant(keyword):
                    continue
                label = f"{last}({keyword}=...)"
            elif isinstance(value, cst.Name) and _named_instant(value.value):
                label = f"{last}(..., {value.value})"
            else:
                continue
            flow = finder.offset(scope, value, (OFFSET,))
            if flow is None or analysis.only_guessed_expiries(flow):
                continue
            finder.add(flow, value, "store", label, confidence="medium")
