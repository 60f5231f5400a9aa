"""Round 18: SQL forms from real repositories that the analyzer could not read, each read now
with its findings on the file's lines, beside a look-alike that must stay a note (or stay
counted as another database's SQL)."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze
from analyzers.sql.dialect import foreign_dialect
from analyzers.sql.stats import counting

CLOCK = Settings(select=frozenset({"ARM101"}))


def read(code: str, path: str = "db/functions.sql"):
    """(findings as (rule, line), notes, statements seen, statements analysed)."""
    with counting() as stats:
        report = analyze(path, textwrap.dedent(code), CLOCK)
    return [(f.rule, f.line) for f in report.findings], [n.message for n in report.notes], stats.seen, stats.analysed


def test_format_template_continued_on_the_next_line_is_one_literal():
    # PostgreSQL reads 'a' newline 'b' as 'ab': the template is the three lines together; the
    # second call's literals are separated by a comma, two arguments, so its template stays
    # unfinished and a note
    code = """\
    create function jobs.claim(p_table text) returns void
    language plpgsql as $$
    begin
      execute format('update jobs.%I '
                     'set lease_until = clock_timestamp() + interval ''30 seconds'' '
                     'where id = 1', p_table);
      execute format('update jobs.%I set a = 1 where id = ',
                     'x', p_table);
    end;
    $$;
    """
    assert read(code) == (
        [("ARM101", 5)],
        ["statement not analysed (line 7): syntax error at end of input"],
        3,
        2,
    )


def counted(code: str, path: str = "db/grants.sql") -> tuple[int, int, int]:
    """(statements seen, analysed, refused as another database's SQL)."""
    with counting() as stats:
        analyze(path, textwrap.dedent(code), CLOCK)
    return stats.seen, stats.analysed, stats.foreign


def test_mysql_account_with_an_unquoted_host_marks_the_file_as_mysql():
    code = """\
    BEGIN;
    GRANT SELECT, UPDATE, INSERT, DELETE ON auth_user TO 'www-data'@localhost;
    GRANT SELECT, UPDATE, INSERT, DELETE ON django_session TO 'www-data'@localhost;
    COMMIT;
    """
    assert foreign_dialect(code) == "MySQL"
    assert counted(code) == (2, 2, 2)


def test_an_email_in_a_comment_and_jsonb_operators_stay_postgresql():
    code = """\
    -- maintainer: dba@localhost, 'ops'@example.org
    GRANT SELECT ON auth_user TO web;
    SELECT id FROM docs WHERE body @@ 'lease' AND tags @> '{a}' AND note <> 'x'@@'y';
    """
    assert foreign_dialect(code) is None
    assert counted(code) == (2, 2, 0)


def test_integer_display_width_and_alter_table_modify_are_mysql():
    code = """\
    ALTER TABLE watchdog MODIFY system_id int(11) NOT NULL;
    UPDATE system_status SET status = 'Automated' WHERE id = 1;
    """
    assert foreign_dialect(code) == "MySQL"
    assert counted(code, "SchemaUpgrades/upgrade_0.5.57.sql") == (1, 1, 1)


def test_numeric_precision_and_oracle_modify_are_not_read_as_mysql():
    assert foreign_dialect("create table t (n numeric(11), m int4);\nselect int4(5);\n") is None
    assert foreign_dialect("alter table t modify (c number(5));\n") == "Oracle"
    # a display width written by a PostgreSQL project stays a statement it could not read
    assert counted("create table t (id integer primary key, n int(11));\n") == (0, 0, 1)


def test_built_create_table_left_open_after_a_comma_for_a_loop_to_finish():
    # the loop appends columns and a later assignment closes the list: the template ends with
    # `,` inside an open parenthesis. A built UPDATE ending with a comma (no list left open) and
    # a file's own CREATE TABLE cut after a comma stay notes.
    code = """\
    create function jobs.make(p_name text, p_cols text[]) returns void
    language plpgsql as $$
    declare
      v_sql text;
      c text;
    begin
      v_sql := format('create table jobs.%I (
          id bigint primary key,
          lease_until timestamptz not null default clock_timestamp() + interval ''30 seconds'',', p_name);
      foreach c in array p_cols loop
        v_sql := v_sql || format(' %I text,', c);
      end loop;
      v_sql := v_sql || ' done boolean)';
      execute v_sql;
      execute format('update jobs.%I set lease_until = clock_timestamp(),', p_name);
    end;
    $$;
    create table jobs.t (id int,
      lease_until timestamptz default clock_timestamp() + interval '30 seconds',
    """
    assert read(code) == (
        [("ARM101", 9)],
        [
            "statement not analysed (line 15): syntax error at end of input",
            "statement not analysed (line 18): syntax error at end of input",
        ],
        4,
        2,
    )


def test_chr_10_between_pieces_of_built_sql_is_a_line_break():
    # chr(10) read as a value glued the hole to the next word (`_holeset`); chr(65) is a letter
    # and stays a hole, so that statement stays a note. A composite type's list opened after
    # chr(10) and closed by a later assignment is read with the list empty.
    code = """\
    create function jobs.touch(p_table text, p_type text, p_cols text) returns void
    language plpgsql as $$
    declare
      v_sql text;
    begin
      execute 'update jobs.' || quote_ident(p_table) || chr(10)
        || 'set lease_until = clock_timestamp() + interval ''1 minute''' || chr(10) || 'where id = 1';
      execute 'update jobs.' || quote_ident(p_table) || chr(65)
        || 'set lease_until = clock_timestamp() + interval ''1 minute''';
      v_sql := format('create type jobs.%I as (' || chr(10) || '%s', p_type, p_cols);
      v_sql := v_sql || ')';
      execute v_sql;
    end;
    $$;
    """
    assert read(code) == (
        [("ARM101", 7)],
        ['statement not analysed (line 9): syntax error at or near "="'],
        4,
        3,
    )


def test_text_variable_inside_a_quoted_body_is_read_as_a_name():
    # the runner fills `:HUMAN_ROLE` with sed (psql leaves quoted text alone); glued to a
    # word (`%I:HUMAN_ROLE`) it is no variable and the statement stays a note
    code = """\
    create function user_management.create_user(username text, p_table text) returns void
    language plpgsql as $function$
    begin
        execute format($$ create user %I in role :HUMAN_ROLE, admin $$, username);
        execute format($$ update jobs.%I set lease_until = clock_timestamp() + interval '1 minute'
                          where queue = :QUEUE_NAME $$, p_table);
        execute format($$ update jobs.%I set lease_until = clock_timestamp() + interval '1 minute'
                          where queue = %I:QUEUE_NAME $$, p_table, username);
    end;
    $function$;
    """
    assert read(code) == (
        [("ARM101", 5)],
        ['statement not analysed (line 8): syntax error at or near ":"'],
        4,
        3,
    )


def test_hole_after_update_set_that_holds_the_whole_assignment_list():
    # line 12: the loop's `a = 1, b = 2` is the whole SET list; line 13: a hole before more
    # assignments stays an empty fragment (and keeps its finding); line 15: one column's name;
    # line 17: broken after the hole, stays a note
    code = """\
    create function jobs.configure(p_id int, p_config jsonb, p_col text) returns void
    language plpgsql as $$
    declare
      v_sets text := '';
      k text;
      v text;
    begin
      for k, v in select * from jsonb_each_text(p_config) loop
        v_sets := v_sets || format('%I = %L, ', k, v);
      end loop;
      v_sets := v_sets || 'lease_until = clock_timestamp() + interval ''1 minute''';
      execute 'update jobs.queue set ' || v_sets || ' where id = ' || p_id;
      execute 'update jobs.queue set ' || v_sets
        || ' lease_until = clock_timestamp() + interval ''1 minute'' where id = ' || p_id;
      execute 'update jobs.queue set ' || p_col
        || ' = clock_timestamp() + interval ''1 minute'' where id = ' || p_id;
      execute 'update jobs.queue set ' || v_sets
        || ' lease_until clock_timestamp() where id = ' || p_id;
    end;
    $$;
    """
    assert read(code) == (
        [("ARM101", 14)],
        ['statement not analysed (line 17): syntax error at or near "$1"'],
        6,
        5,
    )


def test_format_hole_after_an_added_attribute_is_its_type():
    # five `%3$s` types: more holes than the word search tries, each read as a type name now;
    # `alter lease_until %s default ...` names no column keyword, so its hole stays a value and
    # the statement a note
    code = """\
    create function jobs.widen(p_table text, p_type text) returns void
    language plpgsql as $$
    begin
      execute format('alter type jobs.%1$I
                        add attribute claimed_at%2$s %3$s,
                        add attribute started_at%2$s %3$s,
                        add attribute picked_at%2$s %3$s,
                        add attribute finished_at%2$s %3$s,
                        add attribute lease_until%2$s %3$s', p_table, '_v2', p_type);
      execute format('alter table jobs.%I alter lease_until %s default clock_timestamp()', p_table, p_type);
    end;
    $$;
    """
    assert read(code) == ([], ['statement not analysed (line 10): syntax error at or near "0"'], 3, 2)
