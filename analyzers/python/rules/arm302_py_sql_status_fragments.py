"""ARM302 in SQL fragments kept in Python strings: a status column computed from an age.

Query builders keep pieces of SQL that are not statements (select-list columns, joins) in
lists and constants and assemble them elsewhere: `"(CASE WHEN @(extract(epoch from now()) -
{table}.last_heartbeat_ts) <= {cutoff} THEN 'running' ELSE 'failed' END) AS status".format(
cutoff=RUN_INACTIVE_CUTOFF)`. Nothing runs such a string where the embedded-SQL collector
looks, and it does not parse alone. Read as `select <CASE ...>`, its verdict is ARM302's: a
run, task or node declared failed/dead once its stamp is older than one window for all.

Whole statements are left to the embedded-SQL collector. A hole filled with a literal or an
UPPER_CASE constant (a module or settings constant) is one fixed window: high confidence;
any other filler (a parameter, a per-row value) leaves the finding medium.
"""
from __future__ import annotations

import dataclasses
import re

import libcst as cst

from ...build import RawFinding
from ...sql.placeholders import normalise
from ...sql.pyliterals import LiteralText, format_fields_to_holes, formatted_string, simple_string
from ..rule import PythonRule

# Cheap substring gate on the lowered text: a CASE, a stamp, and a quoted verdict label.
_STAMP_WORDS = ("heartbeat", "last_seen", "last_ping", "pinged_at", "seen_at", "last_contact", "started_at", "claimed_at")
_VERDICT_LABEL = re.compile(r"'(?:failed|dead|offline|lost|down|crashed|zombie|stalled|timed_out|timeout|unreachable|inactive)'", re.I)
_CASE = re.compile(r"\bcase\b[\s\S]*\bwhen\b[\s\S]*\bthen\b", re.I)
_STATEMENT = re.compile(r"\s*\(?\s*(?:select|insert|update|delete|with|create|alter|do)\b", re.I)
_KEYWORD = re.compile(r"'(?:[^']|'')*'|\b(case|end)\b", re.I)
_FIXED_FILLER = re.compile(r"^(?:\d+(?:\.\d+)?|(?:[\w.]+\.)?_?[A-Z][A-Z0-9_]+)$")
# a hole that is not a qualifier (`{table}.last_heartbeat_ts` names a table)
_FIELD = re.compile(r"\{([^{}!:]*)[^{}]*\}(?!\s*\.)")


class _Trigger:
    pattern = "case & then & heartbeat-like stamp & verdict label"

    def search(self, text: str) -> bool:
        low = text.lower()
        if "case" not in low or "then" not in low or not any(word in low for word in _STAMP_WORDS):
            return False
        return _VERDICT_LABEL.search(text) is not None


def _case_spans(text: str) -> list[tuple[int, int]]:
    """Outermost `case ... end` spans of `text`, quotes skipped."""
    spans, depth, start = [], 0, 0
    for match in _KEYWORD.finditer(text):
        word = (match.group(1) or "").lower()
        if word == "case":
            if depth == 0:
                start = match.start()
            depth += 1
        elif word == "end" and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, match.end()))
    return spans


class SqlStatusFragments(PythonRule):
    EMITS = ("ARM302",)
    TRIGGERS = _Trigger()  # type: ignore[assignment]

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._fillers: dict[int, dict[str, str]] = {}  # template node id -> field -> filler code

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "format" and isinstance(
            func.value, (cst.SimpleString, cst.ConcatenatedString)
        ):
            fillers = {str(i): self.ctx.code_for(a.value) for i, a in enumerate(node.args) if a.keyword is None}
            fillers.update({a.keyword.value: self.ctx.code_for(a.value) for a in node.args if a.keyword is not None})
            self._fillers[id(func.value)] = fillers

    def finish(self) -> None:
        from ...sql.fragments import analyze_sql_text  # the SQL analyzer, only when needed

        for node in _strings(self.ctx.module):
            literal = _decode(node, self.ctx.code_for)
            if literal is None:
                continue
            template = id(node) in self._fillers
            if template:
                literal = format_fields_to_holes(literal)
            value = literal.value
            if _STATEMENT.match(value) or not _CASE.search(value) or not _VERDICT_LABEL.search(value):
                continue
            normalised = normalise(value)
            for start, end in _case_spans(normalised.text):
                sql = "select " + normalised.text[start:end]
                hits, _ = analyze_sql_text(sql, self.ctx.settings, embedded=True)
                for hit in hits:
                    if hit.meta.id != "ARM302":
                        continue
                    shifted = dataclasses.replace(hit, start=hit.start - 7 + start, end=hit.end - 7 + start)
                    self._add(node, literal, normalised, shifted, self._fillers.get(id(node)))

    def _add(self, node, literal: LiteralText, normalised, hit, fillers: dict[str, str] | None) -> None:
        span = normalised.source_span(hit.start, hit.end)
        if span is None:
            return
        first, last = literal.spans[span[0]], literal.spans[span[1] - 1]
        begin = self._piece_offset(literal, first[0]) + first[1]
        finish = self._piece_offset(literal, last[0]) + last[2]
        code = self.ctx.text[begin:finish]
        confidence = hit.confidence
        if confidence != "high" and self._fixed_holes(code, fillers):
            confidence = "high"
        line = self.ctx.line_of_offset(begin)
        end_line = self.ctx.line_of_offset(finish)
        self.ctx.add_located(
            RawFinding(
                meta=hit.meta,
                line=line,
                col=begin - self.ctx.offset(line, 0),
                end_line=end_line,
                end_col=finish - self.ctx.offset(end_line, 0),
                message=hit.message,
                code=code,
                confidence=confidence,
            )
        )

    def _fixed_holes(self, code: str, fillers: dict[str, str] | None) -> bool:
        """Every value hole of the comparison is filled with a constant."""
        fields = [f.strip() for f in _FIELD.findall(code)]
        if not fields:
            return False
        for index, field in enumerate(fields):
            filler = field if fillers is None else fillers.get(field or str(index))
            if filler is None or not _FIXED_FILLER.match(filler.strip()):
                return False
        return True

    def _piece_offset(self, literal: LiteralText, piece: int) -> int:
        start = self.ctx.position(literal.pieces[piece].node).start
        return self.ctx.offset(start.line, start.column)


def _strings(module: cst.Module):
    """Outermost string expressions of the module (a concatenation counts once)."""
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            yield node
            continue
        stack.extend(reversed(node.children))


def _decode(node: cst.CSTNode, code_for) -> LiteralText | None:
    if isinstance(node, cst.SimpleString):
        return simple_string(node)
    if isinstance(node, cst.FormattedString):
        return formatted_string(node, code_for)
    if isinstance(node, cst.ConcatenatedString):
        result = LiteralText().seal()
        current: cst.BaseExpression = node
        while isinstance(current, cst.ConcatenatedString):
            part = _decode(current.left, code_for)
            if part is None:
                return None
            result.extend(part)
            current = current.right
        part = _decode(current, code_for)
        if part is None:
            return None
        result.extend(part)
        return result
    return None
