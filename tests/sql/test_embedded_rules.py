"""SQL rules on SQL written inside Python strings, end to end through `analyzers.analyze`:
findings name the Python file and the exact line and column inside the string; fixes are
edits of the Python text."""
from __future__ import annotations

import pytest

from analyzers import Settings, analyze, apply_edits
from analyzers.catalog import get_rule

PATH = "app/handlers.py"


def _flagged(code: str, settings: Settings = Settings()):
    report = analyze(PATH, code, settings)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


def needs(*rule_ids):
    """The SQL rules land one by one; a test of a rule not written yet waits for it."""
    missing = [rule_id for rule_id in rule_ids if get_rule(rule_id) is None]
    return pytest.mark.skipif(bool(missing), reason=f"rule not implemented yet: {missing}")


def _finding(code: str, rule: str):
    findings = [f for f in analyze(PATH, code).findings if f.rule == rule]
    assert len(findings) == 1, findings
    return findings[0]


# --- ARM403: inserts of delivered events with no ON CONFLICT ----------------------------------

FASTAPI_WEBHOOK = '''\
from fastapi import FastAPI, Request
import asyncpg

app = FastAPI()


@app.post("/webhooks/stripe")
async def stripe_webhook(request: Request):
    event = await request.json()
    async with app.state.pool.acquire() as conn:
        await conn.execute(
            """
            -- evento recebido do provedor; a Stripe reenvia em caso de timeout
            INSERT INTO webhook_events (event_id, type, payload)
            VALUES ($1, $2, $3)
            """,
            event["id"], event["type"], event,
        )
    return {"ok": True}
'''


@needs('ARM403')
def test_fastapi_webhook_insert_without_on_conflict_is_flagged_inside_the_string():
    assert _flagged(FASTAPI_WEBHOOK) == [("ARM403", 14)]
    finding = _finding(FASTAPI_WEBHOOK, "ARM403")
    assert finding.path == PATH
    assert finding.col == 13  # 1-based: the INSERT keyword, indented 12 spaces in the string


@needs('ARM403')
def test_same_webhook_insert_with_on_conflict_is_not_flagged():
    code = FASTAPI_WEBHOOK.replace(
        "VALUES ($1, $2, $3)\n", "VALUES ($1, $2, $3)\n            ON CONFLICT (event_id) DO NOTHING\n"
    )
    assert _flagged(code) == []


@needs('ARM403')
def test_psycopg2_consumer_insert_through_a_module_constant():
    code = '''\
import json

import psycopg2

RECORD_MESSAGE = (
    "INSERT INTO processed_messages (message_id, body) "
    "VALUES (%(message_id)s, %(body)s)"
)


def on_message(channel, method, properties, body):
    conn = psycopg2.connect()
    with conn, conn.cursor() as cur:
        cur.execute(RECORD_MESSAGE, {"message_id": properties.message_id, "body": json.loads(body)})
    channel.basic_ack(method.delivery_tag)
'''
    assert _flagged(code) == [("ARM403", 6)]


@needs('ARM403')
def test_crud_insert_and_log_lines_with_sql_words_are_not_flagged():
    code = '''\
import logging

from django.db import connection

log = logging.getLogger(__name__)


def create_note(request):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO notes (title, body) VALUES (%s, %s)", [request.POST["title"], request.POST["body"]])
    log.info("INSERT INTO webhook_events skipped for %s", request.id)
    docs = "INSERT INTO webhook_events (event_id) VALUES (1)"
    return docs
'''
    assert _flagged(code) == []


# --- ARM202: lease rows and session advisory locks ---------------------------------------------

@needs("ARM201", "ARM202")
def test_celery_lease_row_then_a_write_in_another_execute_is_one_python_finding():
    # The lease UPDATE and the write it guards are two execute() calls: the SQL of either
    # string alone guards nothing, so ARM202 stays quiet and the Python rule ARM201 (lock
    # taken through SQL, write after it) reports it once, at the guarded write (RULES.md).
    code = '''\
from celery import shared_task
from django.db import connection

ACQUIRE_LEASE = """
UPDATE job_leases
   SET holder = %(worker)s,
       expires_at = now() + interval '5 minutes'
 WHERE name = 'nightly-billing' AND expires_at < now()
"""


@shared_task
def nightly_billing(worker):
    with connection.cursor() as cursor:
        cursor.execute(ACQUIRE_LEASE, {"worker": worker})
        if cursor.rowcount == 0:
            return
        cursor.execute("UPDATE invoices SET state = 'issued' WHERE state = 'draft'")
'''
    assert _flagged(code) == [("ARM201", 18)]


