"""The endpoints. Each handler returns (status, body, extra headers) or raises HttpError."""
from __future__ import annotations

import re

from . import shapes
from .diffing import hunk_map
from .server import DOCS, HttpError
from .state import PullState

REPO = r"/repos/(?P<repo>[^/]+/[^/]+)"
PULL = REPO + r"/pulls/(?P<number>\d+)"
MAX_FILES = 3000
REACTIONS = {"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"}
# Observed GitHub answers (rest/errors/observed-422-review-errors.json and issue threads).
NOT_IN_DIFF = ("Pull request review thread line must be part of the diff, Pull request review thread start line "
               "must be part of the same hunk as the line., and Pull request review thread diff hunk can't be blank")
REVIEW_DOC = "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"
COMMENT_DOC = "https://docs.github.com/rest/pulls/comments#create-a-review-comment-for-a-pull-request"


def _bot_login(fake) -> str:
    return f"{fake.app_slug}[bot]"


def _app_body(fake) -> dict:
    base = fake.base_url
    return {
        "id": fake.app_id,
        "slug": fake.app_slug,
        "node_id": f"MDExOkludGVncmF0aW9u{fake.app_id}",
        "owner": shapes.user(base, "acme"),
        "name": fake.app_slug.capitalize(),
        "description": "",
        "external_url": base,
        "html_url": f"{base}/apps/{fake.app_slug}",
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "permissions": {"checks": "write", "contents": "read", "issues": "write", "metadata": "read",
                        "pull_requests": "write"},
        "events": ["check_run", "issue_comment", "pull_request"],
        "installations_count": len(fake.installations),
    }


def _pull(fake, m) -> PullState:
    p = fake.pulls.get((m["repo"], int(m["number"])))
    if p is None:
        raise HttpError(404, "Not Found", doc=f"{DOCS}/pulls/pulls#get-a-pull-request")
    return p


# -- app / installation ----------------------------------------------------------------------
def get_app(fake, req, m, body, inst):
    return 200, _app_body(fake), {}


def create_token(fake, req, m, body, inst):
    installation = fake.installations.get(int(m["id"]))
    if installation is None:
        raise HttpError(404, "Not Found", doc=f"{DOCS}/apps/apps#create-an-installation-access-token-for-an-app")
    wanted = (body or {}).get("permissions") or {}
    order = {"read": 1, "write": 2, "admin": 3}
    for key, level in wanted.items():
        if order.get(level, 9) > order.get(installation.permissions.get(key, ""), 0):
            raise HttpError(422, "The permissions requested are not granted to this installation.",
                            doc=f"{DOCS}/apps/apps#create-an-installation-access-token-for-an-app")
    token, expires_at = fake.new_token(installation.id)
    return 201, {
        "token": token,
        "expires_at": shapes.iso(expires_at),
        "permissions": wanted or installation.permissions,
        "repository_selection": "selected",
    }, {}


def get_repo_installation(fake, req, m, body, inst):
    for installation in fake.installations.values():
        if m["repo"] in installation.repos:
            return 200, shapes.installation(fake.base_url, installation.id, installation.account, fake.app_id,
                                            fake.app_slug, installation.permissions), {}
    raise HttpError(404, "Not Found", doc=f"{DOCS}/apps/apps#get-a-repository-installation-for-the-authenticated-app")


def rate_limit(fake, req, m, body, inst):
    core = {"limit": 5000, "used": inst.used, "remaining": 5000 - inst.used, "reset": int(inst.reset)}
    return 200, {"resources": {"core": core, "search": {"limit": 30, "used": 0, "remaining": 30,
                                                         "reset": int(inst.reset)}}, "rate": core}, {}


# -- repository, pull request, files, contents -----------------------------------------------
def get_repo(fake, req, m, body, inst):
    return 200, shapes.repo(fake.base_url, fake.repos[m["repo"]]), {}


def get_pull(fake, req, m, body, inst):
    p = _pull(fake, m)
    counts = {"comments": len(fake.issue_comments(p.repo, p.number)),
              "review_comments": len(fake.review_comments(p.repo, p.number))}
    return 200, shapes.pull(fake.base_url, fake.repos[p.repo], fake.repos[p.head_repo], p, counts), {}


def get_issue(fake, req, m, body, inst):
    p = _pull(fake, m)
    return 200, shapes.issue(fake.base_url, fake.repos[p.repo], p, len(fake.issue_comments(p.repo, p.number))), {}


