"""Where retried deliveries arrive: webhook views, queue consumers, tasks. ARM403 flags inserts
of delivered things only there (and never in test code), both for SQL strings in Python
(analyzers/sql/embedded.py) and for ORM creates (arm403_orm_insert_without_conflict.py)."""
from __future__ import annotations

import re

import libcst as cst

DELIVERY_FUNCTION = re.compile(
    r"handle|webhook|consum|on_message|on_event|callback|process|receive|ingest|listen|subscri"
    r"|deliver|task|job|worker|charge|payment|checkout|refund|notify|notification|(?:^|_)ipn",
    re.IGNORECASE,
)
DELIVERY_DECORATOR = re.compile(
    r"task|actor|job|consum|subscri|listen|receiver|webhook|\.post\(|\.route\(", re.IGNORECASE
)
# Parameters only consumers take. Not `event` or `payload`: code that emits its own events
# takes those too.
DELIVERY_PARAMS = frozenset("message msg delivery webhook envelope notification".split())
TEST_PATH = re.compile(r"(?:^|/)(?:tests?/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$)")
_FIXTURE = re.compile(r"fixture")
# Code that runs once over stored data, never per delivery: schema/data migrations (Django,
# Alembic, yoyo...) and backfill, port, seed or maintenance scripts named for what they do.
ONE_SHOT_PATH = re.compile(
    r"(?:^|/)(?:migrations|alembic|migrate|backfills?)/"
    r"|(?:^|/|_|-)(?:backfills?|port|ports|migrate|migration|migrations|seed|seeds|maintenance|repair)(?:_|-|\.py$)"
)


def one_shot_path(path: str) -> bool:
    return bool(ONE_SHOT_PATH.search(path.replace("\\", "/")))


def is_test_function(node: cst.FunctionDef, code_for) -> bool:
    return node.name.value.startswith("test") or any(
        _FIXTURE.search(code_for(decorator.decorator)) for decorator in node.decorators
    )


def param_names(node: cst.FunctionDef) -> set[str]:
    params = node.params
    return {p.name.value.lower() for p in (*params.posonly_params, *params.params, *params.kwonly_params)}


def delivery_context(node: cst.FunctionDef, parent_delivery: bool, code_for) -> bool:
    """Is this function where retried deliveries arrive? Callers rule out test code first."""
    if parent_delivery or DELIVERY_FUNCTION.search(node.name.value):
        return True
    if any(DELIVERY_DECORATOR.search(code_for(decorator.decorator)) for decorator in node.decorators):
        return True
    return bool(param_names(node) & DELIVERY_PARAMS)