ADVISORY_BATCH = '''\
import psycopg2


def rebuild_totals(conn):
    with conn.cursor() as cur:
        cur.execute("""
            SELECT pg_advisory_lock(hashtext('daily_totals'));
            DELETE FROM daily_totals WHERE day = current_date;
            INSERT INTO daily_totals (day, total)
            SELECT current_date, sum(amount) FROM orders WHERE created_at >= current_date;
            SELECT pg_advisory_unlock(hashtext('daily_totals'));
        """)
'''


@needs("ARM202")
def test_session_advisory_lock_guarding_writes_in_one_string_is_flagged_on_its_line():
    finding = _finding(ADVISORY_BATCH, "ARM202")
    assert (finding.line, finding.col) == (7, 20)
    assert finding.fix is None


@needs("ARM202")
def test_transaction_advisory_lock_with_the_writes_in_the_same_transaction_is_not_flagged():
    code = ADVISORY_BATCH.replace("pg_advisory_lock(", "pg_advisory_xact_lock(").replace(
        "            SELECT pg_advisory_unlock(hashtext('daily_totals'));\n", ""
    )
    assert _flagged(code) == []


# --- ARM101: clock_timestamp() feeding a lease expiry, with its fix ----------------------------

LEASE_RENEWAL = '''\
import psycopg


def renew_lease(conn: psycopg.Connection, worker_id: str, ttl_seconds: int) -> bool:
    with conn.cursor() as cur:
        cur.execute(
            f"""
            UPDATE leases
               SET lease_until = clock_timestamp() + interval '{ttl_seconds} seconds'
             WHERE holder = %s
            """,
            (worker_id,),
        )
        return cur.rowcount == 1
'''


def test_lease_renewal_with_clock_timestamp_in_an_fstring_is_flagged_with_an_exact_fix():
    finding = _finding(LEASE_RENEWAL, "ARM101")
    assert (finding.line, finding.col) == (9, 34)
    assert finding.fix is not None
    fixed = apply_edits(LEASE_RENEWAL, finding.fix.edits)
    assert fixed == LEASE_RENEWAL.replace("clock_timestamp()", "now()")


def test_clock_timestamp_behind_an_escape_is_flagged_without_a_fix():
    code = (
        "def renew(cur, worker):\n"
        "    cur.execute(\"UPDATE leases SET lease_until = clock_\\x74imestamp() + interval '30 seconds' \"\n"
        "                \"WHERE holder = %s\", (worker,))\n"
    )
    finding = _finding(code, "ARM101")
    assert (finding.line, finding.col) == (2, 50)
    assert finding.fix is None


def test_sqlalchemy_text_with_casts_and_non_ascii_comments():
    code = '''\
from sqlalchemy import text


def extend(session, job_id):
    session.execute(
        text(
            """
            -- prorrogação do prazo: não usar o relógio da aplicação (ç, ã, é, 日本)
            UPDATE jobs
               SET deadline = clock_timestamp() + :ttl::interval
             WHERE id = :job_id
            """
        ),
        {"ttl": "30 seconds", "job_id": job_id},
    )
'''
    finding = _finding(code, "ARM101")
    assert (finding.line, finding.col) == (10, 31)
    assert apply_edits(code, finding.fix.edits) == code.replace("clock_timestamp()", "now()")


def test_now_and_casts_and_percent_escapes_are_not_flagged():
    code = '''\
def claim(cur, worker):
    cur.execute(
        "UPDATE leases SET holder = %s, lease_until = now() + interval '30 seconds' "
        "WHERE name LIKE 'billing-%%' AND lease_until < now()::timestamptz AND fence_token < %s",
        (worker, 7),
    )
'''
    assert [r for r, _ in _flagged(code) if r == "ARM101"] == []


def test_elapsed_time_measurement_is_not_flagged():
    code = '''\
def timed(cur):
    cur.execute("SELECT clock_timestamp() - statement_timestamp() AS elapsed")
'''
    assert _flagged(code) == []


# --- ARM302: heartbeat reaper with a fixed interval --------------------------------------------

@needs('ARM302')
def test_heartbeat_reaper_loop_deleting_workers_is_flagged():
    code = '''\
import time

import psycopg2

REAP = "DELETE FROM workers WHERE last_heartbeat < now() - interval '30 seconds'"


def reaper(dsn):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    while True:
        with conn.cursor() as cur:
            cur.execute(REAP)
        time.sleep(10)
'''
    assert _flagged(code) == [("ARM302", 5)]


