"""Signed tokens verified against a maximum age (itsdangerous `URLSafeTimedSerializer.loads(token,
max_age=...)`, `TimestampSigner.unsign(value, max_age=...)`, Django `signing.loads(..., max_age=...)`,
`TimestampSigner.unsign(value, max_age=...)`): the timestamp inside the token was written from the
clock of the node that signed it, and the age is measured on the clock of whichever node verifies
it. Without `max_age` (or with `max_age=None`) nothing expires, so nothing is reported."""
from __future__ import annotations

import libcst as cst

# The verifying methods of itsdangerous' and Django's timestamped signers and serialisers.
_VERIFY = frozenset({"loads", "unsign", "unsign_object", "loads_unsafe", "load"})


def max_age_argument(call: cst.Call) -> cst.Arg | None:
    """The `max_age=` argument of a timed verification, when it sets a limit."""
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    if name not in _VERIFY:
        return None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "max_age":
            value = arg.value
            if isinstance(value, cst.Name) and value.value == "None":
                return None
            return arg
    return None
