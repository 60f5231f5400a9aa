"""FakeGitHub: a stateful fake of the GitHub REST endpoints the bot uses, served over real HTTP
(werkzeug in a thread on 127.0.0.1, random port) so the real PyGithub client can talk to it.

    with FakeGitHub(app_id=1, public_key_pem=pem) as fake:
        fake.add_installation(7, repos=["acme/api"])
        fake.add_repo("acme/api", files={"app.py": "..."})
        pr = fake.add_pull("acme/api", 1, head_files={"app.py": "..."})

What it checks like GitHub: RS256 app JWTs (iss = app id, exp in the future), installation
tokens (401 once expired or unknown, 404 for repos outside the installation), review comment
lines against the diff hunks (the whole review fails with 422), 50 annotations per request,
`per_page` <= 100 with Link headers, at most 3000 files per pull request. Every response carries
x-ratelimit-* headers; `fail_next` injects 5xx/403/429/401 answers.
"""
from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import jwt
from werkzeug.wrappers import Request, Response

from ..loopback import LoopbackServer

from . import shapes
from .state import PullState, Repo, Tree, changed_files, tree_sha

DOCS = "https://docs.github.com/rest"
RATE_LIMIT = 5000


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict
    headers: dict
    json: object
    status: int = 0


@dataclass
class Fault:
    method: str
    path: re.Pattern
    status: int
    headers: dict
    body: object
    times: int


@dataclass
class Token:
    installation_id: int
    expires_at: float
    revoked: bool = False


@dataclass
class Installation:
    id: int
    account: str
    repos: set[str]
    permissions: dict[str, str]
    used: int = 0
    reset: float = field(default_factory=lambda: time.time() + 3600)


class HttpError(Exception):
    def __init__(self, status: int, message: str, errors: list | None = None, doc: str = DOCS, headers=None):
        self.status, self.message, self.errors, self.doc, self.headers = status, message, errors, doc, headers or {}

    def body(self) -> dict:
        body: dict = {"message": self.message, "documentation_url": self.doc, "status": str(self.status)}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


DEFAULT_PERMISSIONS = {
    "checks": "write",
    "contents": "read",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
}


