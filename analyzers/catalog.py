"""Rule metadata: one `RuleMeta` per rule, declared next to the rule's code.

The same metadata feeds the findings' messages, `armadilhas rules`, `armadilhas explain`, the
SARIF rule table and the generated tests (every bad example must be flagged on exactly its
`lines`, every good example must yield nothing), so docs cannot drift from code.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .citations import SECTIONS, Section

FAMILIES = ("wall-clock", "unfenced-lock", "fixed-timeout", "non-idempotent")


@dataclass(frozen=True)
class Example:
    code: str
    lines: tuple[int, ...] = ()  # lines the rule must flag (bad examples); empty for good ones
    language: str = ""  # "python" | "sql"; defaults to the rule's language
    path: str = ""  # file name to analyse the example as; defaults by language


@dataclass(frozen=True)
class Text:
    en: str
    pt_BR: str

    def get(self, language: str) -> str:
        return self.pt_BR if language == "pt-BR" else self.en


@dataclass(frozen=True)
class RuleMeta:
    id: str  # "ARM103"
    slug: str  # "py-wall-clock-deadline"
    family: str  # one of FAMILIES
    language: str  # "python" | "sql"
    section_key: str  # key into citations.SECTIONS
    message: Text  # one sentence shown on each finding
    why: Text  # what goes wrong, in the rule's doc and review comments
    use_instead: Text
    when_fine: Text
    bad: tuple[Example, ...]
    good: tuple[Example, ...]
    fixable: bool = False
    # What the fix does, and when it is marked unsafe (applied only with --unsafe-fixes): in docs.
    fix_doc: Text | None = None
    unsafe_fixes: bool = False  # some of its fixes are unsafe
    extra_good: tuple[Example, ...] = field(default=())  # tested, not shown in docs

    @property
    def section(self) -> Section:
        return SECTIONS[self.section_key]

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"{self.id}: unknown family {self.family!r}")
        if self.section_key not in SECTIONS:
            raise ValueError(f"{self.id}: unknown section {self.section_key!r}")
        for example in self.bad:
            if not example.lines:
                raise ValueError(f"{self.id}: a bad example must name the lines it flags")


_REGISTRY: dict[str, RuleMeta] = {}


def register(meta: RuleMeta) -> RuleMeta:
    if meta.id in _REGISTRY and _REGISTRY[meta.id] is not meta:
        raise ValueError(f"rule {meta.id} registered twice")
    _REGISTRY[meta.id] = meta
    return meta


def all_rules() -> list[RuleMeta]:
    _load_rule_modules()
    return sorted(_REGISTRY.values(), key=lambda r: r.id)


def get_rule(rule_id: str) -> RuleMeta | None:
    _load_rule_modules()
    return _REGISTRY.get(rule_id.upper())


def _load_rule_modules() -> None:
    # Importing the rule packages registers every rule; done lazily so `import analyzers`
    # stays cheap and free of side effects.
    from .python import rules as _py  # noqa: F401
    from .sql import rules as _sql  # noqa: F401
