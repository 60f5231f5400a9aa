"""The App indexes the changed files plus the unchanged files they import (one level, read at the
head commit through the real PyGithub client against the fake GitHub): a clock helper of an
unchanged module makes a finding certain enough to comment inline."""
from __future__ import annotations

from .conftest import REPO

TIMEUTIL = '''from datetime import datetime, timedelta, timezone


def utc_moment():
    return datetime.now(timezone.utc)


def hold_until(minutes):
    return utc_moment() + timedelta(minutes=minutes)
'''

RESERVATIONS = '''from .timeutil import hold_until


def reserve(seat, minutes):
    seat.held_until = hold_until(minutes)
    seat.save()
'''

QUIET = '''from .timeutil import utc_moment


def greet(user):
    return f"hello {user.name}"
'''


def test_a_helper_in_an_unchanged_imported_module_is_followed(app_world):
    fake = app_world.fake
    app_world.open_pull(1, base_files={"venue/__init__.py": "", "venue/timeutil.py": TIMEUTIL},
                        head_files={"venue/reservations.py": RESERVATIONS})
    app_world.work()
    comments = fake.review_comments(REPO, 1)
    assert [(c["path"], c["line"]) for c in comments] == [("venue/reservations.py", 5)]
    assert "ARM104" in comments[0]["body"]
    fetched = fake.requests_to("GET", r"/contents/venue/timeutil\.py")
    assert len(fetched) == 1  # read once, at the head commit


def test_an_unreadable_import_is_tolerated_and_noted(app_world):
    fake = app_world.fake
    fake.fail_next("GET", r"/contents/venue/timeutil\.py", 500, times=10)
    app_world.open_pull(1, base_files={"venue/__init__.py": "", "venue/timeutil.py": TIMEUTIL},
                        head_files={"venue/reservations.py": RESERVATIONS})
    app_world.work()
    [run] = fake.check_runs(REPO)
    assert run["status"] == "completed"
    assert "venue/timeutil.py" in run["output"]["summary"] + (run["output"].get("text") or "")
    assert fake.review_comments(REPO, 1) == []  # without the helper's body: no certain finding


def test_imports_of_other_packages_cost_no_request(app_world):
    fake = app_world.fake
    app_world.open_pull(1, base_files={"venue/__init__.py": "", "venue/timeutil.py": TIMEUTIL},
                        head_files={"venue/greeting.py": "import requests\nfrom django.utils import timezone\n" + QUIET})
    app_world.work()
    contents = [r.path for r in fake.requests_to("GET", r"/contents/")]
    assert not any("requests" in p or "django" in p for p in contents)
    assert fake.review_comments(REPO, 1) == []
