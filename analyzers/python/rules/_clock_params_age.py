"""ARM104: a stored stamp aged by oslo.utils' `timeutils.is_older_than(stamp, seconds)`.

The helper reads this node's wall clock inside (`utcnow() - stamp > seconds`), so a stamp that
another node wrote (a notification's `generated_time`, a record's `created_at`) is aged with two
clocks, just as `stamp < utcnow() - lifetime` is. `is_newer_than(stamp, seconds)` is the same
comparison the other way round. Gated like the other stamp cut-offs on a loaded record:

- the stamp is a loaded record's field named like a stamp (not a local variable: cooldowns and
  waits that started in this process keep one clock);
- the amount is not counted in days (retention windows) and is not itself a reading;
- the `if` the check tests writes, cancels, fails or raises, or runs the work again (a lost
  message re-processed, a job retried): medium, the verdict is one call from the write.

Left alone: liveness stamps of services and agents (ARM301's), in-memory caches."""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import calls_in
from ._clock import WALL, Flow, enclosing_test, is_logging_call
from ._clock_helpers import age_check
from ._clock_scope import Scope, call_name, last_part
from ._clock_stored import DAY_GRAINED
from ._stamp_cutoffs import peer_liveness, stamp_column, verdict_acts

# Calls that run the work again once it is judged lost.
_RERUN_CALL = re.compile(r"^_?(?:re_?)?(?:process|retry|resend|requeue|redeliver|reschedule|recover)(?:_\w+)?$",
                         re.IGNORECASE)
_IN_MEMORY = re.compile(r"cache|memo", re.IGNORECASE)


def library_age_checks(finder, scope: Scope) -> None:
    analysis = finder.analysis
    stored = finder.stored_times
    owner = scope.cls.name.value if scope.cls is not None else ""
    name = scope.node.name.value if isinstance(scope.node, cst.FunctionDef) else ""
    if _IN_MEMORY.search(f"{stored.ctx.path} {owner} {name}"):
        return
    for call in scope.calls:
        if not age_check(analysis.qname, call):
            continue
        stamp, amount = call.args[0].value, call.args[1].value
        if not isinstance(stamp, cst.Attribute):
            continue  # a local start time: this process's own clock on both sides
        kind, operand, column = stored.side(scope, stamp)
        if kind != "stored" or not stamp_column(column) or peer_liveness(stored.ctx.code_for(operand), column):
            continue
        if analysis.flow(scope, amount) is not None or DAY_GRAINED.search(stored.bound_text(scope, amount)):
            continue
        test = enclosing_test(analysis.index, call)
        if not (verdict_acts(analysis, test) or _reruns(analysis, test)):
            continue
        flow = Flow(WALL, (call,), (), frozenset())
        detail = f"{last_part(call_name(analysis.qname, call))}({stored.ctx.code_for(operand)}, ...)"
        finder.add(flow, call, "stored", detail, at_value=True, confidence="medium")


def _reruns(analysis, test: cst.CSTNode | None) -> bool:
    """The branch the check decides runs the work again (`self._process_notification(...)`)."""
    if not isinstance(test, cst.If):
        return False
    return any(
        not is_logging_call(analysis.qname, call) and _RERUN_CALL.search(last_part(call_name(analysis.qname, call)))
        for call in calls_in(test.body, skip_functions=True)
    )


__all__ = ["library_age_checks"]
