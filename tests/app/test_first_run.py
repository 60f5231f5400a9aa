"""First run: no credentials, the home page registers the App through GitHub's manifest flow
(against the fake GitHub over HTTP), and the bot works at once with what GitHub handed back."""
from __future__ import annotations

import html
import json
import re
import stat
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import yaml
from huey import SqliteHuey

from bot.registration import github_web_url
from bot.settings import AppSettings
from bot.store import SqliteStore

from .conftest import INSTALLATION, REPO
from .deliveries import encode, pull_request_event, signed_headers

CHARGE = '''import stripe


def charge(order):
    return stripe.Charge.create(amount=order.total_cents, currency="brl", source=order.token)
'''


def registration_form(page: str) -> tuple[str, dict]:
    """The form's action URL and its decoded manifest, as a browser would submit them."""
    action = html.unescape(re.search(r'<form id="register" action="([^"]+)" method="post">', page).group(1))
    manifest = html.unescape(re.search(r'name="manifest" value="([^"]*)"', page).group(1))
    return action, json.loads(manifest)


class FirstRun:
    """`armadilhas serve` wired as build_web wires it, with no credentials, over a test client."""

    def __init__(self, fake, tmp_path, **settings):
        from bot.credentials import Credentials
        from bot.latency import SqliteLatency
        from bot.serve import prepare_runtime
        from bot.web import create_app
        from bot.worker import build_runtime

        self.fake = fake
        self.settings = AppSettings(github_api_url=fake.base_url, data_dir=tmp_path / "data", **settings)
        self.credentials = Credentials(self.settings)
        huey = SqliteHuey("first-run", filename=str(tmp_path / "queue.db"), results=False)
        self.runtime = build_runtime(self.settings, huey=huey, store=SqliteStore(tmp_path / "state.db"))
        latency = SqliteLatency(tmp_path / "latency.db")
        prepare_runtime(self.runtime, self.credentials, latency)
        self.app = create_app(self.settings, self.runtime.queue, self.runtime.store, credentials=self.credentials,
                              latency=latency)
        self.client = self.app.test_client()

    def start(self, path="/"):
        response = self.client.get(path)
        assert response.status_code == 200, response.text
        return registration_form(response.text)

    def github_redirect(self, action: str, manifest: dict) -> str:
        """What the browser does: POST the form to GitHub, which answers with a redirect back."""
        answer = requests.post(action, data={"manifest": json.dumps(manifest)}, allow_redirects=False, timeout=5)
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]

    def come_back(self, location: str):
        url = urlparse(location)
        return self.client.get(f"{url.path}?{url.query}")


@pytest.fixture
def first_run(fake_github, tmp_path):
    fake_github.add_repo(REPO)
    fake_github.add_installation(INSTALLATION, repos=[REPO])
    return FirstRun(fake_github, tmp_path)


def conversions(fake):
    return fake.requests_to("POST", r"^/app-manifests/")


def test_home_page_offers_registration_with_the_manifest_of_app_yml(first_run):
    action, manifest = first_run.start()
    page = first_run.client.get("/").text
    assert "Register the GitHub App" in page and "organisation" in page
    url = urlparse(action)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{first_run.fake.base_url}/settings/apps/new"
    state = parse_qs(url.query)["state"][0]
    assert len(state) >= 40  # 32 random bytes, url-safe
    app_yml = yaml.safe_load(open("app.yml", encoding="utf-8"))
    assert manifest["hook_attributes"]["url"] == "http://localhost/webhook"
    assert manifest["redirect_url"] == "http://localhost/register/done"
    assert manifest["default_permissions"] == app_yml["default_permissions"]
    assert manifest["default_events"] == app_yml["default_events"]
    # Every page view issues a new state.
    assert parse_qs(urlparse(first_run.start()[0]).query)["state"][0] != state


def test_public_url_setting_wins_over_the_request(fake_github, tmp_path):
    run = FirstRun(fake_github, tmp_path, public_url="https://bot.example.com")
    _, manifest = run.start()
    assert manifest["hook_attributes"]["url"] == "https://bot.example.com/webhook"
    assert manifest["redirect_url"] == "https://bot.example.com/register/done"


def test_organisation_form_posts_to_the_organisation(first_run):
    action, _ = first_run.start("/register?org=acme-corp")
    assert urlparse(action).path == "/organizations/acme-corp/settings/apps/new"
    bad = first_run.client.get("/register?org=../../evil")
    assert bad.status_code == 400 and "Traceback" not in bad.text


def test_webhook_answers_503_until_registered(first_run):
    body = encode(pull_request_event("opened", REPO, 1, "a" * 40, INSTALLATION))
    response = first_run.client.post("/webhook", data=body, headers=signed_headers(body, "anything", "pull_request"))
    assert response.status_code == 503
    assert "not registered" in response.get_json()["message"]


