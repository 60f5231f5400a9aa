"""The PyGithub-based client over real HTTP against the fake GitHub: pagination, omitted
patches, 422 reviews, token re-mint, retries and rate limits, permissions, reactions, checks."""
from __future__ import annotations

import pytest

from bot.github.client import GitHubGateway
from bot.github.models import ChangedFile, GitHubError, RateLimited, ReviewRejected
from tests.fakegithub import Submodule, Symlink
from tests.fakegithub.fixtures import APP_ID

REPO = "acme/payments"
NOW = 1_800_000_000.0

SERVICE_BASE = '''import time

import requests


def fetch_invoice(session, invoice_id):
    response = session.get(f"https://billing.internal/invoices/{invoice_id}", timeout=5)
    response.raise_for_status()
    return response.json()
'''

SERVICE_HEAD = '''import time

import requests


def fetch_invoice(session, invoice_id):
    deadline = time.time() + 30
    while time.time() < deadline:
        response = session.get(f"https://billing.internal/invoices/{invoice_id}", timeout=5)
        if response.status_code != 503:
            break
    response.raise_for_status()
    return response.json()
'''


@pytest.fixture
def repo(fake_github):
    fake_github.add_installation(77, repos=[REPO])
    fake_github.set_files(REPO, {"billing/service.py": SERVICE_BASE, "README.md": "# payments\n"})
    return REPO


@pytest.fixture
def pull(fake_github, repo):
    return fake_github.add_pull(repo, 12, head_files={"billing/service.py": SERVICE_HEAD})


@pytest.fixture
def client(github_gateway, pull):
    return github_gateway.installation(77)


def gateway_with(fake, key, slept, **kwargs) -> GitHubGateway:
    return GitHubGateway(APP_ID, key, fake.base_url, sleep=slept.append, clock=lambda: NOW, **kwargs)


def test_pull_request_info(client, fake_github, pull):
    info = client.pull_request(REPO, 12)
    assert info.repo == REPO and info.number == 12
    assert info.head_sha == pull.head_sha
    assert info.head_repo == REPO
    assert (info.base_ref, info.default_branch, info.state, info.draft) == ("main", "main", "open", False)
    assert info.html_url == f"{fake_github.base_url}/{REPO}/pull/12"
    assert info.repo_html_url == f"{fake_github.base_url}/{REPO}"


def test_fork_pull_request_reports_head_repo(fake_github, repo, github_gateway):
    fake_github.add_pull(repo, 13, head_files={"x.py": "x = 1\n"}, head_repo="mallory/payments", draft=True)
    info = github_gateway.installation(77).pull_request(REPO, 13)
    assert info.head_repo == "mallory/payments"
    assert info.draft is True


def test_changed_files_follow_link_pages_of_100(fake_github, repo, github_gateway):
    files = {f"svc/module_{i:03}.py": f"VALUE = {i}\n" for i in range(250)}
    fake_github.add_pull(repo, 20, head_files=files, omit_patch_for={"svc/module_007.py"})
    changed = github_gateway.installation(77).changed_files(REPO, 20)
    assert len(changed) == 250
    assert [f.path for f in changed] == sorted(files)
    pages = fake_github.requests_to("GET", r"/pulls/20/files$")
    assert [r.query for r in pages] == [
        {"per_page": "100"},
        {"page": "2", "per_page": "100"},
        {"page": "3", "per_page": "100"},
    ]
    by_path = {f.path: f for f in changed}
    assert by_path["svc/module_007.py"] == ChangedFile("svc/module_007.py", "added", None, None)
    assert by_path["svc/module_008.py"].patch == "@@ -0,0 +1 @@\n+VALUE = 8"


def test_changed_files_stop_at_3000_like_github(fake_github, repo, github_gateway):
    files = {f"gen/f{i:04}.txt": "x\n" for i in range(3050)}
    fake_github.add_pull(repo, 21, head_files=files)
    changed = github_gateway.installation(77).changed_files(REPO, 21)
    assert len(changed) == 3000
    assert len(fake_github.requests_to("GET", r"/pulls/21/files$")) == 30


