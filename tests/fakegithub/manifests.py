"""GitHub's App manifest flow, faked: the web page /settings/apps/new (and the organisation form)
and the API's POST /app-manifests/{code}/conversions.

Docs: https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest
The page takes the form field `manifest` (JSON) and `?state=`, checks the manifest like GitHub
(name, url, hook_attributes.url, redirect_url; permissions and events known), then, where GitHub
asks the person to confirm the name, redirects at once to `redirect_url?code=...&state=...`.
A code converts once, within an hour. The App it creates is the fake's own App: its id and slug
become the fake's, and `pem` is the key the fake's JWT check expects.
"""
from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlparse

from werkzeug.wrappers import Request, Response

from .server import HttpError

WEB_PAGES = re.compile(r"/(?:organizations/(?P<org>[^/]+)/)?settings/apps/new")
PERMISSIONS = {"pull_requests", "checks", "contents", "issues", "metadata", "statuses", "actions",
               "administration", "deployments", "members", "organization_hooks", "repository_hooks"}
EVENTS = {"pull_request", "issue_comment", "check_run", "check_suite", "push", "pull_request_review",
          "pull_request_review_comment", "installation_target"}
CODE_LIFETIME = 3600


@dataclass
class PendingApp:
    manifest: dict
    org: str | None
    issued: float
    used: bool = False


def _fail(message: str, status: int = 422) -> Response:
    return Response(f"<!doctype html><p id=error>{message}</p>", status=status, content_type="text/html")


def _check_manifest(manifest: object) -> str | None:
    if not isinstance(manifest, dict):
        return "manifest must be a JSON object"
    for key in ("name", "url", "redirect_url"):
        if not isinstance(manifest.get(key), str) or not manifest[key]:
            return f"manifest lacks {key}"
    hook = manifest.get("hook_attributes")
    if not isinstance(hook, dict) or not urlparse(str(hook.get("url", ""))).scheme:
        return "manifest lacks hook_attributes.url"
    unknown = set(manifest.get("default_permissions") or {}) - PERMISSIONS
    if unknown:
        return f"unknown permissions {sorted(unknown)}"
    unknown = set(manifest.get("default_events") or []) - EVENTS
    if unknown:
        return f"unknown events {sorted(unknown)}"
    return None


def new_app_page(fake, request: Request, org: str | None) -> Response:
    """GET shows what a person would see; POST (the bot's form) creates the App and redirects back."""
    if request.method == "GET":
        return Response("<!doctype html><h1>Register new GitHub App</h1>", content_type="text/html")
    if request.method != "POST":
        return _fail("method not allowed", 405)
    raw = request.form.get("manifest")
    if raw is None:
        return _fail("no manifest form field", 400)
    try:
        manifest = json.loads(raw)
    except ValueError:
        return _fail("manifest is not JSON", 400)
    problem = _check_manifest(manifest)
    if problem:
        return _fail(problem)
    code = secrets.token_hex(10)
    with fake._lock:
        fake.manifest_codes[code] = PendingApp(manifest, org, time.monotonic())
        fake.manifests_received.append({"manifest": manifest, "org": org, "state": request.args.get("state")})
    query = {"code": code}
    if "state" in request.args:
        query["state"] = request.args["state"]
    return Response("", status=302, headers={"Location": f"{manifest['redirect_url']}?{urlencode(query)}"})


def convert(fake, req, m, body, inst):
    pending = fake.manifest_codes.get(m["code"])
    if pending is None or pending.used or time.monotonic() - pending.issued > CODE_LIFETIME:
        raise HttpError(404, "Not Found", doc="https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest")
    if fake.app_private_key_pem is None:
        raise HttpError(500, "fake misconfigured: no App private key to hand out")
    pending.used = True
    manifest = pending.manifest
    slug = re.sub(r"[^a-z0-9-]+", "-", manifest["name"].lower()).strip("-")
    fake.app_id = fake.next_id()
    fake.app_slug = slug
    fake.webhook_secret = secrets.token_hex(20)
    fake.client_secret = secrets.token_hex(20)
    from .handlers import _app_body

    answer = _app_body(fake)
    answer.update(name=manifest["name"], description=manifest.get("description") or "",
                  external_url=manifest["url"], client_id=f"Iv1.{secrets.token_hex(8)}",
                  client_secret=fake.client_secret, webhook_secret=fake.webhook_secret,
                  pem=fake.app_private_key_pem, owner={**answer["owner"], "login": pending.org or "octocat"})
    return 201, answer, {}


def handle_web(fake, request: Request) -> Response | None:
    """The web (not API) pages; None when `request` is for the API."""
    match = WEB_PAGES.fullmatch(request.path)
    if match is None:
        return None
    return new_app_page(fake, request, match["org"])
