"""A whole-tree check reports a SQL routine's pitfall only in its newest definition: a later
migration of the same folder that redefines the routine makes the earlier one history (applied,
never run again, not editable). Other folders, other routines and top-level statements of
routines nobody redefines are still reported."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

READ_JOB = """create or replace function app.read_job(p_vt int)
returns setof jobs language plpgsql as $$
begin
  return query
  update jobs set vt = clock_timestamp() + make_interval(secs => p_vt)
  where id = (select id from jobs where vt <= now() limit 1)
  returning *;
end $$;
"""

TOKENS = """create or replace function app.issue_token(p_user uuid)
returns void language plpgsql as $$
begin
  insert into api_tokens (user_id, expires_at) values (p_user, clock_timestamp() + interval '1 day');
end $$;
"""


def check(root: Path) -> list[tuple[str, int]]:
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "check", ".", "--format", "json"], cwd=root,
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    # the lines reported, whichever rules report them (a queue read is a clock and a lease finding)
    return sorted({(f["path"], f["line"]) for f in json.loads(proc.stdout)["findings"]})


def test_only_the_newest_definition_of_a_routine_is_reported(tmp_path: Path):
    migrations = tmp_path / "db" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "0001_queue.sql").write_text("create table jobs (id bigint primary key, vt timestamptz);\n\n" + READ_JOB)
    (migrations / "0002_tokens.sql").write_text(TOKENS)
    (migrations / "0003_queue_v2.sql").write_text("-- read_job, again\n" + READ_JOB)
    assert check(tmp_path) == [
        ("db/migrations/0002_tokens.sql", 4),   # issue_token is never redefined
        ("db/migrations/0003_queue_v2.sql", 6),  # the live read_job
    ]


def test_a_definition_in_another_migrations_folder_is_not_history(tmp_path: Path):
    # Two apps, each with its own migrations: each copy is live in its own database.
    for app in ("core", "demo"):
        (tmp_path / app / "migrations").mkdir(parents=True)
        (tmp_path / app / "migrations" / "0001_read_job.sql").write_text(READ_JOB)
    assert check(tmp_path) == [("core/migrations/0001_read_job.sql", 5), ("demo/migrations/0001_read_job.sql", 5)]


def test_a_declarative_schema_holds_the_live_definition(tmp_path: Path):
    # Migrations generated from `schemas/` (supabase, atlas): the fix goes in the schema file,
    # and every migration's copy of the routine, in any migrations folder, is history.
    (tmp_path / "schemas").mkdir()
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    (tmp_path / "demo" / "migrations").mkdir(parents=True)
    (tmp_path / "schemas" / "read_job.sql").write_text(READ_JOB)
    (tmp_path / "supabase" / "migrations" / "0001_read_job.sql").write_text(READ_JOB + "\n" + TOKENS)
    (tmp_path / "demo" / "migrations" / "0001_read_job.sql").write_text(READ_JOB)
    assert check(tmp_path) == [("schemas/read_job.sql", 5), ("supabase/migrations/0001_read_job.sql", 13)]


def test_a_routine_a_later_migration_drops_is_history(tmp_path: Path):
    migrations = tmp_path / "db" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "0001_queue.sql").write_text(READ_JOB + "\n" + TOKENS)
    (migrations / "0002_drop_read_job.sql").write_text('drop function if exists "app"."read_job";\n')
    # a drop in the same file before the definition does not make that definition history
    (migrations / "0003_tokens_again.sql").write_text("drop function app.issue_token;\n" + TOKENS)
    assert check(tmp_path) == [("db/migrations/0003_tokens_again.sql", 5)]
