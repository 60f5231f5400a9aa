"""Log and metrics throttles: `if now - last_logged > 60: log.info(...); last_logged = now`.

The branch of such a check only logs or records a metric, and then stamps the clock again so
the next message waits its turn. Re-stamping the very value the check reads is part of the
throttle, not an action on the elapsed time (RULES.md ARM103: wall clock used only for logging
is never flagged). A message text built for the log (`msg = "..."`) and a call named for the
metrics it flushes (`self._flush_metrics()`) observe too.
"""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import callee_name, module_code

_EMPTY = cst.Module(body=[])
_METRICS_CALL = re.compile(r"metric|telemetry|(?:^|_)stats?(?:_|$)", re.IGNORECASE)


def _code(node: cst.CSTNode) -> str:
    return module_code(_EMPTY, node)


def rearms_stamp(analysis, statement, test_owner) -> bool:
    """`last = time.time()` / `self._last = now` / `seen[key] = start` inside the branch of the
    check that reads `last`: the throttle stamps its own clock again, with a fresh reading or
    with the reading the check itself compared."""
    if not isinstance(statement, cst.Assign) or not isinstance(test_owner, (cst.If, cst.While)):
        return False
    test = _code(test_owner.test)
    value = statement.value
    if isinstance(value, cst.Call):
        if not analysis.wall_name(value):
            return False
    elif isinstance(value, cst.Name):
        # `obj.data["key"] = None` clears state the check also reads (`... is not None`): no stamp
        if value.value in ("None", "True", "False"):
            return False
        if not re.search(r"(?<![\w.])" + re.escape(value.value) + r"(?!\w)", test):
            return False
    else:
        return False
    for target in statement.targets:
        node = target.target
        if isinstance(node, cst.Subscript):
            node = node.value  # `seen[key] = now`: the table the check reads (`seen.get(key, 0)`)
        if not isinstance(node, (cst.Name, cst.Attribute)):
            return False
        if _code(node) not in test:
            return False
    return True


def builds_message(statement) -> bool:
    """`msg = "WARNING: results not written yet"`: a literal text, for the log call that follows."""
    return (
        isinstance(statement, cst.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0].target, cst.Name)
        and isinstance(statement.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString))
    )


def records_metrics(statement) -> bool:
    """`self._flush_metrics()`, `report_stats()`: a bare call named for the metrics it records."""
    if not (isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Call)):
        return False
    return bool(_METRICS_CALL.search(callee_name(statement.value).lstrip("_")))
