"""Base class of the Python rules (modelled on Fixit's LintRule).

A rule is a libcst visitor that runs in one batched pass with every other enabled rule over a
single parse of the file. It declares `TRIGGERS`, a regex that must match the raw text for the
rule to be worth running: files that mention none of a rule's APIs are never parsed for it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import libcst as cst

from ..catalog import RuleMeta, register

if TYPE_CHECKING:
    from .context import FileContext

RULE_CLASSES: list[type["PythonRule"]] = []


class PythonRule(cst.BatchableCSTVisitor):
    META: ClassVar[RuleMeta]
    # Anything with `.search(text)`: a compiled regex, or a cheaper all-of-these-words matcher.
    TRIGGERS: ClassVar[Any]

    # Visitors that emit findings of several rules (the embedded-SQL collector) set EMITS
    # to those ids instead of declaring one META.
    EMITS: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "META" in cls.__dict__:
            register(cls.META)
            RULE_CLASSES.append(cls)
        elif cls.__dict__.get("EMITS"):
            RULE_CLASSES.append(cls)

    @classmethod
    def rule_ids(cls) -> tuple[str, ...]:
        return cls.EMITS or (cls.META.id,)

    def __init__(self, ctx: "FileContext") -> None:
        super().__init__()
        self.ctx = ctx

    def report(
        self,
        node: cst.CSTNode,
        *,
        message: str | None = None,
        fix=None,
        end_node: cst.CSTNode | None = None,
        confidence: str = "high",
        related: tuple[cst.CSTNode, ...] = (),
    ) -> None:
        """Flag `node` (through `end_node` when the finding spans several nodes). `message`
        overrides the rule's default message (already localised by the caller); `fix` is a
        callable (ctx) -> Fix | None, resolved only once positions are known. `confidence` is
        "medium" for forms that cannot be told from look-alikes without some noise. `related`:
        nodes elsewhere in the file that are part of the pitfall (Finding.related)."""
        self.ctx.add_report(self, node, end_node, message, fix, confidence, related)

    def finish(self) -> None:
        """Called once after the pass; rules that reason over a whole function or module
        (data flow) may collect during the visit and report here."""

    def qname(self, node: cst.BaseExpression) -> str | None:
        return self.ctx.qname(node)
