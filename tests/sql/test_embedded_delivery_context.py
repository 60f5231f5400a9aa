"""ARM403 in Python code: an insert into an events/payments table is a finding only where
deliveries arrive (handlers, consumers, tasks); an insert keyed by an external id always is."""
from __future__ import annotations

import textwrap

import pytest

from analyzers import Settings, analyze

ONLY_403 = Settings(select=frozenset({"ARM403"}))


def lines(code: str) -> list[tuple[str, int]]:
    report = analyze("app/events.py", textwrap.dedent(code), ONLY_403)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


FLAGGED = {
    "fastapi-webhook-route": (
        """\
        from fastapi import APIRouter, Request

        router = APIRouter()


        @router.post("/webhooks/mercadopago")
        async def mercadopago(request: Request):
            body = await request.json()
            await request.app.state.db.execute(
                "INSERT INTO payments (amount_cents, status) VALUES ($1, 'approved')",
                body["transaction_amount"],
            )
        """,
        10,
    ),
    "celery-task-by-decorator": (
        """\
        from celery import shared_task
        from django.db import connection


        @shared_task(bind=True, max_retries=5)
        def record(self, data):
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO billing_events (kind, data) VALUES (%s, %s)", [data["kind"], data])
        """,
        8,
    ),
    "consumer-by-parameter-name": (
        """\
        INSERT_EVENT = "INSERT INTO inbox (topic, body) VALUES (%(topic)s, %(body)s)"


        def on_kafka(cur, message):
            cur.execute(INSERT_EVENT, {"topic": message.topic(), "body": message.value()})
        """,
        1,
    ),
    "external-id-anywhere": (
        """\
        def save_delivery(cur, delivery):
            cur.execute(
                "INSERT INTO shipments (delivery_id, payload) VALUES (%s, %s)",
                (delivery.id, delivery.payload),
            )
        """,
        3,
    ),
}


@pytest.mark.parametrize("name", sorted(FLAGGED))
def test_flagged_where_deliveries_arrive(name):
    code, line = FLAGGED[name]
    assert lines(code) == [("ARM403", line)]


NOT_FLAGGED = {
    "django-test-fixture": """\
        import datetime

        from django.db import connection


        class CursorTests:
            def test_cursor_execute_accepts_naive_datetime(self):
                dt = datetime.datetime(2011, 9, 1, 13, 20, 30)
                with connection.cursor() as cursor:
                    cursor.execute("INSERT INTO timezones_event (dt) VALUES (%s)", [dt])
        """,
    "crud-calendar": """\
        def create_calendar_entry(db, title, starts_at):
            db.execute("INSERT INTO calendar_events (title, starts_at) VALUES (%s, %s)", (title, starts_at))
        """,
    "handler-with-on-conflict": """\
        def handle_webhook(cur, event):
            cur.execute(
                "INSERT INTO webhook_events (event_id, payload) VALUES (%s, %s) ON CONFLICT (event_id) DO NOTHING",
                (event["id"], event),
            )
        """,
}


@pytest.mark.parametrize("name", sorted(NOT_FLAGGED))
def test_not_flagged_without_delivery_context(name):
    assert lines(NOT_FLAGGED[name]) == []


TEST_CODE = {
    "pytest-fixture": ("app/billing.py", """\
        import pytest


        @pytest.fixture
        def seeded(db):
            db.execute("insert into webhook_events (event_id, provider) values ('evt_1', 'stripe')")
            return db
        """),
    "testcase-setup-in-tests-dir": ("tests/test_payments.py", """\
        class PaymentFlowTests:
            def setUp(self):
                self.cur.execute("insert into payments (provider_payment_id, amount) values ('pi_1', 10)")
        """),
    "conftest": ("tests/conftest.py", """\
        def load(cur, message):
            cur.execute("insert into inbox (message_id, body) values (%s, %s)", (message.id, message.body))
        """),
}


@pytest.mark.parametrize("name", sorted(TEST_CODE))
def test_test_code_is_never_a_delivery_context(name):
    path, code = TEST_CODE[name]
    report = analyze(path, textwrap.dedent(code), ONLY_403)
    assert report.findings == []


def test_emitting_own_domain_events_is_not_consuming():
    code = """\
        async def record_domain_event(conn, kind, payload):
            await conn.execute("insert into domain_events (kind, payload) values ($1, $2)", kind, payload)
        """
    assert lines(code) == []