class FakeGitHub(LoopbackServer):
    THREAD_NAME = "fake-github"

    def __init__(self, *, app_id: int = 4242, public_key_pem: str | None = None, app_slug: str = "armadilhas"):
        self.app_id = app_id
        self.public_key_pem = public_key_pem
        self.app_slug = app_slug
        self.token_lifetime = 3600.0
        self.requests: list[RecordedRequest] = []
        self.internal_errors: list[Exception] = []  # bugs in the fake itself (answered with 500)
        self._lock = threading.RLock()
        self._ids = itertools.count(1001)
        self._faults: list[Fault] = []
        self._tokens: dict[str, Token] = {}
        self.installations: dict[int, Installation] = {}
        self.repos: dict[str, Repo] = {}
        self.pulls: dict[tuple[str, int], PullState] = {}
        self._reviews: dict[tuple[str, int], list[dict]] = {}
        self._review_comments: dict[tuple[str, int], list[dict]] = {}
        self._issue_comments: dict[tuple[str, int], list[dict]] = {}
        self._reactions: dict[int, list[dict]] = {}
        self._check_runs: dict[str, list[dict]] = {}
        # Review threads (graphql.py): root comment id -> {"resolved", "by"}; resolve/unresolve log.
        self.thread_states: dict[int, dict] = {}
        self.thread_events: list[tuple[str, int, str]] = []
        # The manifest flow (manifests.py): codes handed out, manifests received, what conversion returns.
        self.app_private_key_pem: str | None = None
        self.manifest_codes: dict = {}
        self.manifests_received: list[dict] = []
        self.webhook_secret: str | None = None
        self.client_secret: str | None = None

    def next_id(self) -> int:
        return next(self._ids)

    # -- world building --------------------------------------------------------------------
    def add_installation(self, installation_id: int, repos=(), account: str | None = None,
                         permissions: dict | None = None) -> Installation:
        with self._lock:
            repos = set(repos)
            account = account or (next(iter(repos)).split("/")[0] if repos else "acme")
            inst = Installation(installation_id, account, repos, dict(permissions or DEFAULT_PERMISSIONS))
            self.installations[installation_id] = inst
            for name in repos:
                if name not in self.repos:
                    self.add_repo(name)
            return inst

    def add_repo(self, full_name: str, default_branch: str = "main", files: Tree | None = None,
                 private: bool = False) -> Repo:
        with self._lock:
            r = Repo(self.next_id(), full_name, default_branch, private)
            tree = dict(files or {})
            r.refs[default_branch] = tree
            r.refs[tree_sha(tree, full_name)] = tree
            self.repos[full_name] = r
            return r

    def set_files(self, repo: str, files: Tree, ref: str | None = None) -> None:
        """Replace the tree of a branch (default branch when ref is None)."""
        with self._lock:
            r = self.repos[repo]
            r.refs[ref or r.default_branch] = dict(files)

    def add_pull(self, repo: str, number: int, base_files: Tree | None = None, head_files: Tree | None = None,
                 head_sha: str | None = None, draft: bool = False, user: str = "octocat", *,
                 omit_patch_for=(), renames: dict[str, str] | None = None, head_repo: str | None = None,
                 base_ref: str | None = None, head_ref: str = "feature") -> PullState:
        """base tree = default branch + base_files; head tree = base tree + head_files
        (a None value deletes the file); renames maps new path -> old path."""
        with self._lock:
            r = self.repos[repo]
            base_ref = base_ref or r.default_branch
            base = dict(r.refs.get(base_ref, {}))
            base.update(base_files or {})
            base_sha = tree_sha(base, f"{repo}:base:{number}")
            r.refs[base_sha] = base
            if head_repo and head_repo not in self.repos:
                self.add_repo(head_repo)
            p = PullState(repo=repo, number=number, id=self.next_id(), base_ref=base_ref, base_sha=base_sha,
                          head_sha="", head_ref=head_ref, head_repo=head_repo or repo, user=user, draft=draft,
                          omit_patch_for=set(omit_patch_for), renames=dict(renames or {}))
            self.pulls[(repo, number)] = p
            self._set_head(p, base, head_files or {}, head_sha)
            return p

    def push(self, repo: str, number: int, head_files: Tree, head_sha: str | None = None) -> str:
        """A new commit on the PR branch: head tree updated with head_files. Returns the new sha."""
        with self._lock:
            p = self.pulls[(repo, number)]
            current = self.repos[repo].refs[p.head_sha]
            return self._set_head(p, current, head_files, head_sha)

    def _set_head(self, p: PullState, start: Tree, updates: Tree, head_sha: str | None) -> str:
        head = dict(start)
        for path, value in updates.items():
            if value is None:
                head.pop(path, None)
            else:
                head[path] = value
        for new, old in p.renames.items():
            if new not in updates and old in head and new not in head:
                head[new] = head.pop(old)
        sha = head_sha or tree_sha(head, f"{p.repo}:{p.number}:{len(p.commits)}")
        r = self.repos[p.repo]
        r.refs[sha] = head
        self.repos[p.head_repo].refs[sha] = head
        self.repos[p.head_repo].refs[p.head_ref] = head
        base = r.refs[p.base_sha]
        p.commits[sha] = changed_files(base, head, p.renames, p.omit_patch_for)
        p.head_sha = sha
        return sha

    def set_permission(self, repo: str, user: str, permission: str) -> None:
        with self._lock:
            self.repos[repo].permissions[user] = permission

    def add_issue_comment(self, repo: str, number: int, body: str, user: str = "octocat") -> dict:
        """A comment by someone else (e.g. a `/armadilhas recheck` from a maintainer)."""
        with self._lock:
            c = {"id": self.next_id(), "body": body, "user": user, "created_at": shapes.iso()}
            self._issue_comments.setdefault((repo, number), []).append(c)
            return shapes.issue_comment(self.base_url, self.repos[repo], number, c)

    def add_review_comment(self, repo: str, number: int, path: str, line: int, body: str,
                           user: str = "octocat", side: str = "RIGHT") -> dict:
        from .handlers import store_review_comment

        with self._lock:
            p = self.pulls[(repo, number)]
            c = store_review_comment(self, p, None, {"path": path, "line": line, "side": side, "body": body},
                                     p.head_sha, user)
            return shapes.review_comment(self.base_url, self.repos[repo], p, c)

    # -- fault injection and tokens --------------------------------------------------------
    def fail_next(self, method: str, path_regex: str, status: int, headers: dict | None = None,
                  body: object = None, times: int = 1) -> None:
        with self._lock:
            self._faults.append(Fault(method.upper(), re.compile(path_regex), status, dict(headers or {}), body, times))

    def expire_tokens(self) -> None:
        with self._lock:
            for token in self._tokens.values():
                token.expires_at = min(token.expires_at, time.time() - 1)

    def new_token(self, installation_id: int) -> tuple[str, float]:
        token = "ghs_" + secrets.token_hex(18)
        expires_at = time.time() + self.token_lifetime
        self._tokens[token] = Token(installation_id, expires_at)
        return token, expires_at

    # -- inspection ------------------------------------------------------------------------
    def reviews(self, repo: str, number: int) -> list[dict]:
        return list(self._reviews.get((repo, number), []))

    def review_comments(self, repo: str, number: int) -> list[dict]:
        return list(self._review_comments.get((repo, number), []))

    def issue_comments(self, repo: str, number: int) -> list[dict]:
        return list(self._issue_comments.get((repo, number), []))

    def check_runs(self, repo: str) -> list[dict]:
        return list(self._check_runs.get(repo, []))

    def thread_resolved(self, root_comment_id: int) -> bool:
        return bool(self.thread_states.get(root_comment_id, {}).get("resolved"))

    def set_thread_resolved(self, root_comment_id: int, resolved: bool, by: str = "octocat") -> None:
        """A person resolving or re-opening a thread in the UI."""
        with self._lock:
            self.thread_states[root_comment_id] = {"resolved": resolved, "by": by if resolved else None}
            self.thread_events.append(("resolve" if resolved else "unresolve", root_comment_id, by))

    def reactions(self, comment_id: int) -> list[dict]:
        return list(self._reactions.get(comment_id, []))

    def requests_to(self, method: str, path_regex: str) -> list[RecordedRequest]:
        rx = re.compile(path_regex)
        return [r for r in self.requests if r.method == method.upper() and rx.search(r.path)]

    # -- HTTP ------------------------------------------------------------------------------
    def _wsgi(self, environ, start_response):
        from .manifests import handle_web

        request = Request(environ)
        response = handle_web(self, request) or self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        from .handlers import ROUTES

        bad_json = False
        try:
            payload = json.loads(request.get_data() or b"null")
        except ValueError:
            payload, bad_json = None, True
        record = RecordedRequest(request.method, request.path, dict(request.args), dict(request.headers), payload)
        with self._lock:
            self.requests.append(record)
            inst: Installation | None = None
            try:
                if bad_json:
                    raise HttpError(400, "Problems parsing JSON")
                fault = self._take_fault(request.method, request.path)
                if fault is not None:
                    return self._fault_response(record, fault)
                for method, pattern, auth, handler in ROUTES:
                    match = pattern.fullmatch(request.path)
                    if method != request.method or not match:
                        continue
                    inst = self._authenticate(request, auth, match)
                    status, body, headers = handler(self, request, match, payload, inst)
                    return self._respond(record, status, body, headers, inst)
                raise HttpError(404, "Not Found")
            except HttpError as err:
                return self._respond(record, err.status, err.body(), err.headers, inst)
            except Exception as exc:  # a bug in the fake: answer 500 and keep it for the test to see
                self.internal_errors.append(exc)
                return self._respond(record, 500, {"message": f"fake internal error: {exc!r}"}, {}, inst)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.method == method and fault.path.search(path):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _fault_response(self, record: RecordedRequest, fault: Fault) -> Response:
        headers = dict(fault.headers)
        body = fault.body
        if body is None:
            if fault.status == 403 and "x-ratelimit-remaining" in {k.lower() for k in headers}:
                body = {"message": "API rate limit exceeded for installation ID 1.",
                        "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api", "status": "403"}
            elif fault.status in (403, 429):
                body = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you "
                        "try again.", "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api",
                        "status": str(fault.status)}
            elif fault.status == 401:
                body = {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}
            else:
                body = {"message": "Server Error", "status": str(fault.status)}
        return self._respond(record, fault.status, body, headers, None)

    def _respond(self, record: RecordedRequest, status: int, body, headers: dict, inst) -> Response:
        record.status = status
        merged = self._rate_headers(inst)
        lowered = {k.lower(): k for k in merged}
        for key, value in (headers or {}).items():
            merged.pop(lowered.get(key.lower(), key), None)
            merged[key] = str(value)
        merged.setdefault("X-GitHub-Request-Id", secrets.token_hex(8).upper())
        merged.setdefault("X-GitHub-Api-Version-Selected", "2022-11-28")
        text = "" if body is None else json.dumps(body)
        return Response(text, status=status, headers=merged,
                        content_type="application/json; charset=utf-8")

    def _rate_headers(self, inst: Installation | None) -> dict:
        used = inst.used if inst else 1
        reset = inst.reset if inst else time.time() + 3600
        return {
            "x-ratelimit-limit": str(RATE_LIMIT),
            "x-ratelimit-remaining": str(max(RATE_LIMIT - used, 0)),
            "x-ratelimit-used": str(used),
            "x-ratelimit-reset": str(int(reset)),
            "x-ratelimit-resource": "core",
        }

    def _authenticate(self, request: Request, auth: str, match) -> Installation | None:
        header = request.headers.get("Authorization", "")
        scheme, _, credential = header.partition(" ")
        if auth == "none":
            return None
        if auth == "jwt":
            self._check_jwt(scheme, credential)
            return None
        if not credential:
            raise HttpError(401, "Requires authentication", doc=DOCS)
        token = self._tokens.get(credential)
        if token is None or token.revoked or token.expires_at <= time.time():
            raise HttpError(401, "Bad credentials", doc=DOCS)
        inst = self.installations[token.installation_id]
        if auth != "rate":
            inst.used += 1
        repo = match.groupdict().get("repo")
        if repo is not None and repo not in inst.repos:
            raise HttpError(404, "Not Found")
        return inst

    def _check_jwt(self, scheme: str, credential: str) -> None:
        if scheme.lower() != "bearer" or not credential:
            raise HttpError(401, "A JSON web token could not be decoded", doc=DOCS)
        if self.public_key_pem is None:
            raise HttpError(500, "fake misconfigured: no public key")
        try:
            claims = jwt.decode(credential, self.public_key_pem, algorithms=["RS256"],
                                options={"require": ["exp", "iat", "iss"], "verify_iat": False}, leeway=0)
        except jwt.ExpiredSignatureError:
            raise HttpError(401, "'Expiration time' claim ('exp') must be a numeric value representing the "
                            "future time at which the assertion expires", doc=DOCS) from None
        except jwt.PyJWTError:
            raise HttpError(401, "A JSON web token could not be decoded", doc=DOCS) from None
        if str(claims.get("iss")) != str(self.app_id):
            raise HttpError(401, "'Issuer' claim ('iss') must be an Integer", doc=DOCS)
        if claims["exp"] - claims["iat"] > 600 + 60:
            raise HttpError(401, "'Expiration time' claim ('exp') is too far in the future", doc=DOCS)

    # -- pagination ------------------------------------------------------------------------
    def paginate(self, request: Request, items: list) -> tuple[list, dict]:
        try:
            per_page = min(max(int(request.args.get("per_page", 30)), 1), 100)
            page = max(int(request.args.get("page", 1)), 1)
        except ValueError:
            per_page, page = 30, 1
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []
        query = {k: v for k, v in request.args.items() if k not in ("page", "per_page")}

        def url(n: int) -> str:
            return f"{self.base_url}{request.path}?{urlencode({**query, 'page': n, 'per_page': per_page})}"

        if page > 1:
            links.append(f'<{url(page - 1)}>; rel="prev"')
        if page < last:
            links.append(f'<{url(page + 1)}>; rel="next"')
            links.append(f'<{url(last)}>; rel="last"')
        if page > 1:
            links.append(f'<{url(1)}>; rel="first"')
        return chunk, ({"Link": ", ".join(links)} if links else {})
