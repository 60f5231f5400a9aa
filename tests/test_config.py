"""`.github/armadilhas.yml`: defaults, every key, and errors that name the bad key."""
from __future__ import annotations

import pytest

from bot.config import ConfigError, RepoConfig, load_repo_config


def test_missing_or_empty_file_gives_defaults():
    for text in (None, "", "   \n# only a comment\n"):
        config = load_repo_config(text)
        assert config == RepoConfig()
        assert config.review.max_comments == 25
        assert config.review.conclusion == "neutral"
        assert config.settings.select is None


def test_every_key_is_read():
    config = load_repo_config(
        """
rules:
  select: [ARM1, arm201]
  ignore: [ARM104]
exclude:
  - "tests/**"
  - "vendor/"
language: pt-BR
sql:
  extensions: [".sql", ".pgsql"]
citation_url: https://example.com/skills/armadilhas/SKILL.md
review:
  max_comments: 10
  drafts: true
  conclusion: failure
  llm_fixes: true
"""
    )
    settings = config.settings
    assert settings.select == frozenset({"ARM1", "ARM201"})
    assert settings.ignore == frozenset({"ARM104"})
    assert settings.enabled("ARM103") and settings.enabled("ARM201")
    assert not settings.enabled("ARM104") and not settings.enabled("ARM301")
    assert settings.language == "pt-BR"
    assert settings.sql_extensions == (".sql", ".pgsql")
    assert settings.citation_base_url == "https://example.com/skills/armadilhas/SKILL.md"
    assert config.review.max_comments == 10 and config.review.drafts and config.review.llm_fixes
    assert config.review.conclusion == "failure"
    assert not config.included("tests/unit/test_x.py")
    assert not config.included("vendor/lib/a.py")
    assert config.included("app/tasks.py")


def test_double_star_prefix_matches_at_the_root_too():
    config = load_repo_config('exclude: ["**/migrations/legacy_*.sql"]')
    assert not config.included("migrations/legacy_1.sql")
    assert not config.included("db/migrations/legacy_2.sql")
    assert config.included("db/migrations/0003_new.sql")


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ("rulez: {}", "rulez", "unknown key"),
        ("rules: {selct: [ARM1]}", "rules.selct", "unknown key"),
        ("review: {conclusoin: failure}", "review.conclusoin", "unknown key"),
        ("rules: {select: [ARM999]}", "rules.select", "unknown rule 'ARM999'"),
        ("rules: {ignore: [B001]}", "rules.ignore", "unknown rule 'B001'"),
        ("rules: {ignore: 3}", "rules.ignore", "list of strings"),
        ("language: fr", "language", "en, pt-BR"),
        ("review: {max_comments: -1}", "review.max_comments", "0 to 100"),
        ("review: {max_comments: true}", "review.max_comments", "0 to 100"),
        ("review: {drafts: 'yes'}", "review.drafts", "true or false"),
        ("review: {conclusion: success}", "review.conclusion", "neutral, failure"),
        ("sql: {extensions: [sql]}", "sql.extensions", "file extension"),
        ("citation_url: ftp://x", "citation_url", "http(s) URL"),
        ("review: [1, 2]", "review", "must be a mapping"),
        ("- just\n- a list\n", "(top level)", "must be a mapping"),
    ],
)
def test_bad_values_name_the_key(text, key, fragment):
    with pytest.raises(ConfigError) as info:
        load_repo_config(text)
    assert info.value.key == key
    assert f": {key}: " in str(info.value)
    assert fragment in str(info.value)


def test_invalid_yaml_says_where():
    with pytest.raises(ConfigError) as info:
        load_repo_config("rules:\n  select: [ARM1\n")
    assert "not valid YAML at line" in str(info.value)


def test_unknown_key_suggests_the_close_one():
    with pytest.raises(ConfigError) as info:
        load_repo_config("review:\n  max_coments: 5\n")
    assert "did you mean review.max_comments?" in str(info.value)
