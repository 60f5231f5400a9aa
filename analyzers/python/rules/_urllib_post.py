"""HTTP writes made with the standard library: `urllib.request.urlopen(url, data)` and
`urlopen(Request(url, data=..., method="POST"))` (also urllib2 and six.moves). A request with a
body is a POST unless it names another method; one without a body is a read."""
from __future__ import annotations

import re

import libcst as cst

from ._effects_flow import Flow, Site, callee_chain
from ._sqltext import string_text

_URLOPEN = re.compile(r"^(?:urllib\.request|urllib2|six\.moves\.urllib\.request|urllib\.urlopen)(?:\.urlopen)?$|\.urlopen$")
_REQUEST = re.compile(r"^(?:urllib\.request|urllib2|six\.moves\.urllib\.request)\.Request$")


def _arg(call: cst.Call, position: int, name: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    return positional[position] if len(positional) > position else None


def _request(node: cst.BaseExpression | None, flow: Flow, before: int) -> cst.Call | None:
    if isinstance(node, cst.Name):
        node = flow.value_of(node.value, before)
    if isinstance(node, cst.Call) and _REQUEST.match(flow.qualify(callee_chain(node.func)[0])):
        return node
    return None


def urlopen_method(site: Site, flow: Flow) -> str | None:
    """'post'/'put'/'patch' for a urlopen that sends a body, else None."""
    if site.method != "urlopen" or not _URLOPEN.search(flow.qualify(site.chain)):
        return None
    target = _arg(site.node, 0, "url")
    request = _request(target, flow, site.index)
    data = _arg(site.node, 1, "data")
    if request is not None:
        data = data or _arg(request, 1, "data")
        method = _arg(request, 5, "method")
        verb = (string_text(method) or "").lower() if method is not None else ""
        if verb in ("post", "put", "patch"):
            return verb
        if verb:
            return None
    if data is None or (isinstance(data, cst.Name) and data.value == "None"):
        return None
    return "post"


def urlopen_url(site: Site, flow: Flow) -> cst.BaseExpression | None:
    """The URL expression of a urlopen call (inside its Request when it is given one)."""
    target = _arg(site.node, 0, "url")
    request = _request(target, flow, site.index)
    return _arg(request, 0, "url") if request is not None else target
