"""Per-file state shared by the rules of one pass: the parse, the import table, the reports,
and positions computed only when something is actually reported."""
from __future__ import annotations

import bisect
from typing import Callable

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ..build import RawFinding
from ..model import Fix, Note
from ..settings import Settings
from .imports import import_table, qualify


class FileContext:
    def __init__(self, path: str, text: str, settings: Settings, wrapper: MetadataWrapper, project=None) -> None:
        self.path = path
        self.project = project  # project_index.ProjectIndex of the whole project, or None
        self.text = text
        self.settings = settings
        self.wrapper = wrapper
        self.module = wrapper.module
        self._pending: list[tuple] = []
        self.located: list[RawFinding] = []
        self.notes: list[Note] = []  # what a rule could not analyse (e.g. an embedded SQL string)
        self._positions = None
        self._line_starts: list[int] | None = None
        self._imports: dict[str, str] | None = None
        self._project_view = None
        self._codes: dict[cst.CSTNode, str] = {}  # nodes hash by identity

    # --- names -------------------------------------------------------------------------------
    @property
    def imports(self) -> dict[str, str]:
        if self._imports is None:
            self._imports = import_table(self.module)
        return self._imports

    def qname(self, node: cst.BaseExpression) -> str | None:
        return qualify(self.imports, node)

    def project_view(self):
        """The project index as this file's imports see it (None without an index)."""
        if self.project is None:
            return None
        if self._project_view is None:
            from .project_index import FileView

            self._project_view = FileView(self.project, self.path, self.module, self.imports)
        return self._project_view

    @property
    def language(self) -> str:
        return self.settings.language

    # --- reporting ---------------------------------------------------------------------------
    def add_report(self, rule, node, end_node, message, fix, confidence="high", related=()) -> None:
        self._pending.append((rule.META, node, end_node or node, message, fix, confidence, related))

    def add_located(self, located: RawFinding) -> None:
        self.located.append(located)

    # --- positions (computed lazily: most files report nothing) -----------------------------
    def position(self, node: cst.CSTNode):
        if self._positions is None:
            # Straight from the provider: `wrapper.resolve` would first run an (empty) batched
            # traversal of the whole tree, which costs more than the positions themselves.
            self._positions = PositionProvider()._gen(self.wrapper)
        return self._positions[node]

    def offset(self, line: int, col: int) -> int:
        """Character offset in `text` of (1-based line, 0-based column)."""
        if self._line_starts is None:
            starts = [0]
            for i, ch in enumerate(self.text):
                if ch == "\n":
                    starts.append(i + 1)
            self._line_starts = starts
        return self._line_starts[line - 1] + col

    def line_of_offset(self, offset: int) -> int:
        self.offset(1, 0)
        assert self._line_starts is not None
        return bisect.bisect_right(self._line_starts, offset)

    def code_for(self, node: cst.CSTNode) -> str:
        # Regenerating code walks the node's whole subtree in Python, and recognisers ask for
        # the same node's text more than once (a fifth of the calls on Django).
        code = self._codes.get(node)
        if code is None:
            code = self._codes[node] = self.module.code_for_node(node)
        return code

    def node_span(self, node: cst.CSTNode) -> tuple[int, int]:
        """(start, end) character offsets of a node in the file."""
        rng = self.position(node)
        return self.offset(rng.start.line, rng.start.column), self.offset(rng.end.line, rng.end.column)

    def resolve_pending(self) -> None:
        for meta, node, end_node, message, fix, confidence, related in self._pending:
            start = self.position(node).start
            end = self.position(end_node).end
            resolved_fix = fix(self) if callable(fix) else fix
            self.located.append(
                RawFinding(
                    meta=meta,
                    line=start.line,
                    col=start.column,
                    end_line=end.line,
                    end_col=end.column,
                    message=message,
                    code=self.code_for(node) if node is end_node else self.text[
                        self.offset(start.line, start.column) : self.offset(end.line, end.column)
                    ],
                    fix=resolved_fix,
                    confidence=confidence,
                    related=tuple(self.position(other).start.line for other in related),
                )
            )
        self._pending.clear()


FixFactory = Callable[[FileContext], Fix | None]
