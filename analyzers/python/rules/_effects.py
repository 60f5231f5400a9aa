"""What a call does to the world outside the process, as the non-idempotency rules see it.

This module used to hold every recogniser; they now live in modules named for what they do:
`_call_args` (reading a call's arguments and a function's text), `_http_calls` (HTTP requests,
verb and URL), `_idempotency_keys` (whether a call carries a key), `_stripe_calls` and
`_payment_calls` (money moves and billable objects), `_side_effects` (effects a retry repeats,
ARM402) and `_db_writes` (the writes that record them). Import from those. The names below are
re-exported for the lock modules, which were being split at the same time as this one; once they
import from the modules above, this file can go.
"""
from __future__ import annotations

from ._call_args import _chain_of, flow_text_has, kwarg, positional
from ._db_writes import db_write, pending_marks, sql_of
from ._http_calls import http_method

__all__ = ["_chain_of", "db_write", "flow_text_has", "http_method", "kwarg", "pending_marks", "positional", "sql_of"]