# --- settings -----------------------------------------------------------------------------------

@needs('ARM403')
def test_disabled_rules_do_not_run_on_embedded_sql():
    assert _flagged(FASTAPI_WEBHOOK, Settings(ignore=frozenset({"ARM403"}))) == []
    assert _flagged(FASTAPI_WEBHOOK, Settings(select=frozenset({"ARM101"}))) == []
    assert _flagged(FASTAPI_WEBHOOK, Settings(select=frozenset({"ARM4"}))) == [("ARM403", 14)]


@needs('ARM403')
def test_suppression_comment_above_the_call_line_does_not_hide_a_finding_deep_in_the_string():
    # `# armadilhas: ignore[...]` works on the finding's line or the line above; inside a
    # triple-quoted string a SQL comment does the same job.
    code = FASTAPI_WEBHOOK.replace(
        "            -- evento recebido", "            -- armadilhas: ignore[ARM403]\n            -- evento recebido"
    )
    assert _flagged(code) == [("ARM403", 15)]
    code = FASTAPI_WEBHOOK.replace(
        "            INSERT INTO webhook_events", "            -- armadilhas: ignore[ARM403]\n            INSERT INTO webhook_events"
    )
    assert _flagged(code) == []


# --- strings that do not parse ------------------------------------------------------------------

def test_unparsable_sql_that_matters_becomes_a_note_on_its_python_line():
    code = '''\
def sweep(cur, me):
    cur.execute(
        """
        UPDATE leases SET lease_until = clock_timestamp() + interval '1 minute'
         WHERE {{ tenant_filter }} AND holder = %s
        """,
        (me,),
    )
'''
    report = analyze(PATH, code)
    assert report.findings == []
    assert [note.line for note in report.notes] == [5]
    assert report.notes[0].message.startswith("SQL in this string: ")
    assert 'syntax error at or near "{"' in report.notes[0].message
    assert "(line " not in report.notes[0].message  # lines of the SQL text would mislead here


def test_strings_that_are_not_sql_or_not_relevant_never_become_notes():
    code = '''\
import pandas as pd


def stale(df: pd.DataFrame, cur, cutoff):
    recent = df.query("last_seen > @cutoff and heartbeat_ok")
    cur.execute("VACUUM {{ table }}")
    cur.execute("SELEC * FROM orders WHERE id = %s", (1,))
    return recent
'''
    report = analyze(PATH, code)
    assert report.findings == []
    assert report.notes == []


# --- ARM102 and more drivers -----------------------------------------------------------------------

@needs("ARM102")
def test_asyncpg_event_log_ordered_by_clock_timestamp_is_flagged():
    code = '''\
import asyncpg


async def record_action(pool: asyncpg.Pool, kind: str, payload: str) -> None:
    await pool.execute(
        "INSERT INTO events (kind, payload, occurred_at) VALUES ($1, $2, clock_timestamp())",
        kind,
        payload,
    )
'''
    finding = _finding(code, "ARM102")
    assert (finding.line, finding.col) == (6, 74)
    assert finding.fix is None  # the remedy is an identity column to order by, not a text edit


@needs("ARM403")
def test_psycopg3_sql_composition_and_executemany_inbox_inserts():
    code = '''\
from psycopg import sql


def store_batch(conn, messages):
    with conn.cursor() as cur:
        cur.executemany(
            sql.SQL("INSERT INTO {} (message_id, body) VALUES (%s, %s)").format(sql.Identifier("inbox_messages")),
            [(m.id, m.body) for m in messages],
        )
'''
    assert _flagged(code) == [("ARM403", 7)]


@needs("ARM403")
def test_sqlalchemy_session_insert_of_payment_with_on_conflict_is_not_flagged():
    code = '''\
from sqlalchemy import text

UPSERT_PAYMENT = text(
    """
    INSERT INTO payments (provider_payment_id, amount_cents, status)
    VALUES (:pid, :amount, 'paid')
    ON CONFLICT (provider_payment_id) DO NOTHING
    """
)


def on_payment_succeeded(session, event):
    session.execute(UPSERT_PAYMENT, {"pid": event["id"], "amount": event["amount"]})
'''
    assert _flagged(code) == []
    assert _flagged(code.replace("    ON CONFLICT (provider_payment_id) DO NOTHING\n", "")) == [("ARM403", 5)]
