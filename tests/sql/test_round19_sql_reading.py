"""Round 19: SQL forms from the retired ninth half (`test9`) that the analyzer could not read:
holes of built SQL that stand for a trigger's event, a column definition, a number or a whole
ALTER TABLE action; ALTER TABLE actions collected in a variable before the statement that runs
them; and MySQL migrations with none of the markers read before. Each beside a look-alike that
must stay a note, or stay PostgreSQL."""
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


def test_hole_for_a_trigger_event_reads_as_an_event():
    # `after %s on %s`: the caller passes 'INSERT OR UPDATE'; the statement after it is read too.
    # A hole where the trigger's timing belongs stays unread: no event makes `create trigger t %s`
    # a statement. (Built SQL that cannot be read is counted, not noted.)
    code = """\
    create function audit.watch(p_table regclass, p_events text) returns void
    language plpgsql as $$
    begin
      execute format('create trigger audit_row after %s on %s for each row execute procedure audit.log()',
                     p_events, p_table);
      execute format('update audit.watched set lease_until = clock_timestamp() + interval ''30 seconds'' where tbl = %L', p_table);
      execute format('create trigger audit_row %s', p_events);
    end;
    $$;
    """
    assert read(code) == ([("ARM101", 6)], [], 4, 3)


def test_hole_for_a_column_list_and_for_a_sequence_start():
    # `create table %I.%I (%s)`: the columns come from the caller; `start with %s` takes a number
    code = """\
    create function jobs.shadow(p_schema text, p_table text, p_cols text, p_start bigint) returns void
    language plpgsql as $$
    begin
      execute format('create table if not exists %I.%I (%s)', p_schema, p_table, p_cols);
      execute format('create sequence %I.%I_seq start with %s', p_schema, p_table, p_start);
      execute format('update jobs.lease set until = clock_timestamp() + interval ''1 minute'' where t = %L', p_table);
    end;
    $$;
    """
    assert read(code) == ([("ARM101", 6)], [], 4, 4)


def test_alter_table_with_its_action_in_a_variable():
    # the actions are gathered first (`'drop column ' || quote_ident(...)`), then run as
    # `alter table %I.%I ' || stmt`: the gathered piece is no statement of its own, and the
    # statement is read with an action standing for the variable
    code = """\
    create function audit.revert_columns(p_schema text, p_table text) returns void
    language plpgsql as $$
    declare
      stmt text;
    begin
      select string_agg('drop column ' || quote_ident(c.column_name), ', ') into stmt
        from audit.added_columns c where c.table_name = p_table;
      if stmt is not null then
        execute format('alter table %I.%I ' || stmt, p_schema, p_table);
      end if;
    end;
    $$;
    """
    assert read(code) == ([], [], 3, 3)


def test_a_drop_statement_built_from_a_literal_is_still_a_statement():
    # `drop table` still begins a statement: a broken one is still counted as unread
    code = """\
    create function jobs.cleanup(p_table text) returns void
    language plpgsql as $$
    begin
      execute 'drop table if exists jobs.' || quote_ident(p_table);
      execute 'drop table jobs.' || quote_ident(p_table) || ' where';
    end;
    $$;
    """
    assert read(code) == ([], [], 3, 2)


def counted(code: str, path: str = "migrations/0007.sql") -> tuple[int, int, int]:
    """(statements seen, analysed, refused as another database's SQL)."""
    with counting() as stats:
        analyze(path, textwrap.dedent(code), CLOCK)
    return stats.seen, stats.analysed, stats.foreign


def test_mysql_migrations_without_backticks_or_engine_are_mysql():
    assert foreign_dialect("ALTER TABLE approval_request DROP FOREIGN KEY approval_request_ibfk_1;\n") == "MySQL"
    assert foreign_dialect("ALTER TABLE clients DROP INDEX client_id;\n") == "MySQL"
    assert foreign_dialect(
        "ALTER TABLE client_paths ADD FOREIGN KEY fk_paths_stats (client_id, path_id) REFERENCES stats (client_id, path_id);\n"
    ) == "MySQL"
    assert foreign_dialect(
        "CREATE TRIGGER paths_last_stat AFTER INSERT ON stat_entries FOR EACH ROW UPDATE client_paths SET n = n + 1;\n"
    ) == "MySQL"
    assert foreign_dialect(
        "SET @c = (SELECT CONSTRAINT_NAME FROM INFORMATION_SCHEMA.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE());\n"
        "PREPARE stmt FROM @q;\n"
    ) == "MySQL"
    code = """\
    ALTER TABLE clients DROP INDEX client_id;
    DELETE FROM clients WHERE id = 0;
    """
    assert counted(code) == (1, 1, 1)


def test_postgresql_foreign_keys_indexes_and_triggers_stay_postgresql():
    code = """\
    ALTER TABLE approval_request DROP CONSTRAINT approval_request_fk;
    ALTER TABLE client_paths ADD CONSTRAINT fk_paths FOREIGN KEY (client_id) REFERENCES clients (id);
    ALTER TABLE client_paths ADD FOREIGN KEY (client_id) REFERENCES clients (id);
    DROP INDEX IF EXISTS client_id_idx;
    CREATE TRIGGER paths_touch AFTER INSERT ON stat_entries FOR EACH ROW EXECUTE FUNCTION touch_paths();
    PREPARE recent (int) AS SELECT * FROM clients WHERE id = $1;
    SELECT current_database();
    """
    assert foreign_dialect(code) is None
    assert counted(code) == (7, 7, 0)
