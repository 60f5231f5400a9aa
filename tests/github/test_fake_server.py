"""The fake GitHub itself, over raw HTTP: what it must answer like GitHub so the App's tests mean
something (JWT checks, hunk validation, pagination, limits, headers, injected faults)."""
from __future__ import annotations

import base64
import time

import jwt
import pytest
import requests

from tests.fakegithub.diffing import hunk_map, unified_patch
from tests.fakegithub.fixtures import APP_ID

REPO = "acme/shop"
BASE_TEXT = "".join(f"line {i}\n" for i in range(1, 31))
HEAD_TEXT = BASE_TEXT.replace("line 3\n", "line three\n").replace("line 25\n", "line 25\nline 25b\n")


def app_jwt(key: str, *, iss=APP_ID, iat_offset=-60, exp_offset=300) -> str:
    now = int(time.time())
    return jwt.encode({"iat": now + iat_offset, "exp": now + exp_offset, "iss": str(iss)}, key, algorithm="RS256")


@pytest.fixture
def world(fake_github):
    fake_github.add_installation(5, repos=[REPO])
    fake_github.set_files(REPO, {"shop/orders.py": BASE_TEXT, "shop/__init__.py": "", "docs/a.md": "# a\n"})
    fake_github.add_pull(REPO, 3, head_files={"shop/orders.py": HEAD_TEXT})
    return fake_github


@pytest.fixture
def api(world, app_private_key):
    token = requests.post(f"{world.base_url}/app/installations/5/access_tokens",
                          headers={"Authorization": f"Bearer {app_jwt(app_private_key)}"}).json()["token"]
    session = requests.Session()
    session.headers["Authorization"] = f"token {token}"

    def call(method: str, path: str, **kwargs) -> requests.Response:
        return session.request(method, world.base_url + path, **kwargs)

    yield call
    session.close()


def test_patch_is_git_style_with_two_hunks():
    patch = unified_patch(BASE_TEXT, HEAD_TEXT)
    assert patch.split("\n")[0] == "@@ -1,6 +1,6 @@"
    assert "@@ -23,6 +23,7 @@" in patch
    hunks = hunk_map(patch)
    assert hunks.hunk_of("RIGHT", 3) == 0 and hunks.hunk_of("RIGHT", 26) == 1
    assert hunks.hunk_of("RIGHT", 12) is None
    assert hunks.hunk_of("LEFT", 3) == 0


def test_missing_final_newline_is_marked_like_git():
    assert unified_patch("a\n", "a\nb") == "@@ -1 +1,2 @@\n a\n+b\n\\ No newline at end of file"


def test_access_token_needs_a_valid_app_jwt(world, app_private_key):
    url = f"{world.base_url}/app/installations/5/access_tokens"
    expired = app_jwt(app_private_key, iat_offset=-900, exp_offset=-300)
    answer = requests.post(url, headers={"Authorization": f"Bearer {expired}"})
    assert answer.status_code == 401
    assert answer.json()["message"] == ("'Expiration time' claim ('exp') must be a numeric value representing the "
                                        "future time at which the assertion expires")
    wrong_app = requests.post(url, headers={"Authorization": f"Bearer {app_jwt(app_private_key, iss=999)}"})
    assert wrong_app.status_code == 401
    assert requests.post(url, headers={"Authorization": "Bearer not-a-jwt"}).status_code == 401
    ok = requests.post(url, headers={"Authorization": f"Bearer {app_jwt(app_private_key)}"})
    assert ok.status_code == 201 and ok.json()["token"].startswith("ghs_")
    unknown = requests.post(f"{world.base_url}/app/installations/6/access_tokens",
                            headers={"Authorization": f"Bearer {app_jwt(app_private_key)}"})
    assert unknown.status_code == 404


def test_token_cannot_widen_permissions(world, app_private_key):
    answer = requests.post(f"{world.base_url}/app/installations/5/access_tokens",
                           headers={"Authorization": f"Bearer {app_jwt(app_private_key)}"},
                           json={"permissions": {"administration": "write"}})
    assert answer.status_code == 422
    assert answer.json()["message"] == "The permissions requested are not granted to this installation."


