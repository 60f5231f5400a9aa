"""What SQL rules see: `Unit`s (one parsed statement or PL/pgSQL expression each, with its
position in the analysed text) grouped in `Scope`s (a file's top level, one function or DO
body, the SQL text one body builds and runs with EXECUTE, one pg_cron command), so a rule can
reason across statements, as squawk does: a lease
taken by one statement and the writes that follow it in the same body.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .source import Snippet
from .tree import max_location, min_location, token_end, walk


@dataclass
class Unit:
    snippet: Snippet  # the text pglast parsed, mapped to the analysed text
    tree: dict  # one statement node, e.g. {"InsertStmt": {...}}
    role: str  # "stmt" | "expr" (a PL/pgSQL condition/value) | "assign" | "log" (RAISE/ASSERT)
    start: int  # offset in the analysed text where the statement or expression starts
    end: int
    in_poll: bool = False  # inside a PL/pgSQL loop that may wait for the clock (LOOP, WHILE, FOR i IN 1..n, a row loop that sleeps)
    target: str | None = None  # the assigned variable, for role "assign" ("v_deadline", "new.expires_at")
    into: tuple[str, ...] = ()  # variables a `SELECT/RETURNING ... INTO a, b` statement stores into, in order

    @property
    def nodes(self) -> list[tuple[str, dict]]:
        """Every typed node of the tree, computed once and shared by all rules."""
        cached = self.__dict__.get("_nodes")
        if cached is None:
            cached = self.__dict__["_nodes"] = list(walk(self.tree))
        return cached

    def offset(self, byte_location: int) -> int:
        return self.snippet.offset_of_byte(byte_location)

    def span(self, node) -> tuple[int, int]:
        """Offsets (analysed text) covering `node`: from its first token to its last one."""
        low, high = min_location(node), max_location(node)
        if low is None:
            return self.start, self.end
        first = self.snippet.char_of_byte(low)
        last = self.snippet.char_of_byte(high)
        stop = token_end(self.snippet.text, last)
        return self.snippet.offset(first), self.snippet.offset(max(stop - 1, first)) + 1

    def point(self, byte_location: int, length_hint: str = "") -> tuple[int, int]:
        first = self.snippet.char_of_byte(byte_location)
        stop = token_end(self.snippet.text, first)
        return self.snippet.offset(first), self.snippet.offset(max(stop - 1, first)) + 1


@dataclass
class FileFacts:
    text: str
    embedded: bool  # one SQL string from Python code, not a migration file
    ordered_columns: frozenset[str]  # columns some query orders by (ORDER BY x)


@dataclass
class Scope:
    kind: str  # "file" | "plpgsql" | "sql" | "do" | "cron" | "dynamic" (SQL a body builds and EXECUTEs)
    facts: FileFacts
    units: list[Unit] = field(default_factory=list)
    variables: frozenset[str] = frozenset()  # PL/pgSQL scalar variables and parameters
    records: frozenset[str] = frozenset()  # PL/pgSQL record/row variables (NEW, OLD, r, ...)
    trigger: bool = False  # the body of a trigger function

    def mentions(self, pattern: re.Pattern) -> bool:
        """Whether any unit's text matches: a cheap gate before a rule walks trees."""
        return any(pattern.search(unit.snippet.text) for unit in self.units)

    @property
    def routine(self) -> bool:
        return self.kind != "file"


_ORDER_BY = re.compile(r"\border\s+by\s+((?:[\w\"]+\s*\.\s*)?[\w\"]+)", re.I)


def ordered_columns(text: str) -> frozenset[str]:
    return frozenset(m.group(1).split(".")[-1].strip().strip('"').lower() for m in _ORDER_BY.finditer(text))
