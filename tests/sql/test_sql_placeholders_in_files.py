"""`.sql` files read by drivers and query libraries carry placeholders PostgreSQL rejects; the
statement is still analysed, and positions and fixes still point at the file's own text."""
from __future__ import annotations

from analyzers import Settings, analyze, apply_edits

AIOSQL = """-- name: create-session<!
-- Sessões expiram em 24 horas
insert into sessions (user_id, token, expires_at)
values (:user_id, :token, clock_timestamp() + interval '24 hours');

-- name: get-user
select id, email from users where id = :user_id and created_at > now()::date - 30;
"""

PSYCOPG = """update leases
   set holder = %(worker)s, renewed_at = now()
 where name = %(name)s and expires_at > clock_timestamp();
"""


def test_aiosql_named_parameters_are_analysed_with_exact_positions_and_fix():
    report = analyze("app/queries/sessions.sql", AIOSQL, Settings(select=frozenset({"ARM101"})))
    assert report.notes == []
    [finding] = report.findings
    assert (finding.rule, finding.line, finding.col) == ("ARM101", 4, 27)
    fixed = apply_edits(AIOSQL, finding.fix.edits)
    assert fixed == AIOSQL.replace("clock_timestamp()", "now()")
    assert ":user_id" in fixed  # the file's own text, never the padded copy


def test_psycopg_named_parameters_are_analysed():
    report = analyze("app/sql/leases.sql", PSYCOPG, Settings(select=frozenset({"ARM101"})))
    assert report.notes == []
    assert [(f.rule, f.line) for f in report.findings] == [("ARM101", 3)]


def test_casts_and_assignments_are_not_taken_for_placeholders():
    sql = "do $$ declare v int; begin v := '1'::int; end $$;\nselect :'broken\n"
    report = analyze("db/x.sql", sql)
    assert [n.line for n in report.notes] == [2]  # the real error is still reported, once


QUEUE_TEMPLATE = """create table if not exists %(table)s (
  id bigserial primary key,
  q_name text not null,
  visible_at timestamptz not null default now()
);

create index if not exists visible_idx_%(name)s on %(table)s (visible_at)
    where q_name = '%(name)s';

create trigger %(name)s_notify
after insert on %(table)s
for each row
execute procedure notify_queue();

update %(table)s set visible_at = clock_timestamp() + interval '30 seconds'
 where id = %(id)s;
"""


def test_psycopg_names_where_the_grammar_needs_a_name_are_analysed():
    # A schema file filled with `%` before it runs: `%(table)s` after ON/EXISTS/UPDATE and a
    # placeholder glued to a name stand in as names; one that stands for a value stays a parameter.
    report = analyze("queue/create.sql", QUEUE_TEMPLATE, Settings(select=frozenset({"ARM101"})))
    assert report.notes == []
    assert [(f.rule, f.line) for f in report.findings] == [("ARM101", 15)]



def test_psql_variables_where_no_parameter_may_stand_and_as_a_command_prefix():
    # psql substitutes variables as text: a tablespace path, a setting's value and a command
    # prefix (`\set PREFIX 'explain (analyze)'`) are valid there, though `$1` would not be.
    sql = """\\set PREFIX 'EXPLAIN (costs off)'
create tablespace ts1 location :TEST_TABLESPACE_PATH;
set timescaledb.max_open_chunks = :MAX_CHUNKS;
:PREFIX select * from jobs where lease_until > clock_timestamp();
:PREFIX update jobs set lease_until = clock_timestamp() + interval '1 minute' where id = :job_id;
"""
    from analyzers.sql.stats import counting

    with counting() as stats:
        report = analyze("db/test_scripts/leases.sql", sql, Settings(select=frozenset({"ARM101"}), include_tests=True))
    assert [(f.rule, f.line) for f in report.findings] == [("ARM101", 4), ("ARM101", 5)]
    assert [n.line for n in report.notes] == [1]  # the \set meta-command, nothing unparsed
    assert (stats.seen, stats.analysed) == (4, 4)


def test_oracle_and_mysql_files_beside_postgres_ones_are_named_not_counted():
    from analyzers.sql.stats import counting

    oracle = "CREATE TABLE accounts (account VARCHAR2(25 CHAR), n NUMBER(1,0)) PCTFREE 0 ORGANIZATION INDEX;\n/\n"
    mysql = "CREATE USER IF NOT EXISTS keycloak@'%' IDENTIFIED BY 'secret';\nGRANT ALL ON keycloak.* TO keycloak@'%';\n"
    for path, text, dialect in (("etc/sql/oracle/schema.sql", oracle, "Oracle"), ("etc/iam/users.sql", mysql, "MySQL")):
        with counting() as stats:
            report = analyze(path, text)
        assert stats.dialect == dialect and stats.seen == 0 and stats.foreign >= 1
        assert all(f"written for {dialect}, not PostgreSQL" in n.message for n in report.notes)


