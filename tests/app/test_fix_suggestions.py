"""Deterministic fixes become suggestion blocks over exactly the lines they edit, byte for byte,
posted through the real PyGithub client to the fake GitHub (which checks lines against the diff)."""
from analyzers.citations import citation_for
from analyzers.model import Edit, Finding, Fix
from bot.review import render
from bot.review.job import Reviewer, ReviewRequest

from .conftest import INSTALLATION, REPO

WAIT = '''import time


def wait_for(job, timeout=30):
    deadline = time.time() + timeout\t
    while time.time() < deadline:
        time.sleep(0.1)
'''


def test_a_fix_over_two_lines_becomes_a_two_line_suggestion(app_world, github_gateway):
    pull = app_world.fake.add_pull(REPO, 1, head_files={"wait.py": WAIT})
    Reviewer(github_gateway.installation(INSTALLATION)).run(ReviewRequest(INSTALLATION, REPO, 1, pull.head_sha))
    [comment] = app_world.fake.review_comments(REPO, 1)
    # The finding is on line 5; its fix also edits line 6: the comment spans 5-6 and the block
    # holds both lines exactly (the trailing tab included).
    assert (comment.get("start_line"), comment["line"]) == (5, 6)
    assert ("```suggestion\n    deadline = time.monotonic() + timeout\t\n"
            "    while time.monotonic() < deadline:\n```") in comment["body"]


def finding(line: int, fix: Fix) -> Finding:
    return Finding(rule="ARM103", family="wall-clock", path="w.py", line=line, end_line=line, col=1, end_col=2,
                   message="m", citation=citation_for("wall-clock-expiry"), fingerprint="00112233aabbccdd", fix=fix)


def test_fence_is_longer_than_any_backticks_in_the_code():
    text = 'doc = """```sql\nselect 1\n````"""\nx = time.time()\n'
    start = text.index("doc")
    fix = Fix("f", (Edit(start + 6, start + 9, "''' "),))
    s = render.suggestion_for(finding(1, fix), text, 1, 3)
    assert s.block.startswith("`````suggestion\n") and s.block.endswith("\n`````")
    body = render.comment_body(finding(1, fix), "en", "https://x/s.md#a", s, "f")
    assert "`````suggestion\ndoc = ''' ```sql\nselect 1\n````\"\"\"\n`````" in body


def test_a_fix_that_deletes_lines_gives_an_empty_block():
    text = "a = 1\nb = 2\nc = 3\n"
    fix = Fix("drop b", (Edit(6, 12, ""),))
    assert render.edited_lines(text, fix.edits) == (2, 2)
    s = render.suggestion_for(finding(2, fix), text, 2, 2)
    assert s.delete and s.block == "```suggestion\n```"


def test_edited_lines_of_insertions_and_whole_lines():
    text = "a\nbb\nccc\n"
    assert render.edited_lines(text, (Edit(2, 2, "x"),)) == (2, 2)  # an insertion at a line's start
    assert render.edited_lines(text, (Edit(2, 5, "dd\n"),)) == (2, 2)  # a whole line with its newline
    assert render.edited_lines(text, (Edit(0, 1, "A"), Edit(6, 7, "C"))) == (1, 3)