def list_files(fake, req, m, body, inst):
    p = _pull(fake, m)
    r = fake.repos[p.repo]
    items = [shapes.pull_file(fake.base_url, r, p.head_sha, f) for f in p.files[:MAX_FILES]]
    chunk, headers = fake.paginate(req, items)
    return 200, chunk, headers


def get_content(fake, req, m, body, inst):
    r = fake.repos[m["repo"]]
    ref = req.args.get("ref") or r.default_branch
    path = (m["path"] or "").strip("/")
    tree = r.refs.get(ref)
    not_found = HttpError(404, "Not Found", doc=f"{DOCS}/repos/contents#get-repository-content")
    if tree is None:
        raise HttpError(404, f"No commit found for the ref {ref}", doc=f"{DOCS}/repos/contents#get-repository-content")
    if path in tree:
        return 200, shapes.content_entry(fake.base_url, r, ref, path, tree[path], full=True), {}
    prefix = path + "/" if path else ""
    children: dict[str, object] = {}
    for name, value in tree.items():
        if name.startswith(prefix):
            rest = name[len(prefix):]
            head, sep, _ = rest.partition("/")
            children[prefix + head] = None if sep else value
    if not children:
        raise not_found
    listing = [shapes.content_entry(fake.base_url, r, ref, child, value, full=False)
               for child, value in sorted(children.items())][:1000]
    return 200, listing, {}


# -- review comments and reviews -------------------------------------------------------------
def _diff_hunk(patch: str, side: str, line: int) -> str:
    """The patch text from the hunk header down to the commented line, like GitHub's diff_hunk."""
    out: list[str] = []
    old = new = 0
    for raw in patch.split("\n"):
        if raw.startswith("@@"):
            out = [raw]
            parts = raw.split(" ")
            old, new = int(parts[1][1:].split(",")[0]), int(parts[2][1:].split(",")[0])
            continue
        out.append(raw)
        if raw.startswith("\\"):
            continue
        kind = raw[:1]
        if kind == "+":
            hit = side == "RIGHT" and new == line
            new += 1
        elif kind == "-":
            hit = side == "LEFT" and old == line
            old += 1
        else:
            hit = (side == "RIGHT" and new == line) or (side == "LEFT" and old == line)
            old += 1
            new += 1
        if hit:
            return "\n".join(out)
    return "\n".join(out)


def resolve_comment(p: PullState, commit_id: str, c: dict) -> dict:
    """Check one review comment against the diff at `commit_id`; the normalised comment or HttpError(422)."""
    files = {f.path: f for f in p.commits.get(commit_id, [])}
    path = c.get("path")
    if not isinstance(path, str) or not isinstance(c.get("body"), str):
        raise HttpError(422, "Invalid request.\n\n\"path\" and \"body\" are required.", doc=REVIEW_DOC)
    entry = files.get(path)
    if entry is None:
        raise HttpError(422, "Unprocessable Entity", ["Path could not be resolved"], doc=REVIEW_DOC)
    hunks = hunk_map(entry.patch)
    if c.get("subject_type") == "file":
        return {**c, "line": None, "side": None, "start_line": None, "start_side": None, "position": None,
                "diff_hunk": "", "subject_type": "file"}
    if c.get("line") is None and c.get("position") is not None:
        position = c["position"]
        if not isinstance(position, int) or position not in hunks.positions:
            raise HttpError(422, "Unprocessable Entity", ["Line could not be resolved"], doc=REVIEW_DOC)
        side, line = hunks.positions[position]
        start_line = start_side = None
    else:
        line = c.get("line")
        side = c.get("side") or "RIGHT"
        start_line = c.get("start_line")
        start_side = c.get("start_side") or (side if start_line is not None else None)
        if not isinstance(line, int) or side not in ("LEFT", "RIGHT"):
            raise HttpError(422, "Unprocessable Entity", ["Line could not be resolved"], doc=REVIEW_DOC)
        hunk = hunks.hunk_of(side, line)
        if hunk is None:
            raise HttpError(422, "Unprocessable Entity", [NOT_IN_DIFF], doc=REVIEW_DOC)
        if start_line is not None:
            if not isinstance(start_line, int) or start_side not in ("LEFT", "RIGHT"):
                raise HttpError(422, "Unprocessable Entity", ["Line could not be resolved"], doc=REVIEW_DOC)
            if start_line >= line and start_side == side or hunks.hunk_of(start_side, start_line) != hunk:
                raise HttpError(422, "Unprocessable Entity", [NOT_IN_DIFF], doc=REVIEW_DOC)
        position = next((pos for pos, at in hunks.positions.items() if at == (side, line)), None)
    return {**c, "line": line, "side": side, "start_line": start_line, "start_side": start_side,
            "position": position, "diff_hunk": _diff_hunk(entry.patch or "", side, line)}


