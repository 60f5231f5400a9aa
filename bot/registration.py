"""First run: register the GitHub App through GitHub's manifest flow, from a web page.

    GET  /                 what the bot does, and the "Register the GitHub App" button (a form that
                           POSTs the manifest to GitHub's /settings/apps/new with a fresh `state`)
    GET  /register?org=O   the same form for an organisation
    GET  /register/done    GitHub's redirect: check `state`, convert the code, store the credentials

Docs: https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest
A `state` is single-use, expires after an hour (GitHub's codes do too), and must also match the
browser's cookie: a link carrying someone else's code and state cannot plant their App here.
"""
from __future__ import annotations

import json
import logging
import re
import secrets
import sqlite3
import sys
from pathlib import Path
from urllib.parse import urlparse

import requests
import yaml
from flask import Blueprint, make_response, render_template, request

from .credentials import Credentials

log = logging.getLogger("armadilhas.registration")

STATE_TTL = 3600
STATE_COOKIE = "armadilhas_registration"
DONE_PATH = "/register/done"
_CODE = re.compile(r"[A-Za-z0-9_-]{1,200}")
_ORG = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")


class RegistrationError(Exception):
    """Shown to the person registering; never carries a traceback."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# -- the manifest ------------------------------------------------------------------------------
def default_manifest_path() -> Path:
    """app.yml of the current directory, else the checkout beside the package, else the installed copy."""
    for candidate in (Path("app.yml"), Path(__file__).resolve().parent.parent / "app.yml",
                      Path(sys.prefix) / "share" / "armadilhas" / "app.yml"):
        if candidate.is_file():
            return candidate
    raise RegistrationError("app.yml (the App manifest) was not found", 500)


def manifest(path: Path, public_url: str, redirect_url: str | None = None) -> dict:
    """GitHub's App manifest from app.yml: webhook at PUBLIC_URL/webhook, redirect back to the bot."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RegistrationError(f"cannot read the App manifest {path}: {exc}", 500) from None
    base = public_url.rstrip("/")
    data["url"] = data.get("url") or base
    data["hook_attributes"] = {"url": f"{base}/webhook", "active": True}
    data["redirect_url"] = redirect_url or f"{base}{DONE_PATH}"
    return data


def github_web_url(api_url: str) -> str:
    """The web host that serves /settings/apps/new for a REST base URL.

    api.github.com -> github.com; GHES https://HOST/api/v3 -> https://HOST; GHE.com
    api.SUB.ghe.com -> SUB.ghe.com; anything else is taken to serve both."""
    parsed = urlparse(api_url.rstrip("/"))
    path = parsed.path
    host = parsed.netloc
    if path.endswith("/api/v3"):
        path = path[: -len("/api/v3")]
    elif host.startswith("api."):
        host = host[len("api."):]
    return f"{parsed.scheme}://{host}{path}"


def new_app_url(web_url: str, org: str | None) -> str:
    if org:
        return f"{web_url}/organizations/{org}/settings/apps/new"
    return f"{web_url}/settings/apps/new"


def valid_org(org: str) -> bool:
    return bool(_ORG.fullmatch(org))


