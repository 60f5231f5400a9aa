"""The `armadilhas` command as a user runs it: a real process, real files, exit codes and output."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXPECTED_RULES = [
    "ARM101", "ARM102", "ARM103", "ARM104", "ARM201", "ARM202",
    "ARM301", "ARM302", "ARM401", "ARM402", "ARM403",
]

WORKER = '''\
import time

import requests

POLL_TIMEOUT = 30


def wait_for_job(job_id):
    deadline = time.time() + POLL_TIMEOUT
    while time.time() < deadline:
        status = requests.get(f"https://jobs.internal/api/{job_id}", timeout=5).json()
        if status["done"]:
            return status
        time.sleep(1)
    raise TimeoutError(job_id)
'''

MIGRATION = '''\
-- Sessões expiram em uma hora
create table public.sessions (
  id uuid primary key,
  expires_at timestamptz not null
);

update public.sessions set expires_at = clock_timestamp() + interval '1 hour' where id = $1;
'''

CLEAN = '''\
import time


def wait_for_job(poll, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if poll():
            return True
        time.sleep(1)
    return False
'''


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "worker.py").write_text(WORKER)
    (tmp_path / "app" / "clean.py").write_text(CLEAN)
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    (tmp_path / "supabase" / "migrations" / "0001_sessions.sql").write_text(MIGRATION)
    (tmp_path / "README.txt").write_text("not code\n")
    return tmp_path


def _json(proc) -> dict:
    return json.loads(proc.stdout)


def test_json_output_contract_and_exit_code(project):
    proc = run("check", ".", "--format", "json", cwd=project)
    assert proc.returncode == 1, proc.stderr
    data = _json(proc)
    assert set(data) == {"version", "findings", "notes"}
    got = [(f["rule"], f["path"], f["line"]) for f in data["findings"]]
    assert ("ARM101", "supabase/migrations/0001_sessions.sql", 7) in got
    assert any(rule == "ARM103" and path == "app/worker.py" for rule, path, _ in got)
    assert not any(path == "app/clean.py" for _, path, _ in got)
    for finding in data["findings"]:
        assert {"rule", "family", "path", "line", "end_line", "col", "end_col", "message",
                "citation", "fingerprint"} <= set(finding)
        assert set(finding["citation"]) == {"skill", "section", "url"}
        assert finding["citation"]["skill"] == "armadilhas-sistemas-distribuidos"
        assert finding["citation"]["url"].startswith("https://github.com/luanpdd/kit-mcp/blob/main/")
    arm101 = next(f for f in data["findings"] if f["rule"] == "ARM101")
    assert arm101["family"] == "wall-clock"
    assert arm101["fix"]["edits"][0]["text"] == "now()"
    assert data["notes"] == []


def test_clean_code_exits_zero(project):
    proc = run("check", "app/clean.py", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("0 findings in 1 files")


def test_text_output_names_place_rule_and_section(project):
    proc = run("check", "supabase", cwd=project)
    assert proc.returncode == 1
    first = proc.stdout.splitlines()[0]
    assert first.startswith("supabase/migrations/0001_sessions.sql:7:")
    assert " ARM101 " in first
    assert "REQ ARMADILHAS-01" in proc.stdout
    assert "\033[" not in proc.stdout  # no colour when not a terminal


def test_select_and_ignore(project):
    only_sql = _json(run("check", ".", "--format", "json", "--select", "ARM1", "--ignore", "ARM103,ARM104", cwd=project))
    assert {f["rule"] for f in only_sql["findings"]} == {"ARM101"}
    none = run("check", ".", "--select", "ARM3", cwd=project)
    assert none.returncode == 0


def test_sarif_is_code_scanning_shaped(project):
    sarif = _json(run("check", ".", "--format", "sarif", cwd=project))
    assert sarif["version"] == "2.1.0"
    run0 = sarif["runs"][0]
    rules = run0["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == EXPECTED_RULES
    assert all(r["helpUri"].startswith("https://") and r["help"]["markdown"] for r in rules)
    result = next(r for r in run0["results"] if r["ruleId"] == "ARM101")
    assert rules[result["ruleIndex"]]["id"] == "ARM101"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 7
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "supabase/migrations/0001_sessions.sql"
    assert result["partialFingerprints"]["armadilhas/v1"]


def test_github_annotations(project):
    proc = run("check", "supabase", "--format", "github", cwd=project)
    line = proc.stdout.splitlines()[0]
    assert line.startswith("::warning file=supabase/migrations/0001_sessions.sql,line=7,endLine=7,")
    assert "title=ARM101" in line


def test_portuguese_messages(project):
    en = _json(run("check", "supabase", "--format", "json", cwd=project))["findings"][0]["message"]
    pt = _json(run("check", "supabase", "--format", "json", "--language", "pt-BR", cwd=project))["findings"][0]["message"]
    assert en != pt and pt


def test_config_file_is_applied_and_validated(project):
    (project / ".github").mkdir()
    config = project / ".github" / "armadilhas.yml"
    config.write_text("exclude: ['supabase/']\n")
    data = _json(run("check", ".", "--format", "json", cwd=project))
    assert not any(f["path"].startswith("supabase/") for f in data["findings"])
    config.write_text("rules:\n  ignroe: [ARM101]\n")
    proc = run("check", ".", cwd=project)
    assert proc.returncode == 2
    assert "rules.ignroe: unknown key" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", "does-not-exist"), "does-not-exist: no such file or directory"),
        (("explain", "ARM999"), "unknown rule 'ARM999'"),
        (("check", ".", "--select", "ARM999"), "--select: unknown rule 'ARM999'"),
        (("check", ".", "--config", "missing.yml"), "config file not found: missing.yml"),
    ],
)
def test_usage_errors_exit_two_without_traceback(project, args, message):
    proc = run(*args, cwd=project)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_rules_and_explain(project):
    listing = run("rules", "--format", "json", cwd=project)
    assert [r["id"] for r in json.loads(listing.stdout)] == EXPECTED_RULES
    page = run("explain", "arm101", cwd=project)
    assert page.returncode == 0
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead",
                    "## When it is fine", "## Reference"):
        assert heading in page.stdout
    assert "#req-armadilhas-01--clock-skew" in page.stdout


def test_unparsable_file_is_a_note_not_a_crash(project):
    (project / "app" / "legacy.py").write_text("import time\nprint 'deadline', time.time()\n")
    data = _json(run("check", "app", "--format", "json", cwd=project))
    notes = [n for n in data["notes"] if n["path"] == "app/legacy.py"]
    assert len(notes) == 1 and "Python 2" in notes[0]["message"]
    assert any(f["path"] == "app/worker.py" for f in data["findings"])


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"})


def test_diff_keeps_only_added_lines(project):
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", ".")
    _git(project, "commit", "-qm", "base")
    _git(project, "checkout", "-qb", "feature")
    migration = project / "supabase" / "migrations" / "0001_sessions.sql"
    migration.write_text(
        MIGRATION + "\ninsert into public.sessions (id, expires_at) values ($1, clock_timestamp() + interval '1 day');\n"
    )
    (project / "supabase" / "migrations" / "0002_new.sql").write_text(
        "update public.sessions set expires_at = clock_timestamp() where id = $1;\n"
    )
    data = _json(run("diff", "--base", "main", "--format", "json", cwd=project))
    got = sorted((f["path"], f["line"]) for f in data["findings"])
    # line 7 of 0001 was already there: the old finding is not reported again.
    assert got == [("supabase/migrations/0001_sessions.sql", 9), ("supabase/migrations/0002_new.sql", 1)]
    bad = run("diff", "--base", "no-such-ref", cwd=project)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