def store_review_comment(fake, p: PullState, review_id, c: dict, commit_id: str, user: str,
                         in_reply_to: dict | None = None) -> dict:
    if in_reply_to is not None:
        resolved = {k: in_reply_to[k] for k in ("path", "line", "side", "start_line", "start_side", "position",
                                                "diff_hunk")}
        resolved["body"] = c["body"]
        commit_id = in_reply_to["commit_id"]
    else:
        resolved = resolve_comment(p, commit_id, c)
    stored = {
        "id": fake.next_id(),
        "review_id": review_id if review_id is not None else fake.next_id(),
        "path": resolved["path"],
        "line": resolved["line"],
        "side": resolved["side"],
        "start_line": resolved["start_line"],
        "start_side": resolved["start_side"],
        "position": resolved["position"],
        "diff_hunk": resolved["diff_hunk"],
        "subject_type": resolved.get("subject_type", "line"),
        "body": resolved["body"],
        "commit_id": commit_id,
        "user": user,
        "in_reply_to_id": in_reply_to["id"] if in_reply_to else None,
        "created_at": shapes.iso(),
    }
    fake._review_comments.setdefault((p.repo, p.number), []).append(stored)
    return stored


def list_review_comments(fake, req, m, body, inst):
    p = _pull(fake, m)
    r = fake.repos[p.repo]
    pending = {rv["id"] for rv in fake.reviews(p.repo, p.number) if rv["state"] == "PENDING"}
    items = [shapes.review_comment(fake.base_url, r, p, c) for c in fake.review_comments(p.repo, p.number)
             if c["review_id"] not in pending]
    chunk, headers = fake.paginate(req, items)
    return 200, chunk, headers


def _commit_for(p: PullState, body: dict) -> str:
    commit_id = body.get("commit_id") or p.head_sha
    if commit_id not in p.commits:
        raise HttpError(422, "Unprocessable Entity", [f"No commit found for SHA: {commit_id}"], doc=REVIEW_DOC)
    return commit_id


def create_review_comment(fake, req, m, body, inst):
    p = _pull(fake, m)
    body = body or {}
    if not isinstance(body.get("body"), str):
        raise HttpError(422, "Invalid request.\n\n\"body\" wasn't supplied.", doc=COMMENT_DOC)
    if body.get("in_reply_to"):
        parent = _find_review_comment(fake, p, int(body["in_reply_to"]))
        c = store_review_comment(fake, p, None, body, parent["commit_id"], _bot_login(fake), in_reply_to=parent)
    else:
        if not body.get("commit_id"):
            raise HttpError(422, "Invalid request.\n\n\"commit_id\" wasn't supplied.", doc=COMMENT_DOC)
        c = store_review_comment(fake, p, None, body, _commit_for(p, body), _bot_login(fake))
    return 201, shapes.review_comment(fake.base_url, fake.repos[p.repo], p, c), {}


def _find_review_comment(fake, p: PullState, comment_id: int) -> dict:
    for c in fake.review_comments(p.repo, p.number):
        if c["id"] == comment_id:
            return c
    raise HttpError(404, "Not Found", doc=f"{DOCS}/pulls/comments#create-a-reply-for-a-review-comment")


def get_review_comment(fake, req, m, body, inst):
    for (repo, number), comments in fake._review_comments.items():
        for c in comments:
            if repo == m["repo"] and c["id"] == int(m["comment_id"]):
                p = fake.pulls[(repo, number)]
                return 200, shapes.review_comment(fake.base_url, fake.repos[repo], p, c), {}
    raise HttpError(404, "Not Found", doc=f"{DOCS}/pulls/comments#get-a-review-comment-for-a-pull-request")


def reply_review_comment(fake, req, m, body, inst):
    p = _pull(fake, m)
    parent = _find_review_comment(fake, p, int(m["comment_id"]))
    if not isinstance((body or {}).get("body"), str):
        raise HttpError(422, "Invalid request.\n\n\"body\" wasn't supplied.", doc=COMMENT_DOC)
    c = store_review_comment(fake, p, None, body, parent["commit_id"], _bot_login(fake), in_reply_to=parent)
    return 201, shapes.review_comment(fake.base_url, fake.repos[p.repo], p, c), {}


