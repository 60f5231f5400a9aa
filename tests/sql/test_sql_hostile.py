"""Hostile and messy SQL: never raises, finishes fast, analyses what parses and says what not."""
from __future__ import annotations

import time

from analyzers import Settings, analyze

PATH = "supabase/migrations/20240505000000_hostile.sql"


def run(sql: str, limit: float):
    # A guard against runaway (quadratic, exponential) work, not a benchmark (bench/ has those):
    # CPU time of this process, so a loaded shared machine does not fail it.
    started = time.process_time()
    report = analyze(PATH, sql, Settings())
    assert time.process_time() - started < limit
    return [(f.rule, f.line) for f in report.findings], [(n.line, n.message) for n in report.notes]


def test_unterminated_dollar_quote_keeps_earlier_statements_and_notes_the_rest():
    sql = (
        "update public.sessions set expires_at = clock_timestamp() where id = $1;\n"
        "create function public.f() returns void language plpgsql as $$\n"
        "begin\n"
        "  update public.sessions set expires_at = clock_timestamp();\n"
    ) + "-- filler\n" * 20_000
    findings, notes = run(sql, 5)
    assert findings == [("ARM101", 1)]
    assert notes == [(2, "unterminated dollar quote $$ from line 2 to the end; that text was not analysed")]


def test_ten_thousand_deep_parentheses_become_a_note():
    sql = "select " + "(" * 10_000 + "clock_timestamp()" + ")" * 10_000 + ";\n" + (
        "insert into public.webhook_events (event_id) values ($1);\n"
    )
    findings, notes = run(sql, 5)
    assert findings == [("ARM403", 2)]
    assert len(notes) == 1 and notes[0][0] == 1 and "not analysed" in notes[0][1]


def test_templates_meta_commands_and_one_broken_statement():
    sql = """\\set ON_ERROR_STOP on
create table {{ schema }}.tokens (expires_at timestamptz default clock_timestamp());
\\i seed.sql
create extension if not exists pg_cron schema @extschema@;
select :'app_schema', id from tokens where expires_at > clock_timestamp();
update public.tokens set expires_at = clock_timestamp( where id = 1;
insert into public.api_tokens (token, expires_at) values ($1, clock_timestamp() + interval '1 day');
"""
    findings, notes = run(sql, 2)
    # Templates and psql variables are read through same-length stand-ins (RULES.md, "SQL as
    # repositories write it"); only the really broken statement is a note.
    assert findings == [("ARM101", 2), ("ARM101", 5), ("ARM101", 7)]
    assert [line for line, _ in notes] == [1, 6]
    assert "psql meta-commands" in notes[0][1]


def test_fifty_thousand_statements_finish_in_seconds():
    migration = (
        "create table public.t{n} (id bigint primary key, created_at timestamptz default now());\n"
        "comment on table public.t{n} is 'expiração';\n"
        "insert into public.t{n} (id) values ({n});\n"
    )
    sql = "".join(migration.format(n=n) for n in range(17_000))
    findings, notes = run(sql, 10)
    assert findings == [] and notes == []


def test_plpgsql_with_schema_qualified_types_is_read_through_a_retry():
    sql = """create or replace function pgq.enqueue(p_kind pgq.job_kind, p_id bigint) returns void
language plpgsql as $$
declare
  v_deadline timestamptz;
begin
  update pgq.jobs set lease_expires_at = clock_timestamp() + interval '30 seconds' where id = p_id;
  v_deadline := clock_timestamp() + interval '2 seconds';
  loop
    exit when clock_timestamp() > v_deadline;
    perform pg_sleep(0.05);
  end loop;
  insert into pgq.inbox (message_id, kind) values (p_id::text, p_kind);
end $$;
"""
    findings, notes = run(sql, 2)
    assert findings == [("ARM101", 6), ("ARM403", 12)]
    # pglast cannot look up pgq.job_kind; the body is compiled again with a type it knows.
    assert notes == []


def test_non_ascii_before_a_finding_in_a_long_function_maps_lines_and_columns():
    sql = (
        "-- Função de renovação — não usar relógio de parede ✓\n"
        "create function public.renova(p uuid) returns void language plpgsql as $$\n"
        "begin\n"
        "  raise notice 'renovação % às %', p, clock_timestamp();\n"
        "  update public.sessões set expira_em = now(), valid_until = clock_timestamp() where id = p;\n"
        "end $$;\n"
    )
    report = analyze(PATH, sql, Settings())
    [finding] = report.findings
    line = sql.splitlines()[4]
    assert (finding.rule, finding.line, finding.col - 1) == ("ARM101", 5, line.index("clock_timestamp"))


def test_binary_garbage_and_empty_text():
    assert run("", 1) == ([], [])
    findings, notes = run("\x00\x01 clock_timestamp", 1)
    assert findings == [] and notes
    findings, notes = run("'" + "clock_timestamp() " * 1000, 1)
    assert findings == [] and len(notes) == 1


def test_hash_lines_between_statements_are_comments_not_broken_sql():
    # Files kept for MySQL and PostgreSQL alike comment with `#`, and Racket's north migrations open
    # with `#lang north`; an apostrophe in such a line must not swallow the rest of the file.
    sql = """#lang north
# we're seeding the tokens the release tests need
insert into public.api_tokens (token, expires_at) values ($1, clock_timestamp() + interval '1 day');
  # another comment, indented
select 1 # 3;
update public.sessions set expires_at = clock_timestamp() where id = $1;
"""
    findings, notes = run(sql, 2)
    assert findings == [("ARM101", 3), ("ARM101", 6)]
    assert notes == []


def test_pg_dump_copy_data_rows_are_not_statements():
    # Sample data dumped by pg_dump: the rows after `COPY … FROM stdin;` up to `\.` are data (one
    # holds an apostrophe), and the statements after the block are read as usual.
    sql = (
        "COPY data.users (id, name, email) FROM stdin;\n"
        "1\talice\talice@email.com\n"
        "2\to'brien\tob@email.com\n"
        "\\.\n"
        "\n"
        "update public.sessions set expires_at = clock_timestamp() where id = $1;\n"
    )
    from analyzers.sql.stats import counting

    with counting() as stats:
        findings, notes = run(sql, 2)
    assert findings == [("ARM101", 6)]
    assert notes == []
    assert (stats.seen, stats.analysed, stats.meta_commands) == (2, 2, 0)
