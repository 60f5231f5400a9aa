"""JSON bodies shaped like GitHub's (fields from the OpenAPI examples), with every `url`,
`html_url` and `*_url` on the fake's own base URL so PyGithub can follow them."""
from __future__ import annotations

import base64
import time

from .state import FileEntry, PullState, Repo, Submodule, Symlink


def iso(ts: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if ts is None else ts))


def user(base: str, login: str, uid: int = 1) -> dict:
    is_bot = login.endswith("[bot]")
    return {
        "login": login,
        "id": uid,
        "node_id": f"MDQ6VXNlcj{uid}",
        "avatar_url": f"{base}/avatars/{login}",
        "gravatar_id": "",
        "url": f"{base}/users/{login}",
        "html_url": f"{base}/{login}",
        "followers_url": f"{base}/users/{login}/followers",
        "repos_url": f"{base}/users/{login}/repos",
        "type": "Bot" if is_bot else "User",
        "site_admin": False,
    }


def repo(base: str, r: Repo) -> dict:
    api = f"{base}/repos/{r.full_name}"
    return {
        "id": r.id,
        "node_id": f"MDEwOlJlcG9zaXRvcnk{r.id}",
        "name": r.name,
        "full_name": r.full_name,
        "owner": user(base, r.owner),
        "private": r.private,
        "html_url": f"{base}/{r.full_name}",
        "description": None,
        "fork": False,
        "url": api,
        "pulls_url": api + "/pulls{/number}",
        "issues_url": api + "/issues{/number}",
        "contents_url": api + "/contents/{+path}",
        "issue_comment_url": api + "/issues/comments{/number}",
        "collaborators_url": api + "/collaborators{/collaborator}",
        "default_branch": r.default_branch,
        "visibility": "private" if r.private else "public",
        "archived": False,
        "disabled": False,
    }


def installation(base: str, inst_id: int, account: str, app_id: int, slug: str, permissions: dict) -> dict:
    return {
        "id": inst_id,
        "account": user(base, account),
        "repository_selection": "selected",
        "access_tokens_url": f"{base}/app/installations/{inst_id}/access_tokens",
        "repositories_url": f"{base}/installation/repositories",
        "html_url": f"{base}/settings/installations/{inst_id}",
        "app_id": app_id,
        "app_slug": slug,
        "target_id": 1,
        "target_type": "Organization",
        "permissions": permissions,
        "events": ["pull_request", "issue_comment", "check_run"],
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "single_file_name": None,
    }


def branch_side(base: str, r: Repo, ref: str, sha: str, owner: str) -> dict:
    return {"label": f"{owner}:{ref}", "ref": ref, "sha": sha, "user": user(base, owner), "repo": repo(base, r)}


def pull(base: str, r: Repo, head_repo: Repo, p: PullState, counts: dict) -> dict:
    api = f"{base}/repos/{r.full_name}"
    html = f"{base}/{r.full_name}/pull/{p.number}"
    files = p.files
    return {
        "url": f"{api}/pulls/{p.number}",
        "id": p.id,
        "node_id": f"MDExOlB1bGxSZXF1ZXN0{p.id}",
        "html_url": html,
        "diff_url": html + ".diff",
        "patch_url": html + ".patch",
        "issue_url": f"{api}/issues/{p.number}",
        "commits_url": f"{api}/pulls/{p.number}/commits",
        "review_comments_url": f"{api}/pulls/{p.number}/comments",
        "review_comment_url": api + "/pulls/comments{/number}",
        "comments_url": f"{api}/issues/{p.number}/comments",
        "statuses_url": f"{api}/statuses/{p.head_sha}",
        "number": p.number,
        "state": p.state,
        "locked": False,
        "title": p.title,
        "user": user(base, p.user),
        "body": None,
        "labels": [],
        "milestone": None,
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": iso(),
        "closed_at": None,
        "merged_at": None,
        "merge_commit_sha": None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "head": branch_side(base, head_repo, p.head_ref, p.head_sha, head_repo.owner),
        "base": branch_side(base, r, p.base_ref, p.base_sha, r.owner),
        "_links": {
            "self": {"href": f"{api}/pulls/{p.number}"},
            "html": {"href": html},
            "issue": {"href": f"{api}/issues/{p.number}"},
            "comments": {"href": f"{api}/issues/{p.number}/comments"},
            "review_comments": {"href": f"{api}/pulls/{p.number}/comments"},
            "statuses": {"href": f"{api}/statuses/{p.head_sha}"},
        },
        "author_association": "CONTRIBUTOR",
        "draft": p.draft,
        "merged": False,
        "mergeable": None,  # GitHub computes it lazily; callers must not rely on it
        "rebaseable": None,
        "mergeable_state": "unknown",
        "comments": counts.get("comments", 0),
        "review_comments": counts.get("review_comments", 0),
        "commits": len(p.commits),
        "additions": sum(f.additions for f in files),
        "deletions": sum(f.deletions for f in files),
        "changed_files": len(files),
    }


