"""Evidence that a write made under a lock is fenced: it carries or checks a fencing token (a
token, epoch, generation or expected version compared in the statement), or it follows a fenced
statement whose outcome was checked in the same transaction.

A fenced write is refused to a holder whose lock has since been taken over, which is the fix
ARM201 asks for; this module only reads the evidence for it.
"""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import flow_text_has
from ._db_writes import sql_of
from ._effects_flow import Flow, Site
from ._lock_model import _code, _strip_await
from ._sqltext import checks_fence


_FENCED_CODE = re.compile(
    # (`tokens` in the plural is a rate limiter's count, not a token handed to a holder)
    r"fenc|\b\w*(?:token(?!s\b)|epoch|generation|expected_version|if_version|version__\w+|if[-_]?match|ifmatch|if_generation_match|condition\w*)\w*\b[\"']?\s*(?:=|<|>|:)",
    re.I,
)
_ANY_FENCE = re.compile(r"fenc|last_token|token__(?:lt|lte|gt|gte)", re.I)


def fenced(flow: Flow, ctx, site: Site) -> bool:
    """The statement checks a fence, the call or a value it is passed names a token or version
    condition, or (for a commit or save) the function compares a fencing token somewhere."""
    text = sql_of(site, flow)
    if checks_fence(text):
        return True
    pieces = [_code(ctx, site.node)]
    for arg in site.node.args:
        if isinstance(arg.value, cst.Name):
            pieces.append(_code(ctx, flow.value_of(arg.value.value, site.index)))
    if _FENCED_CODE.search("\n".join(pieces)):
        return True
    if site.method == "commit" or site.method == "save":
        return flow_text_has(flow, ctx, _ANY_FENCE)
    return False


def covered_by(flow: Flow, ctx, fenced_site: Site, later: Site) -> bool:
    """A fenced SQL write whose outcome is checked (`if cur.rowcount == 0: rollback; return`)
    fences the statements after it in the same transaction: a stale holder stops at the check,
    and the row it locked holds off the new holder until commit."""
    if later.index <= fenced_site.index or not sql_of(fenced_site, flow):
        return False
    if any(fenced_site.index < s.index < later.index and s.method == "commit" for s in flow.sites):
        return False
    outcome = {name for name, bindings in flow.values.items() if any(_strip_await(v) is fenced_site.node for _, v in bindings)}
    for start, _, node in flow.if_tests.values():
        if not fenced_site.index < start <= later.index:
            continue
        test = _code(ctx, node.test)
        if "rowcount" in test or any(re.search(rf"\b{re.escape(name)}\b", test) for name in outcome):
            return True
    return False
