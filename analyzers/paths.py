"""What a path says about the code in it."""
from __future__ import annotations

import re

# tests/ or test/ folders, test_*.py, *_test.py, conftest.py (pytest's and unittest's conventions).
_TEST_PATH = re.compile(r"(?:^|/)(?:tests?/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$)")


def is_test_path(path: str) -> bool:
    """True for test code, which the catalog leaves unreported by default: a wall-clock wait
    loop in a test is not a production pitfall."""
    return bool(_TEST_PATH.search(path.replace("\\", "/")))