# -- states ------------------------------------------------------------------------------------
class States:
    """Single-use registration states in a small SQLite file of the data directory, shared by every
    process of this host. Expiry uses SQLite's clock only."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "registration.db"
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS states (state TEXT PRIMARY KEY, expires INTEGER NOT NULL)")

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10, isolation_level=None)

    def issue(self) -> str:
        state = secrets.token_urlsafe(32)
        db = self._db()
        try:
            db.execute("DELETE FROM states WHERE expires <= unixepoch()")
            db.execute("INSERT INTO states (state, expires) VALUES (?, unixepoch() + ?)", (state, STATE_TTL))
        finally:
            db.close()
        return state

    def consume(self, state: str) -> bool:
        db = self._db()
        try:
            row = db.execute("DELETE FROM states WHERE state = ? RETURNING expires > unixepoch()", (state,)).fetchone()
        finally:
            db.close()
        return bool(row and row[0])


# -- the conversion ----------------------------------------------------------------------------
def convert(api_url: str, code: str, timeout: float = 15.0) -> dict:
    """POST /app-manifests/{code}/conversions: the App's id, slug, pem and webhook secret."""
    if not _CODE.fullmatch(code):
        raise RegistrationError("the code GitHub sent back is malformed")
    url = f"{api_url.rstrip('/')}/app-manifests/{code}/conversions"
    try:
        response = requests.post(url, headers={"Accept": "application/vnd.github+json",
                                               "X-GitHub-Api-Version": "2022-11-28"}, timeout=timeout)
    except requests.RequestException as exc:
        raise RegistrationError(f"GitHub could not be reached at {api_url}: {type(exc).__name__}", 502) from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 201:
        message = body.get("message") if isinstance(body, dict) else None
        raise RegistrationError(f"GitHub refused the registration code ({response.status_code}: "
                                f"{message or 'no message'}); codes are valid for one hour, start again", 502)
    missing = [k for k in ("id", "pem", "webhook_secret") if not (isinstance(body, dict) and body.get(k))]
    if missing:
        raise RegistrationError(f"GitHub's answer lacks {', '.join(missing)}", 502)
    return body


# -- the pages ---------------------------------------------------------------------------------
def blueprint(credentials: Credentials, api_url: str, public_url: str | None,
              manifest_path: Path | None = None, redirect_base: str | None = None) -> Blueprint:
    """`public_url`: where GitHub sends webhooks (None: the URL this page was requested on).
    `redirect_base`: where the browser comes back to (default: the same), e.g. the local address
    of `armadilhas setup` while webhooks go to the public one."""
    pages = Blueprint("registration", __name__)
    states = States(credentials.data_dir)
    web_url = github_web_url(api_url)

    def base_url() -> str:
        return public_url or request.host_url.rstrip("/")

    def form(org: str | None):
        path = manifest_path or default_manifest_path()
        back = (redirect_base or public_url or request.host_url).rstrip("/") + DONE_PATH
        state = states.issue()
        data = manifest(path, base_url(), back)
        html = render_template("register.html", action=new_app_url(web_url, org), state=state,
                               manifest=json.dumps(data), data=data, org=org, web_url=web_url,
                               webhook_url=data["hook_attributes"]["url"])
        response = make_response(html)
        response.set_cookie(STATE_COOKIE, state, max_age=STATE_TTL, httponly=True, samesite="Lax",
                            secure=request.is_secure)
        return response

    @pages.get("/")
    def home():
        creds = credentials.current()
        if creds is not None:
            return render_template("registered.html", creds=creds, just_now=False)
        return form(None)

    @pages.get("/register")
    def register():
        if credentials.registered:
            return render_template("error.html", message="The App is already registered."), 409
        org = (request.args.get("org") or "").strip()
        if org and not valid_org(org):
            return render_template("error.html", message=f"{org!r} is not a GitHub organisation name."), 400
        return form(org or None)

    @pages.get(DONE_PATH)
    def done():
        if credentials.registered:
            return render_template("error.html", message="The App is already registered."), 409
        state = request.args.get("state") or ""
        code = request.args.get("code") or ""
        cookie = request.cookies.get(STATE_COOKIE) or ""
        # Both must agree and the state must be one we issued and not used yet.
        if not state or not secrets.compare_digest(state, cookie) or not states.consume(state):
            log.warning("registration refused: missing, unknown or reused state")
            return render_template("error.html", message="This registration link is not valid (unknown, reused or "
                                   "expired state, or opened in another browser). Start again from the home page."), 403
        if not code:
            return render_template("error.html", message="GitHub sent no code back."), 400
        try:
            answer = convert(api_url, code)
            creds = credentials.save(app_id=answer["id"], private_key=answer["pem"],
                                     webhook_secret=answer["webhook_secret"], slug=answer.get("slug"),
                                     html_url=answer.get("html_url"))
        except RegistrationError as exc:
            log.warning("registration failed: %s", exc)
            return render_template("error.html", message=str(exc)), exc.status
        log.info("GitHub App registered", extra={"app_id": creds.app_id, "slug": creds.slug})
        response = make_response(render_template("registered.html", creds=creds, just_now=True), 201)
        response.delete_cookie(STATE_COOKIE)
        return response

    return pages