def test_changed_files_renamed_and_removed(fake_github, repo, github_gateway):
    fake_github.set_files(repo, {"old_name.py": "A = 1\n", "gone.py": "B = 2\n"})
    fake_github.add_pull(repo, 22, head_files={"new_name.py": "A = 1\n", "gone.py": None},
                         renames={"new_name.py": "old_name.py"})
    changed = {f.path: f for f in github_gateway.installation(77).changed_files(REPO, 22)}
    assert changed["new_name.py"].status == "renamed"
    assert changed["new_name.py"].previous_path == "old_name.py"
    assert changed["new_name.py"].patch is None  # a pure rename has no patch
    assert changed["gone.py"].status == "removed"
    assert changed["gone.py"].patch == "@@ -1 +0,0 @@\n-B = 2"


def test_file_text_at_a_ref_and_the_cases_without_text(fake_github, repo, github_gateway, pull):
    fake_github.push(repo, 12, {
        "assets/logo.png": b"\x89PNG\r\n\x1a\n\0\0\0",
        "big.sql": "select 1;\n" * 120_000,
        "link.py": Symlink("billing/service.py"),
        "vendor/lib": Submodule("https://example.com/lib.git"),
    })
    client = github_gateway.installation(77)
    head = client.pull_request(REPO, 12).head_sha
    assert client.file_text(REPO, "billing/service.py", head) == SERVICE_HEAD
    assert client.file_text(REPO, "billing/service.py", "main") == SERVICE_BASE
    assert client.file_text(REPO, "missing.py", head) is None
    assert client.file_text(REPO, "billing", head) is None  # a directory
    assert client.file_text(REPO, "assets/logo.png", head) is None
    assert client.file_text(REPO, "big.sql", head) is None  # over 1 MB: no content in the JSON
    assert client.file_text(REPO, "link.py", head) is None
    assert client.file_text(REPO, "vendor/lib", head) is None


def test_review_posts_inline_comments_on_diff_lines(client, fake_github, pull):
    review_id = client.create_review(REPO, 12, pull.head_sha, "armadilhas found 1 pitfall", [
        {"path": "billing/service.py", "line": 6, "side": "RIGHT", "body": "Use time.monotonic()"},
        {"path": "billing/service.py", "start_line": 6, "start_side": "RIGHT", "line": 7, "side": "RIGHT",
         "body": "multi-line"},
    ])
    [review] = fake_github.reviews(REPO, 12)
    assert review["id"] == review_id and review["state"] == "COMMENTED"
    assert review["commit_id"] == pull.head_sha
    posted = client.review_comments(REPO, 12)
    assert [(c.path, c.line, c.body, c.in_reply_to_id, c.user_login) for c in posted] == [
        ("billing/service.py", 6, "Use time.monotonic()", None, "armadilhas[bot]"),
        ("billing/service.py", 7, "multi-line", None, "armadilhas[bot]"),
    ]


def test_review_with_a_line_outside_the_diff_is_rejected_whole(client, fake_github, pull):
    with pytest.raises(ReviewRejected) as caught:
        client.create_review(REPO, 12, pull.head_sha, "two findings", [
            {"path": "billing/service.py", "line": 6, "side": "RIGHT", "body": "in the diff"},
            {"path": "billing/service.py", "line": 1, "side": "RIGHT", "body": "line 1 is not in the hunk"},
        ])
    assert caught.value.status == 422
    assert caught.value.errors == [
        "Pull request review thread line must be part of the diff, Pull request review thread start line must "
        "be part of the same hunk as the line., and Pull request review thread diff hunk can't be blank"
    ]
    assert fake_github.reviews(REPO, 12) == []
    assert fake_github.review_comments(REPO, 12) == []


def test_review_comments_all_pages_and_replies(client, fake_github, pull):
    for i in range(130):
        fake_github.add_review_comment(REPO, 12, "billing/service.py", 6, f"note {i}", user="carol")
    first = client.review_comments(REPO, 12)[0]
    reply_id = client.reply_to_review_comment(REPO, 12, first.id, "Fixed in the latest push.")
    posted = client.review_comments(REPO, 12)
    assert len(posted) == 131
    assert posted[-1].id == reply_id and posted[-1].in_reply_to_id == first.id
    assert posted[-1].user_login == "armadilhas[bot]"
    assert len(fake_github.requests_to("GET", r"/pulls/12/comments$")) == 4  # 2 pages, twice


def test_expired_token_is_reminted_once(client, fake_github):
    client.pull_request(REPO, 12)
    fake_github.expire_tokens()
    assert client.pull_request(REPO, 12).number == 12
    assert len(fake_github.requests_to("POST", r"/access_tokens$")) == 2
    assert [r.status for r in fake_github.requests_to("GET", r"/pulls/12$")] == [200, 401, 200]


