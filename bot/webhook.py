"""Pure webhook handling: signature verification and event routing (no Flask, no I/O).

Like gidgethub's sansio module: the web layer hands raw bytes and headers in, gets decisions out.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

PULL_REQUEST_ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})
ACK_ONLY_EVENTS = frozenset({"ping", "installation", "installation_repositories", "installation_target"})


def signature_for(secret: str | bytes, body: bytes) -> str:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_signature(secret: str | bytes | None, body: bytes, header: str | None) -> bool:
    """True only for a well-formed `sha256=<hex>` matching HMAC-SHA256(secret, raw body).

    Fails closed: no secret, no header or any other algorithm is a rejection."""
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = signature_for(secret, body)
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("ascii", "replace"))


@dataclass(frozen=True)
class Work:
    """What a delivery asks of the worker: `kind` names the job, `payload` is JSON-safe."""

    kind: str  # "review" | "command"
    payload: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    work: Work | None
    reason: str  # logged and returned to GitHub (visible under "Recent Deliveries")


def _installation(payload: dict) -> int | None:
    inst = payload.get("installation")
    if isinstance(inst, dict) and isinstance(inst.get("id"), int):
        return inst["id"]
    return None


def _obj(value) -> dict:
    """A field GitHub sends as an object, or {} when a payload carries anything else there: a
    malformed delivery is ignored with a reason, never a 500."""
    return value if isinstance(value, dict) else {}


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _repo(payload: dict) -> str | None:
    repo = payload.get("repository")
    if isinstance(repo, dict) and isinstance(repo.get("full_name"), str):
        return repo["full_name"]
    return None


def route(event: str, payload: dict) -> Decision:
    """Map (event, action) to work. New actions GitHub adds later are acknowledged and ignored."""
    action = _text(payload.get("action")) if isinstance(payload, dict) else None
    if event in ACK_ONLY_EVENTS:
        return Decision(None, f"{event} acknowledged")
    installation = _installation(payload)
    repo = _repo(payload)

    if event == "pull_request" and action in PULL_REQUEST_ACTIONS:
        pr = _obj(payload.get("pull_request"))
        head = _text(_obj(pr.get("head")).get("sha"))
        if installation is None or repo is None or not isinstance(pr.get("number"), int) or not head:
            return Decision(None, "pull_request without installation, repository, number or head sha")
        return Decision(
            Work("review", {"installation": installation, "repo": repo, "number": pr["number"],
                            "head_sha": head, "trigger": f"pull_request.{action}"}),
            f"review queued for {repo}#{pr['number']} at {head[:7]}",
        )

    if event == "issue_comment" and action == "created":
        issue = _obj(payload.get("issue"))
        comment = _obj(payload.get("comment"))
        if not issue.get("pull_request"):
            return Decision(None, "comment on an issue, not a pull request")
        body = _text(comment.get("body")) or ""
        if "/armadilhas" not in body:
            return Decision(None, "no /armadilhas command")
        user = _obj(comment.get("user"))
        if installation is None or repo is None or not isinstance(issue.get("number"), int):
            return Decision(None, "issue_comment without installation, repository or number")
        return Decision(
            Work("command", {"installation": installation, "repo": repo, "number": issue["number"],
                             "comment_id": comment.get("id") if isinstance(comment.get("id"), int) else None,
                             "body": body, "user_login": _text(user.get("login")) or "",
                             "user_type": _text(user.get("type")) or ""}),
            f"command queued for {repo}#{issue['number']}",
        )

    if event == "check_run" and action == "rerequested":
        run = _obj(payload.get("check_run"))
        pulls = run.get("pull_requests") if isinstance(run.get("pull_requests"), list) else []
        head = _text(run.get("head_sha"))
        if installation is None or repo is None or not head:
            return Decision(None, "check_run without installation, repository or head sha")
        # GitHub leaves pull_requests empty for heads in forks: nothing to map the run back to.
        numbers = [p.get("number") for p in pulls if isinstance(p, dict) and isinstance(p.get("number"), int)]
        if not numbers:
            return Decision(None, "check_run not linked to a pull request of this repository")
        return Decision(
            Work("review", {"installation": installation, "repo": repo, "number": numbers[0],
                            "head_sha": head, "trigger": "check_run.rerequested", "force": True}),
            f"re-run queued for {repo}#{numbers[0]} at {head[:7]}",
        )

    return Decision(None, f"ignored {event}{'.' + action if isinstance(action, str) else ''}")
