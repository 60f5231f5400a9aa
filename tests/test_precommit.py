"""The pre-commit hook (.pre-commit-hooks.yaml), through the real `pre-commit try-repo`: pre-commit
clones this repository, builds the hook's virtualenv from it and runs it on the staged files."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")

POLLER = '''import time


def wait_for(job, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        time.sleep(0.1)
'''
MIGRATION = "update sessions set expires_at = clock_timestamp() + interval '1 hour' where id = $1;\n"
UNSTAGED = "import time\n\n\ndef later():\n    deadline = time.time() + 5\n    return deadline\n"

pytestmark = pytest.mark.skipif(not PRE_COMMIT.is_file() or shutil.which("git") is None,
                                reason="pre-commit (the test extra) and git are needed")


def env_for(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(PRE_COMMIT_HOME=str(tmp_path / "cache"), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com", NO_COLOR="1",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return env


def run(args, cwd, env, timeout=300):
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_hook_fails_on_a_staged_pitfall_and_passes_after_fix(tmp_path):
    env = env_for(tmp_path)
    # The committed hook, as users get it (not the working tree's uncommitted changes).
    head = run(["git", "rev-parse", "HEAD"], ROOT, env).stdout.strip()
    try_repo = [str(PRE_COMMIT), "try-repo", str(ROOT), "armadilhas", "--ref", head, "--color", "never"]
    repo = tmp_path / "project"
    repo.mkdir()
    run(["git", "init", "-q", "-b", "main"], repo, env).check_returncode()
    (repo / "poller.py").write_text(POLLER)
    (repo / "0001_sessions.sql").write_text(MIGRATION)
    (repo / "notes.txt").write_text("deadline = time.time() + 30\n")  # not Python: never passed to the hook
    (repo / "later.py").write_text(UNSTAGED)  # not staged: pre-commit does not hand it to the hook
    run(["git", "add", "poller.py", "0001_sessions.sql", "notes.txt"], repo, env).check_returncode()

    failed = run(try_repo, repo, env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "armadilhas" in failed.stdout and "Failed" in failed.stdout
    assert "poller.py:5:16: ARM103" in failed.stdout
    assert "0001_sessions.sql:1:34: ARM101" in failed.stdout
    assert "later.py" not in failed.stdout and "notes.txt" not in failed.stdout

    fixed = run([sys.executable, "-m", "bot.cli", "check", "--fix", "poller.py", "0001_sessions.sql"], repo,
                {**env, "PYTHONPATH": str(ROOT)})
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    run(["git", "add", "poller.py", "0001_sessions.sql"], repo, env).check_returncode()

    passed = run(try_repo, repo, env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
    assert "time.monotonic()" in (repo / "poller.py").read_text()
