"""What a call does to the world outside the process, as the non-idempotency rules see it.

This module used to hold every recogniser; they now live in modules named for what they do:
`_call_args` (reading a call's arguments and a function's text), `_http_calls` (HTTP requests,
verb and URL), `_idempotency_keys` (whether a call carries a key), `_stripe_calls` and
`_payment_calls` (money moves and billable objects), `_side_effects` (effects a retry repeats,
ARM402) and `_db_writes` (the writes that record them). Import from those. The names below
are re-exported for modules that still import them from here.
"""
from __future__ import annotations

from ._call_args import _chain_of, flow_text_has, has_splat, import_heads, kwarg, positional
from ._db_writes import SDK_HEADS, SESSIONISH, db_write, is_claim, is_record, pending_marks, rest_write, sql_of
from ._http_calls import http_method
from ._payment_calls import payment_call
from ._side_effects import side_effect
from ._stripe_calls import _STRIPE_OBJECT_CREATE, _STRIPE_RESOURCE

__all__ = [
    "SDK_HEADS",
    "SESSIONISH",
    "_STRIPE_OBJECT_CREATE",
    "_STRIPE_RESOURCE",
    "_chain_of",
    "db_write",
    "flow_text_has",
    "has_splat",
    "http_method",
    "import_heads",
    "is_claim",
    "is_record",
    "kwarg",
    "payment_call",
    "pending_marks",
    "positional",
    "rest_write",
    "side_effect",
    "sql_of",
]
