"""Test code is unreported unless a repository opts in; findings carry a confidence that every
output format shows and that the App's inline comments respect."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import analyzers
from analyzers import Settings
from analyzers.citations import citation_for
from analyzers.model import Finding
from analyzers.paths import is_test_path
from bot.config import ConfigError, load_repo_config
from bot.output import github as github_fmt
from bot.output import jsonfmt, sarif, text
from bot.review import render
from bot.scan import ScanResult

WAIT_LOOP = '''\
import time


def wait_until_ready(probe):
    deadline = time.time() + 30
    while time.time() < deadline:
        if probe():
            return
        time.sleep(0.1)
'''


@pytest.mark.parametrize("path", [
    "tests/test_worker.py", "app/tests/helpers.py", "test/util.py", "test_worker.py",
    "pkg/worker_test.py", "conftest.py", "src/pkg/conftest.py",
])
def test_test_paths(path):
    assert is_test_path(path)


@pytest.mark.parametrize("path", [
    "app/worker.py", "contest.py", "app/testing_utils.py", "latest/worker.py", "app/attest/x.py",
    "protests/x.py", "app/test_data.sql",
])
def test_not_test_paths(path):
    assert not is_test_path(path)


def test_test_code_is_not_reported_by_default():
    assert analyzers.analyze("tests/test_worker.py", WAIT_LOOP).findings == []
    assert analyzers.analyze("pkg/conftest.py", WAIT_LOOP).findings == []
    assert [f.line for f in analyzers.analyze("app/worker.py", WAIT_LOOP).findings] == [5]


def test_a_repository_can_opt_in_to_test_code():
    config = load_repo_config("include_tests: true\n")
    assert config.settings.include_tests
    report = analyzers.analyze("tests/test_worker.py", WAIT_LOOP, config.settings)
    assert [(f.rule, f.line) for f in report.findings] == [("ARM103", 5)]
    data = analyzers.analyze_bytes("tests/test_worker.py", WAIT_LOOP.encode(), config.settings)
    assert [(f.rule, f.line) for f in data.findings] == [("ARM103", 5)]


def test_confidence_config_is_validated():
    assert load_repo_config("").review.min_confidence == "high"
    assert load_repo_config("review:\n  min_confidence: medium\n").review.min_confidence == "medium"
    with pytest.raises(ConfigError, match="review.min_confidence"):
        load_repo_config("review:\n  min_confidence: low\n")
    with pytest.raises(ConfigError, match="include_tests"):
        load_repo_config("include_tests: yes please\n")


def _finding(confidence: str, line: int = 5) -> Finding:
    return Finding(rule="ARM103", family="wall-clock", path="app/w.py", line=line, end_line=line, col=16,
                   end_col=27, message="msg", citation=citation_for("wall-clock-expiry"),
                   fingerprint=f"{line:016x}", confidence=confidence)


def _result(*findings: Finding) -> ScanResult:
    return ScanResult(findings=list(findings), notes=[], files=1, lines=10)


def test_every_output_format_shows_the_confidence():
    high, medium = _finding("high", 5), _finding("medium", 6)
    data = json.loads(jsonfmt.render(_result(high, medium), "1"))
    assert [f["confidence"] for f in data["findings"]] == ["high", "medium"]

    results = json.loads(sarif.render(_result(high, medium), "1"))["runs"][0]["results"]
    assert [(r["level"], r["properties"]["confidence"]) for r in results] == [("warning", "high"), ("note", "medium")]

    lines = github_fmt.render(_result(high, medium)).splitlines()
    assert lines[0].startswith("::warning ") and lines[1].startswith("::notice ")

    out = text.render(_result(high, medium), color=False)
    assert "ARM103 msg" in out.splitlines()[0]
    assert "ARM103 [medium confidence] msg" in out


def test_check_run_lists_medium_findings_as_notices():
    out = render.check_output([_finding("high", 5), _finding("medium", 9)], [], [], "en")
    levels = [(a["start_line"], a["annotation_level"]) for a in out["annotations"]]
    assert levels == [(5, "warning"), (9, "notice")]
    assert out["annotations"][1]["title"].endswith("(medium confidence)")
    assert "Medium-confidence findings" in out["summary"] and "`app/w.py:9`" in out["summary"]
    assert "`app/w.py:5`" not in out["summary"]


def test_cli_does_not_report_test_files_in_a_tree(tmp_path: Path):
    (tmp_path / "app").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "app" / "worker.py").write_text(WAIT_LOOP)
    (tmp_path / "tests" / "test_worker.py").write_text(WAIT_LOOP)
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "check", ".", "--format", "json"], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert [(f["path"], f["line"]) for f in json.loads(proc.stdout)["findings"]] == [("app/worker.py", 5)]
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "armadilhas.yml").write_text("include_tests: true\n")
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "check", ".", "--format", "json"], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=120)
    paths = sorted(f["path"] for f in json.loads(proc.stdout)["findings"])
    assert paths == ["app/worker.py", "tests/test_worker.py"]