@pytest.mark.parametrize("state", [None, "", "forged-state-value"])
def test_a_wrong_or_missing_state_is_refused_and_converts_nothing(first_run, state):
    action, manifest = first_run.start()
    location = first_run.github_redirect(action, manifest)
    code = parse_qs(urlparse(location).query)["code"][0]
    query = f"code={code}" + ("" if state is None else f"&state={state}")
    response = first_run.client.get(f"/register/done?{query}")
    assert response.status_code == 403 and "not valid" in response.text
    assert conversions(first_run.fake) == []
    assert not (first_run.settings.data_dir / "app.json").exists()


def test_a_state_from_another_browser_is_refused(first_run):
    """Someone else's (code, state) link must not plant their App here: the cookie must match too."""
    action, manifest = first_run.start()
    location = first_run.github_redirect(action, manifest)
    first_run.client.delete_cookie("armadilhas_registration")
    assert first_run.come_back(location).status_code == 403
    assert conversions(first_run.fake) == []


def test_registration_stores_credentials_and_the_bot_works_without_restart(first_run):
    fake = first_run.fake
    action, manifest = first_run.start()
    location = first_run.github_redirect(action, manifest)
    done = first_run.come_back(location)
    assert done.status_code == 201, done.text
    assert "The GitHub App is registered" in done.text
    assert f'href="{fake.base_url}/apps/armadilhas/installations/new"' in done.text
    assert len(conversions(fake)) == 1

    data = first_run.settings.data_dir
    for name in ("app.json", "app.pem"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    stored = json.loads((data / "app.json").read_text())
    assert stored["app_id"] == str(fake.app_id) and stored["webhook_secret"] == fake.webhook_secret
    assert (data / "app.pem").read_text().strip() == fake.app_private_key_pem.strip()

    # The same link again: nothing converts twice.
    assert first_run.come_back(location).status_code == 409
    assert len(conversions(fake)) == 1

    # Signed with the new secret: accepted; forged: refused.
    pull = fake.add_pull(REPO, 1, head_files={"billing.py": CHARGE})
    body = encode(pull_request_event("opened", REPO, 1, pull.head_sha, INSTALLATION))
    forged = first_run.client.post("/webhook", data=body, headers=signed_headers(body, "not-the-secret", "pull_request"))
    assert forged.status_code == 401
    accepted = first_run.client.post("/webhook", data=body,
                                     headers=signed_headers(body, fake.webhook_secret, "pull_request"))
    assert accepted.status_code == 202, accepted.get_json()
    # The in-process worker talks to GitHub with the new App's key, no restart.
    assert first_run.runtime.queue.run_pending() == 1
    assert [c["line"] for c in fake.review_comments(REPO, 1)] == [5]
    assert first_run.client.get("/").text.count("armadilhas is running") == 1


def test_an_expired_or_unknown_code_gives_a_clear_page_and_stores_nothing(first_run):
    action, manifest = first_run.start()
    location = first_run.github_redirect(action, manifest)
    query = parse_qs(urlparse(location).query)
    state = query["state"][0]
    response = first_run.client.get(f"/register/done?code=not-a-code-github-gave&state={state}")
    assert response.status_code == 502
    assert "GitHub refused the registration code (404" in response.text and "Traceback" not in response.text
    assert not (first_run.settings.data_dir / "app.json").exists()


@pytest.mark.parametrize("api, web", [
    ("https://api.github.com", "https://github.com"),
    ("https://ghe.example.com/api/v3", "https://ghe.example.com"),
    ("https://api.acme.ghe.com", "https://acme.ghe.com"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
])
def test_github_web_url_is_derived_from_the_api_url(api, web):
    assert github_web_url(api) == web


def test_setup_command_serves_the_same_flow_from_a_terminal(fake_github, tmp_path):
    import io
    import socket
    import threading
    import time

    from bot.app_cli import run_setup_server
    from bot.credentials import Credentials
    from bot.registration import default_manifest_path

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = AppSettings(github_api_url=fake_github.base_url, data_dir=tmp_path / "data")
    out = io.StringIO()
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("rc", run_setup_server(
        settings, Credentials(settings), default_manifest_path(), "https://bot.example.com", port, out=out)))
    thread.start()
    deadline = time.monotonic() + 10
    while f"http://localhost:{port}/" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.05)
    session = requests.Session()
    page = session.get(f"http://localhost:{port}/", timeout=5).text
    action, manifest = registration_form(page)
    assert manifest["hook_attributes"]["url"] == "https://bot.example.com/webhook"
    assert manifest["redirect_url"] == f"http://localhost:{port}/register/done"
    done = session.post(action, data={"manifest": json.dumps(manifest)}, timeout=5)  # follows GitHub's redirect
    assert done.status_code == 201 and "The GitHub App is registered" in done.text
    thread.join(10)
    assert result.get("rc") == 0
    assert "Registered App armadilhas" in out.getvalue()
    assert (tmp_path / "data" / "app.pem").is_file()
