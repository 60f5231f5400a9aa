"""Dynamic SQL whose holes stand for words of the statement, not names or values: a privilege
and an object kind (`grant %s on %s %I.%I(%s) to %I`), an object kind in `drop %s %I.%I`, a
column in `create index on %I.%I (%s)`, a column list led by a hole. Each is read (counted as
analysed, no note); text built inside another format() call's arguments is a fragment of that
call, never a statement of its own."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze
from analyzers.sql.stats import counting


def counted(code: str, settings: Settings | None = None):
    with counting() as stats:
        report = analyze("db/privileges.sql", textwrap.dedent(code), settings or Settings())
    return report, (stats.seen, stats.analysed)


def test_holes_for_a_privilege_an_object_kind_and_a_signature_type():
    code = """\
    create function ai.grant_all(_kind text, _priv text, _schema name, _fn name, _args text, _role name) returns void
    language plpgsql as $$
    begin
      execute pg_catalog.format('grant %s on %s %I.%I(%s) to %I', _priv, _kind, _schema, _fn, _args, _role);
      execute pg_catalog.format('revoke all privileges on %s %I.%I(%s) from public', _kind, _schema, _fn, _args);
      execute pg_catalog.format('drop %s %I.%I() cascade', _kind, _schema, _fn);
      execute pg_catalog.format('create index on %I.%I (%s)', _schema, _fn, _args);
    end;
    $$;
    """
    report, (seen, analysed) = counted(code)
    assert report.notes == []
    assert (seen, analysed) == (5, 5)  # the create function and its four built statements


def test_a_word_hole_keeps_the_clock_expiry_beside_it_on_its_line():
    code = """\
    create function jobs.lease(_kind text, _schema name, _table name) returns void
    language plpgsql as $$
    begin
      execute format(
        'alter %s %I.%I alter column lease_until set default clock_timestamp() + interval ''1 minute''',
        _kind, _schema, _table);
    end;
    $$;
    """
    report, (seen, analysed) = counted(code, Settings(select=frozenset({"ARM101"})))
    assert report.notes == []
    assert [(f.rule, f.line) for f in report.findings] == [("ARM101", 5)]
    assert (seen, analysed) == (2, 2)


def test_a_hole_that_leads_a_column_list_takes_its_comma_with_it():
    code = """\
    create function q.make(_schema name, _table name, _cols text) returns void
    language plpgsql as $$
    begin
      execute format('create table %I.%I(%s, queued_at timestamptz not null default now())', _schema, _table, _cols);
    end;
    $$;
    """
    report, (seen, analysed) = counted(code)
    assert report.notes == [] and (seen, analysed) == (2, 2)


def test_text_built_inside_another_format_call_is_a_fragment_not_a_statement():
    code = """\
    create function ai.make_index(_schema name, _table name, _with text) returns void
    language plpgsql as $$
    declare _sql text;
    begin
      select pg_catalog.format(
        $sql$create index on %I.%I using hnsw (embedding)%s$sql$,
        _schema, _table,
        case when _with is not null then pg_catalog.format(' with (%s)', _with) else '' end
      ) into strict _sql;
      execute _sql;
    end;
    $$;
    """
    report, (seen, analysed) = counted(code)
    assert report.notes == []
    assert (seen, analysed) == (3, 3)  # the function, its select, and the built create index


def test_a_statement_written_out_in_full_and_broken_is_still_a_note():
    code = """\
    create function ai.broken() returns void
    language plpgsql as $$
    begin
      execute 'grant select on table from public';
    end;
    $$;
    """
    report, (seen, analysed) = counted(code)
    assert seen - analysed == 1
