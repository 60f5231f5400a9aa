"""SQL as repositories write it (RULES.md): query files, psql scripts, templates, migration
markers and dynamic SQL are read as SQL, with findings on the exact line of the file; what
still cannot be read is a note, never silence."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, apply_edits
from analyzers.sql.stats import counting
from analyzers.sql.templates import stand_ins

ALL = Settings()


def report(sql: str, path: str = "db/queries/queue.sql", settings: Settings = ALL):
    return analyze(path, textwrap.dedent(sql), settings)


def flagged(sql: str, path: str = "db/queries/queue.sql", settings: Settings = ALL) -> list[tuple[str, int]]:
    result = report(sql, path, settings)
    assert result.notes == [], result.notes
    return [(f.rule, f.line) for f in result.findings]


# --- query files and templates ------------------------------------------------------------

SQLC_WORKERS = """\
-- name: ListWorkers :many
SELECT * FROM workers WHERE tenant_id = @tenant_id::uuid AND id = ANY(sqlc.slice('ids'));

-- name: ReassignStaleWorkers :exec
UPDATE jobs SET worker_id = NULL, status = 'queued'
WHERE worker_id IN (
    SELECT id FROM workers
    WHERE tenant_id = sqlc.arg(tenant_id)::uuid
      AND last_heartbeat_at < NOW() - INTERVAL '30 seconds'
)
LIMIT sqlc.narg('limit');
"""


def test_sqlc_query_file_is_analysed_through_its_parameters():
    # A fixed 30 s silence decides that workers are dead and their jobs are taken back, in a
    # sqlc query. (The LIMIT on UPDATE of the original file stays a real syntax error.)
    # The statement spans more than 3 lines before its threshold: it is reported at the threshold
    # (round 22: where the labellers put such sites).
    fixed_sql = SQLC_WORKERS.replace("\nLIMIT sqlc.narg('limit');", ";")
    assert flagged(fixed_sql) == [("ARM302", 9)]


def test_sqlc_stand_ins_keep_every_offset():
    rewritten = stand_ins(SQLC_WORKERS)
    assert len(rewritten) == len(SQLC_WORKERS)
    assert rewritten.splitlines()[1] == (
        "SELECT * FROM workers WHERE tenant_id = $1        ::uuid AND id = ANY($1               );"
    )
    assert "$1" + " " * (len("sqlc.arg(tenant_id)") - 2) + "::uuid" in rewritten


def test_a_statement_still_broken_after_stand_ins_is_a_note_on_its_line():
    result = report(SQLC_WORKERS)
    assert [(n.line, "LIMIT" in n.message or "syntax error" in n.message) for n in result.notes] == [(11, True)]


def test_psql_variables_and_meta_commands_in_a_test_script():
    sql = """\
    \\set ON_ERROR_STOP on
    select id as run_id from runs where flow = 'demo' limit 1 \\gset
    update :"schema".leases set expires_at = clock_timestamp() + interval '30 seconds' where run_id = :'run_id';
    insert into webhook_events (event_id, payload) values (:event_id, :'payload');
    """
    result = report(sql, "db/scripts/replay.sql")
    assert [(f.rule, f.line) for f in result.findings] == [("ARM101", 3), ("ARM403", 4)]
    assert [n.line for n in result.notes] == [1]  # "psql meta-commands skipped", once


def test_schema_placeholders_become_names():
    sql = """\
    create table {{ schema }}.sessions (id bigint primary key, expires_at timestamptz);
    update @extschema@.sessions set expires_at = clock_timestamp() + interval '1 hour' where id = $1;
    update :SCHEMA_NAME.sessions set expires_at = now() + interval '1 hour' where id = $1;
    update ${APP_SCHEMA}.sessions set expires_at = clock_timestamp() + interval '1 hour' where id = $1;
    """
    assert flagged(sql, "db/migrations/0003_sessions.sql") == [("ARM101", 2), ("ARM101", 4)]


def test_fix_edits_the_file_text_not_the_stand_ins():
    sql = "update :\"schema\".sessions set expires_at = clock_timestamp() + interval '1 hour' where id = :'id';\n"
    result = analyze("db/scripts/touch.sql", sql, Settings(select=frozenset({"ARM101"})))
    [finding] = result.findings
    assert (finding.line, finding.col) == (1, sql.index("clock_timestamp") + 1)
    assert apply_edits(sql, finding.fix.edits) == sql.replace("clock_timestamp()", "now()")


def test_migration_markers_end_statements_missing_their_semicolon():
    sql = """\
    -- +goose Up
    -- +goose StatementBegin
    alter table sessions add column expires_at timestamptz
    -- +goose StatementEnd
    update sessions set expires_at = clock_timestamp() + interval '1 day'
    -- +goose Down
    alter table sessions drop column expires_at;
    -- migrate:up
    update tokens set expires_at = clock_timestamp() + interval '1 day'
    -- migrate:down
    select 1;
    """
    assert flagged(sql, "db/migrations/00012_sessions.sql") == [("ARM101", 5), ("ARM101", 9)]


def test_look_alikes_of_placeholders_stay_as_written():
    sql = """\
    select payload::jsonb, tags[1:2], data @> '{"a": 1}', 'user@example.com', ':not_a_var' from t;
    do $$ declare v int; begin v := 1; end $$;
    -- a comment with :var and @param and {{x}} in it
    """
    rewritten = stand_ins(textwrap.dedent(sql))
    lines = rewritten.splitlines()
    assert lines[0] == textwrap.dedent(sql).splitlines()[0]
    assert lines[1] == "do $$ declare v int; begin v := 1; end $$;"
    assert lines[2] == "-- a comment with :var and @param and __x__ in it"  # textual: substituted everywhere
    assert flagged(sql) == []


def test_other_databases_are_named_in_the_note():
    sql = "CREATE TABLE `jobs` (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, lease_until DATETIME) ENGINE=InnoDB;\n"
    result = report(sql, "schema/mysql/leases.sql")
    assert result.findings == []
    [note] = result.notes
    assert note.line == 1 and "written for MySQL, not PostgreSQL" in note.message


# --- dynamic SQL ---------------------------------------------------------------------------

READ_WITH_POLL = """\
create function queue.read(queue_name text, vt integer, qty integer) returns setof queue.message_record
language plpgsql as $$
declare
  r queue.message_record;
  sql text;
