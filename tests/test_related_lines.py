"""Related lines: a finding reported on one line whose cause sits on another (ARM201 points at the
unfenced write; the lock is taken a few lines up). A change that touches only the cause, such as a
pull request that wraps existing writes in a new lock, still gets the finding: `armadilhas diff`
keeps it, JSON and SARIF carry the lock's line."""
from __future__ import annotations

import json

from analyzers import Settings, analyze

from .test_cli import _git, run

BEFORE = '''\
import redis

r = redis.Redis()


def rebuild(conn, report_id, value):
    conn.execute("UPDATE reports SET value = %s WHERE id = %s", (value, report_id))
'''

AFTER = '''\
import redis

r = redis.Redis()


def rebuild(conn, report_id, value):
    lock = r.lock("report:%s" % report_id, timeout=30)
    if not lock.acquire(blocking=False):
        return
    conn.execute("UPDATE reports SET value = %s WHERE id = %s", (value, report_id))
    lock.release()
'''

# The same lock with a fencing token: nothing to report, so nothing related either.
FENCED = AFTER.replace(
    '    conn.execute("UPDATE reports SET value = %s WHERE id = %s", (value, report_id))\n',
    '    token = r.incr("report:%s:token" % report_id)\n'
    '    conn.execute("UPDATE reports SET value = %s, fencing_token = %s WHERE id = %s AND fencing_token < %s",\n'
    '                 (value, token, report_id, token))\n',
)

ARM201 = Settings(select=frozenset({"ARM201"}))


def test_the_unfenced_write_carries_the_lock_line():
    report = analyze("app/reports.py", AFTER, ARM201)
    assert [(f.rule, f.line, f.related) for f in report.findings] == [("ARM201", 10, (7,))]
    assert analyze("app/reports.py", FENCED, ARM201).findings == []


def test_a_finding_on_its_own_line_has_no_related_lines():
    report = analyze("app/wait.py", "import time\n\n\ndef wait(limit):\n    end = time.time() + limit\n"
                     "    while time.time() < end:\n        pass\n", Settings(select=frozenset({"ARM103"})))
    assert [f.related for f in report.findings] == [()]


def _repo(tmp_path, text):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "reports.py").write_text(BEFORE)
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "base")
    _git(tmp_path, "checkout", "-qb", "feature")
    (tmp_path / "app" / "reports.py").write_text(text)
    return tmp_path


def test_diff_reports_a_lock_added_around_an_unchanged_write(tmp_path):
    project = _repo(tmp_path, AFTER)
    proc = run("diff", "--base", "main", "--format", "json", "--select", "ARM201", cwd=project)
    data = json.loads(proc.stdout)
    # line 10 (the write) is unchanged; lines 7-9 (taking the lock) are what the change added
    assert [(f["rule"], f["line"], f["related_lines"]) for f in data["findings"]] == [("ARM201", 10, [7])]
    sarif = json.loads(run("diff", "--base", "main", "--format", "sarif", "--select", "ARM201", cwd=project).stdout)
    (result,) = sarif["runs"][0]["results"]
    assert [loc["physicalLocation"]["region"]["startLine"] for loc in result["relatedLocations"]] == [7]


def test_diff_stays_quiet_when_the_added_lock_is_fenced(tmp_path):
    project = _repo(tmp_path, FENCED)
    proc = run("diff", "--base", "main", "--format", "json", "--select", "ARM201", cwd=project)
    assert proc.returncode == 0 and json.loads(proc.stdout)["findings"] == []


def _scorer():
    """bench/realworld/score.py, the real-code scorer, loaded from its file (it is a script)."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "bench" / "realworld" / "score.py"
    spec = importlib.util.spec_from_file_location("realworld_score", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up there
    spec.loader.exec_module(sys.modules[spec.name])
    return sys.modules[spec.name]


def test_the_scorer_counts_a_finding_for_a_site_at_its_related_line():
    # a labeller marks the lock acquisition (line 7); the finding sits at the guarded write (line 10)
    score = _scorer()
    finding = analyze("app/reports.py", AFTER, ARM201).findings[0]
    at_lock = score.Site("p", "app/reports.py", 7, (), "unfenced-lock", "ARM201", "TRUE", "")
    assert score.closest_site([at_lock], finding) is at_lock
    # without the related line, the lock is 3 lines off the write: still within tolerance, so move it
    far = AFTER.replace("        return\n", "        return\n    # three lines of\n    # other work\n    # here\n")
    finding = analyze("app/reports.py", far, ARM201).findings[0]
    assert (finding.line, finding.related) == (13, (7,))
    assert score.closest_site([at_lock], finding) is at_lock
    other_family = score.Site("p", "app/reports.py", 7, (), "wall-clock", "ARM103", "TRUE", "")
    unrelated = score.Site("p", "app/reports.py", 2, (), "unfenced-lock", "ARM201", "TRUE", "")
    assert score.closest_site([other_family, unrelated], finding) is None


def test_the_scorer_prefers_the_closest_site_and_a_true_one_on_a_tie():
    score = _scorer()
    finding = analyze("app/reports.py", AFTER, ARM201).findings[0]  # line 10, related (7,)
    near = score.Site("p", "app/reports.py", 10, (), "unfenced-lock", "ARM201", "NEAR", "")
    lock = score.Site("p", "app/reports.py", 7, (), "unfenced-lock", "ARM201", "TRUE", "")
    assert score.closest_site([lock, near], finding) is lock  # both 0 lines away (lock via related): TRUE wins
    later = score.Site("p", "app/reports.py", 12, (), "unfenced-lock", "ARM201", "TRUE", "")
    assert score.closest_site([later, near], finding) is near  # 0 lines against 2
    tie_near = score.Site("p", "app/reports.py", 9, (), "unfenced-lock", "ARM201", "NEAR", "")
    tie_true = score.Site("p", "app/reports.py", 11, (), "unfenced-lock", "ARM201", "TRUE", "")
    assert score.closest_site([tie_near, tie_true], finding) is tie_true
