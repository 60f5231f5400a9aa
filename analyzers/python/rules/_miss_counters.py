"""ARM301 without a clock: a counter of heartbeat periods that passed without word from a peer
(missed pings, silent ticks, a heartbeat credit counted down) compared with a fixed limit, and
the peer declared dead, evicted or the process stopped when it is reached. The limit is a
number of periods, so it is a fixed silence all the same: a peer that is only slow for that
many periods is treated as gone."""
from __future__ import annotations

import re

import libcst as cst

from ..walk import children
from ._clock_scope import Scope, expr_names

# What such a counter is called: the periods that went without contact
COUNTER_NAME = re.compile(
    r"miss(?:ed|es|ing)?(?:_|\b)|silent|silence|unanswered|no_?reply|no_?response|strikes|heart_?beat|\bhb_|_hb_|liveness|pings?\b|pongs?\b|beats\b",
    re.IGNORECASE,
)
# Quick test for the trigger (lower-cased text)
COUNTER_TRIGGER = r"missed_|_misses\b|misses_|silent_(?:rounds|ticks|periods|checks)"


def counter_key(expr: cst.CSTNode) -> str | None:
    """`self.silent_rounds[peer]` -> `silent_rounds`; `conn.heartbeat_credit` -> `heartbeat_credit`."""
    if isinstance(expr, cst.Subscript):
        expr = expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.Name):
        return expr.value
    return None


class CounterSteps:
    """Which counters the module steps by one, and in which direction."""

    def __init__(self, module: cst.Module) -> None:
        self.up: set[str] = set()
        self.down: set[str] = set()
        stack: list[cst.CSTNode] = [module]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.AugAssign) and _one(node.value):
                key = counter_key(node.target)
                if key and isinstance(node.operator, cst.AddAssign):
                    self.up.add(key)
                elif key and isinstance(node.operator, cst.SubtractAssign):
                    self.down.add(key)
            elif isinstance(node, cst.Assign) and len(node.targets) == 1:
                # `misses = table.get(peer, 0) + 1`
                value = node.value
                key = counter_key(node.targets[0].target)
                if key and isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add) and _one(value.right):
                    self.up.add(key)
            stack.extend(children(node))

    def direction(self, key: str) -> str | None:
        if key in self.up and key not in self.down:
            return "up"
        if key in self.down and key not in self.up:
            return "down"
        return None


def _one(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Integer) and node.value == "1"


def stale_counter(analysis, scope: Scope, steps: CounterSteps, left, op, right) -> bool | None:
    """True when the comparison holds for a peer that stayed silent too many periods, False when
    it holds for a live one, None when it is no such counter against a fixed limit."""
    for counter, limit, flipped in ((left, right, False), (right, left, True)):
        key = counter_key(counter)
        if not key or not COUNTER_NAME.search(key):
            continue
        if not analysis.fixed(scope, limit) or re.search(r"interval|period|ttl", expr_names(limit), re.I):
            continue
        direction = steps.direction(key)
        if direction is None:
            continue
        greater = isinstance(op, (cst.GreaterThan, cst.GreaterThanEqual))
        if flipped:
            greater = not greater
        return greater if direction == "up" else not greater
    return None
