"""Wall-clock calls (clock_timestamp(), timeofday()) and the local variables they flow into,
shared by ARM101 (expiry) and ARM102 (ordering)."""
from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Iterator

from ..model import Edit, Fix
from .facts import column_refs, expression_of, into_values, wall_calls
from .names import EXPIRY_COLUMN
from .scope import Scope, Unit

# Queue and scheduler columns that are leases or expiries under another name: a message's
# visibility timeout (`vt`, `visible_at`), a delay (`run_at`, `not_before`, `available_at`), a
# claim (`locked_until`). Whoever reads the row compares them with its own clock.
LEASE_COLUMN = re.compile(
    r"^vt$|visib|invisible_until|not_before|^nbf$|(?:^|_)run_after$|"
    r"^(?:run|visible|available|scheduled|execute|process|retry|wake|deliver|fire)_?(?:at|after|for)$|"
    r"lock(?:ed)?_?(?:until|expires?|expiry|timeout)|(?:^|_)(?:delay(?:ed)?|hold|snooze(?:d)?)_until$|"
    r"^next_(?:run|attempt|retry|try)(?:_?(?:at|time))?$"
)


def is_expiry_column(name: str) -> bool:
    """A column holding an instant after which something lapses or becomes due."""
    return bool(EXPIRY_COLUMN.search(name) or LEASE_COLUMN.search(name))


_CALL = re.compile(r"(?:pg_catalog\s*\.\s*)?(?:clock_timestamp|timeofday)\s*\(\s*\)", re.I)


class WallSources:
    """Where the wall clock enters a scope: direct calls, and variables assigned from them
    (`v_expires := clock_timestamp() + interval '1 hour'`)."""

    def __init__(self, scope: Scope):
        self.scope = scope
        self.variables: dict[str, list[tuple[Unit, dict]]] = {}
        for unit in scope.units:
            for target, value in _stores(scope, unit):
                calls = [(unit, call) for call in wall_calls(value)] if value is not None else []
                if calls:
                    self.variables[target] = calls
                else:
                    self.variables.pop(target, None)

    def in_value(self, unit: Unit, node) -> Iterator[tuple[Unit, dict]]:
        """Wall-clock calls that reach `node`, directly or through a variable."""
        for call in wall_calls(node):
            yield unit, call
        for parts in column_refs(node):
            if len(parts) == 1 and parts[0] in self.variables:
                yield from self.variables[parts[0]]


def _stores(scope: Scope, unit: Unit) -> Iterator[tuple[str, object]]:
    """(variable, value) a unit stores into a local scalar: `v := …`, and `SELECT … INTO v` (a
    procedure that takes `select clock_timestamp() into _now` once and writes `_now + _ttl` as a
    lease's end persists the wall clock as surely as one that assigns it)."""
    if unit.role == "assign" and unit.target and "." not in unit.target and unit.target in scope.variables:
        yield unit.target, expression_of(unit)
    elif unit.role == "stmt" and unit.into:
        values = into_values(unit)
        if len(values) == len(unit.into):
            yield from ((name, value) for name, value in zip(unit.into, values)
                        if "." not in name and name in scope.variables)


def call_span(unit: Unit, call: dict) -> tuple[int, int, bool]:
    """(start, end, exact) of a wall-clock call in the analysed text; exact when the text there
    is literally the call (then it can be rewritten)."""
    start, end = unit.point(call.get("location", 0))
    text = unit.snippet  # the parsed text, to check the call is spelled plainly
    local = text.char_of_byte(call.get("location", 0))
    match = _CALL.match(text.text, local)
    if match and text.offset(match.end() - 1) + 1 - text.offset(local) == match.end() - local:
        return text.offset(local), text.offset(local) + (match.end() - local), True
    return start, end, False


def now_fix(start: int, end: int) -> Fix:
    return Fix("use now() (start of the transaction) instead of the wall clock", (Edit(start, end, "now()"),))


# `col < now() - interval '5 minutes'`, `col >= current_timestamp - v_debounce` (either side),
# `now() - col > interval '1 hour'`: a stamp whose age gates something (a debounce, a retry, a
# cooldown). A stamp of that kind written from the wall clock is judged against another clock.
_CLOCK_EXPR = r"(?:now\s*\(\s*\)|current_timestamp|localtimestamp|(?:clock|statement|transaction)_timestamp\s*\(\s*\))"
_CMP = r"(?:<=|>=|<|>)"
_COL = r"(?:[\w\"]+\s*\.\s*)?\"?(\w+)\"?"
_WINDOWS = (
    re.compile(rf"{_COL}\s*{_CMP}\s*{_CLOCK_EXPR}\s*[-+]|{_CLOCK_EXPR}\s*-\s*{_COL}\s*{_CMP}", re.I),
    re.compile(rf"{_CLOCK_EXPR}\s*-\s*(?:interval\s*'[^']*'|[\w.\"]+|\([^()]*\))\s*{_CMP}\s*{_COL}", re.I),
)
_NOT_COLUMNS = frozenset({"interval", "now", "current_timestamp", "localtimestamp"})


@lru_cache(maxsize=16)
def window_columns(text: str) -> frozenset[str]:
    """Columns some query of the text compares with the clock shifted by an amount (their age
    decides something). Cached for the same reason as `order_keys`."""
    lowered = text.lower()
    if "now" not in lowered and "_timestamp" not in lowered:
        return frozenset()
    found = {next(g for g in m.groups() if g).lower() for pattern in _WINDOWS for m in pattern.finditer(text)}
    return frozenset(found - _NOT_COLUMNS)


# Every key of an ORDER BY list (`order by auction_id, amount desc, placed_at asc`): a
# tie-breaker is ordering evidence too.
_ORDER_BY = re.compile(r"\border\s+by\b", re.I)
_LIST_END = re.compile(r"\b(?:limit|offset|fetch|for|window|union|except|intersect)\b", re.I)
_ORDER_KEY = re.compile(r"^\s*(?:[\w\"]+\s*\.\s*)?([\w\"]+)\s*(?:asc|desc)?\s*(?:nulls\s+(?:first|last))?\s*$", re.I)


@lru_cache(maxsize=16)
def order_keys(text: str) -> frozenset[str]:
    """Plain column names in ORDER BY lists (expressions such as `coalesce(a, b)` are skipped).
    Cached: every scope of a file asks about the same whole-file text, and a migration with
    hundreds of functions would otherwise rescan it once per scope (quadratic)."""
    if "rder" not in text and "RDER" not in text:
        return frozenset()
    keys = set()
    for match in _ORDER_BY.finditer(text):
        for item in _order_items(text, match.end()):
            key = _ORDER_KEY.match(item)
            if key:
                keys.add(key.group(1).strip('"').lower())
    return frozenset(keys)


def _order_items(text: str, start: int) -> list[str]:
    """The comma-separated items after ORDER BY, up to the end of the list (a closing
    parenthesis, a semicolon or the next clause), splitting only outside parentheses."""
    items, depth, begin = [], 0, start
    stop = min(len(text), start + 2000)
    index = start
    while index < stop:
        char = text[index]
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and char == ";":
            break
        elif depth == 0 and char == ",":
            items.append(text[begin:index])
            begin = index + 1
        elif depth == 0 and char.isalpha() and (index == 0 or not (text[index - 1].isalnum() or text[index - 1] == "_")):
            if _LIST_END.match(text, index):
                break
        index += 1
    items.append(text[begin:index])
    return items