def create_review(fake, req, m, body, inst):
    p = _pull(fake, m)
    body = body or {}
    event = body.get("event")
    states = {"COMMENT": "COMMENTED", "APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", None: "PENDING"}
    if event not in states:
        raise HttpError(422, "Unprocessable Entity", ["Event is not included in the list"], doc=REVIEW_DOC)
    comments = body.get("comments") or []
    if event in ("COMMENT", "REQUEST_CHANGES") and not body.get("body") and not comments:
        raise HttpError(422, "Unprocessable Entity", ["Review body can't be blank"], doc=REVIEW_DOC)
    commit_id = _commit_for(p, body)
    # All or nothing, as observed on GitHub: validate every comment before storing any.
    for c in comments:
        resolve_comment(p, commit_id, c)
    review = {"id": fake.next_id(), "user": _bot_login(fake), "body": body.get("body") or "",
              "state": states[event], "commit_id": commit_id,
              "submitted_at": shapes.iso() if event else None, "comments": []}
    for c in comments:
        review["comments"].append(store_review_comment(fake, p, review["id"], c, commit_id, _bot_login(fake)))
    fake._reviews.setdefault((p.repo, p.number), []).append(review)
    return 200, shapes.review(fake.base_url, fake.repos[p.repo], p, review), {}


def list_reviews(fake, req, m, body, inst):
    p = _pull(fake, m)
    items = [shapes.review(fake.base_url, fake.repos[p.repo], p, rv) for rv in fake.reviews(p.repo, p.number)]
    chunk, headers = fake.paginate(req, items)
    return 200, chunk, headers


# -- issue comments and reactions ------------------------------------------------------------
def list_issue_comments(fake, req, m, body, inst):
    p = _pull(fake, m)
    r = fake.repos[p.repo]
    items = [shapes.issue_comment(fake.base_url, r, p.number, c) for c in fake.issue_comments(p.repo, p.number)]
    chunk, headers = fake.paginate(req, items)
    return 200, chunk, headers


def create_issue_comment(fake, req, m, body, inst):
    p = _pull(fake, m)
    if not isinstance((body or {}).get("body"), str):
        raise HttpError(422, "Invalid request.\n\n\"body\" wasn't supplied.",
                        doc=f"{DOCS}/issues/comments#create-an-issue-comment")
    c = {"id": fake.next_id(), "body": body["body"], "user": _bot_login(fake), "created_at": shapes.iso()}
    fake._issue_comments.setdefault((p.repo, p.number), []).append(c)
    return 201, shapes.issue_comment(fake.base_url, fake.repos[p.repo], p.number, c), {}


def _find_issue_comment(fake, repo: str, comment_id: int) -> tuple[int, dict]:
    for (name, number), comments in fake._issue_comments.items():
        if name != repo:
            continue
        for c in comments:
            if c["id"] == comment_id:
                return number, c
    raise HttpError(404, "Not Found", doc=f"{DOCS}/reactions/reactions#create-reaction-for-an-issue-comment")


def get_issue_comment(fake, req, m, body, inst):
    number, c = _find_issue_comment(fake, m["repo"], int(m["comment_id"]))
    return 200, shapes.issue_comment(fake.base_url, fake.repos[m["repo"]], number, c), {}


def create_reaction(fake, req, m, body, inst):
    comment_id = int(m["comment_id"])
    _find_issue_comment(fake, m["repo"], comment_id)
    content = (body or {}).get("content")
    if content not in REACTIONS:
        raise HttpError(422, "Validation Failed",
                        [{"resource": "Reaction", "code": "invalid", "field": "content"}],
                        doc=f"{DOCS}/reactions/reactions#create-reaction-for-an-issue-comment")
    existing = fake._reactions.setdefault(comment_id, [])
    for rx in existing:
        if rx["content"] == content and rx["user"] == _bot_login(fake):
            return 200, shapes.reaction(fake.base_url, rx), {}
    rx = {"id": fake.next_id(), "content": content, "user": _bot_login(fake), "created_at": shapes.iso()}
    existing.append(rx)
    return 201, shapes.reaction(fake.base_url, rx), {}


# -- permissions -----------------------------------------------------------------------------
_API_PERMISSION = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read",
                   "none": "none"}


def collaborator_permission(fake, req, m, body, inst):
    r = fake.repos[m["repo"]]
    role = r.permissions.get(m["user"], "none" if r.private else "read")
    return 200, {"permission": _API_PERMISSION.get(role, "none"), "role_name": role,
                 "user": shapes.user(fake.base_url, m["user"])}, {}


