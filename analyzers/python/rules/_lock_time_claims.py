"""Rows claimed by time through an ORM, whatever their columns are called (ARM201).

The lease row of RULES, `update … set holder = …, expires_at = … where expires_at < now()`, is
one spelling of a general shape: a write that stamps a field of a shared record with the time
and that wins only while the stamp already there is absent or old. Whoever wins holds the
record; once its own stamp is old enough, the next caller takes the record over while the first
may still be working, and nothing monotonic reaches the first one's later writes. Recognised
here, by what the statement does rather than by what its columns are called:

- Django: `Job.objects.filter(name=n, ongoing=None).update(ongoing=now)` (or `ongoing__lt=cut`,
  or `ongoing=job.ongoing` after the age test), SQLAlchemy: `update(M).where(...).values({M.by:
  me, M.at: now()})` on rows chosen by `M.at < now - delay` in the same function;
- the stamp is a time (its value reads the clock or adds to it), and is not computed from itself;
- the record's age decides: the field is compared with a bound (`__lt`, `__lte`, `M.at < x`) in
  a selection of the same function, or its age is taken there (`now - job.ongoing > limit`);
- it is a claim, not a throttle: another field of the same write names who takes it (a value
  that is not a literal and not a time), or the same function gives the record back by clearing
  the stamp (`update(ongoing=None)`).

Reported at the stamp (the acquisition), with the claimed record handed on.
"""
from __future__ import annotations

import re

import libcst as cst

from ._effects_flow import Flow, Site
from ._lock_model import _code, _is_none

# A value that reads the clock or is built from a reading: `now`, `timezone.now()`,
# `datetime.datetime.now()`, `utc_now() + delta`, `now_at_utc()`.
_CLOCK = re.compile(r"(?:^|[^\w])(?:\w*now(?:_\w+)?|utcnow|time|timestamp|today|utc_now\w*|current_time\w*)\b(?:\(\))?", re.I)
_AGE_LOOKUP = re.compile(r"__(?:lt|lte)$")
_ABSENT_LOOKUP = re.compile(r"__isnull$")
_SELECTIONS = ("filter", "exclude", "where", "or_", "and_", "filter_by")


def _clock_value(ctx, node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString)) or _is_none(node):
        return False
    return bool(_CLOCK.search(_code(ctx, node)))


def _future(ctx, node: cst.BaseExpression) -> bool:
    """`now() + lease`: the stamp is pushed past the present, so the record is held until then
    (a visibility timeout) whoever holds it; the write carries its own lifetime."""
    return (
        isinstance(node, cst.BinaryOperation)
        and isinstance(node.operator, cst.Add)
        and (_clock_value(ctx, node.left) or _clock_value(ctx, node.right))
    )


def _outcome_read(ctx, flow: Flow, site: Site) -> bool:
    """The writer learns whether it won (`moved = ....update(...)`, `.rowcount == 1`, rows handed
    back): what makes a pushed-forward stamp a claim rather than a postponement of others."""
    if any(s.method == "returning" for s in flow.sites):
        return True
    bound = [v for values in flow.values.values() for _, v in values]
    # Django's `update()` returns the count; SQLAlchemy's `values()` only builds the statement
    if site.method == "update" and any(v is site.node for v in bound):
        return True
    texts = [_code(ctx, v) for v in bound] + [_code(ctx, r.value) for _, _, r in flow.returns]
    texts += [_code(ctx, test.test) for _, _, test in flow.if_tests.values()]
    return any(r.value is site.node for _, _, r in flow.returns) or any("rowcount" in t for t in texts)


def _names_taker(ctx, node: cst.BaseExpression) -> bool:
    """Who takes the record: a value handed in or computed, not a literal, a flag or a time."""
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString, cst.FormattedString)):
        return False
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return False
    if isinstance(node, cst.Attribute) and node.attr.value.isupper():
        return False  # a status constant (`Status.RUNNING`)
    return not _clock_value(ctx, node)


def _aged_in_function(ctx, flow: Flow, column: str) -> bool:
    """The field's age is tested in this function: a `__lt`/`__lte` lookup on it, `M.col <
    bound`, or a subtraction involving it compared with something (`now - job.col > limit`,
    also through a local the test compares: `idle = now - job.col` ... `if idle > limit`)."""
    for site in flow.sites:
        for arg in site.node.args:
            keyword = arg.keyword.value if arg.keyword is not None else ""
            if keyword.split("__")[0] == column and _AGE_LOOKUP.search(keyword):
                return True
    # the tests of the function's ifs and the arguments of its selections, where ages are compared
    tests = [_code(ctx, test.test) for _, _, test in flow.if_tests.values()]
    tested = "\n".join(tests)
    locals_tested = [
        _code(ctx, value)
        for name, bound in flow.values.items()
        if "." not in name and re.search(rf"\b{re.escape(name)}\b", tested)
        for _, value in bound
    ]
    text = "\n".join(
        tests
        + locals_tested
        + [_code(ctx, a.value) for s in flow.sites if s.method in _SELECTIONS for a in s.node.args]
    )
    attribute = re.escape(column)
    return bool(
        re.search(rf"\.{attribute}\s*<=?\s*[^<=]", text)
        or re.search(rf"(?:-\s*[\w.]*\.{attribute}\b|\.{attribute}\s*-)", text)
        or re.search(rf"-\s*\w+\[['\"]{attribute}['\"]\]", text)
    )


