"""`armadilhas check` builds the project index from the files it is about to analyse: a clock
helper of another module is a certain reading, found across files and across worker processes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

STAMPS = '''\
from datetime import datetime, timedelta, timezone


def moment():
    return datetime.now(timezone.utc)


def grace_end(days):
    return moment() + timedelta(days=days)
'''

TRIALS = '''\
from .stamps import grace_end


def start_trial(account):
    account.trial_ends = grace_end(14)
    account.save()
'''

FILLER = "def helper_{n}(x):\n    return x + {n}\n"


def run(*args: str, cwd: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "bot.cli", *args, "--format", "json"], cwd=cwd,
                          capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def _tree(root: Path, filler: int = 0) -> None:
    (root / "billing").mkdir()
    (root / "billing" / "__init__.py").write_text("")
    (root / "billing" / "stamps.py").write_text(STAMPS)
    (root / "billing" / "trials.py").write_text(TRIALS)
    for n in range(filler):  # enough files to analyse in worker processes
        (root / "billing" / f"filler_{n}.py").write_text(FILLER.format(n=n))


def test_check_follows_a_helper_into_another_module(tmp_path):
    _tree(tmp_path)
    data = run("check", ".", cwd=tmp_path)
    got = [(f["rule"], f["path"], f["line"], f["confidence"]) for f in data["findings"]]
    assert ("ARM104", "billing/trials.py", 5, "high") in got


def test_check_in_parallel_workers_sees_the_same_index(tmp_path):
    _tree(tmp_path, filler=60)
    data = run("check", ".", "--jobs", "2", cwd=tmp_path)
    got = [(f["rule"], f["path"], f["line"]) for f in data["findings"]]
    assert ("ARM104", "billing/trials.py", 5) in got


def test_checking_one_file_alone_knows_only_that_file(tmp_path):
    _tree(tmp_path)
    data = run("check", "billing/trials.py", cwd=tmp_path)
    assert [f for f in data["findings"] if f["path"] == "billing/trials.py"] == []


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"})


def test_diff_reads_the_unchanged_modules_a_changed_file_imports(tmp_path):
    (tmp_path / "billing").mkdir()
    (tmp_path / "billing" / "__init__.py").write_text("")
    (tmp_path / "billing" / "stamps.py").write_text(STAMPS)
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "base")
    _git(tmp_path, "checkout", "-qb", "feature")
    (tmp_path / "billing" / "trials.py").write_text(TRIALS)
    data = run("diff", "--base", "main", cwd=tmp_path)
    got = [(f["rule"], f["path"], f["line"], f["confidence"]) for f in data["findings"]]
    assert got == [("ARM104", "billing/trials.py", 5, "high")]