# -- check runs ------------------------------------------------------------------------------
CHECKS_DOC = f"{DOCS}/checks/runs"
ANNOTATION_FIELDS = ("path", "start_line", "end_line", "annotation_level", "message")


def _apply_output(cr: dict, output: dict | None, creating: bool) -> list:
    if output is None:
        return []
    if not isinstance(output, dict):
        raise HttpError(422, "Invalid request.\n\nFor 'properties/output', it is not an object.", doc=CHECKS_DOC)
    required = ("title", "summary") if creating else ("summary",)
    missing = [k for k in required if not isinstance(output.get(k), str)]
    if missing:
        raise HttpError(422, f"Invalid request.\n\n\"{missing[0]}\" wasn't supplied.", doc=CHECKS_DOC)
    annotations = output.get("annotations") or []
    if len(annotations) > 50:
        # The schema's maxItems is 50; GitHub answers with a schema validation error.
        raise HttpError(422, "Invalid request.\n\nFor 'properties/annotations', "
                        f"{len(annotations)} items were supplied but only 50 are allowed.", doc=CHECKS_DOC)
    for a in annotations:
        absent = [k for k in ANNOTATION_FIELDS if a.get(k) in (None, "")]
        if absent:
            raise HttpError(422, f"Invalid request.\n\n\"{absent[0]}\" wasn't supplied.", doc=CHECKS_DOC)
        if a["annotation_level"] not in ("notice", "warning", "failure"):
            raise HttpError(422, "Invalid request.\n\nFor 'properties/annotation_level', "
                            f"\"{a['annotation_level']}\" is not a member of [\"notice\", \"warning\", \"failure\"].",
                            doc=CHECKS_DOC)
    for key in ("title", "summary", "text"):
        if key in output:
            if key in ("summary", "text") and len(output[key] or "") > 65535:
                raise HttpError(422, f"Invalid request.\n\nOnly 65535 characters are allowed; {len(output[key])} "
                                "were supplied.", doc=CHECKS_DOC)
            cr["output"][key] = output[key]
    return list(annotations)


def _apply_status(cr: dict, body: dict) -> None:
    status, conclusion = body.get("status"), body.get("conclusion")
    if status is not None and status not in ("queued", "in_progress", "completed"):
        raise HttpError(422, "Invalid request.\n\nFor 'properties/status', it is not a member of the enum.",
                        doc=CHECKS_DOC)
    if conclusion is not None:
        allowed = ("action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out")
        if conclusion not in allowed:
            raise HttpError(422, "Invalid request.\n\nFor 'properties/conclusion', it is not a member of the enum.",
                            doc=CHECKS_DOC)
        status = "completed"
    elif status == "completed" and not cr.get("conclusion"):
        raise HttpError(422, "Invalid request.\n\n\"conclusion\" wasn't supplied.", doc=CHECKS_DOC)
    if status is not None:
        cr["status"] = status
    if conclusion is not None:
        cr["conclusion"] = conclusion
        cr["completed_at"] = body.get("completed_at") or shapes.iso()
    if cr["status"] == "in_progress" and not cr.get("started_at"):
        cr["started_at"] = shapes.iso()


def create_check_run(fake, req, m, body, inst):
    body = body or {}
    if not body.get("name") or not body.get("head_sha"):
        raise HttpError(422, "Invalid request.\n\n\"name\" and \"head_sha\" are required.", doc=CHECKS_DOC)
    cr = {"id": fake.next_id(), "name": body["name"], "head_sha": body["head_sha"], "status": "queued",
          "conclusion": None, "started_at": body.get("started_at") or shapes.iso(), "completed_at": None,
          "external_id": body.get("external_id"), "details_url": body.get("details_url"),
          "output": {"title": None, "summary": None, "text": None}, "annotations": [], "patches": 0}
    annotations = _apply_output(cr, body.get("output"), creating=True)
    _apply_status(cr, body)
    cr["annotations"].extend(annotations)
    fake._check_runs.setdefault(m["repo"], []).append(cr)
    return 201, shapes.check_run(fake.base_url, fake.repos[m["repo"]], _app_body(fake), cr), {}


def _find_check_run(fake, repo: str, check_run_id: int) -> dict:
    for cr in fake._check_runs.get(repo, []):
        if cr["id"] == check_run_id:
            return cr
    raise HttpError(404, "Not Found", doc=CHECKS_DOC)


