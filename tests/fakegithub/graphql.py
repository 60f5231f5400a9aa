"""`POST /graphql` of the fake: pull request review threads and `resolveReviewThread`.

Queries are parsed, validated and executed by graphql-core against a subset of GitHub's schema, so
a misspelt field or a missing argument fails as it does on GitHub (HTTP 200 with `errors`). A
thread is a top-level review comment with its replies; its state lives in `fake.thread_states`.
Answers are shaped like GitHub's: connections with `nodes` and `pageInfo`, node ids `PRRT_…`,
`NOT_FOUND` errors with a top-level `type`, and a demand for `first`/`last` on connections.
"""
from __future__ import annotations

import base64

from graphql import GraphQLError, build_schema, graphql_sync

SDL = """
type Query {
  repository(owner: String!, name: String!): Repository
  viewer: Actor!
}
type Mutation {
  resolveReviewThread(input: ResolveReviewThreadInput!): ResolveReviewThreadPayload
  unresolveReviewThread(input: UnresolveReviewThreadInput!): UnresolveReviewThreadPayload
}
type Repository { id: ID! nameWithOwner: String! pullRequest(number: Int!): PullRequest }
type PullRequest {
  id: ID!
  number: Int!
  reviewThreads(first: Int, after: String, last: Int, before: String): PullRequestReviewThreadConnection!
}
type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
type PullRequestReviewThreadConnection { nodes: [PullRequestReviewThread] pageInfo: PageInfo! totalCount: Int! }
type PullRequestReviewThread {
  id: ID!
  isResolved: Boolean!
  isOutdated: Boolean!
  isCollapsed: Boolean!
  path: String!
  line: Int
  startLine: Int
  viewerCanResolve: Boolean!
  viewerCanUnresolve: Boolean!
  viewerCanReply: Boolean!
  resolvedBy: Actor
  comments(first: Int, after: String, last: Int, before: String): PullRequestReviewCommentConnection!
}
type PullRequestReviewCommentConnection { nodes: [PullRequestReviewComment] pageInfo: PageInfo! totalCount: Int! }
type PullRequestReviewComment { id: ID! databaseId: Int body: String! author: Actor path: String! }
type Actor { login: String! }
input ResolveReviewThreadInput { threadId: ID! clientMutationId: String }
input UnresolveReviewThreadInput { threadId: ID! clientMutationId: String }
type ResolveReviewThreadPayload { clientMutationId: String thread: PullRequestReviewThread }
type UnresolveReviewThreadPayload { clientMutationId: String thread: PullRequestReviewThread }
"""
SCHEMA = build_schema(SDL)


def thread_node_id(root_id: int) -> str:
    return "PRRT_kwDO" + base64.urlsafe_b64encode(f"thread:{root_id}".encode()).decode().rstrip("=")


def _root_of(node_id: str) -> int | None:
    if not isinstance(node_id, str) or not node_id.startswith("PRRT_kwDO"):
        return None
    raw = node_id[len("PRRT_kwDO"):]
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except ValueError:
        return None
    kind, _, number = text.partition(":")
    return int(number) if kind == "thread" and number.isdigit() else None


class _NotFound(GraphQLError):
    def __init__(self, message: str):
        super().__init__(message, extensions={"type": "NOT_FOUND"})


def _connection(items: list, first, after, last, before, name: str) -> dict:
    if first is None and last is None:
        raise GraphQLError(f"You must provide a `first` or `last` value to properly paginate the `{name}` "
                           "connection.", extensions={"type": "MISSING_PAGINATION_BOUNDARIES"})
    for value, arg in ((first, "first"), (last, "last")):
        if value is not None and not 0 <= value <= 100:
            raise GraphQLError(f"Requesting {value} records on the `{name}` connection exceeds the `{arg}` limit "
                               "of 100 records.", extensions={"type": "EXCESSIVE_PAGINATION"})
    start = int(base64.b64decode(after).decode().split(":")[1]) + 1 if after else 0
    end = len(items)
    if before:
        end = int(base64.b64decode(before).decode().split(":")[1])
    window = list(enumerate(items))[start:end]
    if first is not None:
        window = window[:first]
    if last is not None:
        window = window[-last:] if last else []

    def cursor(i: int) -> str:
        return base64.b64encode(f"cursor:{i}".encode()).decode()

    return {
        "nodes": [item for _, item in window],
        "totalCount": len(items),
        "pageInfo": {
            "hasNextPage": bool(window) and window[-1][0] < end - 1,
            "hasPreviousPage": bool(window) and window[0][0] > 0,
            "startCursor": cursor(window[0][0]) if window else None,
            "endCursor": cursor(window[-1][0]) if window else None,
        },
    }


