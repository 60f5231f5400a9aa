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


def test_a_definition_in_another_folder_is_not_history(tmp_path: Path):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "migrations").mkdir()
    (tmp_path / "schemas" / "read_job.sql").write_text(READ_JOB)
    (tmp_path / "migrations" / "0001_read_job.sql").write_text(READ_JOB)
    assert check(tmp_path) == [("migrations/0001_read_job.sql", 5), ("schemas/read_job.sql", 5)]
