"""Clock readings a class holds for its methods: a class attribute naming a clock or a clock
helper (`now = staticmethod(utcnow)` in a mixin, called as `cls.now()` by the models that
inherit it), a base class's `_now()` method, a base imported from another module, and helpers
named like a seconds-truncated reading (`utc_now_sec()`)."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index

from .helpers import CLOCK, flagged

CLOCKS = """
    from datetime import datetime, timezone

    def aware_utcnow(*, naive=False):
        moment = datetime.now(timezone.utc)
        return moment.replace(tzinfo=None) if naive else moment
"""


def run(files: dict[str, str], path: str, settings: Settings = CLOCK):
    texts = {name: textwrap.dedent(text) for name, text in files.items()}
    report = analyze(path, texts[path], settings, project=build_project_index(texts))
    assert report.notes == []
    return [(f.rule, f.line, f.confidence) for f in report.findings]


# --- in one module ----------------------------------------------------------------------------
def test_mixin_class_attribute_clock_called_through_cls_in_a_subclass_is_flagged():
    code = """
        import time
        from datetime import datetime, timedelta

        class Expiring:
            now = staticmethod(datetime.utcnow)

        class Token(Expiring):
            @classmethod
            def issue(cls, db, lifetime):
                token = cls(owner="x")
                token.expires_at = cls.now() + timedelta(seconds=lifetime)
                db.add(token)
                db.commit()
    """
    assert run({"accounts/models.py": code}, "accounts/models.py") == [("ARM104", 12, "high")]


def test_base_class_now_method_reached_through_self_in_a_subclass_is_flagged():
    code = """
        from datetime import datetime, timedelta, timezone

        class Clocked:
            def _now(self):
                return datetime.now(timezone.utc).replace(microsecond=0)

        class Reservation(Clocked):
            def hold(self, row, minutes):
                row.held_until = self._now() + timedelta(minutes=minutes)
                row.save()
    """
    assert run({"booking/holds.py": code}, "booking/holds.py") == [("ARM104", 10, "high")]


def test_class_attribute_overridden_by_a_counter_in_the_subclass_stays_quiet():
    code = """
        import itertools
        from datetime import datetime, timedelta

        class Expiring:
            now = staticmethod(datetime.utcnow)

        class Simulated(Expiring):
            now = staticmethod(itertools.count().__next__)

            def hold(self, row, minutes):
                row.held_until = self.now() + timedelta(minutes=minutes)
                row.save()
    """
    assert run({"booking/sim.py": code}, "booking/sim.py") == []


def test_class_attribute_that_is_not_a_clock_stays_quiet():
    code = """
        from datetime import timedelta

        def tick():
            return 42

        class Base:
            now = staticmethod(tick)

        class Job(Base):
            def plan(self, row):
                row.held_until = self.now() + timedelta(minutes=5)
                row.save()
    """
    assert run({"jobs/plan.py": code}, "jobs/plan.py") == []


def test_class_clock_used_only_for_a_created_stamp_stays_quiet():
    code = """
        from datetime import datetime

        class Stamped:
            now = staticmethod(datetime.utcnow)

        class Note(Stamped):
            def touch(self):
                self.created_at = self.now()
                self.save()
    """
    assert run({"notes/models.py": code}, "notes/models.py") == []


def test_positional_partial_is_not_taken_for_the_clock_it_wraps():
    code = """
        from datetime import timedelta
        from functools import partial
        from .clocks import aware_utcnow

        def shifted(base, moment):
            return moment

        class Expiring:
            now = staticmethod(partial(shifted, 0))

        class Token(Expiring):
            def issue(self, row):
                row.expires_at = self.now() + timedelta(hours=1)
                row.save()
    """
    files = {"accounts/clocks.py": CLOCKS, "accounts/tokens.py": code}
    assert run(files, "accounts/tokens.py") == []


# --- across modules ---------------------------------------------------------------------------
def test_mixin_holding_an_imported_helper_through_a_keyword_partial_is_high():
    files = {
        "hub/clocks.py": CLOCKS,
        "hub/models.py": """
            from datetime import timedelta
            from functools import partial
            from .clocks import aware_utcnow

            aware_utcnow = partial(aware_utcnow, naive=True)

            class Expiring:
                now = staticmethod(aware_utcnow)

            class Hashed(Expiring):
                pass

            class Token(Hashed):
                @classmethod
                def issue(cls, db, seconds):
                    token = cls()
                    token.expires_at = cls.now() + timedelta(seconds=seconds)
                    db.add(token)
        """,
    }
    assert run(files, "hub/models.py") == [("ARM104", 18, "high")]


def test_model_now_called_from_another_module_resolves_through_the_inherited_attribute():
    files = {
        "hub/clocks.py": CLOCKS,
        "hub/models.py": """
            from .clocks import aware_utcnow

            class Expiring:
                now = staticmethod(aware_utcnow)

            class Session(Expiring):
                pass
        """,
        "hub/sessions.py": """
            from datetime import timedelta
            from .models import Session

            def extend(row, minutes):
                row.expires_at = Session.now() + timedelta(minutes=minutes)
                row.save()
        """,
    }
    assert run(files, "hub/sessions.py") == [("ARM104", 6, "high")]
    index = build_project_index({k: textwrap.dedent(v) for k, v in files.items()})
    assert index.lookup("hub.models.Session.now").kind == "wall"


def test_base_class_from_another_module_with_a_now_method_is_followed():
    files = {
        "live/base.py": """
            from datetime import datetime, timezone

            class Case:
                def _now(self):
                    return datetime.utcnow().astimezone(timezone.utc)
        """,
        "live/orders.py": """
            from datetime import timedelta
            from .base import Case

            class OrderCase(Case):
                def schedule(self, row, seconds):
                    row.expires_at = self._now() + timedelta(seconds=seconds)
                    row.save()
        """,
    }
    assert run(files, "live/orders.py") == [("ARM104", 7, "high")]


def test_subclass_that_redefines_now_as_a_counter_is_not_given_the_base_clock():
    files = {
        "hub/clocks.py": CLOCKS,
        "hub/models.py": """
            from .clocks import aware_utcnow

            class Expiring:
                now = staticmethod(aware_utcnow)

            class Replay(Expiring):
                def now(self):
                    return self.counter
        """,
        "hub/replay.py": """
            from datetime import timedelta
            from .models import Replay

            def extend(row):
                row.expires_at = Replay.now() + timedelta(minutes=5)
                row.save()
        """,
    }
    assert run(files, "hub/replay.py") == []
    index = build_project_index({k: textwrap.dedent(v) for k, v in files.items()})
    assert index.lookup("hub.models.Replay.now") is False


def test_imported_base_whose_method_is_no_clock_stays_quiet():
    files = {
        "live/base.py": """
            class Case:
                def _now(self):
                    return self.frozen_at
        """,
        "live/orders.py": """
            from datetime import timedelta
            from .base import Case

            class OrderCase(Case):
                def schedule(self, row, seconds):
                    row.expires_at = self._now() + timedelta(seconds=seconds)
                    row.save()
        """,
    }
    assert run(files, "live/orders.py") == []


# --- helper names -----------------------------------------------------------------------------
def test_seconds_truncated_utc_now_helper_of_a_library_is_a_guessed_reading():
    code = """
        import datetime
        from scheduler_lib import utils

        def pick_jobs(query):
            cutoff = utils.utc_now_sec() - datetime.timedelta(seconds=CONF.pickup_timeout)
            query = query.filter(models.Job.captured_at <= cutoff)
            return query.all()
    """
    assert flagged(code, CLOCK, "scheduler/jobs.py") == [("ARM104", 6)]


def test_sector_named_helper_is_not_a_clock():
    code = """
        import datetime
        from scheduler_lib import utils

        def pick_jobs(query):
            cutoff = utils.now_sector() - datetime.timedelta(seconds=CONF.pickup_timeout)
            query = query.filter(models.Job.captured_at <= cutoff)
            return query.all()
    """
    assert flagged(code, CLOCK, "scheduler/jobs.py") == []
