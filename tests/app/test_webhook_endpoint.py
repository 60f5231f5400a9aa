"""POST /webhook: verify before parsing, de-duplicate redeliveries, enqueue and answer fast."""

import pytest
from huey import SqliteHuey

from bot.queue import JobQueue
from bot.settings import AppSettings
from bot.store import SqliteStore
from bot.web import create_app

from .deliveries import comment_event, encode, example, pull_request_event, signed_headers

SECRET = "webhook-secret-for-tests"


@pytest.fixture
def queue(tmp_path):
    return JobQueue(SqliteHuey("web-test", filename=str(tmp_path / "queue.db"), results=False))


@pytest.fixture
def client(tmp_path, queue):
    settings = AppSettings(webhook_secret=SECRET, data_dir=tmp_path, max_body_bytes=64 * 1024)
    app = create_app(settings, queue, SqliteStore(tmp_path / "state.db"))
    return app.test_client()


def queued(queue):
    """The (kind, payload) of every queued job, without running them."""
    jobs = []
    while (task := queue.huey.dequeue()) is not None:
        (job_id,), _ = task.data  # huey carries the id; the job itself is in the lease journal
        lease = queue.leases.claim(job_id, 60)
        jobs.append((lease.kind, lease.payload))
    return jobs


def post(client, payload, event="pull_request", secret=SECRET, delivery=None, body=None, headers=None):
    body = encode(payload) if body is None else body
    h = signed_headers(body, secret, event, delivery)
    h.update(headers or {})
    return client.post("/webhook", data=body, headers=h)


def test_valid_pull_request_delivery_is_queued_with_202(client, queue):
    payload = example("pull_request.opened")
    response = post(client, payload)
    assert response.status_code == 202
    [(kind, job)] = queued(queue)
    assert kind == "review"
    assert job["repo"] == "Codertocat/Hello-World" and job["number"] == 2
    assert job["head_sha"] == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
    assert job["installation"] == 1 and job["job"] == 1


def test_bad_signature_is_401_and_nothing_is_parsed_or_queued(client, queue):
    # The body is not even JSON: a 401 (not a 400) proves verification came first.
    response = post(client, {}, secret="wrong", body=b"{not json")
    assert response.status_code == 401
    assert post(client, example("pull_request.opened"), secret="wrong").status_code == 401
    assert queued(queue) == []


def test_missing_signature_is_401(client):
    body = encode(example("pull_request.opened"))
    response = client.post("/webhook", data=body, headers={"X-GitHub-Event": "pull_request"})
    assert response.status_code == 401
    assert "Traceback" not in response.get_data(as_text=True)


def test_signed_but_malformed_json_is_400(client, queue):
    assert post(client, {}, body=b'{"action": "opened",').status_code == 400
    assert post(client, {}, body=b"\xff\xfe not utf-8").status_code == 400
    assert post(client, {}, body=b"[1, 2]").status_code == 400
    assert queued(queue) == []


def test_oversized_body_is_413(client, queue):
    big = b'{"pad": "' + b"x" * (70 * 1024) + b'"}'
    assert post(client, {}, body=big).status_code == 413
    assert queued(queue) == []


def test_redelivery_with_the_same_id_is_acknowledged_once(client, queue):
    payload = example("pull_request.opened")
    first = post(client, payload, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    again = post(client, payload, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    assert first.status_code == 202
    assert again.status_code == 200 and again.get_json()["message"] == "duplicate delivery"
    assert len(queued(queue)) == 1


@pytest.mark.parametrize("event, name", [("ping", "ping"), ("installation", "installation.created"),
                                         ("pull_request", "pull_request.closed")])
def test_acknowledged_events_queue_nothing(client, queue, event, name):
    response = post(client, example(name), event=event)
    assert response.status_code == 200
    assert queued(queue) == []


def test_unknown_event_and_action_are_ignored_with_2xx(client, queue):
    payload = example("pull_request.opened")
    assert post(client, payload, event="deployment_protection_rule").status_code == 200
    assert post(client, dict(payload, action="labeled")).status_code == 200
    assert queued(queue) == []


def test_comment_on_an_issue_is_ignored_but_on_a_pull_request_is_queued(client, queue):
    on_issue = example("issue_comment.created.with-installation")
    on_issue["comment"]["body"] = "/armadilhas recheck"
    assert post(client, on_issue, event="issue_comment").status_code == 200
    on_pr = comment_event("octo/app", 5, "/armadilhas recheck", "maintainer", 9)
    assert post(client, on_pr, event="issue_comment").status_code == 202
    [(kind, job)] = queued(queue)
    assert kind == "command" and job["number"] == 5 and job["user_login"] == "maintainer"


def test_check_run_rerequested_queues_a_review_of_that_head(client, queue):
    payload = example("check_run.rerequested")
    assert post(client, payload, event="check_run").status_code == 200  # no PR linked: nothing to do
    payload["check_run"]["pull_requests"] = [{"number": 3, "head": {"sha": payload["check_run"]["head_sha"]}}]
    assert post(client, payload, event="check_run").status_code == 202
    [(kind, job)] = queued(queue)
    assert (kind, job["number"], job["head_sha"]) == ("review", 3, payload["check_run"]["head_sha"])


def test_each_review_job_takes_the_next_number_for_its_pull_request(client, queue):
    for sha in ("a" * 40, "b" * 40):
        post(client, pull_request_event("synchronize", "octo/app", 4, sha, 9))
    jobs = [job for _, job in queued(queue)]
    assert [j["job"] for j in jobs] == [1, 2]


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["backend"] == "sqlite"