begin
  sql := format(
    $QUERY$
    with cte as (
      select msg_id from queue.%I
      where vt <= clock_timestamp()
      order by msg_id limit $1 for update skip locked
    )
    update queue.%I m
       set vt = clock_timestamp() + %L,
           read_ct = read_ct + 1
      from cte where m.msg_id = cte.msg_id
    returning m.*;
    $QUERY$,
    queue_name, queue_name, make_interval(secs => vt)
  );
  for r in execute sql using qty loop
    return next r;
  end loop;
end $$;
"""


def test_format_dollar_quoted_text_is_read_as_sql_on_its_own_lines():
    # `vt` is a parameter of the function, but inside the EXECUTEd text it is the column.
    assert flagged(READ_WITH_POLL, "db/migrations/0001_queue.sql", Settings(select=frozenset({"ARM101"}))) == [
        ("ARM101", 11),
        ("ARM101", 15),
    ]


def test_format_with_quotes_and_execute_literal_and_concatenation():
    sql = """\
    create or replace function queue.extend(p_queue text, p_id bigint, p_secs int) returns void
    language plpgsql as $$
    begin
      execute format('update queue.%I set visible_at = clock_timestamp() + %L where id = %s',
                     p_queue, make_interval(secs => p_secs), p_id);
      execute 'update queue.locks set locked_until = clock_timestamp() + interval ''1 minute''';
      execute 'update ' || quote_ident(p_queue) || ' set run_at = clock_timestamp() + interval ''5 seconds'''
           || ' where id = ' || p_id;
      return;
    end $$;
    """
    assert flagged(sql, "db/migrations/0002_queue.sql", Settings(select=frozenset({"ARM101"}))) == [
        ("ARM101", 4),
        ("ARM101", 6),
        ("ARM101", 7),
    ]


def test_dynamic_sql_look_alikes_stay_quiet():
    sql = """\
    create function queue.label(p_queue text) returns text language plpgsql as $$
    declare
      v_label text := format('%s-%s', p_queue, clock_timestamp());
    begin
      raise notice 'took % ms', extract(epoch from clock_timestamp() - now());
      execute format('update queue.%I set visible_at = now() + %L', p_queue, interval '30 seconds');
      return v_label || ' select clock_timestamp()';
    end $$;
    """
    assert flagged(sql, "db/migrations/0003_queue.sql", Settings(select=frozenset({"ARM101", "ARM102"}))) == []


def test_fallback_still_reads_statements_and_dynamic_sql():
    sql = """\
    create function queue.read(p_queue text) returns setof queue.message language plpgsql as $$
    declare
      r queue.message;
    begin
      for r in execute format('update queue.%I set vt = clock_timestamp() + interval ''30 seconds'' returning *', p_queue) loop
        return next r;
      end loop;
      return query execute 'update queue.jobs set locked_until = clock_timestamp() + interval ''1 minute'' returning *';
      if p_queue is null then
        raise notice 'missing queue'
      end if;
    end $$;
    """
    result = report(sql, "db/migrations/0004_queue.sql", Settings(select=frozenset({"ARM101"})))
    assert [(f.rule, f.line) for f in result.findings] == [("ARM101", 5), ("ARM101", 8)]
    [note] = result.notes
    assert note.line == 1 and "statement by statement" in note.message and 'near "end"' in note.message


def test_a_dynamic_statement_that_cannot_be_parsed_is_a_note():
    sql = """\
    create function queue.bump(p_queue text) returns void language plpgsql as $$
    begin
      execute format('update queue.%I set visible_at = clock_timestamp() + where id = 1', p_queue);
    end $$;
    """
    result = report(sql, "db/migrations/0005_queue.sql")
    assert result.findings == []
    assert [n.line for n in result.notes] == [3]


# --- counters ------------------------------------------------------------------------------


def test_counters_see_every_statement_and_cost_nothing_when_absent():
    sql = textwrap.dedent(READ_WITH_POLL) + "create table t (id int);\nselect from where;\n\\echo done\n"
    with counting() as stats:
        analyze("db/migrations/0001_queue.sql", sql)
    assert (stats.files, stats.dynamic, stats.meta_commands) == (1, 1, 1)
    assert stats.seen - stats.analysed == 1
    assert list(stats.reasons) == ['syntax error at or near "where"']
    assert stats.seen == 4  # the function, the text it EXECUTEs, the table, the broken one
    plain = analyze("db/migrations/0001_queue.sql", sql)  # no counter installed: still analysed
    assert [f.line for f in plain.findings if f.rule == "ARM101"] == [11, 15]


def test_format_template_built_by_concatenation():
    sql = """\
    create function queue.touch(p_queue text, p_col text) returns void language plpgsql as $$
    begin
      execute format('update queue.%I set locked_until = clock_timestamp() + %L where kind = ' || quote_literal(p_col), p_queue, interval '1 minute');
    end $$;
    """
    assert flagged(sql, "db/migrations/0006_queue.sql", Settings(select=frozenset({"ARM101"}))) == [("ARM101", 3)]


def test_postgresql_look_alikes_of_other_dialects_are_not_called_foreign():
    sql = """\
    -- renamed `status` column; see `jobs`
    comment on function public.f() is 'uses `in` and UNSIGNED math';
    create function public.f() returns int language sql security definer as $$ select 1 $$;
    update public.sessions set expires_at = clock_timestamp( where id = 1;
    """
    result = report(sql, "db/migrations/0007_misc.sql")
    [note] = result.notes
    assert note.line == 4 and "not PostgreSQL" not in note.message
