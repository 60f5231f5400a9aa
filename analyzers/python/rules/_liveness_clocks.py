"""The current time as the age forms read it, beyond the clock calls they know by name.

A failure detector is `stored stamp < now - W` whatever tells `now`. Projects rarely call
`time.time()` at the comparison: they call their own helper (`timestamp()`, `now_at_utc()`,
`epoch_ms()`), or let the database tell the time in the query they build (SQLAlchemy
`func.now()`, Django `Now()`). For ARM301 the clock behind `now` does not matter, only the
fixed window does, so all of them are `now` here:

- a function of the project that returns the wall clock, as the project index knows it (the
  same one-level helper definition the wall-clock rules follow), for this module's own
  functions and for imported ones; a helper returning a deadline or a monotonic reading is not
  `now` (the first is a stamp plus a window, the second only ages this process's own stamps);
- the database's clock called in a query builder.
"""
from __future__ import annotations

import re
from typing import Callable

import libcst as cst

from ..imports import dotted

# The database's current time as query builders spell it (SQLAlchemy/peewee function proxies).
DB_NOW = re.compile(r"(?:^|\.)(?:func|fn)\.(?:now|NOW|current_timestamp|CURRENT_TIMESTAMP|localtimestamp|utc_timestamp)$")
# Django's database function for the current time.
_DJANGO_NOW = "django.db.models.functions.Now"
_DJANGO_NOW_SHORT = "django.db.models.Now"

ClockReader = Callable[[cst.Call], bool]


def clock_reader(ctx, qname) -> ClockReader:
    """A predicate telling whether a call (with no value of the caller's own) reads the current
    time through a project helper or the database."""
    view = None
    if getattr(ctx, "project", None) is not None:
        from ..project_index import FileView

        view = FileView(ctx.project, ctx.path, ctx.module, ctx.imports, own=True)

    def reads(call: cst.Call) -> bool:
        if call.args:
            return False  # a value handed in comes back converted, not the current time
        if DB_NOW.search(dotted(call.func) or ""):
            return True
        if qname(call.func) in (_DJANGO_NOW, _DJANGO_NOW_SHORT):
            return True
        if view is None:
            return False
        fact = view.reading(call)
        return bool(fact) and fact.kind == "wall"

    return reads


def mentions_clock(ctx, text: str) -> bool:
    """Cheap gate: the text calls a project helper or a database clock."""
    project = getattr(ctx, "project", None)
    if project is not None and project.mentions_helper(text):
        return True
    return "Now()" in text or bool(re.search(r"\b(?:func|fn)\.(?:now|NOW|current_timestamp|CURRENT_TIMESTAMP)\s*\(", text))
