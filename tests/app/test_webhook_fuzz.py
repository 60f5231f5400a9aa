"""Hostile deliveries at /webhook: random and truncated bodies, wrong content types, huge headers,
unknown events, structurally wrong JSON behind a valid signature. Never a 5xx, never a traceback."""
from __future__ import annotations

import json
import os

import pytest
from huey import SqliteHuey
from hypothesis import HealthCheck, given, settings, strategies as st

from bot.queue import JobQueue
from bot.settings import AppSettings
from bot.store import SqliteStore
from bot.web import create_app
from bot.webhook import signature_for

from .conftest import SECRET
from .deliveries import encode, example

EXAMPLES = int(os.environ.get("ARMADILHAS_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES * 2, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
EVENTS = ["pull_request", "issue_comment", "check_run", "ping", "installation", "push", "star", "", "pull_request\x00"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("webhook-fuzz")
    app_settings = AppSettings(webhook_secret=SECRET, data_dir=tmp)
    queue = JobQueue(SqliteHuey("fuzz", filename=str(tmp / "queue.db"), results=False))
    return create_app(app_settings, queue, SqliteStore(tmp / "state.db")).test_client()


def check(response):
    assert response.status_code < 500, response.get_data()[:500]
    assert b"Traceback" not in response.get_data()


def signed(client, body: bytes, event: str, content_type: str = "application/json", extra: dict | None = None):
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": os.urandom(8).hex(),
               "X-Hub-Signature-256": signature_for(SECRET, body), "Content-Type": content_type}
    headers.update(extra or {})
    return client.post("/webhook", data=body, headers=headers)


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(EVENTS))
def test_random_bytes_signed_or_not(client, body, event):
    check(client.post("/webhook", data=body, headers={"X-GitHub-Event": event}))
    check(signed(client, body, event))


@FUZZ
@given(st.sampled_from(["pull_request.opened", "issue_comment.created.with-installation", "check_run.rerequested"]),
       st.integers(0, 100), st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded",
                                              "multipart/form-data; boundary=x", "", "application/json; charset=latin-1"]))
def test_truncated_real_payloads_and_wrong_content_types(client, name, percent, content_type):
    body = encode(example(name))
    cut = body[: len(body) * percent // 100]
    check(signed(client, cut, name.split(".")[0], content_type))


@FUZZ
@given(st.sampled_from(EVENTS), json_values)
def test_any_json_behind_a_valid_signature(client, event, value):
    check(signed(client, json.dumps(value).encode(), event))


@FUZZ
@given(st.sampled_from(["pull_request", "issue_comment", "check_run"]), st.data())
def test_known_events_with_fields_of_the_wrong_shape(client, event, data):
    name = {"pull_request": "pull_request.opened", "issue_comment": "issue_comment.created.with-installation",
            "check_run": "check_run.rerequested"}[event]
    payload = example(name)
    for key in data.draw(st.lists(st.sampled_from(["pull_request", "installation", "repository", "issue",
                                                   "comment", "check_run", "action"]), max_size=3)):
        payload[key] = data.draw(json_values)
    check(signed(client, encode(payload), event))


@pytest.mark.parametrize("size", [8 * 1024, 64 * 1024])
def test_huge_headers(client, size):
    body = encode(example("ping"))
    check(signed(client, body, "ping", extra={"X-Padding": "a" * size}))
    check(signed(client, body, "x" * size))
    check(client.post("/webhook", data=body, headers={"X-Hub-Signature-256": "sha256=" + "0" * size}))