def update_check_run(fake, req, m, body, inst):
    cr = _find_check_run(fake, m["repo"], int(m["id"]))
    body = body or {}
    annotations = _apply_output(cr, body.get("output"), creating=False)
    _apply_status(cr, body)
    for key in ("name", "details_url", "external_id"):
        if key in body:
            cr[key] = body[key]
    cr["annotations"].extend(annotations)  # each PATCH appends, as GitHub documents
    cr["patches"] += 1
    return 200, shapes.check_run(fake.base_url, fake.repos[m["repo"]], _app_body(fake), cr), {}


def get_check_run(fake, req, m, body, inst):
    cr = _find_check_run(fake, m["repo"], int(m["id"]))
    return 200, shapes.check_run(fake.base_url, fake.repos[m["repo"]], _app_body(fake), cr), {}


def list_annotations(fake, req, m, body, inst):
    cr = _find_check_run(fake, m["repo"], int(m["id"]))
    chunk, headers = fake.paginate(req, list(cr["annotations"]))
    return 200, chunk, headers


def list_check_runs_for_ref(fake, req, m, body, inst):
    r = fake.repos[m["repo"]]
    ref = m["ref"]
    sha = ref if ref in r.refs and len(ref) == 40 else None
    runs = [cr for cr in fake._check_runs.get(m["repo"], []) if cr["head_sha"] in (ref, sha)]
    name = req.args.get("check_name")
    if name:
        runs = [cr for cr in runs if cr["name"] == name]
    app = _app_body(fake)
    return 200, {"total_count": len(runs),
                 "check_runs": [shapes.check_run(fake.base_url, r, app, cr) for cr in runs]}, {}


def _manifest_conversion(fake, req, m, body, inst):
    from .manifests import convert

    return convert(fake, req, m, body, inst)


def graphql(fake, req, m, body, inst):
    from .graphql import execute

    status, answer = execute(fake, body, inst)
    return status, answer, {}


def _route(method: str, pattern: str, auth: str, handler):
    return method, re.compile(pattern), auth, handler


ROUTES = [
    _route("GET", r"/app", "jwt", get_app),
    _route("POST", r"/graphql", "token", graphql),
    _route("POST", r"/app-manifests/(?P<code>[^/]+)/conversions", "none", _manifest_conversion),
    _route("POST", r"/app/installations/(?P<id>\d+)/access_tokens", "jwt", create_token),
    _route("GET", REPO + r"/installation", "jwt", get_repo_installation),
    _route("GET", r"/rate_limit", "rate", rate_limit),
    _route("GET", REPO, "token", get_repo),
    _route("GET", PULL, "token", get_pull),
    _route("GET", PULL + r"/files", "token", list_files),
    _route("GET", PULL + r"/comments", "token", list_review_comments),
    _route("POST", PULL + r"/comments", "token", create_review_comment),
    _route("POST", PULL + r"/comments/(?P<comment_id>\d+)/replies", "token", reply_review_comment),
    _route("GET", REPO + r"/pulls/comments/(?P<comment_id>\d+)", "token", get_review_comment),
    _route("POST", PULL + r"/reviews", "token", create_review),
    _route("GET", PULL + r"/reviews", "token", list_reviews),
    _route("GET", REPO + r"/contents(?:/(?P<path>.*))?", "token", get_content),
    _route("GET", REPO + r"/issues/(?P<number>\d+)", "token", get_issue),
    _route("GET", REPO + r"/issues/(?P<number>\d+)/comments", "token", list_issue_comments),
    _route("POST", REPO + r"/issues/(?P<number>\d+)/comments", "token", create_issue_comment),
    _route("GET", REPO + r"/issues/comments/(?P<comment_id>\d+)", "token", get_issue_comment),
    _route("POST", REPO + r"/issues/comments/(?P<comment_id>\d+)/reactions", "token", create_reaction),
    _route("GET", REPO + r"/collaborators/(?P<user>[^/]+)/permission", "token", collaborator_permission),
    _route("POST", REPO + r"/check-runs", "token", create_check_run),
    _route("PATCH", REPO + r"/check-runs/(?P<id>\d+)", "token", update_check_run),
    _route("GET", REPO + r"/check-runs/(?P<id>\d+)", "token", get_check_run),
    _route("GET", REPO + r"/check-runs/(?P<id>\d+)/annotations", "token", list_annotations),
    _route("GET", REPO + r"/commits/(?P<ref>[^/]+)/check-runs", "token", list_check_runs_for_ref),
]
