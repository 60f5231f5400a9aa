"""Slash commands in pull request comments: `/armadilhas recheck`, `/armadilhas help`.

Only people who can push to the repository may start a run (asked of the API, not inferred from
the payload's author_association); other bots and the App itself are ignored, so two bots can
never talk each other into a loop.

Every reply names the comment it answers (`<!-- armadilhas:reply-to=ID -->`), and a command job
run again (its worker died after replying) looks for that marker first: a command is answered once.
A re-run also passes the recheck gate its first run took, instead of being told "too soon".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from .review import render
from .store import Store, pr_key

_COMMAND = re.compile(r"^[ \t]*/armadilhas(?:[ \t]+([A-Za-z-]+))?[ \t]*$", re.MULTILINE)
ALLOWED = frozenset({"admin", "maintain", "write"})

HELP = """**armadilhas** commands (write a comment with one of these on its own line):

| command | what it does |
|---|---|
| `/armadilhas recheck` | review the current head of this pull request again (comments already posted are not repeated); needs write access |
| `/armadilhas help` | show this message |

The review itself is configured in `.github/armadilhas.yml` on the default branch."""

REFUSED = ("Thanks @{user}! Only people with write access to this repository can start a recheck, "
           "so nothing was run. A maintainer can comment `/armadilhas recheck` instead.")
TOO_SOON = "A recheck of this pull request was started less than {seconds} seconds ago; that run covers it."
CLOSED = "This pull request is closed, so there is nothing to recheck."
UNKNOWN = "I don't know the command `{word}`.\n\n"


def parse_command(body: str) -> str | None:
    """The first `/armadilhas <word>` on a line of its own ("" when no word). Quoted lines
    (`> /armadilhas recheck` in a reply) and commands inside code blocks do not count."""
    in_fence = False
    for line in (body or "").splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        match = _COMMAND.match(line)
        if match:
            return (match.group(1) or "").lower()
    return None


def is_bot(login: str, user_type: str, own_login: str | None) -> bool:
    return user_type == "Bot" or login.endswith("[bot]") or (own_login is not None and login == own_login)


@dataclass
class CommandHandler:
    client: object  # bot.github.client.InstallationClient
    store: Store
    enqueue_review: Callable[[dict], None]
    bot_login: str | None = None
    recheck_interval: int = 60

    def run(self, payload: dict) -> str:
        repo, number = payload["repo"], int(payload["number"])
        login, user_type = payload.get("user_login", ""), payload.get("user_type", "")
        if is_bot(login, user_type, self.bot_login):
            return "ignored: comment by a bot"
        word = parse_command(payload.get("body", ""))
        if word is None:
            return "ignored: no command"
        comment_id = payload.get("comment_id")
        if not isinstance(comment_id, int):
            comment_id = None
        if comment_id is not None:
            self.client.add_reaction(repo, number, comment_id, "eyes")  # GitHub keeps one per user

        if word in ("", "help"):
            self._reply(repo, number, comment_id, HELP)
            return "help"
        if word != "recheck":
            self._reply(repo, number, comment_id, UNKNOWN.format(word=word) + HELP)
            return f"unknown command {word}"

        permission = self.client.permission(repo, login)
        if permission not in ALLOWED:
            self._reply(repo, number, comment_id, REFUSED.format(user=login))
            return f"refused: {login} has {permission} permission"
        key = pr_key(repo, number)
        # The gate remembers which comment took it: a re-run of this command passes it again.
        owner = f"comment:{comment_id}" if comment_id is not None else ""
        if not self.store.allow(f"recheck:{key}", self.recheck_interval, owner=owner):
            self._reply(repo, number, comment_id, TOO_SOON.format(seconds=self.recheck_interval))
            return "rate limited"
        pr = self.client.pull_request(repo, number)
        if pr.state != "open":
            self._reply(repo, number, comment_id, CLOSED)
            return "closed"
        self.enqueue_review({"installation": payload["installation"], "repo": repo, "number": number,
                             "head_sha": pr.head_sha, "job": self.store.next_job(key), "trigger": "recheck"})
        return "recheck queued"

    def _reply(self, repo: str, number: int, comment_id: int | None, text: str) -> None:
        if comment_id is None:
            self.client.create_issue_comment(repo, number, text)
            return
        for posted in self.client.issue_comments(repo, number):
            if render.reply_to_of(posted.body) == comment_id and (
                    self.bot_login is None or posted.user_login == self.bot_login):
                return  # answered by an earlier run of this job
        self.client.create_issue_comment(repo, number, render.with_reply_marker(text, comment_id))
