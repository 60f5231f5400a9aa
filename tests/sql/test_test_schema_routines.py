"""Routines of a test schema (`app_tests.*`, pgTAP helpers) are test code: not reported unless the
repository opts in with include_tests. The same pitfall in an application schema is reported."""
from __future__ import annotations

from analyzers import Settings, analyze

SEED = """create or replace function app_tests.expire_message(p_id bigint)
returns void language sql as $$
  update app.queue set vt = clock_timestamp() - interval '1 second' where id = p_id;
$$;

create or replace function app.read_message(p_vt int)
returns setof app.queue language sql as $$
  update app.queue set vt = clock_timestamp() + make_interval(secs => p_vt)
  where id = (select id from app.queue where vt <= now() order by id limit 1)
  returning *;
$$;
"""


def lines(settings: Settings) -> list[tuple[str, int]]:
    report = analyze("supabase/seed.sql", SEED, settings)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


def test_test_schema_routine_is_test_code():
    assert lines(Settings(select=frozenset({"ARM101"}))) == [("ARM101", 8)]


def test_include_tests_reports_it_too():
    assert lines(Settings(select=frozenset({"ARM101"}), include_tests=True)) == [("ARM101", 3), ("ARM101", 8)]
