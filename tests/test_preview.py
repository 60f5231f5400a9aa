"""Preview forms: off by default, switched on by `preview: true` in the config or `--preview`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_repo_config

# A reading against a field of this object plus its setting: the held-instant form (preview; an
# amount named for a lifetime, such as a grace, runs by default since round 20).
HELD_AGE = """\
import time


class Child:
    def transition(self):
        now = time.time()
        if self.state == "starting" and now - self.spawned_at > self.config.warmup:
            self.promote()
"""


def test_preview_is_off_by_default_and_validated():
    assert load_repo_config("").settings.preview is False
    assert load_repo_config("preview: true\n").settings.preview is True
    with pytest.raises(ConfigError, match="preview"):
        load_repo_config("preview: sometimes\n")


def _check(cwd: Path, *flags: str) -> list[tuple[str, str, int]]:
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "check", ".", "--format", "json", *flags], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    return [(f["rule"], f["path"], f["line"]) for f in json.loads(proc.stdout)["findings"]]


def test_the_cli_runs_preview_forms_only_when_asked(tmp_path: Path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "child.py").write_text(HELD_AGE)
    assert _check(tmp_path) == []
    assert _check(tmp_path, "--preview") == [("ARM103", "app/child.py", 6)]
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "armadilhas.yml").write_text("preview: true\n")
    assert _check(tmp_path) == [("ARM103", "app/child.py", 6)]
