"""GitHub's own webhook payload examples (tests/fixtures/webhooks/), re-pointed at the repos,
pull requests and installations a test set up, and signed like GitHub signs them."""
from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

from bot.webhook import signature_for

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "webhooks"


def example(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def pull_request_event(action: str, repo: str, number: int, head_sha: str, installation: int) -> dict:
    payload = copy.deepcopy(example("pull_request.opened" if action != "synchronize" else "pull_request.synchronize"))
    payload["action"] = action
    payload["number"] = number
    payload["repository"]["full_name"] = repo
    payload["repository"]["name"] = repo.split("/")[1]
    payload["pull_request"]["number"] = number
    payload["pull_request"]["head"]["sha"] = head_sha
    payload["installation"] = {"id": installation, "node_id": "x"}
    return payload


def comment_event(repo: str, number: int, body: str, login: str, installation: int, *,
                  user_type: str = "User", comment_id: int = 1) -> dict:
    payload = copy.deepcopy(example("issue_comment.created.with-installation"))
    payload["repository"]["full_name"] = repo
    payload["issue"]["number"] = number
    payload["issue"]["pull_request"] = {"url": f"https://api.github.com/repos/{repo}/pulls/{number}"}
    payload["comment"].update(body=body, id=comment_id)
    payload["comment"]["user"].update(login=login, type=user_type)
    payload["installation"] = {"id": installation, "node_id": "x"}
    return payload


def signed_headers(body: bytes, secret: str, event: str, delivery: str | None = None) -> dict:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": signature_for(secret, body),
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/044aadd",
    }


def encode(payload: dict) -> bytes:
    return json.dumps(payload).encode("utf-8")