def _threads(fake, repo: str, number: int) -> list[tuple[dict, list[dict]]]:
    comments = fake.review_comments(repo, number)
    roots = [c for c in comments if c.get("in_reply_to_id") is None]
    return [(root, [root] + [c for c in comments if c.get("in_reply_to_id") == root["id"]]) for root in roots]


def _thread_value(fake, p, root: dict, comments: list[dict], viewer: str) -> dict:
    state = fake.thread_states.get(root["id"], {})
    resolved = bool(state.get("resolved"))
    comment_nodes = [{"id": f"PRRC_kwDO{c['id']}", "databaseId": c["id"], "body": c["body"],
                      "author": {"login": c["user"]}, "path": c["path"]} for c in comments]
    return {
        "id": thread_node_id(root["id"]),
        "isResolved": resolved,
        "isOutdated": False,
        "isCollapsed": resolved,
        "path": root["path"],
        "line": root["line"],
        "startLine": root.get("start_line"),
        "viewerCanResolve": not resolved,
        "viewerCanUnresolve": resolved,
        "viewerCanReply": True,
        "resolvedBy": {"login": state["by"]} if resolved and state.get("by") else None,
        "comments": lambda info, first=None, after=None, last=None, before=None: _connection(
            comment_nodes, first, after, last, before, "comments"),
    }


def _find_thread(fake, node_id: str):
    root_id = _root_of(node_id)
    for (repo, number), comments in fake._review_comments.items():
        for c in comments:
            if c["id"] == root_id and c.get("in_reply_to_id") is None:
                return repo, number, c
    raise _NotFound(f"Could not resolve to a node with the global id of '{node_id}'")


def execute(fake, request_body, inst) -> tuple[int, dict]:
    """Run one GraphQL request for installation `inst`; (HTTP status, body) as GitHub answers."""
    if not isinstance(request_body, dict) or not isinstance(request_body.get("query"), str):
        return 400, {"message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/graphql"}
    viewer = f"{fake.app_slug}[bot]"

    def repository(info, owner, name):
        full = f"{owner}/{name}"
        if full not in fake.repos or (inst is not None and full not in inst.repos):
            raise _NotFound(f"Could not resolve to a Repository with the name '{full}'.")
        r = fake.repos[full]

        def pull_request(info, number):
            p = fake.pulls.get((full, number))
            if p is None:
                raise _NotFound(f"Could not resolve to a PullRequest with the number of {number}.")
            return {
                "id": f"PR_kwDO{p.id}",
                "number": p.number,
                "reviewThreads": lambda info, first=None, after=None, last=None, before=None: _connection(
                    [_thread_value(fake, p, root, comments, viewer) for root, comments in _threads(fake, full, number)],
                    first, after, last, before, "reviewThreads"),
            }

        return {"id": f"R_kgDO{r.id}", "nameWithOwner": full, "pullRequest": pull_request}

    def set_resolved(resolved: bool):
        def mutate(info, input):
            repo, number, root = _find_thread(fake, input["threadId"])
            if inst is not None and (repo not in inst.repos or inst.permissions.get("pull_requests") != "write"):
                raise GraphQLError("Resource not accessible by integration", extensions={"type": "FORBIDDEN"})
            fake.thread_states[root["id"]] = {"resolved": resolved, "by": viewer if resolved else None}
            fake.thread_events.append(("resolve" if resolved else "unresolve", root["id"], viewer))
            p = fake.pulls[(repo, number)]
            comments = next(cs for r, cs in _threads(fake, repo, number) if r["id"] == root["id"])
            return {"clientMutationId": input.get("clientMutationId"),
                    "thread": _thread_value(fake, p, root, comments, viewer)}
        return mutate

    root_value = {
        "repository": repository,
        "viewer": lambda info: {"login": viewer},
        "resolveReviewThread": set_resolved(True),
        "unresolveReviewThread": set_resolved(False),
    }
    result = graphql_sync(SCHEMA, request_body["query"], root_value=root_value,
                          variable_values=request_body.get("variables") or {},
                          operation_name=request_body.get("operationName"))
    body: dict = {}
    if result.errors:
        errors = []
        for error in result.errors:
            formatted = error.formatted
            extensions = formatted.pop("extensions", None) or {}
            if "type" in extensions:
                formatted["type"] = extensions["type"]
            errors.append(formatted)
        body["errors"] = errors
    if result.data is not None or not result.errors:
        body["data"] = result.data
    return 200, body