def test_vertica_oracle_scripts_and_mysql_double_quoted_strings_are_named_not_counted():
    from analyzers.sql.stats import counting

    vertica = (
        "CREATE PROJECTION events_rep (id ENCODING RLE, at ENCODING DELTAVAL) AS\n"
        "SELECT id, at FROM events ORDER BY at UNSEGMENTED ALL NODES;\n"
    )
    sqlplus = "set echo on\nCREATE OR REPLACE PROCEDURE make_table IS c NUMBER;\nBEGIN execute immediate 'x'; END;\n"
    users = "CREATE USER reporter IDENTIFIED BY 'secret';\nALTER USER reporter DEFAULT ROLE readers;\n"
    mysql = "UPDATE profiles SET title = NULL WHERE title != \"\";\n"
    cases = (
        ("db/vertica/schema.sql", vertica, "Vertica"),
        ("etc/admin/partitions.sql", sqlplus, "Oracle"),
        ("db/users.sql", users, "Oracle, MySQL or Vertica"),
        ("scripts/anonymize.sql", mysql, "MySQL"),
    )
    for path, text, dialect in cases:
        with counting() as stats:
            report = analyze(path, text)
        # what PostgreSQL's grammar happens to accept (sqlplus's `END;`) is still counted
        assert stats.dialect == dialect and stats.foreign >= 1 and stats.seen == stats.analysed
        assert all(f"written for {dialect}, not PostgreSQL" in n.message for n in report.notes)


def test_postgres_identifiers_with_doubled_quotes_are_not_taken_for_mysql():
    from analyzers.sql.stats import counting

    sql = 'CREATE TABLE "odd""name" (id int);\nSELECT "odd""name".id FROM "odd""name" WHERE id = 1;\n'
    with counting() as stats:
        analyze("db/odd.sql", sql)
    assert stats.dialect is None and (stats.seen, stats.analysed) == (2, 2)


def test_a_script_written_one_statement_per_line_without_semicolons_is_read_statement_by_statement():
    from analyzers.sql.stats import counting

    sql = """-- clean up after the upgrade
DROP TABLE old_sessions
DROP TABLE old_visits
UPDATE leases SET expires_at = clock_timestamp() + interval '5 minutes' WHERE name = 'sweeper'
CREATE INDEX leases_name_idx ON leases (name);
"""
    with counting() as stats:
        report = analyze("utility/upgrade.sql", sql, Settings(select=frozenset({"ARM101"})))
    assert report.notes == []
    assert [(f.rule, f.line) for f in report.findings] == [("ARM101", 4)]
    assert (stats.seen, stats.analysed) == (1, 1)


def test_a_statement_broken_in_the_middle_of_a_line_is_still_a_note():
    sql = "SELECT id, FROM jobs WHERE locked_until < clock_timestamp();\n"
    report = analyze("db/broken.sql", sql)
    assert report.findings == [] and len(report.notes) == 1 and "line 1" in report.notes[0].message


def test_a_text_placeholder_that_stands_for_a_fragment_is_read_as_nothing():
    # The code formats `{where}` with `and priority > 3` or with nothing.
    sql = """update jobs
   set locked_until = clock_timestamp() + interval '30 seconds'
 where queue = $1 {where};
"""
    report = analyze("app/_sql/poll.sql", sql, Settings(select=frozenset({"ARM101"})))
    assert report.notes == []
    assert [(f.rule, f.line) for f in report.findings] == [("ARM101", 2)]


def test_jinja_alternatives_are_read_as_one_rendering_of_the_template():
    # Keeping every branch gives `enabled = true false`; the template renders one branch of each
    # block. The clock expiry in the same statement is then read, at its own line.
    sql = """UPDATE {{ schema }}.leases SET
    expires_at = clock_timestamp() + interval '1 minute',
    enabled = {% if data.enabled %}true{% else %}false{% endif %}
WHERE name = {{ data.name|qtLiteral(conn) }};
"""
    from analyzers.sql.stats import counting

    with counting() as stats:
        report = analyze("web/templates/leases/sql/default/update.sql", sql, Settings(select=frozenset({"ARM101"})))
    assert report.notes == []
    assert [(f.rule, f.line) for f in report.findings] == [("ARM101", 2)]
    assert (stats.seen, stats.analysed) == (1, 1)


def test_a_loop_is_rendered_once_so_its_separator_is_left_out():
    # `{% if not loop.last %},{% endif %}` is false in a loop's only round: no trailing comma, while
    # the block that writes the expiry keeps its text.
    sql = """UPDATE leases SET
{% if data.holder %}
    holder = {{ data.holder|qtLiteral(conn) }},
    expires_at = clock_timestamp() + interval '1 minute',
{% endif %}
{% for opt in data.options %}
    {{ opt.name }} = {{ opt.value }}{% if not loop.last %},{% endif %}
{% endfor %}
WHERE name = {{ data.name|qtLiteral(conn) }};
"""
    report = analyze("web/templates/leases/sql/default/update.sql", sql, Settings(select=frozenset({"ARM101"})))
    assert report.notes == []
    assert [(f.rule, f.line) for f in report.findings] == [("ARM101", 4)]


def test_angle_bracket_placeholders_in_expected_output_files_are_names():
    sql = "ALTER TABLE public.jobs OWNER TO <OWNER>;\nCREATE DATABASE <TEST_DB_NAME> LC_COLLATE = 'C';\n"
    from analyzers.sql.stats import counting

    with counting() as stats:
        report = analyze("web/tests/pg/default/alter_jobs.sql", sql, Settings(include_tests=True))
    assert report.notes == [] and (stats.seen, stats.analysed) == (2, 2)


def test_edb_advanced_server_objects_and_quoted_names_with_apostrophes():
    from analyzers.sql.stats import counting

    # the apostrophe inside the quoted name must not hide the rest of the file from the check
    epas = 'CREATE OR REPLACE TRIGGER "t_\'x" FOR INSERT ON jobs COMPOUND TRIGGER\n  v int;\nEND "t_\'x";\n'
    with counting() as stats:
        report = analyze("db/ppas/trigger.sql", epas)
    assert stats.dialect == "EDB Advanced Server"
    assert all("written for EDB Advanced Server, not PostgreSQL" in n.message for n in report.notes)
