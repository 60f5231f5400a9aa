"""Which ages of a field another module stamps are a deadline (rules/_clock_field_stamps).

When a file stamps a field itself, the deadline forms see the write and what follows it. A stamp
written in another module arrives with only its name, so the look-alikes the held-instant form
(_clock_held_ages) leaves out are left out here too, by the same names and shapes:

- a stamp of when work was last done (`last_synced_at`, `last_health_check`, `last_triggered_at`):
  the age decides when to redo it, a cadence, not an expiry;
- a calendar field (`activation_date`, `start_`/`end_`/`close_` times a person sets);
- a liveness stamp (`last_seen_at`, `heartbeat`): the fixed-timeout rules' question;
- a bare generic name (`created`, `modified`, `timestamp`, `date`): many records of a project share
  it and the reader's type is unknown;
- the amount is a setting of the same record (`alert.last_triggered_at + timedelta(seconds=
  alert.rearm)`): a per-entity threshold;
- a cache's freshness, a window of days, and a cut-off in a purge (retention, whatever the window);
- a column of an admin list (display).
"""
from __future__ import annotations

import re

import libcst as cst

from ..walk import descendants
from ._clock import PROJECT_STAMP
from ._clock_flow_shapes import RETENTION
from ._clock_held_ages import _CALENDAR_NAME, _LAST_DONE
from ._clock_stored import DAY_GRAINED
from ._clock_write_names import LIVENESS_NAME

_GENERIC = re.compile(r"^_*(?:created|modified|updated|changed|timestamp|time|date|ts|t\d?|start|end|when|stamp|now)$",
                      re.IGNORECASE)
_CACHE = re.compile(r"cache", re.IGNORECASE)
_ADMIN = re.compile(r"(?:^|/)admin(?:/|\.py$)")


def stamp_names(syms) -> list[str]:
    return [sym[len(PROJECT_STAMP):] for sym in syms if sym.startswith(PROJECT_STAMP) and sym != PROJECT_STAMP]


def stamp_question(analysis, ctx, scope, comparison: cst.Comparison, syms) -> bool:
    """The comparison ages a field stamped elsewhere in a way that is a deadline's question."""
    names = stamp_names(syms)
    if any(_LAST_DONE.search(n) or _CALENDAR_NAME.search(n) or _GENERIC.search(n) or LIVENESS_NAME.search(n)
           for n in names):
        return False
    if isinstance(scope.node, cst.FunctionDef) and RETENTION.search(scope.node.name.value):
        return False
    if _ADMIN.search(getattr(ctx, "path", "").replace("\\", "/")) or (
            isinstance(scope.cls, cst.ClassDef) and scope.cls.name.value.endswith("Admin")):
        return False  # an admin list column shows the state, it decides nothing
    text = " ".join([ctx.code_for(comparison), *_bound_text(analysis, ctx, scope, comparison)])
    if _CACHE.search(text) or DAY_GRAINED.search(text):
        return False  # a cache's freshness; a window of days, where seconds of skew move nothing
    return not _own_threshold(comparison, names)


def _bound_text(analysis, ctx, scope, comparison: cst.Comparison) -> list[str]:
    """The code of the locals the comparison names (`read_cutoff = now() - timedelta(days=n)`)."""
    texts = []
    for name in {node.value for node in descendants(comparison) if isinstance(node, cst.Name)}:
        for definition in analysis.index.defs_for(scope, name):
            if definition.value is not None:
                texts.append(ctx.code_for(definition.value))
    return texts


def _own_threshold(comparison: cst.Comparison, names: list[str]) -> bool:
    """`alert.last_triggered_at + timedelta(seconds=alert.rearm)`: the stamp's record also holds
    the amount."""
    owners = set()
    others = set()
    for node in descendants(comparison):
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value not in ("self", "cls"):
            (owners if node.attr.value in names else others).add(node.value.value)
    return bool(owners & others)
