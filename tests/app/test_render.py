"""Comment text: suggestion blocks only when the fix stays inside the commented lines."""
from analyzers.citations import citation_for
from analyzers.model import Edit, Finding, Fix
from bot.review import render

TEXT = '''import time


def wait(job):
    deadline = time.time() + 30
    while time.time() < deadline:
        time.sleep(1)
'''


def finding(line=5, end_line=5, fix=None) -> Finding:
    return Finding(rule="ARM401", family="non-idempotent", path="w.py", line=line, end_line=end_line, col=16,
                   end_col=27, message="msg", citation=citation_for("non-idempotent"), fingerprint="0123456789abcdef",
                   fix=fix)


def edit_replacing(text, old, new, nth=0):
    start = -1
    for _ in range(nth + 1):
        start = text.index(old, start + 1)
    return Edit(start, start + len(old), new)


def test_suggestion_replaces_exactly_the_commented_line():
    fix = Fix("use monotonic", (edit_replacing(TEXT, "time.time()", "time.monotonic()"),))
    s = render.suggestion_for(finding(fix=fix), TEXT, 5, 5)
    assert s.replacement == "    deadline = time.monotonic() + 30"
    body = render.comment_body(finding(fix=fix), "en", "https://x/skill.md#a", s, fix.description)
    assert "```suggestion\n    deadline = time.monotonic() + 30\n```" in body
    assert render.fingerprint_of(body) == "0123456789abcdef"


def test_no_suggestion_when_an_edit_leaves_the_commented_lines():
    fix = Fix("two places", (edit_replacing(TEXT, "time.time()", "time.monotonic()"),
                             edit_replacing(TEXT, "time.time()", "time.monotonic()", nth=1)))
    assert render.suggestion_for(finding(fix=fix), TEXT, 5, 5) is None
    # Spanning both lines in one multi-line comment, the same fix fits.
    s = render.suggestion_for(finding(line=5, end_line=6, fix=fix), TEXT, 5, 6)
    assert s.replacement.splitlines() == ["    deadline = time.monotonic() + 30",
                                          "    while time.monotonic() < deadline:"]


def test_fixed_reply_and_markers_round_trip():
    reply = render.fixed_reply("ARM103", "00ff00ff00ff00ff", "a" * 40, "pt-BR")
    assert reply.startswith("✅ Corrigido: `ARM103`") and "aaaaaaa" in reply
    assert render.fixed_marker_of(reply) == "00ff00ff00ff00ff"
    assert render.fingerprint_of(reply) is None


def test_check_output_columns_only_on_single_line_findings():
    out = render.check_output([finding(), finding(line=5, end_line=7)], ["`x.sql`: not analysed"], [], "en")
    single, multi = out["annotations"]
    assert (single["start_column"], single["end_column"]) == (16, 27)
    assert "start_column" not in multi and multi["end_line"] == 7
    assert out["title"] == "2 pitfalls found" and "`x.sql`: not analysed" in out["summary"]