def test_second_401_after_remint_is_an_error(fake_github, app_private_key, pull):
    slept: list[float] = []
    client = gateway_with(fake_github, app_private_key, slept).installation(77)
    fake_github.fail_next("GET", r"/pulls/12$", 401, times=2)
    with pytest.raises(GitHubError) as caught:
        client.pull_request(REPO, 12)
    assert caught.value.status == 401
    assert "Bad credentials" in str(caught.value)


def test_server_errors_are_retried_with_exponential_backoff(fake_github, app_private_key, pull):
    slept: list[float] = []
    client = gateway_with(fake_github, app_private_key, slept).installation(77)
    fake_github.fail_next("GET", r"/pulls/12/files$", 502, times=2)
    assert len(client.changed_files(REPO, 12)) == 1
    assert slept == [1.0, 2.0]


def test_server_errors_give_up_after_four_tries(fake_github, app_private_key, pull):
    slept: list[float] = []
    client = gateway_with(fake_github, app_private_key, slept).installation(77)
    fake_github.fail_next("GET", r"/pulls/12$", 503, times=10)
    with pytest.raises(GitHubError) as caught:
        client.pull_request(REPO, 12)
    assert caught.value.status == 503
    assert slept == [1.0, 2.0, 4.0]
    assert len(fake_github.requests_to("GET", r"/pulls/12$")) == 4


def test_a_creating_post_is_not_repeated_after_a_server_error(fake_github, app_private_key, pull):
    # GitHub may have applied it before failing to answer: the job re-runs and checks instead.
    slept: list[float] = []
    client = gateway_with(fake_github, app_private_key, slept).installation(77)
    fake_github.fail_next("POST", r"/issues/12/comments$", 503, times=10)
    with pytest.raises(GitHubError) as caught:
        client.create_issue_comment(REPO, 12, "hello")
    assert caught.value.status == 503 and slept == []
    assert len(fake_github.requests_to("POST", r"/issues/12/comments$")) == 1


def test_429_waits_for_retry_after(fake_github, app_private_key, pull):
    slept: list[float] = []
    client = gateway_with(fake_github, app_private_key, slept).installation(77)
    fake_github.fail_next("POST", r"/pulls/12/reviews$", 429, headers={"Retry-After": "7"})
    client.create_review(REPO, 12, pull.head_sha, "body", [])
    assert slept == [7.0]
    assert len(fake_github.reviews(REPO, 12)) == 1