def test_every_answer_carries_rate_limit_headers(api, world):
    for answer in (api("GET", f"/repos/{REPO}/pulls/3"), api("GET", f"/repos/{REPO}/pulls/99")):
        assert answer.headers["x-ratelimit-limit"] == "5000"
        assert int(answer.headers["x-ratelimit-reset"]) > time.time()
        assert answer.headers["x-ratelimit-resource"] == "core"
    assert api("GET", f"/repos/{REPO}/pulls/99").status_code == 404
    remaining = [int(api("GET", f"/repos/{REPO}/pulls/3").headers["x-ratelimit-remaining"]) for _ in range(2)]
    assert remaining[1] == remaining[0] - 1
    assert api("GET", "/rate_limit").json()["resources"]["core"]["remaining"] == remaining[1]


def test_expired_and_unknown_tokens_get_401(api, world):
    world.expire_tokens()
    answer = api("GET", f"/repos/{REPO}/pulls/3")
    assert answer.status_code == 401 and answer.json()["message"] == "Bad credentials"
    assert requests.get(f"{world.base_url}/repos/{REPO}/pulls/3",
                        headers={"Authorization": "token ghs_unknown"}).status_code == 401


def test_pagination_clamps_per_page_and_links_to_itself(api, world):
    world.add_pull(REPO, 4, head_files={f"gen/{i:03}.txt": "x\n" for i in range(230)})
    first = api("GET", f"/repos/{REPO}/pulls/4/files", params={"per_page": 500})
    assert len(first.json()) == 100
    assert first.links["next"]["url"] == f"{world.base_url}/repos/{REPO}/pulls/4/files?page=2&per_page=100"
    assert first.links["last"]["url"].endswith("page=3&per_page=100")
    last = requests.get(first.links["last"]["url"], headers={"Authorization": api("GET", "/rate_limit")
                                                             .request.headers["Authorization"]})
    assert len(last.json()) == 30 and "next" not in last.links and "prev" in last.links
    default = api("GET", f"/repos/{REPO}/pulls/4/files")
    assert len(default.json()) == 30


def test_contents_file_directory_and_404(api, world):
    pull = world.pulls[(REPO, 3)]
    answer = api("GET", f"/repos/{REPO}/contents/shop/orders.py", params={"ref": pull.head_sha}).json()
    assert answer["type"] == "file" and answer["encoding"] == "base64"
    assert base64.b64decode(answer["content"]).decode() == HEAD_TEXT
    assert answer["url"].startswith(world.base_url)
    listing = api("GET", f"/repos/{REPO}/contents/shop").json()
    assert [(e["name"], e["type"]) for e in listing] == [("__init__.py", "file"), ("orders.py", "file")]
    root = api("GET", f"/repos/{REPO}/contents/").json()
    assert [(e["name"], e["type"]) for e in root] == [("docs", "dir"), ("shop", "dir")]
    assert api("GET", f"/repos/{REPO}/contents/nope.py").status_code == 404


def _review(api, pull, comments):
    return api("POST", f"/repos/{REPO}/pulls/3/reviews",
               json={"commit_id": pull.head_sha, "body": "b", "event": "COMMENT", "comments": comments})


def test_review_comment_positions_and_sides(api, world):
    pull = world.pulls[(REPO, 3)]
    ok = _review(api, pull, [
        {"path": "shop/orders.py", "line": 3, "side": "RIGHT", "body": "added line"},
        {"path": "shop/orders.py", "line": 3, "side": "LEFT", "body": "deleted line"},
        {"path": "shop/orders.py", "line": 6, "body": "context line, side defaults to RIGHT"},
        {"path": "shop/orders.py", "position": 4, "body": "legacy position"},
        {"path": "shop/orders.py", "start_line": 24, "line": 26, "body": "multi-line in one hunk"},
    ])
    assert ok.status_code == 200, ok.text
    stored = world.review_comments(REPO, 3)
    assert [(c["line"], c["side"], c["start_line"]) for c in stored] == [
        (3, "RIGHT", None), (3, "LEFT", None), (6, "RIGHT", None), (3, "RIGHT", None), (26, "RIGHT", 24)]
    listed = api("GET", f"/repos/{REPO}/pulls/3/comments").json()
    assert listed[0]["diff_hunk"].startswith("@@ -1,6 +1,6 @@") and listed[0]["diff_hunk"].endswith("+line three")
    assert listed[0]["commit_id"] == pull.head_sha and listed[0]["url"].startswith(world.base_url)


