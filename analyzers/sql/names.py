"""Column, table and value vocabularies the SQL rules recognise (lowercase names)."""
from __future__ import annotations

import re

EXPIRY_COLUMN = re.compile(
    r"expir|(?:^|_)until$|(?:^|_)ends?_(?:at|on)$|(?:^|_)closes?_(?:at|on)$|deadline|(?:^|_)ttl(?:_|$)|lease_(?:end|ends|expires?|until)|timeout_at|valid_to$|(?:^|_)due_at$"
)
# Columns rows get ordered by across writers (an event's position in time).
EVENT_COLUMN = re.compile(
    r"^(?:occurred_at|occurred_on|happened_at|event_(?:at|time|ts|timestamp)|emitted_at|recorded_at|logged_at|"
    r"published_at|received_at|ts|event_date)$"
)
TIMESTAMP_COLUMN = re.compile(r"(?:_at|_ts|_time|timestamp|^ts)$")
EVENT_TABLE = re.compile(r"(?:^|_)(?:events?|event_log|audit_log|outbox|journal|ledger|timeline|activity|activities|history|changes|changelog|messages)$")
HOLDER_COLUMN = re.compile(r"^(?:holder|lock_holder|lease_holder|held_by|owner|owner_id|locked_by|leader|leader_id|claimed_by|lease_owner|acquired_by)$")
FENCE_COLUMN = re.compile(r"token|fenc|(?:^|_)epoch$|(?:^|_)generation$")
HEARTBEAT_COLUMN = re.compile(
    r"heartbeat|last_seen|seen_at|last_ping|pinged_at|ping_at|last_alive|alive_at|last_contact|last_check_?in|checked_in_at|checkin_at"
)
STRONG_HEARTBEAT = re.compile(r"heartbeat|ping|alive")
NODE_TABLE = re.compile(
    r"(?:^|_)(?:workers?|nodes?|instances?|members?|replicas?|servers?|agents?|peers?|consumers?|runners?|executors?|hosts?|heartbeats?|presence|leaders?)$"
)
DEAD_VALUE = re.compile(
    r"^(?:dead|offline|down|failed|lost|unreachable|unhealthy|suspected_dead|suspect|suspected|evicted|stale|timed_out|timeout|disconnected|inactive)$",
    re.I,
)
ALIVE_FLAG = re.compile(r"^(?:is_)?(?:alive|online|healthy|active|up|available)$")
# INSERT keys that come from the outside world and arrive again on retries.
EXTERNAL_KEY = re.compile(
    r"^(?:event_id|external_id|external_ref|message_id|delivery_id|webhook_id|idempotency_key|dedup(?:lication)?_key|"
    r"\w+_event_id|provider_\w*id|gateway_\w*id|psp_reference|payment_intent_id|charge_id|checkout_session_id|"
    # PayPal IPN's transaction id and the gateways that copied its name
    r"txn_id|\w+_txn_id|"
    # PIX (Brazil's instant payments): end-to-end id, transaction id, return id
    r"e2e_id|end_to_end_id|txid|rtr_id|return_id|"
    r"(?:stripe|paypal|adyen|mercado_?pago|mp|pagarme|pagar_me|asaas|iugu|braintree|square|razorpay)_\w+)$"
)
INBOX_TABLE = re.compile(r"(?:^|_)(?:payments?|events?|webhooks?|webhook_events|webhook_deliveries|deliveries|inbox)$|(?:^|_)(?:inbox|processed)(?:_|$)")
NOT_INBOX_TABLE = re.compile(r"(?:^|_)(?:types?|kinds?|methods?|endpoints?|subscriptions?|settings?|configs?|secrets?|urls?|statuses|categories)$")
