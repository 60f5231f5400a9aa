"""Clock helpers defined in another module of the project: with the project index a call to one
is a certain reading (high confidence); without it only a name guess (medium) or nothing."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index

CLOCK = Settings(select=frozenset({"ARM103", "ARM104"}))

TIMEUTIL = """
    import time
    from datetime import datetime, timedelta, timezone

    def utc_moment():
        return datetime.now(tz=timezone.utc)

    def seconds():
        return int(time.time())

    def lease_end(ttl):
        return utc_moment() + timedelta(seconds=ttl)

    def now_ms():
        return int(time.time() * 1000)

    def ticks():
        return time.monotonic()

    def now():
        global _COUNTER
        _COUNTER += 1
        return _COUNTER

    def local(value=None):
        if value is None:
            value = datetime.now(tz=timezone.utc)
        return value.astimezone()
"""


def run(files: dict[str, str], path: str, index: bool = True):
    texts = {name: textwrap.dedent(text) for name, text in files.items()}
    project = build_project_index(texts) if index else None
    report = analyze(path, texts[path], CLOCK, project=project)
    assert report.notes == []
    return [(f.rule, f.line, f.confidence) for f in report.findings]


def test_relative_import_of_a_wall_clock_helper_written_to_a_row_is_high():
    files = {
        "warehouse/timeutil.py": TIMEUTIL,
        "warehouse/reservations.py": """
            from datetime import timedelta
            from .timeutil import utc_moment

            def reserve(item, minutes):
                item.held_until = utc_moment() + timedelta(minutes=minutes)
                item.save(update_fields=["held_until"])
        """,
    }
    assert run(files, "warehouse/reservations.py") == [("ARM104", 6, "high")]


def test_an_offset_helper_of_another_module_is_an_expiry_without_an_expiry_name():
    files = {
        "src/warehouse/timeutil.py": TIMEUTIL,
        "src/warehouse/claims.py": """
            from warehouse.timeutil import lease_end

            def claim(row, worker):
                row.owner = worker
                row.visible_at = lease_end(30)
                row.save()
        """,
    }
    assert run(files, "src/warehouse/claims.py") == [("ARM104", 6, "high")]
    assert run(files, "src/warehouse/claims.py", index=False) == []


def test_module_attribute_call_read_as_deadline_in_process():
    files = {
        "warehouse/timeutil.py": TIMEUTIL,
        "warehouse/poller.py": """
            from warehouse import timeutil

            def drain(queue, budget):
                stop_at = timeutil.seconds() + budget
                while timeutil.seconds() < stop_at:
                    if not queue.pop():
                        break
        """,
    }
    assert run(files, "warehouse/poller.py") == [("ARM103", 5, "high")]


def test_a_helper_named_unlike_a_clock_is_found_only_through_the_index():
    files = {
        "warehouse/timeutil.py": TIMEUTIL,
        "warehouse/poller.py": """
            from warehouse.timeutil import utc_moment

            def wait(job, limit):
                started = utc_moment()
                while (utc_moment() - started).total_seconds() < limit:
                    job.step()
        """,
    }
    assert run(files, "warehouse/poller.py") == [("ARM103", 5, "high")]
    assert run(files, "warehouse/poller.py", index=False) == []


def test_the_name_guess_is_medium_without_the_index_and_high_with_it():
    files = {
        "warehouse/timeutil.py": TIMEUTIL,
        "warehouse/visibility.py": """
            from warehouse.timeutil import now_ms

            def hide(message, seconds, store):
                store.update(message.id, invisible_until=now_ms() + seconds * 1000)
        """,
    }
    assert run(files, "warehouse/visibility.py") == [("ARM104", 5, "high")]
    assert run(files, "warehouse/visibility.py", index=False) == [("ARM104", 5, "medium")]


def test_monotonic_helper_of_another_module_stays_quiet():
    files = {
        "warehouse/timeutil.py": TIMEUTIL,
        "warehouse/poller.py": """
            from .timeutil import ticks

            def drain(queue, budget):
                stop_at = ticks() + budget
                while ticks() < stop_at:
                    queue.pop()
        """,
    }
    assert run(files, "warehouse/poller.py") == []


def test_a_project_now_that_is_a_counter_silences_the_name_guess():
    files = {
        "warehouse/timeutil.py": TIMEUTIL,
        "warehouse/orders.py": """
            from warehouse.timeutil import now

            def tag(order):
                order.sequence_until = now() + 10
                order.save()
        """,
    }
    assert run(files, "warehouse/orders.py") == []
    assert [r[2] for r in run(files, "warehouse/orders.py", index=False)] in ([], ["medium"])


def test_a_helper_given_the_callers_own_value_is_no_reading():
    files = {
        "warehouse/timeutil.py": TIMEUTIL,
        "warehouse/display.py": """
            from datetime import timedelta
            from .timeutil import local

            def shown(order):
                order.display_until = local(order.created) + timedelta(days=1)
                order.save()
        """,
    }
    assert run(files, "warehouse/display.py") == []
