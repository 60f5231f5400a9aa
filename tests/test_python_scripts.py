"""Python scripts without a `.py` suffix (`bin/worker`, `scripts/reaper`): read when their first line
is a Python shebang, by `analyze`/`analyze_bytes` and by the CLI's walk and `diff`; other files
without an extension (shell scripts, `Makefile`) stay unread. Read in round 23's misses: a labelled
deadline in a `runner` script was missed because no entry point opened it."""
from __future__ import annotations

import json

from analyzers import Settings, analyze, analyze_bytes, language_of, python_script

from .test_cli import _git, run

WAIT = "import time\n\n\ndef wait(limit):\n    end = time.time() + limit\n    while time.time() < end:\n        pass\n"
CLOCK = Settings(select=frozenset({"ARM103"}))


def test_shebang_makes_an_extensionless_file_python():
    script = "#!/usr/bin/env python3\n" + WAIT
    assert [(f.rule, f.line) for f in analyze("bin/worker", script, CLOCK).findings] == [("ARM103", 6)]
    assert [(f.rule, f.line) for f in analyze_bytes("bin/worker", script.encode(), CLOCK).findings] == [("ARM103", 6)]
    assert python_script("bin/worker", "#!/usr/bin/python2.7 -u\n") and python_script("w", b"#!/usr/bin/python\n")


def test_look_alikes_stay_unread():
    assert analyze("bin/worker", "#!/bin/sh\n" + WAIT, CLOCK).findings == []  # a shell shebang
    assert analyze("bin/worker", WAIT, CLOCK).findings == []  # no shebang: unknown
    assert analyze("bin/worker.sh", "#!/usr/bin/env python3\n" + WAIT, CLOCK).findings == []  # an extension rules
    assert not python_script("bin/x", "#!/usr/bin/pythonista\n") and not python_script("x", "import os\n#!python\n")
    assert language_of("bin/worker") is None  # without its text nothing is guessed


def test_cli_check_and_diff_read_python_scripts(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "worker").write_text("#!/usr/bin/env python3\n" + WAIT)
    (tmp_path / "bin" / "run").write_text("#!/bin/sh\n" + WAIT)
    (tmp_path / "Makefile").write_text("all:\n\tpython -m shop\n")
    proc = run("check", ".", "--format", "json", "--select", "ARM103", cwd=tmp_path)
    assert [(f["path"], f["rule"], f["line"]) for f in json.loads(proc.stdout)["findings"]] == [("bin/worker", "ARM103", 6)]
    assert proc.returncode == 1
    # `diff`: the script added on a branch is reviewed like any changed Python file
    (tmp_path / "bin" / "worker").unlink()
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "base")
    _git(tmp_path, "checkout", "-qb", "feature")
    (tmp_path / "bin" / "reaper").write_text("#!/usr/bin/python3\n" + WAIT)
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "reaper")
    proc = run("diff", "--base", "main", "--format", "json", "--select", "ARM103", cwd=tmp_path)
    assert [(f["path"], f["line"]) for f in json.loads(proc.stdout)["findings"]] == [("bin/reaper", 6)]