def issue(base: str, r: Repo, p: PullState, comments: int) -> dict:
    api = f"{base}/repos/{r.full_name}"
    return {
        "id": p.id + 500000,
        "node_id": f"MDU6SXNzdWU{p.id}",
        "url": f"{api}/issues/{p.number}",
        "html_url": f"{base}/{r.full_name}/pull/{p.number}",
        "comments_url": f"{api}/issues/{p.number}/comments",
        "number": p.number,
        "state": p.state,
        "title": p.title,
        "body": None,
        "user": user(base, p.user),
        "labels": [],
        "assignees": [],
        "locked": False,
        "comments": comments,
        "pull_request": {
            "url": f"{api}/pulls/{p.number}",
            "html_url": f"{base}/{r.full_name}/pull/{p.number}",
            "diff_url": f"{base}/{r.full_name}/pull/{p.number}.diff",
            "patch_url": f"{base}/{r.full_name}/pull/{p.number}.patch",
            "merged_at": None,
        },
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": iso(),
        "closed_at": None,
        "author_association": "CONTRIBUTOR",
    }


def pull_file(base: str, r: Repo, sha: str, f: FileEntry) -> dict:
    body = {
        "sha": f.sha,
        "filename": f.path,
        "status": f.status,
        "additions": f.additions,
        "deletions": f.deletions,
        "changes": f.additions + f.deletions,
        "blob_url": f"{base}/{r.full_name}/blob/{sha}/{f.path}",
        "raw_url": f"{base}/{r.full_name}/raw/{sha}/{f.path}",
        "contents_url": f"{base}/repos/{r.full_name}/contents/{f.path}?ref={sha}",
    }
    if f.patch is not None:
        body["patch"] = f.patch
    if f.previous_path:
        body["previous_filename"] = f.previous_path
    return body


def _b64_lines(data: bytes) -> str:
    # GitHub wraps base64 content at 60 characters with "\n".
    encoded = base64.b64encode(data).decode()
    return "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))


def content_entry(base: str, r: Repo, ref: str, path: str, value: object, *, full: bool) -> dict:
    from .state import blob_sha

    api = f"{base}/repos/{r.full_name}/contents/{path}?ref={ref}"
    sha = blob_sha(value) if value is not None else "d" * 40
    body = {
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "size": 0,
        "url": api,
        "html_url": f"{base}/{r.full_name}/blob/{ref}/{path}",
        "git_url": f"{base}/repos/{r.full_name}/git/blobs/{sha}",
        "download_url": f"{base}/{r.full_name}/raw/{ref}/{path}",
        "_links": {"self": api, "git": f"{base}/repos/{r.full_name}/git/blobs/{sha}",
                   "html": f"{base}/{r.full_name}/blob/{ref}/{path}"},
    }
    if value is None:
        body.update(type="dir", size=0, download_url=None)
    elif isinstance(value, Symlink):
        body.update(type="symlink", target=value.target, size=len(value.target))
    elif isinstance(value, Submodule):
        body.update(type="submodule", submodule_git_url=value.git_url, download_url=None)
    else:
        data = value if isinstance(value, bytes) else value.encode()
        body.update(type="file", size=len(data))
        if full:
            if len(data) > 1024 * 1024:
                body.update(content="", encoding="none")  # GitHub: over 1 MB needs the raw media type
            else:
                body.update(content=_b64_lines(data), encoding="base64")
    return body


