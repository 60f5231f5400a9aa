"""ARM103 forms where the wall clock decides a wait without a comparison operator, or measures
a silence from a stamp this file cannot trace:

- an elapsed time of this code's own readings that sets how long to sleep or wait
  (`time.sleep(max(0, period - (time.time() - started)))`, `evt.wait(interval - elapsed)`), or
  the age of a stamp / the time left before a deadline whose other end is out of sight
  (`select(..., KEEPALIVE - (now - conn.last_io).total_seconds())`; see _clock_wait_lengths):
  a backward step turns the pause into a stall, a forward one into a busy loop;
- a wall-clock instant handed to an event loop's timer (`loop.call_at(time.time() + 5, cb)`,
  tornado's `add_timeout(time.time() + t, cb)`), whose clock is monotonic: the timer fires at
  the wrong moment even without any step;
- the silence since a heartbeat, ping or last activity this process recorded, measured with the
  wall clock (`time.time() - max(worker.heartbeats) > limit`); the stamp is written out of sight
  (an event handler, another module), so the finding is medium.
"""
from __future__ import annotations

import re

import libcst as cst

from ._clock import DURATION, OFFSET, WALL, ClockAnalysis, Flow, enclosing_test, ordering_pairs
from ._clock_helpers import MEDIUM
from ._clock_scope import Scope
from ._clock_wait_lengths import FOREIGN, last_part_of, length_parts, pause_arguments, unseen_span
from ..walk import walk

# Event-loop timers that take an absolute instant on the loop's own (monotonic) clock.
_LOOP_TIMERS = frozenset({"call_at", "add_timeout"})
# Names that say a stamp marks when something was last heard from or active.
_SILENCE = re.compile(
    r"heart_?beat|(?:^|_)ping|(?:^|_)pong|(?:^|_)beat|last_?(?:seen|active|activity|contact|message|msg|update|touch|check_?in|ping|beat|heard|received|recv)"
    r"|seen_at|touched|check_?in|alive",
    re.IGNORECASE,
)
_CONSTANT = re.compile(r"^_?[A-Z][A-Z0-9_]*$")


def _stamps(flow: Flow) -> list[cst.CSTNode]:
    return [value for kind, value in flow.roots if kind == WALL]


def _already(found: dict, flow: Flow) -> bool:
    calls = {id(c) for c in flow.calls}
    return any(calls & {id(c) for c in deadline.flow.calls} for deadline in found.values())


def find_waits(analysis: ClockAnalysis, scope: Scope, persisted: set[int], found: dict, make) -> None:
    for call in scope.calls:
        for pause in pause_arguments(call):
            if _judge_pause(analysis, scope, call, pause, persisted, found, make):
                break
        if last_part_of(call) in _LOOP_TIMERS and call.args:
            flow = analysis.flow(scope, call.args[0].value)
            if flow is None or flow.kind != OFFSET or any(id(c) in persisted for c in flow.calls):
                continue
            roots = [value for kind, value in flow.roots if kind == OFFSET] or [call.args[0].value]
            for root in roots:
                if id(root) not in found:
                    found[id(root)] = make(root, call, flow, scope, True)


def _judge_pause(analysis: ClockAnalysis, scope: Scope, call: cst.Call, pause, persisted, found, make) -> bool:
    """Report the first wall-clock span the pause is made of; True when one was found."""
    for operand in length_parts(analysis, scope, pause):
        flow = analysis.flow(scope, operand)
        if flow is None or flow.kind != DURATION:
            reading = unseen_span(analysis, scope, operand)
            if reading is None or any(id(c) in persisted for c in reading.calls) or _already(found, reading):
                continue
            # the other end is out of sight: no rewrite is offered, and the finding is medium
            node = (_stamps(reading) or list(reading.calls[:1]) or [call])[0]
            if id(node) not in found:
                found[id(node)] = make(node, call, reading, scope, False, MEDIUM)
            return True
        if any(id(c) in persisted for c in flow.calls):
            continue
        stamps = _stamps(flow) or list(flow.calls[:1])
        if _already(found, flow):
            # the remaining time of a deadline already reported, unless the wait measures from a
            # reading of its own that no finding names (a loop's `now` beside a stamp that
            # another check reported)
            covered = {id(c) for deadline in found.values() for c in deadline.flow.calls}
            stamps = [stamp for stamp in _stamps(flow) if not _reads(analysis, scope, stamp) & covered]
            if not stamps:
                return True
        node = stamps[0] if stamps else call
        if id(node) not in found:
            found[id(node)] = make(node, call, flow, scope, True)
        return True
    return False


def _reads(analysis: ClockAnalysis, scope: Scope, stamp: cst.CSTNode) -> set[int]:
    flow = analysis.flow(scope, stamp)
    return {id(c) for c in flow.calls} if flow is not None else {id(stamp)}


def _identifiers(node: cst.CSTNode) -> list[str]:
    names: list[str] = []

    class _Collect(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            names.append(n.value)

        def visit_SimpleString(self, n: cst.SimpleString) -> None:
            names.append(n.value.strip("'\"bru"))

    walk(node, _Collect())
    return names


def _stamp_names(analysis: ClockAnalysis, scope: Scope, stamp: cst.BaseExpression) -> list[str]:
    """Names in the stamp, and in the values a local stamp variable was assigned from."""
    names = _identifiers(stamp)
    if isinstance(stamp, cst.Name):
        for d in analysis.index.defs_for(scope, stamp.value):
            if d.value is not None:
                names += _identifiers(d.value)
    return names


def find_silences(analysis: ClockAnalysis, scope: Scope, comparison: cst.Comparison, found: dict, make, only_logs) -> None:
    """`now - <stamp of last activity> > limit` where the stamp's writes are out of sight."""
    for left, _op, right in ordering_pairs(comparison):
        for age in (left, right):
            if not (isinstance(age, cst.BinaryOperation) and isinstance(age.operator, cst.Subtract)):
                continue
            reading = analysis.flow(scope, age.left)
            if reading is None or reading.kind != WALL or analysis.flow(scope, age.right) is not None:
                continue
            stamp = age.right
            if isinstance(stamp, cst.Name) and stamp.value in scope.params and not analysis.index.defs_for(scope, stamp.value):
                continue  # a predicate over a stamp its caller chose: whose clock is unknown (ARM301's)
            names = _stamp_names(analysis, scope, stamp)
            if not any(_SILENCE.search(n) for n in names) or any(FOREIGN.search(n) for n in names):
                continue
            limit = right if age is left else left
            if isinstance(limit, cst.Name) and _CONSTANT.match(limit.value):
                # A module constant window makes this ARM301's fixed-timeout detector: one comment
                # per comparison, and its fix (a window from observed latency, or the database's
                # clock) replaces this reading too.
                continue
            if only_logs(analysis, enclosing_test(analysis.index, comparison)):
                return
            stamps = _stamps(reading)
            node = stamps[0] if stamps else comparison
            if id(node) not in found and id(comparison) not in found:
                found[id(node)] = make(node, comparison, reading, scope, False, MEDIUM)
            return
