"""The project index: which functions of a project return the wall clock, from the texts of its
files (module names from paths, relative imports, two hops, and what must not be a fact)."""
from __future__ import annotations

import textwrap

import libcst as cst

from analyzers import build_project_index
from analyzers.python.project_index import FileView, module_name, package_of, resolve_relative


def index_of(files: dict[str, str]):
    return build_project_index({path: textwrap.dedent(text) for path, text in files.items()})


def test_module_names_follow_paths_and_packages():
    assert module_name("src/billing/clock.py") == "src.billing.clock"
    assert module_name("billing/__init__.py") == "billing"
    assert module_name("./tools/stamp.pyi") == "tools.stamp"
    assert package_of("billing/clock.py") == "billing"
    assert package_of("billing/__init__.py") == "billing"
    assert resolve_relative("billing.jobs", 1, "clock") == "billing.jobs.clock"
    assert resolve_relative("billing.jobs", 2, None) == "billing"
    assert resolve_relative("billing", 3, "x") is None


def test_helpers_that_read_a_clock_are_facts():
    index = index_of({
        "src/billing/clock.py": """
            import time as _t
            from datetime import datetime, timezone, timedelta

            def wall_seconds():
                return int(_t.time())

            def stamp():
                current = datetime.now(timezone.utc)
                return current.replace(microsecond=0)

            def lease_end(ttl):
                return datetime.now(timezone.utc) + timedelta(seconds=ttl)

            def label():
                return "clock"

            class SystemClock:
                def read(self):
                    return datetime.now(timezone.utc)
        """,
    })
    facts = index.facts
    assert facts["src.billing.clock.wall_seconds"].kind == "wall"
    assert facts["src.billing.clock.stamp"].kind == "wall"
    assert facts["src.billing.clock.lease_end"].kind == "offset"
    assert facts["src.billing.clock.SystemClock.read"].kind == "wall"
    assert "src.billing.clock.label" not in facts
    # known by any suffix an import can spell (src/ layouts)
    assert index.lookup("billing.clock.stamp").kind == "wall"
    assert index.lookup("billing.clock.label") is False  # defined, and not a clock
    assert index.lookup("elsewhere.stamp") is None


def test_a_helper_calling_a_helper_of_another_module_is_a_second_hop():
    index = index_of({
        "inventory/timeutil.py": """
            import datetime
            def utc_moment():
                return datetime.datetime.now(tz=datetime.timezone.utc)
        """,
        "inventory/holds.py": """
            from datetime import timedelta
            from .timeutil import utc_moment

            def hold_until(minutes):
                return utc_moment() + timedelta(minutes=minutes)
        """,
        "inventory/report.py": """
            from inventory.holds import hold_until

            def third_hop():
                return hold_until(5)
        """,
    })
    assert index.facts["inventory.timeutil.utc_moment"].kind == "wall"
    assert index.facts["inventory.holds.hold_until"].kind == "offset"
    assert "inventory.report.third_hop" not in index.facts  # two hops at most


def test_look_alikes_are_not_facts():
    index = index_of({
        "pkg/timing.py": """
            import time
            from datetime import datetime

            def ticks():
                return time.monotonic()

            def maybe_now(flag):
                if flag:
                    return datetime.now()
                return "later"

            def echo(value):
                return value
        """,
        "tests/helpers.py": """
            import time
            def fake_now():
                return time.time()
        """,
    })
    assert set(index.facts) == set()


def test_a_clock_that_only_defaults_an_argument_is_a_reading_only_without_argument():
    index = index_of({
        "pkg/tz.py": """
            from datetime import datetime

            def local(value=None):
                if value is None:
                    value = datetime.now()
                return value.astimezone()
        """,
    })
    assert index.facts["pkg.tz.local"].defaulted
    module = cst.parse_module("from pkg.tz import local\nlocal()\nlocal(order.created)\n")
    view = FileView(index, "pkg/app.py", module, {"local": "pkg.tz.local"})
    bare, passed = (stmt.body[0].value for stmt in module.body[1:])
    assert view.reading(bare).kind == "wall"
    assert view.reading(passed) is False