def review_comment(base: str, r: Repo, p: PullState, c: dict) -> dict:
    api = f"{base}/repos/{r.full_name}"
    html = f"{base}/{r.full_name}/pull/{p.number}#discussion_r{c['id']}"
    body = {
        "url": f"{api}/pulls/comments/{c['id']}",
        "pull_request_review_id": c["review_id"],
        "id": c["id"],
        "node_id": f"MDI0OlB1bGxSZXF1ZXN0UmV2aWV3Q29tbWVudD{c['id']}",
        "diff_hunk": c["diff_hunk"],
        "path": c["path"],
        "position": c["position"],
        "original_position": c["position"],
        "commit_id": c["commit_id"],
        "original_commit_id": c["commit_id"],
        "user": user(base, c["user"]),
        "body": c["body"],
        "created_at": c["created_at"],
        "updated_at": c["created_at"],
        "html_url": html,
        "pull_request_url": f"{api}/pulls/{p.number}",
        "author_association": "NONE",
        "_links": {
            "self": {"href": f"{api}/pulls/comments/{c['id']}"},
            "html": {"href": html},
            "pull_request": {"href": f"{api}/pulls/{p.number}"},
        },
        "start_line": c["start_line"],
        "original_start_line": c["start_line"],
        "start_side": c["start_side"],
        "line": c["line"],
        "original_line": c["line"],
        "side": c["side"],
        "subject_type": c.get("subject_type", "line"),
    }
    if c.get("in_reply_to_id"):
        body["in_reply_to_id"] = c["in_reply_to_id"]
    return body


def review(base: str, r: Repo, p: PullState, rv: dict) -> dict:
    api = f"{base}/repos/{r.full_name}"
    html = f"{base}/{r.full_name}/pull/{p.number}#pullrequestreview-{rv['id']}"
    return {
        "id": rv["id"],
        "node_id": f"MDE3OlB1bGxSZXF1ZXN0UmV2aWV3{rv['id']}",
        "user": user(base, rv["user"]),
        "body": rv["body"],
        "state": rv["state"],
        "html_url": html,
        "pull_request_url": f"{api}/pulls/{p.number}",
        "_links": {"html": {"href": html}, "pull_request": {"href": f"{api}/pulls/{p.number}"}},
        "submitted_at": rv["submitted_at"],
        "commit_id": rv["commit_id"],
        "author_association": "NONE",
    }


def issue_comment(base: str, r: Repo, number: int, c: dict) -> dict:
    api = f"{base}/repos/{r.full_name}"
    return {
        "id": c["id"],
        "node_id": f"MDEyOklzc3VlQ29tbWVudD{c['id']}",
        "url": f"{api}/issues/comments/{c['id']}",
        "html_url": f"{base}/{r.full_name}/pull/{number}#issuecomment-{c['id']}",
        "body": c["body"],
        "user": user(base, c["user"]),
        "created_at": c["created_at"],
        "updated_at": c["created_at"],
        "issue_url": f"{api}/issues/{number}",
        "author_association": "NONE",
    }


def reaction(base: str, rx: dict) -> dict:
    return {
        "id": rx["id"],
        "node_id": f"MDg6UmVhY3Rpb2{rx['id']}",
        "user": user(base, rx["user"]),
        "content": rx["content"],
        "created_at": rx["created_at"],
    }


def check_run(base: str, r: Repo, app: dict, cr: dict) -> dict:
    api = f"{base}/repos/{r.full_name}/check-runs/{cr['id']}"
    out = cr["output"]
    return {
        "id": cr["id"],
        "head_sha": cr["head_sha"],
        "node_id": f"MDg6Q2hlY2tSdW4{cr['id']}",
        "external_id": cr.get("external_id") or "",
        "url": api,
        "html_url": f"{base}/{r.full_name}/runs/{cr['id']}",
        "details_url": cr.get("details_url") or f"{base}/apps/{app['slug']}",
        "status": cr["status"],
        "conclusion": cr.get("conclusion"),
        "started_at": cr.get("started_at"),
        "completed_at": cr.get("completed_at"),
        "output": {
            "title": out.get("title"),
            "summary": out.get("summary"),
            "text": out.get("text"),
            "annotations_count": len(cr["annotations"]),
            "annotations_url": api + "/annotations",
        },
        "name": cr["name"],
        "check_suite": {"id": cr["id"] + 100000},
        "app": app,
        "pull_requests": [],
    }
