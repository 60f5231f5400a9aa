"""What a path says about the code in it."""
from __future__ import annotations

import re

# tests/ or test/ folders, test_*.py, *_test.py, conftest.py (pytest's and unittest's conventions),
# and pytest plugins (pytest_*.py: fixtures and hooks that only run under pytest).
_TEST_PATH = re.compile(r"(?:^|/)(?:tests?/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$|pytest_[^/]*\.py$)")


def is_test_path(path: str) -> bool:
    """True for test code, which the catalog leaves unreported by default: a wall-clock wait
    loop in a test is not a production pitfall."""
    return bool(_TEST_PATH.search(path.replace("\\", "/")))


# Django/alembic migration modules: run once per database, in order, when a deploy applies them.
_PY_MIGRATION = re.compile(r"(?:^|/)(?:migrations|alembic/versions|migrations/versions)/[^/]*\.py$")


def is_python_migration(path: str) -> bool:
    """True for a Python schema/data migration: one-shot code whose wall-clock reads happen once,
    at deploy time, so an in-process deadline or an expiry stamped there is not a running pitfall."""
    return bool(_PY_MIGRATION.search(path.replace("\\", "/")))
