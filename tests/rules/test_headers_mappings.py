"""Headers given as `dict(...)` calls, not only dict displays: the idempotency-key check read a
call's `.elements` and crashed the whole project's index (and with it the review) on
`headers=dict(Authorization=token)`, a common spelling found in public code."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index

EFFECTS = Settings(select=frozenset({"ARM401", "ARM402"}))

SOURCE = textwrap.dedent('''\
    import requests


    def deliver(order, token):
        response = requests.post(order.callback_url, json=order.payload, headers=dict(Authorization=token))
        order.delivered_id = response.json()["id"]
        order.save()


    def deliver_keyed(order, token):
        response = requests.post(order.callback_url, json=order.payload, headers=dict({"Idempotency-Key": order.key}))
        order.delivered_id = response.json()["id"]
        order.save()


    def deliver_spread(order, base):
        response = requests.post(order.callback_url, json=order.payload, headers=dict(base, Accept="json"))
        order.delivered_id = response.json()["id"]
        order.save()
''')


def findings(project=None):
    report = analyze("app/delivery.py", SOURCE, EFFECTS, project)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


def test_dict_call_headers_are_read_like_a_display_without_crashing_the_index():
    project = build_project_index([("app/delivery.py", SOURCE)])
    # the keyed call spells its key inside the call's positional mapping; the spread one may
    # take a key from `base`, so it is reported as it would be with `{**base, ...}`
    assert findings(project) == [("ARM402", 5), ("ARM402", 17)]
    assert findings() == [("ARM402", 5), ("ARM402", 17)]


STRIPE = textwrap.dedent('''\
    import stripe


    def register(order, client, opts):
        customer = client.customers.create(params={"email": order.email}, options=dict(**opts))
        order.customer_id = customer.id
        order.save()


    def register_unkeyed(order, client):
        customer = client.customers.create(params={"email": order.email}, options=dict(stripe_account=order.account))
        order.customer_id = customer.id
        order.save()
''')


def test_options_given_as_a_dict_call_that_spreads_may_carry_the_key():
    # `dict(**opts)` may hold the idempotency key as `{**opts}` may: not "created without a key"
    # (ARM401); a `dict(...)` that spells only other keys is
    report = analyze("app/billing.py", STRIPE, Settings(select=frozenset({"ARM401"})))
    assert [(f.rule, f.line) for f in report.findings] == [("ARM401", 11)]