def test_two_modules_of_the_same_name_that_disagree_give_no_answer():
    index = index_of({
        "alpha/util.py": "import time\ndef now():\n    return time.time()\n",
        "beta/util.py": "def now():\n    return 42\n",
    })
    assert index.lookup("alpha.util.now").kind == "wall"
    assert index.lookup("util.now") is None


def test_files_that_break_the_parser_are_skipped_not_fatal():
    index = index_of({
        "pkg/broken.py": "def now(:\n    return time.time()\n",
        "pkg/py2.py": "import time\ndef stamp():\n    print 'x'\n    return time.time()\n",
        "pkg/ok.py": "import time\ndef stamp():\n    return time.time()\n",
        "pkg/data.bin": "\0\0",
    })
    assert set(index.facts) == {"pkg.ok.stamp"}


def test_a_clock_imported_under_another_name_is_still_a_clock():
    index = index_of({
        "jobs/clock.py": """
            from django.utils.timezone import now as tz_now, is_naive

            def moment():
                value = tz_now()
                return value if is_naive(value) else value.replace(microsecond=0)
        """,
    })
    assert index.facts["jobs.clock.moment"].kind == "wall"
    assert index.lookup("jobs.clock.moment") is not False


def test_multi_line_signatures_and_column_zero_strings_keep_the_function_whole():
    index = index_of({
        "reports/stamps.py": '''
            import time


            def stamp(
                scale: int = 1,
            ) -> int:
                """Seconds since the epoch.
            Written at column 0 on purpose.
            """
                return int(time.time()) * scale


            def banner():
                text = """
            no clock here
            """
                return text
        ''',
    })
    assert index.facts["reports.stamps.stamp"].kind == "wall"
    assert index.lookup("reports.stamps.banner") is False


def test_a_module_alias_of_a_clock_is_a_fact():
    index = index_of({
        "core/compat.py": """
            import datetime
            import time

            utcnow = datetime.datetime.utcnow
            wall = time.time
            tick = time.perf_counter
        """,
    })
    assert index.facts["core.compat.utcnow"].clock == "datetime.datetime.utcnow"
    assert index.facts["core.compat.wall"].clock == "time.time"
    assert "core.compat.tick" not in index.facts


def test_date_level_readings_make_helpers():
    index = index_of({
        "billing/dates.py": """
            from django.utils import timezone

            def business_day():
                return timezone.localdate()

            def shown(value):
                return timezone.localtime(value)
        """,
    })
    assert index.facts["billing.dates.business_day"].kind == "wall"
    assert "billing.dates.shown" not in index.facts


def test_class_attributes_that_name_a_clock_are_facts_and_subclasses_inherit_them():
    index = build_project_index(
        {
            "hub/clock.py": "from datetime import datetime, timezone\n\ndef utcnow():\n    return datetime.now(timezone.utc)\n",
            "hub/orm.py": textwrap.dedent(
                """
                import time
                from .clock import utcnow

                class Expiring:
                    now = staticmethod(utcnow)
                    expires_at = None

                class Timed:
                    clock = time.time

                class Token(Expiring):
                    pass

                class Child(Token):
                    kind = "child"

                class Frozen(Expiring):
                    now = staticmethod(lambda: 0)
                """
            ),
        }
    )
    assert index.lookup("hub.orm.Expiring.now").kind == "wall"
    assert index.lookup("hub.orm.Timed.clock").clock == "time.time"
    assert index.lookup("hub.orm.Token.now").kind == "wall"
    assert index.lookup("hub.orm.Child.now").kind == "wall"  # two levels of inheritance
    assert index.lookup("hub.orm.Expiring.expires_at") is None
    assert index.lookup("hub.orm.Frozen.now") is None  # its own attribute wins, and it is no clock


def test_class_attributes_naming_non_clocks_are_not_facts():
    index = build_project_index(
        {
            "app/models.py": textwrap.dedent(
                """
                import time
                from functools import partial

                def tick():
                    return 1

                def stamp():
                    return time.time()

                class A:
                    now = staticmethod(tick)
                    shifted = partial(stamp, 5)
                    kept = partial(stamp)
                """
            ),
        }
    )
    assert index.lookup("app.models.A.now") is None
    assert index.lookup("app.models.A.shifted") is None  # a positional argument changes the call
    assert index.lookup("app.models.A.kept").clock == "time.time"
