"""A pull request that adds a lock around writes it does not touch: ARM201 is reported at the
unfenced write, which is outside the diff, so the inline comment goes on the lock the PR added
(Finding.related). Driven through the fake GitHub with the real PyGithub client."""
from .conftest import REPO

BASE = '''import redis

r = redis.Redis()


def rebuild(conn, report_id, value):
    rows = conn.execute("SELECT count(*) FROM report_rows WHERE report_id = %s", (report_id,))
    total = rows.fetchone()[0]
    average = value / max(total, 1)
    label = "report:%s" % report_id
    audit = (label, average)
    conn.execute("UPDATE reports SET value = %s WHERE id = %s", (average, report_id))
    return audit
'''

LOCK = '''    lock = r.lock("report:%s" % report_id, timeout=30)
    if not lock.acquire(blocking=False):
        return None
'''
HEAD = BASE.replace("def rebuild(conn, report_id, value):\n", "def rebuild(conn, report_id, value):\n" + LOCK)


def test_a_lock_added_above_unchanged_writes_gets_its_comment_on_the_lock(app_world):
    fake = app_world.fake
    app_world.open_pull(1, base_files={"reports.py": BASE}, head_files={"reports.py": HEAD})
    app_world.work()
    comments = [(c["path"], c["line"]) for c in fake.review_comments(REPO, 1) if "ARM201" in c["body"]]
    # the write is line 15 of the head, outside the hunk (lines 4-12); the lock is line 7
    assert comments == [("reports.py", 7)]
    [body] = [c["body"] for c in fake.review_comments(REPO, 1) if "ARM201" in c["body"]]
    assert "line 15" in body


def test_the_same_writes_without_a_new_lock_get_no_comment(app_world):
    fake = app_world.fake
    app_world.open_pull(1, base_files={"reports.py": HEAD}, head_files={"reports.py": HEAD + "\n\n# touched\n"})
    app_world.work()
    assert [c for c in fake.review_comments(REPO, 1) if "ARM201" in c["body"]] == []
