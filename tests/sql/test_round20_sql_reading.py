"""Round 20: SQL forms from the round 19 blind half's `.sql` files that the analyzer could not
read: a template expression written over several lines (a dbt model's `{{ config(...) }}`), a
list written one item a line with a comma after the last, and SQLite and MySQL files with none of
the markers read before. Each beside a look-alike that must keep its behaviour."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze
from analyzers.sql.dialect import foreign_dialect
from analyzers.sql.stats import counting
from analyzers.sql.templates import stand_ins

CLOCK = Settings(select=frozenset({"ARM101"}))


def read(code: str, path: str = "db/queries.sql"):
    """(findings as (rule, line), notes, statements seen, statements analysed)."""
    with counting() as stats:
        report = analyze(path, textwrap.dedent(code), CLOCK)
    return [(f.rule, f.line) for f in report.findings], [n.message for n in report.notes], stats.seen, stats.analysed


def counted(code: str, path: str = "db/schema.sql") -> tuple[int, int, int]:
    """(statements seen, analysed, refused as another database's SQL)."""
    with counting() as stats:
        analyze(path, textwrap.dedent(code), CLOCK)
    return stats.seen, stats.analysed, stats.foreign


# --- a template expression over several lines --------------------------------------------------

def test_dbt_config_block_over_several_lines_heads_a_model():
    # `{{ config(...) }}` renders to nothing; the model's query is read, and the finding stays on
    # the file's own line
    code = """\
    -- never rebuilt from scratch
    {{
        config(
            materialized='incremental',
            unique_key=['job_id', 'attempt'],
        )
    }}

    select job_id, attempt, lease_until
      from {{ ref('stg_jobs') }}
     where lease_until < clock_timestamp() - interval '5 minutes'
    """
    assert read(code, "models/stale_jobs.sql") == ([("ARM101", 11)], [], 1, 1)


def test_multiline_expression_where_a_name_fits_is_a_name():
    # a macro call with one argument a line, standing for a table: read as a name, the finding on
    # the line after it
    code = """\
    update {{ source(
                'jobs',
                'leases') }}
       set lease_until = clock_timestamp() + interval '30 seconds'
     where id = 1;
    """
    assert read(code) == ([("ARM101", 4)], [], 1, 1)


def test_multiline_stand_in_keeps_every_line_and_column():
    text = "{{\n  config(a='b')\n}} select 1;\n{{ x }}\n"
    read_as = stand_ins(text)
    assert len(read_as) == len(text)
    assert read_as.split("\n")[2:] == ["   select 1;", "___x___", ""]
    assert read_as.startswith("_config_a_b_")


def test_one_line_placeholders_and_unclosed_braces_keep_their_reading():
    # `{{ schema }}` is still a name; a `{{` that never closes is not an expression
    code = """\
    update {{ schema }}.leases set until = clock_timestamp() + interval '1 minute' where id = 1;
    select '{{' as opening, until < clock_timestamp() from leases;
    """
    assert read(code) == ([("ARM101", 1), ("ARM101", 2)], [], 2, 2)


# --- a comma after the last item of a list written one a line ---------------------------------

def test_list_written_one_item_a_line_with_a_comma_after_the_last():
    code = """\
    select id, lease_until
      from jobs
     where queue in (
             'mail',     -- outgoing mail
             'billing',  -- invoices
           )
       and lease_until < clock_timestamp() - interval '5 minutes';
    create table leases (
        id bigint primary key,
        until timestamptz,
    );
    update leases set until = clock_timestamp() + interval '1 minute' where id = 1;
    """
    assert read(code) == ([("ARM101", 7), ("ARM101", 12)], [], 3, 3)


def test_comma_before_a_closing_parenthesis_on_one_line_stays_a_note():
    # `values (1, )`: a value may be missing; not read as a list with a trailing comma
    code = """\
    insert into leases (id, until) values (1, )
    returning until < clock_timestamp();
    update leases set until = clock_timestamp() + interval '1 minute' where id in (1, 2,);
    """
    assert read(code) == (
        [],
        [
            'statement not analysed (line 1): syntax error at or near ")"',
            'statement not analysed (line 3): syntax error at or near ")"',
        ],
        2,
        0,
    )


# --- SQLite and MySQL files ------------------------------------------------------------------

def test_sqlite_tables_named_by_strings_and_sqlite_functions():
    assert foreign_dialect("CREATE TABLE 'uploads' (\n  path 'text' NOT NULL,\n  PRIMARY KEY (path));\n") == "SQLite"
    assert foreign_dialect("INSERT INTO 'uploads' (path) VALUES ('a/b');\n") == "SQLite"
    assert foreign_dialect("INSERT OR IGNORE INTO processes (name) VALUES ('north');\n") == "SQLite"
    assert foreign_dialect(
        "CREATE TABLE runs (id int, started DATETIME DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')));\n"
    ) == "SQLite"
    assert foreign_dialect("INSERT INTO runs (id, started) VALUES (1, datetime('now'));\n") == "SQLite"
    code = """\
    /* fixture for the uploader's tests */
    CREATE TABLE 'uploads' (
        path 'text' NOT NULL,
        uploaded 'integer' NOT NULL,
        PRIMARY KEY (path));
    INSERT INTO 'uploads' (path, uploaded) VALUES ('a/b', 1);
    DELETE FROM uploads WHERE uploaded = 0;
    """
    assert counted(code) == (1, 1, 2)


def test_mysql_upserts_variables_collations_and_column_changes():
    assert foreign_dialect(
        "INSERT INTO excluded (email) SELECT email FROM contacts ON DUPLICATE KEY UPDATE email = VALUES(email);\n"
    ) == "MySQL"
    assert foreign_dialect('set @start = "20200101";\nselect count(*) from gifts where day >= @start;\n') == "MySQL"
    assert foreign_dialect("CREATE TABLE latest (email VARCHAR(255) PRIMARY KEY) COLLATE 'utf8mb4_unicode_ci';\n") == "MySQL"
    assert foreign_dialect("ALTER TABLE payments CHANGE COLUMN uid uid varchar(255);\n") == "MySQL"
    assert foreign_dialect("CREATE TABLE shop.t2 like shop.t1;\n") == "MySQL"
    assert foreign_dialect(
        "CREATE FUNCTION shop.day_of(d datetime) RETURNS datetime DETERMINISTIC RETURN DATE_FORMAT(d, '%d/%m');\n"
    ) == "MySQL"
    # the variable is read as a parameter before the statement is parsed; the file is named from
    # what it wrote
    code = """\
    set @start = "20200101";
    select count(*) from gifts where day >= @start;
    """
    assert counted(code) == (1, 1, 1)


def test_postgresql_look_alikes_stay_postgresql():
    code = """\
    CREATE TABLE leases_copy (LIKE leases INCLUDING ALL);
    CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
    CREATE FUNCTION next_day(d date) RETURNS date IMMUTABLE LANGUAGE sql RETURN d + 1;
    ALTER TABLE payments RENAME COLUMN uid TO payer_uid;
    ALTER TABLE payments ALTER COLUMN payer_uid TYPE varchar(255);
    ALTER TABLE payments ADD COLUMN change numeric;
    INSERT INTO leases (id, until) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET until = excluded.until;
    SET search_path = app, public;
    SELECT to_char(now(), 'YYYY-MM-DD'), date('now');
    CREATE TABLE names (n text COLLATE "C");
    -- CREATE TABLE 'old' (x int); INSERT OR IGNORE INTO old VALUES (1);
    SELECT 'insert into ''old'' (x)';
    """
    assert foreign_dialect(code) is None
    assert counted(code, "migrations/0042.sql") == (11, 11, 0)


def test_mysql_datetime_precision_is_not_sqlite():
    assert foreign_dialect("CREATE TABLE t (created DATETIME(6));\n") != "SQLite"
