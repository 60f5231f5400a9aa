"""`armadilhas check --fix / --diff / --unsafe-fixes`: real processes on real files, and the fixing
engine (bot/fixes.py) with the real analyzers (wrapped, where a test needs a fix they do not make)."""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import analyzers
from analyzers import Edit, Finding, Fix, Settings
from analyzers.citations import citation_for
from bot.fixes import MAX_ROUNDS, fix_text

WORKER = '''\
import time

import requests


def wait_for_job(job_id, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if requests.get(f"https://jobs.internal/{job_id}", timeout=5).json()["done"]:
            return True
        time.sleep(1)
    return False
'''

MIGRATION = '''\
-- Sessões expiram em uma hora
update public.sessions set expires_at = clock_timestamp() + interval '1 hour' where id = $1;
'''

UNFIXABLE = '''\
import stripe


def charge(order):
    return stripe.PaymentIntent.create(amount=order.total_cents, currency="brl", customer=order.customer_id)
'''


def run(*args, cwd):
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}, timeout=120)


def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "worker.py").write_text(WORKER, encoding="utf-8")
    (tmp_path / "app" / "billing.py").write_text(UNFIXABLE, encoding="utf-8")
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001.sql").write_text(MIGRATION, encoding="utf-8")
    return tmp_path


def findings(path: Path, root: Path) -> list:
    return analyzers.analyze(path.relative_to(root).as_posix(), path.read_text(encoding="utf-8"), Settings()).findings


def test_fix_repairs_the_fixable_findings_in_place_and_they_reanalyse_clean(tmp_path):
    root = project(tmp_path)
    before = {p: findings(p, root) for p in root.rglob("*.*")}
    assert {f.rule for fs in before.values() for f in fs} >= {"ARM101", "ARM103", "ARM401"}
    done = run("check", ".", "--fix", "--format", "json", cwd=root)
    assert done.returncode == 1, done.stderr  # ARM401 has no fix: it remains
    report = json.loads(done.stdout)
    assert [f["rule"] for f in report["findings"]] == ["ARM401"]
    assert "applied 2 fixes in 2 file(s), 1 finding(s) remaining" in done.stderr
    worker = (root / "app" / "worker.py").read_text(encoding="utf-8")
    assert "deadline = time.monotonic() + timeout" in worker and "while time.monotonic() < deadline" in worker
    assert "time.sleep(1)" in worker  # only the flagged readings changed
    assert "expires_at = now() + interval '1 hour'" in (root / "migrations" / "0001.sql").read_text(encoding="utf-8")
    assert findings(root / "app" / "worker.py", root) == []
    assert findings(root / "migrations" / "0001.sql", root) == []
    # A second run has nothing left to fix and leaves the files alone.
    again = run("check", ".", "--diff", cwd=root)
    assert again.returncode == 0 and again.stdout == ""


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path):
    root = project(tmp_path)
    done = run("check", "app", "migrations", "--diff", cwd=root)
    assert done.returncode == 1, done.stderr
    assert "--- a/app/worker.py\n+++ b/app/worker.py\n" in done.stdout
    assert ("-    deadline = time.time() + timeout\n-    while time.time() < deadline:\n"
            "+    deadline = time.monotonic() + timeout\n+    while time.monotonic() < deadline:\n") in done.stdout
    assert "+update public.sessions set expires_at = now() + interval '1 hour' where id = $1;" in done.stdout
    assert (root / "app" / "worker.py").read_text(encoding="utf-8") == WORKER
    # The diff applies cleanly with git and gives what --fix would write.
    patch = tmp_path / "fix.patch"
    patch.write_text(done.stdout, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "apply", "--unsafe-paths", str(patch)], cwd=root, check=True)
    assert findings(root / "app" / "worker.py", root) == []


def test_json_and_sarif_show_applicability(tmp_path):
    root = project(tmp_path)
    data = json.loads(run("check", "app/worker.py", "--format", "json", cwd=root).stdout)
    assert data["findings"][0]["fix"]["applicability"] == "safe"
    sarif = json.loads(run("check", "migrations", "--format", "sarif", cwd=root).stdout)
    [result] = sarif["runs"][0]["results"]
    [fix] = result["fixes"]
    assert fix["properties"]["applicability"] == "safe"
    [replacement] = fix["artifactChanges"][0]["replacements"]
    text = MIGRATION
    start = replacement["deletedRegion"]["charOffset"]
    assert text[start : start + replacement["deletedRegion"]["charLength"]] == "clock_timestamp()"
    assert replacement["insertedContent"]["text"] == "now()"


