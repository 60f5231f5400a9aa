"""The per-repository configuration file `.github/armadilhas.yml`, shared by the CLI and the App.

Validation is strict and names the offending key: a typo that silently switched a rule back on
would be worse than an error. The App reads this file from the default branch only, so a pull
request cannot switch its own review off.
"""
from __future__ import annotations

import difflib
import fnmatch
import re
from dataclasses import dataclass, field

import yaml

from analyzers import Settings
from analyzers.settings import DEFAULT_SQL_EXTENSIONS, LANGUAGES

CONFIG_PATH = ".github/armadilhas.yml"
CONCLUSIONS = ("neutral", "failure")
CONFIDENCES = ("high", "medium")
_RULE_SELECTOR = re.compile(r"^ARM[1-4]?\d{0,2}$")


class ConfigError(ValueError):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{CONFIG_PATH}: {key}: {message}" if key else f"{CONFIG_PATH}: {message}")
        self.key = key


@dataclass(frozen=True)
class ReviewOptions:
    max_comments: int = 25
    drafts: bool = False
    conclusion: str = "neutral"
    llm_fixes: bool = False
    # Findings below this confidence go to the Check Run only, not inline comments.
    min_confidence: str = "high"


@dataclass(frozen=True)
class RepoConfig:
    settings: Settings = field(default_factory=Settings)
    exclude: tuple[str, ...] = ()
    review: ReviewOptions = field(default_factory=ReviewOptions)

    def included(self, path: str) -> bool:
        return not any(_glob_match(path, pattern) for pattern in self.exclude)


def _glob_match(path: str, pattern: str) -> bool:
    """fnmatch with `**` spanning directories and a trailing `/` meaning a whole folder."""
    if pattern.endswith("/"):
        pattern += "**"
    if fnmatch.fnmatchcase(path, pattern):
        return True
    # "**/x" should also match "x" at the root, as in .gitignore.
    return pattern.startswith("**/") and fnmatch.fnmatchcase(path, pattern[3:])


_TOP_KEYS = {"rules", "exclude", "include_tests", "preview", "language", "sql", "citation_url", "review"}
_RULES_KEYS = {"select", "ignore"}
_SQL_KEYS = {"extensions"}
_REVIEW_KEYS = {"max_comments", "drafts", "conclusion", "llm_fixes", "min_confidence"}


def _check_keys(mapping: dict, allowed: set[str], prefix: str) -> None:
    for key in mapping:
        if key not in allowed:
            dotted = f"{prefix}{key}"
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f"did you mean {prefix}{close[0]}? " if close else ""
            known = ", ".join(sorted(allowed))
            raise ConfigError(str(dotted), f"unknown key ({hint}known keys here: {known})")


def _mapping(value, key: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(key, f"must be a mapping, got {type(value).__name__}")
    return value


def _string_list(value, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(key, "must be a list of strings")
    return value


def _rule_ids(value, key: str) -> frozenset[str]:
    from analyzers.catalog import all_rules

    known = {rule.id for rule in all_rules()}
    ids = set()
    for raw in _string_list(value, key):
        rule_id = raw.strip().upper()
        if not _RULE_SELECTOR.match(rule_id) or (len(rule_id) == 6 and rule_id not in known):
            raise ConfigError(key, f"unknown rule {raw!r} (see `armadilhas rules`)")
        ids.add(rule_id)
    return frozenset(ids)


def _bool(value, key: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ConfigError(key, "must be true or false")
    return value


def load_repo_config(text: str | None) -> RepoConfig:
    if text is None or not text.strip():
        return RepoConfig()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError("", f"not valid YAML{where}") from None
    data = _mapping(data, "(top level)")
    _check_keys(data, _TOP_KEYS, "")

    rules = _mapping(data.get("rules"), "rules")
    _check_keys(rules, _RULES_KEYS, "rules.")
    select = _rule_ids(rules["select"], "rules.select") if "select" in rules else None
    ignore = _rule_ids(rules.get("ignore"), "rules.ignore")

    language = data.get("language", "en")
    if language not in LANGUAGES:
        raise ConfigError("language", f"must be one of {', '.join(LANGUAGES)}, got {language!r}")

    sql = _mapping(data.get("sql"), "sql")
    _check_keys(sql, _SQL_KEYS, "sql.")
    extensions = tuple(_string_list(sql.get("extensions"), "sql.extensions")) or DEFAULT_SQL_EXTENSIONS
    for ext in extensions:
        if not ext.startswith(".") or "/" in ext:
            raise ConfigError("sql.extensions", f"{ext!r} is not a file extension like '.sql'")

    citation_url = data.get("citation_url")
    if citation_url is not None and (
        not isinstance(citation_url, str) or not citation_url.startswith(("https://", "http://"))
    ):
        raise ConfigError("citation_url", "must be an http(s) URL")

    review = _mapping(data.get("review"), "review")
    _check_keys(review, _REVIEW_KEYS, "review.")
    max_comments = review.get("max_comments", 25)
    if isinstance(max_comments, bool) or not isinstance(max_comments, int) or not 0 <= max_comments <= 100:
        raise ConfigError("review.max_comments", "must be a whole number from 0 to 100")
    conclusion = review.get("conclusion", "neutral")
    if conclusion not in CONCLUSIONS:
        raise ConfigError("review.conclusion", f"must be one of {', '.join(CONCLUSIONS)}, got {conclusion!r}")
    min_confidence = review.get("min_confidence", "high")
    if min_confidence not in CONFIDENCES:
        raise ConfigError(
            "review.min_confidence", f"must be one of {', '.join(CONFIDENCES)}, got {min_confidence!r}"
        )

    return RepoConfig(
        settings=Settings(
            select=select,
            ignore=ignore,
            language=language,
            sql_extensions=extensions,
            citation_base_url=citation_url,
            include_tests=_bool(data.get("include_tests"), "include_tests", False),
            preview=_bool(data.get("preview"), "preview", False),
        ),
        exclude=tuple(_string_list(data.get("exclude"), "exclude")),
        review=ReviewOptions(
            max_comments=max_comments,
            drafts=_bool(review.get("drafts"), "review.drafts", False),
            conclusion=conclusion,
            llm_fixes=_bool(review.get("llm_fixes"), "review.llm_fixes", False),
            min_confidence=min_confidence,
        ),
    )
