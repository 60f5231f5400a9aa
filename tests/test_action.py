"""The GitHub Action (action.yml): its own shell steps, run as a runner runs them (bash with
`-eo pipefail`, GITHUB_OUTPUT files, `${{ }}` values passed through env), in a temporary git
repository whose pull request adds a pitfall. The install step really pip-installs this checkout."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
STEPS = {step["id"]: step for step in ACTION["runs"]["steps"] if "run" in step}

OLD = '''import time


def legacy(job):
    deadline = time.time() + 30
    return deadline
'''
NEW = '''import time


def wait_for(job, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        time.sleep(0.1)
'''


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env).stdout


def expand(value: str, context: dict) -> str:
    """`${{ a.b.c }}` as the runner expands it, for the few names action.yml uses."""
    def lookup(match):
        node = context
        for part in match.group(1).strip().split("."):
            node = node.get(part, "") if isinstance(node, dict) else ""
        return str(node or "")

    return re.sub(r"\$\{\{(.*?)\}\}", lookup, str(value))


def run_step(step_id: str, cwd: Path, context: dict, tmp: Path) -> tuple[subprocess.CompletedProcess, dict]:
    step = STEPS[step_id]
    assert step["shell"] == "bash"
    assert "${{" not in step["run"], "expressions belong in env:, not in the script (script injection)"
    output = tmp / f"output-{step_id}"
    output.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env.update({key: expand(value, context) for key, value in step.get("env", {}).items()})
    env.update(GITHUB_OUTPUT=str(output), RUNNER_TEMP=str(tmp),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    script = tmp / f"{step_id}.sh"
    script.write_text(step["run"])
    # How the runner runs `shell: bash`.
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return proc, outputs


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("action-install")
    context = {"github": {"action_path": str(ROOT)}, "inputs": {}}
    proc, outputs = run_step("install", tmp, context, tmp)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert Path(outputs["bin"]).is_file()
    return outputs["bin"]


@pytest.fixture
def pull_request(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "legacy.py").write_text(OLD)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "worker.py").write_text(NEW)
    (repo / "legacy.py").write_text(OLD + "\n# touched\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "add a poller")
    return repo, base


def context_for(installed: str, base: str, **inputs) -> dict:
    defaults = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    return {
        "inputs": {**defaults, **inputs},
        "steps": {"install": {"outputs": {"bin": installed}}},
        "github": {"action_path": str(ROOT), "event": {"pull_request": {"base": {"sha": base}}}},
    }


def test_pitfall_on_an_added_line_is_annotated_and_fails_the_step(installed, pull_request, tmp_path):
    repo, base = pull_request
    sarif = tmp_path / "armadilhas.sarif"
    proc, outputs = run_step("run", repo, context_for(installed, base, **{"sarif-file": str(sarif)}), tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    annotations = [line for line in proc.stdout.splitlines() if line.startswith("::")]
    # Only the added poller, not the old deadline in legacy.py (an unchanged line).
    assert len(annotations) == 1, proc.stdout
    assert annotations[0].startswith("::warning file=worker.py,line=5,endLine=5,col=16,endColumn=37,title=ARM103")
    assert outputs["findings"] == "1"
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [
        ("ARM103", 5)]


def test_fail_level_none_only_annotates(installed, pull_request, tmp_path):
    repo, base = pull_request
    proc, outputs = run_step("run", repo, context_for(installed, base, **{"fail-level": "none"}), tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "::warning file=worker.py,line=5" in proc.stdout and outputs["findings"] == "1"


def test_nothing_added_passes(installed, pull_request, tmp_path):
    repo, _ = pull_request
    head = git(repo, "rev-parse", "HEAD").strip()
    proc, outputs = run_step("run", repo, context_for(installed, head), tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "::warning" not in proc.stdout and outputs["findings"] == "0"


def test_bad_inputs_are_clear_errors(installed, pull_request, tmp_path):
    repo, base = pull_request
    proc, _ = run_step("run", repo, context_for(installed, base, **{"fail-level": "error"}), tmp_path)
    assert proc.returncode == 2 and "::error title=armadilhas::fail-level must be warning, notice or none" in proc.stdout
    proc, _ = run_step("run", repo, context_for(installed, base, config="nope.yml"), tmp_path)
    assert proc.returncode == 2 and "config file not found: nope.yml" in proc.stderr
    assert "Traceback" not in proc.stderr