def test_line_endings_bom_and_encoding_survive(tmp_path):
    source = "# -*- coding: latin-1 -*-\r\nimport time\r\n# café\r\n\r\ndef f(t):\r\n" \
             "    deadline = time.time() + t\r\n    while time.time() < deadline:\r\n        pass\r\n"
    path = tmp_path / "legacy.py"
    path.write_bytes(source.encode("latin-1"))
    bom = tmp_path / "bom.sql"
    bom.write_bytes("\ufeffupdate s set expires_at = clock_timestamp() + interval '1 hour';\r\n".encode("utf-8"))
    done = run("check", ".", "--fix", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert path.read_bytes() == source.replace("time.time()", "time.monotonic()").encode("latin-1")
    assert bom.read_bytes() == "\ufeffupdate s set expires_at = now() + interval '1 hour';\r\n".encode("utf-8")


# -- the engine, with the real analyzers wrapped to produce fixes they do not make yet ----------------
def rewriting(change):
    """The real analyzer, with each finding's fix passed through `change(finding, text)`."""
    def analyze(path, text, settings):
        report = analyzers.analyze(path, text, settings)
        report.findings = [dataclasses.replace(f, fix=change(f, text)) for f in report.findings]
        return report
    return analyze


SQL = ("update s set expires_at = clock_timestamp() + interval '1 h', "
       "lease_until = clock_timestamp() + interval '2 h';\n")


def test_unsafe_fixes_only_with_the_flag():
    unsafe = rewriting(lambda f, text: f.fix and dataclasses.replace(f.fix, applicability="unsafe"))
    skipped = fix_text("m.sql", SQL, Settings(), analyze=unsafe)
    assert not skipped.changed and skipped.unsafe_skipped == 2
    applied = fix_text("m.sql", SQL, Settings(), analyze=unsafe, unsafe=True)
    assert applied.fixed.count("now()") == 2 and len(applied.applied) == 2 and applied.remaining == []


def test_overlapping_fixes_are_applied_over_several_rounds():
    def whole_line(f, text):
        # Each fix rewrites the whole statement line: the two findings' edits overlap.
        if f.fix is None:
            return None
        start = text.rfind("\n", 0, f.fix.edits[0].start) + 1
        end = text.index("\n", f.fix.edits[0].start)
        line = analyzers.apply_edits(text[start:end], [Edit(e.start - start, e.end - start, e.text)
                                                       for e in f.fix.edits])
        return dataclasses.replace(f.fix, edits=(Edit(start, end, line),))

    result = fix_text("m.sql", SQL, Settings(), analyze=rewriting(whole_line))
    assert result.fixed == SQL.replace("clock_timestamp()", "now()")
    assert [f.rule for f in result.applied] == ["ARM101", "ARM101"]  # one per round, re-analysed in between
    assert result.notes == []


def test_a_fix_that_breaks_the_code_leaves_the_file_untouched_with_a_note():
    broken = rewriting(lambda f, text: f.fix and dataclasses.replace(
        f.fix, edits=(Edit(f.fix.edits[0].start, f.fix.edits[0].end, "monotonic("),)))
    result = fix_text("w.py", WORKER, Settings(), analyze=broken)
    assert not result.changed
    [note] = result.notes
    assert "file left unchanged" in note.message and "does not parse" in note.message
    assert [f.rule for f in result.remaining] == ["ARM103"]


def test_a_fix_that_keeps_the_pitfall_leaves_the_file_untouched_with_a_note():
    # Rewrites `time.time()` as `time.time ()`: parses, and is still a wall-clock deadline.
    same = rewriting(lambda f, text: f.fix and dataclasses.replace(
        f.fix, edits=tuple(Edit(e.start, e.end, "time ") for e in f.fix.edits)))
    result = fix_text("w.py", WORKER, Settings(), analyze=same)
    assert not result.changed
    assert "ARM103 is still reported at line 7" in result.notes[0].message


def test_a_fix_loop_that_never_settles_is_bounded():
    # Two fixes that undo each other: ARM101 turns clock_timestamp() into now(), and a made-up
    # finding turns now() back. Each round is valid on its own; the rounds are capped.
    calls = []

    def flipping(path, text, settings):
        calls.append(1)
        report = analyzers.analyze(path, text, settings)
        at = text.find("now()")
        if at >= 0:
            report.findings.append(Finding(
                rule="ARM102", family="wall-clock", path=path, line=2, end_line=2, col=1, end_col=2, message="m",
                citation=citation_for("wall-clock-ordering"), fix=Fix("back", (Edit(at, at + 5, "clock_timestamp()"),))))
        return report

    result = fix_text("m.sql", MIGRATION, Settings(), analyze=flipping)
    assert not result.changed and "did not settle" in result.notes[0].message
    assert len(calls) == MAX_ROUNDS + 1


def test_bad_invocations_are_clear_errors(tmp_path):
    done = run("check", "missing.py", "--fix", cwd=tmp_path)
    assert done.returncode == 2 and "no such file" in done.stderr and "Traceback" not in done.stderr
    done = run("check", ".", "--unsafe-fixes", cwd=tmp_path)
    assert done.returncode == 2 and "--unsafe-fixes goes with --fix or --diff" in done.stderr
    done = run("diff", "--fix", cwd=tmp_path)
    assert done.returncode == 2 and "unrecognized arguments: --fix" in done.stderr
