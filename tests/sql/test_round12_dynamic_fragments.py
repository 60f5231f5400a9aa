"""Dynamic SQL whose holes stand for whole fragments, not names or values: a column definition
or a storage clause handed to `format('create table %I (…, %s) %s', …)`, a subquery's text
in `from (%s) t`, a suffix glued to a keyword, a statement finished by a later
`sql := sql || ')'`. Each must be read (no "not analysed" note) and keep its findings on the
file's lines; a statement written out in full and broken stays a note."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

CLOCK = Settings(select=frozenset({"ARM101"}))


def read(code: str, path: str = "db/functions.sql") -> tuple[list[tuple[str, int]], list[str]]:
    report = analyze(path, textwrap.dedent(code), CLOCK)
    return [(f.rule, f.line) for f in report.findings], [n.message for n in report.notes]


def test_hole_for_a_column_definition_and_a_storage_clause():
    code = """\
    create function jobs.make_queue(p_name text, p_extra text, p_storage text) returns void
    language plpgsql as $$
    begin
      execute format(
        'create table if not exists jobs.%I (
            id bigint primary key,
            lease_until timestamptz not null default clock_timestamp() + interval ''30 seconds'',
            %s
         ) %s',
        'q_' || p_name, p_extra, p_storage);
    end;
    $$;
    """
    assert read(code) == ([("ARM101", 7)], [])


def test_subquery_text_in_parentheses_and_a_condition_hole():
    code = """\
    create function feed.page(p_inner text, p_where text) returns setof record
    language plpgsql as $$
    begin
      return query execute 'select * from (' || p_inner || ') ev where '
        || p_where || ' and ev.visible_at <= clock_timestamp() order by 1';
    end;
    $$;
    """
    assert read(code) == ([("ARM101", 5)], [])


def test_suffix_glued_to_a_keyword_and_two_expressions_in_a_row():
    code = """\
    create function feed.keyed(p_col text, p_tail text, p_alias text) returns text
    language plpgsql as $$
    declare
      q text;
    begin
      q := 'select ' || quote_literal(p_col) || '::text as key, (case when visible_at <= clock_timestamp() then 1 else 0 end'
           || p_tail || p_alias;
      return q;
    end;
    $$;
    """
    assert read(code) == ([("ARM101", 6)], [])


def test_a_statement_finished_by_a_later_assignment():
    code = """\
    create function feed.extend(p_table text, p_minutes text) returns void
    language plpgsql as $$
    declare
      sql text;
    begin
      sql := 'update ' || quote_ident(p_table) || ' set locked_until = clock_timestamp() + (interval ''1 minute'' * (';
      sql := sql || p_minutes || '))';
      execute sql;
    end;
    $$;
    """
    assert read(code) == ([("ARM101", 6)], [])


def test_a_statement_written_in_full_that_is_broken_stays_a_note():
    findings, notes = read("update jobs set lease_until = clock_timestamp() + , 0) where id = 1;\n")
    assert findings == []
    assert len(notes) == 1 and "not analysed (line 1)" in notes[0]


def test_jinja_tags_around_sql_and_a_macro_definition():
    code = """\
    {# refreshed by the scheduler #}
    {% macro lease_for(seconds) %}
        clock_timestamp() + make_interval(secs => {{ seconds }})
    {% endmacro %}
    {% if target.name == 'prod' %}
    update jobs.runs set locked_until = clock_timestamp() + interval '5 minutes' where id = 7;
    {% endif %}
    """
    assert read(code, "models/refresh.sql") == ([("ARM101", 6)], [])


def test_python_format_fields_in_a_sql_file_are_read():
    code = """\
    GRANT CREATE ON SCHEMA public TO {mainuser};
    UPDATE {schema}.jobs SET lease_until = clock_timestamp() + interval '1 minute' WHERE id = 3;
    SELECT '{a,b}'::text[], '{x}'::text[] FROM {schema}.jobs;
    """
    assert read(code, "bin/datastore_setup.sql") == ([("ARM101", 2)], [])


def test_mysql_maintenance_scripts_are_named_as_mysql():
    code = """\
    USE placement;
    UPDATE resource_providers AS rp INNER JOIN resource_providers AS parent ON parent.id = rp.parent_id
       SET rp.root_id = parent.root_id, rp.lease_until = clock_timestamp() + INTERVAL 1 MINUTE;
    """
    findings, notes = read(code, "tools/reparent.sql")
    assert findings == []
    assert notes and all("written for MySQL, not PostgreSQL" in note for note in notes)


def test_postgres_update_from_and_a_column_named_use_are_not_mysql():
    code = """\
    UPDATE jobs AS j SET lease_until = clock_timestamp() + interval '1 minute' FROM workers w WHERE w.id = j.worker_id;
    SELECT use FROM settings;
    """
    assert read(code, "db/lease.sql") == ([("ARM101", 1)], [])


def test_holes_inside_constraint_and_index_column_lists_are_names():
    # A maintenance routine rebuilding foreign keys and indexes by name: the holes in
    # `add constraint … foreign key (…) references t(…)` and `on t (…)` are names, so every
    # built statement is read (a value stand-in there is a syntax error).
    from analyzers.sql.stats import counting

    code = """\
    create function ops.rebuild(p_table text) returns void language plpgsql as $$
    declare r record;
    begin
      for r in select conname, col, ftable, fcol from ops.fks where tbl = p_table loop
        execute 'alter table ' || quote_ident(p_table) || ' drop constraint ' || r.conname;
        execute 'alter table ' || quote_ident(p_table) || ' add constraint ' || r.conname
          || ' foreign key (' || r.col || ') references ' || quote_ident(r.ftable) || '(' || r.fcol || ') on delete cascade';
        execute 'create index idx_' || p_table || ' on ' || p_table || ' (' || r.col || ')';
        execute 'create index idx_g_' || p_table || ' on ' || p_table || ' using gin (' || r.col || ')';
      end loop;
      update ops.leases set until = clock_timestamp() + interval '1 minute' where tbl = p_table;
    end;
    $$;
    """
    with counting() as stats:
        assert read(code) == ([("ARM101", 11)], [])
    assert stats.dynamic == 4
    assert stats.seen == stats.analysed, stats.reasons