def test_403_primary_rate_limit_waits_until_reset(fake_github, app_private_key, pull):
    slept: list[float] = []
    client = gateway_with(fake_github, app_private_key, slept).installation(77)
    fake_github.fail_next("GET", r"/pulls/12$", 403, headers={
        "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 42)})
    assert client.pull_request(REPO, 12).number == 12
    assert slept == [42.0]


def test_secondary_rate_limit_without_headers_waits_a_minute(fake_github, app_private_key, pull):
    slept: list[float] = []
    client = gateway_with(fake_github, app_private_key, slept, max_wait=120).installation(77)
    fake_github.fail_next("POST", r"/check-runs$", 403)  # "You have exceeded a secondary rate limit..."
    client.create_check_run(REPO, pull.head_sha, name="armadilhas", status="in_progress")
    assert slept == [60.0]


def test_wait_beyond_max_wait_raises_rate_limited(fake_github, app_private_key, pull):
    slept: list[float] = []
    client = gateway_with(fake_github, app_private_key, slept, max_wait=60).installation(77)
    fake_github.fail_next("GET", r"/pulls/12/comments$", 403, headers={
        "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 1800)})
    with pytest.raises(RateLimited) as caught:
        client.review_comments(REPO, 12)
    assert caught.value.retry_at == NOW + 1800
    assert slept == []


def test_403_without_rate_limit_is_not_retried(fake_github, app_private_key, pull):
    slept: list[float] = []
    client = gateway_with(fake_github, app_private_key, slept).installation(77)
    fake_github.fail_next("POST", r"/check-runs$", 403, body={
        "message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest"})
    with pytest.raises(GitHubError) as caught:
        client.create_check_run(REPO, pull.head_sha, name="armadilhas", status="in_progress")
    assert caught.value.status == 403 and not isinstance(caught.value, RateLimited)
    assert slept == []


@pytest.mark.parametrize(("role", "expected"), [
    ("admin", "admin"), ("maintain", "write"), ("write", "write"), ("triage", "read"), ("read", "read"),
])
def test_permission_levels(client, fake_github, role, expected):
    fake_github.set_permission(REPO, "dana", role)
    assert client.permission(REPO, "dana") == expected


def test_permission_of_stranger_on_private_repo_is_none(fake_github, github_gateway):
    fake_github.add_installation(78, repos=["acme/secret"])
    fake_github.repos["acme/secret"].private = True
    assert github_gateway.installation(78).permission("acme/secret", "eve") == "none"


def test_reaction_created_then_existing(client, fake_github):
    comment = fake_github.add_issue_comment(REPO, 12, "/armadilhas recheck", user="dana")
    client.add_reaction(REPO, 12, comment["id"], "eyes")
    client.add_reaction(REPO, 12, comment["id"], "eyes")
    assert [r.status for r in fake_github.requests_to("POST", r"/reactions$")] == [201, 200]
    assert [r["content"] for r in fake_github.reactions(comment["id"])] == ["eyes"]


def test_check_run_annotations_are_sent_50_per_patch(client, fake_github, pull):
    run_id = client.create_check_run(REPO, pull.head_sha, name="armadilhas", status="in_progress",
                                     external_id="job-1", output={"title": "Analysing", "summary": "..."})
    annotations = [{"path": "billing/service.py", "start_line": 6, "end_line": 6, "annotation_level": "warning",
                    "message": f"finding {i}"} for i in range(120)]
    client.update_check_run(REPO, run_id, status="completed", conclusion="neutral",
                            output={"title": "120 findings", "summary": "table", "annotations": annotations})
    patches = fake_github.requests_to("PATCH", rf"/check-runs/{run_id}$")
    assert [len(p.json["output"]["annotations"]) for p in patches] == [50, 50, 20]
    assert all(p.status == 200 for p in patches)
    [run] = fake_github.check_runs(REPO)
    assert [a["message"] for a in run["annotations"]] == [f"finding {i}" for i in range(120)]
    assert (run["status"], run["conclusion"], run["external_id"]) == ("completed", "neutral", "job-1")
    assert run["output"]["title"] == "120 findings"


def test_check_run_created_with_many_annotations(client, fake_github, pull):
    annotations = [{"path": "a.py", "start_line": 1, "end_line": 1, "annotation_level": "notice",
                    "message": str(i)} for i in range(60)]
    client.create_check_run(REPO, pull.head_sha, name="armadilhas", status="completed", conclusion="failure",
                            output={"title": "t", "summary": "s", "annotations": annotations})
    assert len(fake_github.requests_to("POST", r"/check-runs$")[0].json["output"]["annotations"]) == 50
    assert len(fake_github.requests_to("PATCH", r"/check-runs/\d+$")) == 1
    assert len(fake_github.check_runs(REPO)[0]["annotations"]) == 60


def test_issue_comment(client, fake_github):
    comment_id = client.create_issue_comment(REPO, 12, "Commands: `/armadilhas recheck`")
    [comment] = fake_github.issue_comments(REPO, 12)
    assert comment["id"] == comment_id and comment["user"] == "armadilhas[bot]"


def test_app_slug_is_fetched_once_with_the_jwt(github_gateway, fake_github):
    assert github_gateway.app_slug() == "armadilhas"
    assert github_gateway.app_slug() == "armadilhas"
    [request] = fake_github.requests_to("GET", r"^/app$")
    assert request.headers["Authorization"].startswith("Bearer ey")


def test_wrong_private_key_is_refused(fake_github, repo):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    gateway = GitHubGateway(APP_ID, other, fake_github.base_url, test_mode=True)
    with pytest.raises(GitHubError) as caught:
        gateway.app_slug()
    assert caught.value.status == 401
    with pytest.raises(GitHubError) as caught:
        gateway.installation(77).pull_request(REPO, 12)
    assert caught.value.status == 401


def test_repo_outside_the_installation_is_not_found(client, fake_github):
    fake_github.add_repo("other/repo")
    fake_github.add_pull("other/repo", 1, head_files={"a.py": "A = 1\n"})
    with pytest.raises(GitHubError) as caught:
        client.pull_request("other/repo", 1)
    assert caught.value.status == 404
