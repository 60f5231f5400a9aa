"""Locks kept as a document or an item of a shared database, claimed with a lifetime (ARM201).

Two general forms, reported at the claim with medium confidence:

- MongoDB: `update_one({"_id": name, "owner": None}, {"$set": {"owner": me, "timestamp": now}},
  upsert=True)` (or `find_one_and_update`): the update matches only while nobody holds the
  document, so the winner is the holder. It is a lease when the document's stamp is also the
  test of a takeover somewhere in the module (`delete_many({"timestamp": {"$lte": cutoff}})`), or
  when the claim writes an expiry into the document itself.
- DynamoDB: `put_item(Item=..., ConditionExpression="attribute_not_exists(pk)")` in a lock's code
  (the function or class names a lock or lease) of a module that gives the item a lifetime
  (a lease duration, a TTL, an expiry attribute).

Either way the holder gets a yes or no and nothing monotonic, so after a pause past the lifetime a
second holder runs while the first still writes. A module that mentions a fencing token is left
alone. Look-alikes that stay quiet: an upsert that sets no holder (a counter, a cache entry), a
holder claim nobody ever takes over by age, and a put-if-absent of an idempotency record.
"""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import kwarg, module_code, positional
from ..walk import walk

_TOKEN = re.compile(r"fenc|nextval|last_token", re.I)
_MONGO_CLAIMS = ("update_one", "find_one_and_update", "find_and_modify")
# A field that names who holds the document
_HOLDER_FIELD = re.compile(r"^(?:owner|holder|leader|locked_by|claimed_by|leased_by|lock_owner|owner_id|holder_id|lock_holder)$")
# A field whose value is when the claim runs out
_EXPIRY_FIELD = re.compile(r"expir|_until$|(?:^|_)ttl(?:_|$)|^lease", re.I)
_OLDER_THAN = ("$lt", "$lte")
_ABSENT_CONDITION = re.compile(r"attribute_not_exists|\bnot\s*\(?\s*attribute_exists", re.I)
_LOCKISH_SCOPE = re.compile(r"lock|lease|mutex|leader|elect", re.I)
# a duration the item lives for, not just a name with "lease" in it
_ITEM_LIFETIME = re.compile(r"lease_?(?:duration|seconds|secs|time|ms|length|period)|\bttl\b|expir", re.I)


def _key(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        text = node.evaluated_value
        return text if isinstance(text, str) else None
    return None


def _entries(node: cst.BaseExpression | None) -> dict[str, cst.BaseExpression]:
    """String-keyed entries of a dict display."""
    if not isinstance(node, cst.Dict):
        return {}
    return {
        key: element.value
        for element in node.elements
        if isinstance(element, cst.DictElement) and (key := _key(element.key)) is not None
    }


def _is_none(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name) and node.value == "None":
        return True
    # `{"$exists": False}`: the field is absent
    exists = _entries(node).get("$exists")
    return isinstance(exists, cst.Name) and exists.value == "False"


class _Scan(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.claims: list[tuple[cst.Call, set[str]]] = []  # Mongo claim, the fields it stamps
        self.aged: set[str] = set()  # fields some filter compares as older than a value
        self.put_items: list[cst.Call] = []
        self._scopes: list[str] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scopes.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scopes.pop()

    def visit_Dict(self, node: cst.Dict) -> None:
        for field, value in _entries(node).items():
            if any(op in _entries(value) for op in _OLDER_THAN):
                self.aged.add(field)

    def visit_Call(self, node: cst.Call) -> None:
        if not isinstance(node.func, cst.Attribute):
            return
        method = node.func.attr.value
        if method in _MONGO_CLAIMS:
            stamped = _holder_claim(node)
            if stamped:
                self.claims.append((node, stamped))
        elif method in ("put_item", "update_item") and any(_LOCKISH_SCOPE.search(s) for s in self._scopes):
            condition = kwarg(node, "ConditionExpression")
            if condition is not None and isinstance(condition.value, (cst.SimpleString, cst.ConcatenatedString)):
                text = condition.value.evaluated_value
                if isinstance(text, str) and _ABSENT_CONDITION.search(text):
                    self.put_items.append(node)


def _alternatives(node: cst.BaseExpression | None) -> list[dict[str, cst.BaseExpression]]:
    """The dicts of a filter's `$or` list (`{"$or": [{"owner": me}, {"owner": None}]}`)."""
    listed = _entries(node).get("$or")
    if not isinstance(listed, (cst.List, cst.Tuple)):
        return []
    return [_entries(e.value) for e in listed.elements if isinstance(e.value, cst.Dict)]


def _names_taker(node: cst.BaseExpression) -> bool:
    """A value that says who takes the document (`self.id`, `worker_id`), not a flag or a literal."""
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString, cst.Dict, cst.List)):
        return False
    return not (isinstance(node, cst.Name) and node.value in ("True", "False", "None"))


_EMPTY = cst.Module([])


def _code(node: cst.BaseExpression) -> str:
    return module_code(_EMPTY, node)


def _aged(value: cst.BaseExpression) -> bool:
    return any(op in _entries(value) for op in _OLDER_THAN)


def _holder_claim(call: cst.Call) -> set[str]:
    """The other fields a Mongo update stamps when it sets a holder only where there is none
    (or, among the alternatives of an `$or`, where the document is free or its stamp is old, or
    where it is already this taker's); empty when the call is not such a claim."""
    args = positional(call)
    update = args[1] if len(args) > 1 else (kwarg(call, "update").value if kwarg(call, "update") else None)
    if not args:
        return set()
    stamped = _entries(_entries(update).get("$set"))

    def takes(field: str, tested: cst.BaseExpression, free_elsewhere: bool) -> bool:
        value = stamped.get(field)
        if value is None or _is_none(value):
            return False
        if _is_none(tested):
            return bool(_HOLDER_FIELD.match(field)) or _names_taker(value)
        # `{"$or": [{"stamp": {"$lt": cut}}, {"owner": me}]}` then `$set: {"owner": me}`: taken
        # over when free or old, kept when already this taker's
        return free_elsewhere and _names_taker(value) and _code(tested) == _code(value)

    holders: list[str] = []
    filters = [args[0]]
    listed = _entries(args[0]).get("$and")
    filters += [e.value for e in (listed.elements if isinstance(listed, (cst.List, cst.Tuple)) else ()) if isinstance(e.value, cst.Dict)]
    for node in filters:
        holders += [f for f, v in _entries(node).items() if takes(f, v, False)]
        alternatives = _alternatives(node)
        for i, alternative in enumerate(alternatives):
            others = [a for j, a in enumerate(alternatives) if j != i]
            free = any(_is_none(v) or _aged(v) for other in others for v in other.values())
            holders += [f for f, v in alternative.items() if takes(f, v, free)]
    if not holders:
        return set()
    return {f for f in stamped if f not in holders} or {"<none>"}


def lease_document_claims(module: cst.Module) -> list[cst.CSTNode]:
    code = module.code
    if _TOKEN.search(code):
        return []
    scan = _Scan()
    walk(module, scan)
    found: list[cst.CSTNode] = [
        call for call, stamped in scan.claims
        if stamped & scan.aged or any(_EXPIRY_FIELD.search(f) for f in stamped)
    ]
    if scan.put_items and _ITEM_LIFETIME.search(code):
        found.extend(scan.put_items)
    return found