def _tested(flow: Flow, site: Site, column: str) -> bool:
    """The write only matches while the field is absent, old, or as it was read: in its own
    chain (`filter(...).update(...)`) or a selection made before it."""
    chain: list[cst.Call] = []
    node = site.node.func.value if isinstance(site.node.func, cst.Attribute) else None
    while isinstance(node, (cst.Call, cst.Attribute)):
        if isinstance(node, cst.Call):
            chain.append(node)
            node = node.func
        else:
            node = node.value
    earlier = [o.node for o in flow.sites if o.index < site.index and o.method in ("filter", "exclude", "where")]
    for call in (*chain, *earlier):
        for arg in call.args:
            keyword = arg.keyword.value if arg.keyword is not None else ""
            if keyword.split("__")[0] == column and (
                keyword == column or _AGE_LOOKUP.search(keyword) or _ABSENT_LOOKUP.search(keyword)
            ):
                return True
    return False


def _released(ctx, flow: Flow, site: Site, column: str) -> bool:
    return any(
        other is not site and other.method in ("update", "values")
        and any(a.keyword is not None and a.keyword.value == column and _is_none(a.value) for a in other.node.args)
        for other in flow.sites
    )


def django_time_claim(ctx, flow: Flow, site: Site) -> cst.CSTNode | None:
    """`filter(..., C=None | C__lt=cut | C=old).update(C=<time>, ...)`: the stamped argument."""
    call = site.node
    if site.method != "update" or ".filter(" not in site.chain + "(":
        return None
    stamps = [a for a in call.args if a.keyword is not None and _clock_value(ctx, a.value)]
    for stamp in stamps:
        column = stamp.keyword.value
        if _code(ctx, stamp.value).count(column) or not _tested(flow, site, column):
            continue
        if not _aged_in_function(ctx, flow, column):
            continue
        others = [a for a in call.args if a is not stamp and a.keyword is not None]
        if (
            (_future(ctx, stamp.value) and _outcome_read(ctx, flow, site))
            or any(_names_taker(ctx, a.value) for a in others)
            or _released(ctx, flow, site, column)
        ):
            return stamp
    return None


def _model_column(node: cst.BaseExpression) -> str | None:
    """`Model.col` (or `Model.__table__.c.col`) as a dict key: the column name."""
    return node.attr.value if isinstance(node, cst.Attribute) else None


def sqlalchemy_time_claim(ctx, flow: Flow, site: Site) -> cst.CSTNode | None:
    """`update(M)...values({M.by: me, M.at: now()})` (or keywords) on rows chosen by `M.at`'s age."""
    call = site.node
    if site.method != "values" or not site.chain.startswith("update()"):
        return None
    pairs: list[tuple[str, cst.BaseExpression, cst.CSTNode]] = []
    for arg in call.args:
        if arg.keyword is not None:
            pairs.append((arg.keyword.value, arg.value, arg))
        elif isinstance(arg.value, cst.Dict):
            for element in arg.value.elements:
                if isinstance(element, cst.DictElement):
                    column = _model_column(element.key)
                    if column is not None:
                        pairs.append((column, element.value, element))
    for column, value, node in pairs:
        if not _clock_value(ctx, value) or column in _code(ctx, value):
            continue
        if not _aged_in_function(ctx, flow, column):
            continue
        if (_future(ctx, value) and _outcome_read(ctx, flow, site)) or any(
            other != column and _names_taker(ctx, v) for other, v, _ in pairs
        ):
            return node
    return None


# Writing a loaded record back: the model's own `save()`, or the session it was loaded through.
_WRITE_BACK = ("save", "commit", "flush")


def _loaded(flow: Flow, name: str, before: int) -> bool:
    """`name` holds a record this function read (bound from a call: a query's result, a
    `get(...)`, one slot of `get_or_create(...)`), not a parameter or an in-memory object."""
    bound = [v for i, v in flow.values.get(name, []) if i <= before]
    bound += [v for i, v in flow.unpacked.get(name, []) if i <= before]
    return any(isinstance(v.expression if isinstance(v, cst.Await) else v, cst.Call) for v in bound)


def record_time_claim(ctx, flow: Flow, site: Site) -> cst.CSTNode | None:
    """A record loaded, aged and re-stamped in two steps: `job = session.execute(select(J).where(
    J.beat_at < stale)).scalar_one()`, `job.beat_at = now()`, `job.worker = me`, `session.commit()`
    (or `record.save()`): the check-then-stamp spelling of the same claim. A claim, not a
    throttle, when another field of the record names who takes it or the stamp is pushed into the
    future. Returns the stamp's target, where the finding points."""
    if site.method not in _WRITE_BACK or not isinstance(site.node.func, cst.Attribute):
        return None
    receiver = site.node.func.value
    saved = receiver.value if site.method == "save" and isinstance(receiver, cst.Name) else None
    assigned: dict[str, list[tuple[cst.Attribute, cst.BaseExpression]]] = {}
    for index, target, value in flow.attr_assigns:
        if index <= site.index and isinstance(target.value, cst.Name):
            assigned.setdefault(target.value.value, []).append((target, value))
    for record, fields in assigned.items():
        if record in ("self", "cls") or (saved is not None and record != saved):
            continue
        if saved is None and not _loaded(flow, record, site.index):
            continue  # a session commit writes back only what it loaded
        for target, value in fields:
            column = target.attr.value
            if not _clock_value(ctx, value) or column in _code(ctx, value):
                continue
            if not _aged_in_function(ctx, flow, column):
                continue
            if _future(ctx, value) or any(
                other.attr.value != column and _names_taker(ctx, v) for other, v in fields
            ):
                return target
    return None
