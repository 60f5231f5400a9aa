"""The diff layer that keeps every inline comment inside GitHub's hunks."""
from bot.review.diffmap import diff_texts, parse_patch

# A real-shaped patch as GitHub's /pulls/{n}/files returns it: two hunks, adds, deletes, context.
PATCH = """@@ -1,6 +1,7 @@
 import time
+import redis
 
 def acquire(client, name):
-    return client.set(name, 1, nx=True)
+    deadline = time.time() + 30
+    return client.set(name, 1, nx=True, ex=30)
 
@@ -20,3 +21,4 @@ def release(client, name):
     client.delete(name)
+    log.info("released %s", name)
 
 # end
\\ No newline at end of file"""


def test_added_lines_are_right_side_numbers():
    diff = parse_patch(PATCH)
    assert diff.added == {2, 5, 6, 22}


def test_context_lines_are_commentable_but_not_added():
    diff = parse_patch(PATCH)
    assert diff.commentable(1) and not diff.is_added(1)
    assert diff.commentable(7)
    assert not diff.commentable(8)  # between the hunks: GitHub answers 422 here
    assert not diff.commentable(20)
    assert diff.commentable(21) and diff.commentable(24)
    assert not diff.commentable(25)


def test_multi_line_comment_needs_both_ends_in_one_hunk():
    diff = parse_patch(PATCH)
    assert diff.span_commentable(5, 6)
    assert not diff.span_commentable(6, 22)
    assert diff.span_commentable(21, 24)


def test_missing_patch_means_nothing_commentable():
    assert parse_patch(None).added == set()
    assert not parse_patch("").commentable(1)


def test_deleted_lines_that_look_like_headers_are_not_confused():
    patch = "@@ -1,2 +1,2 @@\n--- a SQL comment that was removed\n+++ counter in some DSL\n keep"
    diff = parse_patch(patch)
    assert diff.added == {1}
    assert diff.commentable(2)


def test_own_diff_for_files_github_sent_without_patch():
    base = "a\nb\nc\n"
    head = "a\nb\nNEW\nc\nd\n"
    diff = diff_texts(base, head)
    assert diff.added == {3, 5}
    assert diff.commentable(1)


def test_new_file_without_patch_is_all_added():
    diff = diff_texts(None, "x = 1\ny = 2\n")
    assert diff.added == {1, 2}