@pytest.mark.parametrize("bad", [
    {"path": "shop/orders.py", "line": 12, "body": "between hunks"},
    {"path": "shop/orders.py", "start_line": 3, "line": 26, "body": "spans two hunks"},
    {"path": "shop/orders.py", "line": 29, "side": "LEFT", "body": "old line 29 is not in the hunk"},
])
def test_review_with_one_bad_comment_is_rejected_whole(api, world, bad):
    pull = world.pulls[(REPO, 3)]
    answer = _review(api, pull, [{"path": "shop/orders.py", "line": 3, "body": "fine"}, bad])
    assert answer.status_code == 422
    body = answer.json()
    assert body["message"] == "Unprocessable Entity"
    assert body["errors"][0].startswith("Pull request review thread line must be part of the diff")
    assert world.reviews(REPO, 3) == [] and world.review_comments(REPO, 3) == []


def test_review_on_unknown_path_or_commit(api, world):
    pull = world.pulls[(REPO, 3)]
    answer = _review(api, pull, [{"path": "shop/other.py", "line": 1, "body": "x"}])
    assert (answer.status_code, answer.json()["errors"]) == (422, ["Path could not be resolved"])
    answer = api("POST", f"/repos/{REPO}/pulls/3/reviews", json={"commit_id": "f" * 40, "body": "b",
                                                                "event": "COMMENT"})
    assert answer.status_code == 422


def test_review_on_previous_head_is_checked_against_that_commit(api, world):
    pull = world.pulls[(REPO, 3)]
    old_head = pull.head_sha
    world.push(REPO, 3, {"shop/orders.py": HEAD_TEXT.replace("line 15\n", "line fifteen\n")})
    assert pull.head_sha != old_head
    stale = api("POST", f"/repos/{REPO}/pulls/3/reviews", json={
        "commit_id": old_head, "body": "b", "event": "COMMENT",
        "comments": [{"path": "shop/orders.py", "line": 15, "body": "not in the old diff"}]})
    assert stale.status_code == 422
    fresh = _review(api, pull, [{"path": "shop/orders.py", "line": 15, "body": "in the new diff"}])
    assert fresh.status_code == 200


def test_check_run_rejects_more_than_50_annotations_per_request(api, world):
    pull = world.pulls[(REPO, 3)]
    created = api("POST", f"/repos/{REPO}/check-runs", json={"name": "armadilhas", "head_sha": pull.head_sha,
                                                             "status": "in_progress"})
    assert created.status_code == 201 and created.json()["status"] == "in_progress"
    run_id = created.json()["id"]
    notes = [{"path": "a.py", "start_line": 1, "end_line": 1, "annotation_level": "warning", "message": "m"}] * 51
    too_many = api("PATCH", f"/repos/{REPO}/check-runs/{run_id}", json={"output": {"summary": "s",
                                                                                    "annotations": notes}})
    assert too_many.status_code == 422
    assert world.check_runs(REPO)[0]["annotations"] == []
    listed = api("GET", f"/repos/{REPO}/commits/{pull.head_sha}/check-runs").json()
    assert listed["total_count"] == 1 and listed["check_runs"][0]["id"] == run_id


def test_fail_next_injects_answers_then_recovers(api, world):
    world.fail_next("GET", r"/pulls/3$", 503, times=2)
    world.fail_next("GET", r"/pulls/3/files$", 429, headers={"Retry-After": "3"})
    assert api("GET", f"/repos/{REPO}/pulls/3").status_code == 503
    assert api("GET", f"/repos/{REPO}/pulls/3").status_code == 503
    assert api("GET", f"/repos/{REPO}/pulls/3").status_code == 200
    limited = api("GET", f"/repos/{REPO}/pulls/3/files")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert "secondary rate limit" in limited.json()["message"]
    assert api("GET", f"/repos/{REPO}/pulls/3/files").status_code == 200


def test_reaction_content_is_validated(api, world):
    comment = world.add_issue_comment(REPO, 3, "/armadilhas help")
    bad = api("POST", f"/repos/{REPO}/issues/comments/{comment['id']}/reactions", json={"content": "party"})
    assert bad.status_code == 422
    assert api("POST", f"/repos/{REPO}/issues/comments/999999/reactions", json={"content": "eyes"}).status_code == 404
