"""What a caller may tune about an analysis. Parsed and validated elsewhere (bot/config.py);
here it is only the value the pure analyzers read."""
from __future__ import annotations

from dataclasses import dataclass, field

LANGUAGES = ("en", "pt-BR")
DEFAULT_SQL_EXTENSIONS = (".sql",)
DEFAULT_PYTHON_EXTENSIONS = (".py", ".pyi")


@dataclass(frozen=True)
class Settings:
    select: frozenset[str] | None = None  # None: every rule
    ignore: frozenset[str] = field(default_factory=frozenset)
    language: str = "en"
    sql_extensions: tuple[str, ...] = DEFAULT_SQL_EXTENSIONS
    python_extensions: tuple[str, ...] = DEFAULT_PYTHON_EXTENSIONS
    # Where citation links point when the reviewed repo has no copy of the skill.
    citation_base_url: str | None = None
    # Test code (tests/, test_*.py, *_test.py, conftest.py) is not reported unless a repository
    # opts in: a wall-clock wait loop in a test is not a production pitfall.
    include_tests: bool = False
    # Preview forms (as in ruff's preview mode): broader forms that find more real pitfalls on
    # the labelled real-code set but have not yet met the noise bar over a million lines of
    # ordinary code. Off by default; a repository or a CLI run opts in.
    preview: bool = False

    def enabled(self, rule_id: str) -> bool:
        if rule_id in self.ignore or rule_id[:4] in self.ignore or rule_id[:5] in self.ignore:
            return False
        if self.select is None:
            return True
        return rule_id in self.select or rule_id[:4] in self.select or rule_id[:5] in self.select


DEFAULT = Settings()
