"""A token refresh at an OAuth provider is an external effect, not a read: providers that rotate
refresh tokens invalidate the old one the moment the new pair is issued. When the new pair is
saved only after the call, a crash (or a failed commit) in between loses it, and the retry
replays a refresh token the provider has already spent.

Recognised: a call named for the refresh itself (`refresh_token(...)`, `refresh_access_token`,
`refresh_tokens`, `refresh_oauth_token`; requests-oauthlib's and Authlib's session method, a
backend method looked up with getattr), and an HTTP POST whose body carries
`grant_type=refresh_token`. Checks named around the refresh (`validate_refresh_token`,
`rotate_refresh_token`) are different names and never match.
"""
from __future__ import annotations

import re

import libcst as cst

from ._effects_flow import Flow, Site
from ._sqltext import string_text

_REFRESH_METHODS = frozenset({"refresh_token", "refresh_access_token", "refresh_tokens", "refresh_oauth_token", "refresh_auth_token"})
_GRANT = re.compile(r"""["']grant_type["']\s*:\s*["']refresh_token["']|grant_type=refresh_token""")


def refresh_call(site: Site, flow: Flow) -> bool:
    """A call that asks the provider for a new token pair (a method, or a name bound to
    `getattr(backend, "refresh_token")`; a property read is no call, so `self.refresh_token` as
    a value never gets here)."""
    if not site.node.args:
        return False
    if site.method in _REFRESH_METHODS:
        return True
    if "." in site.chain or not flow.bound_here(site.chain):
        return False
    bound = flow.value_of(site.chain, site.index)
    if isinstance(bound, cst.Call) and isinstance(bound.func, cst.Name) and bound.func.value == "getattr":
        name = string_text(bound.args[1].value) if len(bound.args) > 1 else None
        return name in _REFRESH_METHODS
    return False


def refresh_grant_body(site: Site, flow: Flow, code_for) -> bool:
    """An HTTP call whose `data`/`json` is (or names a dict holding) grant_type=refresh_token."""
    for arg in site.node.args:
        if arg.keyword is None or arg.keyword.value not in ("data", "json", "params", "body"):
            continue
        node = arg.value
        if isinstance(node, cst.Name):
            node = flow.value_of(node.value, site.index) or node
        if _GRANT.search(code_for(node)):
            return True
        text = string_text(node)
        if text and "grant_type=refresh_token" in text:
            return True
    return False


def _mentions(text: str, names: set[str]) -> bool:
    return any(re.search(rf"(?<![\w.]){re.escape(n)}\b", text) for n in names)


def stores_result(effect: Site, record: Site, flow: Flow, code_for) -> bool:
    """Does `record` persist what the refresh returned? The record's own arguments carry it, or
    the object it saves was given it first (`account.token = pair[...]`, `self.set_extra_data(
    data)` then `account.save()`/`self.save()`). A save of something else (a failure flag, an
    event's status) records the work around the refresh, not the new token."""
    call_text = code_for(effect.node)
    derived: set[str] = set()
    bindings = sorted(
        ((index, name, value) for name, values in flow.values.items() for index, value in values),
        key=lambda item: item[0],
    )
    for index, name, value in bindings:
        if index < effect.index or index > record.index:
            continue
        text = code_for(value)
        if call_text in text or _mentions(text, derived):
            derived.add(name)
    if not derived:
        return False
    if any(_mentions(code_for(arg.value), derived) for arg in record.node.args):
        return True
    root = record.chain.split(".", 1)[0]
    if root == record.chain:
        return False
    for index, target, value in flow.attr_assigns:
        if effect.index <= index <= record.index and code_for(target).split(".", 1)[0] == root:
            if _mentions(code_for(value), derived):
                return True
    for site in flow.sites_between(effect.index + 1, record.index):
        if site.chain.split(".", 1)[0] == root and any(_mentions(code_for(a.value), derived) for a in site.node.args):
            return True
    return False
