"""Recall of ARM401/ARM402/ARM403 on shapes a second held-out corpus showed missing: HTTP writes
through a client passed in as an annotated parameter or kept on `self`, supabase-py writes,
push-notification SDKs, and the pagarme v4 SDK. A line whose trailing comment lists rule ids
(`# ARM401, ARM402`) is where those findings must start; every other line must stay quiet."""
from __future__ import annotations

import re
import textwrap

from analyzers import Settings, analyze

_MARK = re.compile(r"#\s*(ARM\d{3}(?:\s*,\s*ARM\d{3})*)\s*$")

EFFECTS = ("ARM401", "ARM402", "ARM403")


def check(code: str, path: str = "app/worker.py") -> None:
    code = textwrap.dedent(code)
    expected = []
    for lineno, line in enumerate(code.splitlines(), 1):
        mark = _MARK.search(line)
        if mark:
            expected += [(rule.strip(), lineno) for rule in mark.group(1).split(",")]
    report = analyze(path, code, Settings(select=frozenset(EFFECTS)))
    assert report.notes == []
    assert sorted((f.rule, f.line) for f in report.findings) == sorted(expected)


# --------------------------------------------------------------------------------------------
# ARM402: HTTP clients that are not built in the function itself


def test_session_parameter_annotated_with_requests_session():
    check(
        '''
        import psycopg
        import requests

        SMS_URL = "https://api.zenvia.com/v2/channels/sms/messages"


        def send_reminder(session: requests.Session, conn: psycopg.Connection, reminder_id, phone, text):
            resp = session.post(SMS_URL, json={"to": phone, "text": text}, timeout=10)  # ARM402
            resp.raise_for_status()
            conn.execute("update reminders set status = 'sent' where id = %s", (reminder_id,))


        def refresh_status(session: requests.Session, conn: psycopg.Connection, reminder_id):
            # a read, then a write: nothing external repeated
            status = session.get(f"{SMS_URL}/{reminder_id}", timeout=10).json()["status"]
            conn.execute("update reminders set provider_status = %s where id = %s", (status, reminder_id))


        def send_reminder_claimed(session: requests.Session, conn: psycopg.Connection, reminder_id, phone):
            # record first: the claim row exists before the provider is called
            conn.execute("update reminders set status = 'sending' where id = %s and status = 'pending'", (reminder_id,))
            session.post(SMS_URL, json={"to": phone}, timeout=10)


        def post_to_cache(cache, conn, key, value):
            # `cache` is not an HTTP client: its `.post()` is not a request
            cache.post(key, value)
            conn.execute("update cache_stats set writes = writes + 1")
        '''
    )


def test_optional_httpx_client_parameter_and_client_kept_on_self():
    check(
        '''
        from typing import Optional

        import httpx
        from sqlalchemy import text


        def notify_partner(db, order_id: int, client: Optional[httpx.Client] = None):
            client = client or httpx.Client(timeout=5)
            client.post("https://partner.example.com/orders", json={"order": order_id})  # ARM402
            db.execute(text("update orders set partner_notified = true where id = :id"), {"id": order_id})


        class Shipper:
            def __init__(self, base_url: str) -> None:
                self.session = httpx.Client(base_url=base_url, timeout=5)
                self.labels = {}

            def ship(self, db, order_id: int) -> None:
                self.session.post("/shipments", json={"order_id": order_id})  # ARM402
                db.execute(text("update orders set shipped = true where id = :id"), {"id": order_id})

            def remember(self, db, order_id: int) -> None:
                # `self.labels` is a dict: `.update()` is not a request
                self.labels.update({order_id: "pending"})
                db.execute(text("update orders set labelled = true where id = :id"), {"id": order_id})
        '''
    )


def test_session_attribute_assigned_something_else_is_not_a_client():
    check(
        '''
        from sqlalchemy import text


        class Exporter:
            def __init__(self, transport) -> None:
                self.session = transport

            def push(self, db, batch_id):
                self.session.post({"batch": batch_id})
                db.execute(text("update batches set exported = true where id = :id"), {"id": batch_id})
        '''
    )


# --------------------------------------------------------------------------------------------
# ARM402/ARM403: supabase-py


def test_supabase_update_after_a_stripe_charge():
    check(
        '''
        import os

        import stripe
        from supabase import Client, create_client

        sb: Client = create_client(os.environ["SUPABASE_URL"], os.environ["SUPABASE_KEY"])


        def charge_invoice(invoice_id, customer, cents):
            intent = stripe.PaymentIntent.create(  # ARM401, ARM402
                amount=cents, currency="brl", customer=customer, confirm=True
            )
            sb.table("invoices").update({"status": "paid", "payment_intent": intent.id}).eq("id", invoice_id).execute()
            return intent.id


        def charge_invoice_keyed(invoice_id, customer, cents):
            sb.table("invoices").update({"status": "charging"}).eq("id", invoice_id).execute()
            return stripe.PaymentIntent.create(
                amount=cents, currency="brl", customer=customer, confirm=True, idempotency_key=f"invoice-{invoice_id}"
            )


        def cancel_then_delete(invoice_id, intent_id):
            # a delete afterwards records nothing
            stripe.PaymentIntent.cancel(intent_id)
            sb.table("invoice_drafts").delete().eq("invoice_id", invoice_id).execute()


        def read_then_update(invoice_id):
            row = sb.table("invoices").select("status").eq("id", invoice_id).single().execute()
            sb.table("invoices").update({"seen": True}).eq("id", invoice_id).execute()
            return row
        '''
    )


def test_supabase_async_client_insert_after_an_email():
    check(
        '''
        from supabase import AsyncClient


        async def welcome(supabase: AsyncClient, mailer, user):
            await mailer.send_email(to=user["email"], template="welcome")  # ARM402
            await supabase.table("emails_sent").insert({"user_id": user["id"], "kind": "welcome"}).execute()
        '''
    )


def test_supabase_insert_of_a_provider_event():
    check(
        '''
        from supabase import create_client
        from postgrest.exceptions import APIError

        sb = create_client("https://x.supabase.co", "service-key")


        def record_stripe_event(event: dict) -> None:
            sb.table("stripe_events").insert({"event_id": event["id"], "type": event["type"]}).execute()  # ARM403


        def handle_webhook(payload: dict) -> None:
            row = {"provider": "asaas", "payload": payload}
            sb.table("payment_events").insert(row).execute()  # ARM403


        def record_stripe_event_upsert(event: dict) -> None:
            sb.table("stripe_events").upsert(
                {"event_id": event["id"], "type": event["type"]}, on_conflict="event_id", ignore_duplicates=True
            ).execute()


        def record_stripe_event_guarded(event: dict) -> None:
            try:
                sb.table("stripe_events").insert({"event_id": event["id"]}).execute()
            except APIError:
                return


        def handle_webhook_checked(payload: dict) -> None:
            seen = sb.table("payment_events").select("id").eq("external_id", payload["id"]).execute()
            if seen.data:
                return
            sb.table("payment_events").insert({"external_id": payload["id"]}).execute()


        def record_usage(tenant_id: str, seats: int) -> None:
            # ordinary CRUD: no external key, not a delivery
            sb.table("usage_snapshots").insert({"tenant_id": tenant_id, "seats": seats}).execute()


        def create_order(customer_id: str, event_id: str) -> None:
            # an external key, but into an ordinary table outside any delivery handler
            sb.table("orders").insert({"customer_id": customer_id, "event_id": event_id}).execute()
        ''',
        path="app/billing.py",
    )


def test_supabase_inserts_in_tests_are_setup():
    check(
        '''
        from supabase import create_client

        sb = create_client("http://localhost:54321", "anon")


        def seed_events():
            sb.table("stripe_events").insert({"event_id": "evt_1", "type": "charge.succeeded"}).execute()
        ''',
        path="tests/test_billing.py",
    )


# --------------------------------------------------------------------------------------------
# ARM402: push notifications


def test_firebase_messaging_send_before_an_update():
    check(
        '''
        from firebase_admin import messaging
        from sqlalchemy import text


        async def notify_outbid(db, bid_id: int, token: str) -> None:
            messaging.send(messaging.Message(  # ARM402
                token=token,
                notification=messaging.Notification(title="Outbid", body=f"bid {bid_id}"),
            ))
            await db.execute(text("update bids set outbid_notified = true where id = :b"), {"b": bid_id})
            await db.commit()


        def broadcast(db, tokens, lot_id):
            response = messaging.send_each_for_multicast(messaging.MulticastMessage(tokens=tokens))  # ARM402
            db.execute(text("update lots set broadcast_count = :n where id = :l"), {"n": response.success_count, "l": lot_id})


        def notify_claimed(db, bid_id: int, token: str) -> None:
            db.execute(text("update bids set outbid_notified = true where id = :b and not outbid_notified"), {"b": bid_id})
            messaging.send(messaging.Message(token=token))
        '''
    )


def test_apns_and_fcm_clients_before_a_record():
    check(
        '''
        from django.utils import timezone

        from notifications.models import DeliveryLog, Notification
        from notifications.push import apns_client, fcm


        def send_and_log(device, alert):
            apns_client.send_notification(device.token, alert)  # ARM402
            DeliveryLog.objects.create(device=device, alert=alert, sent_at=timezone.now())


        def send_android(device, alert):
            fcm.notify_single_device(registration_id=device.token, message_body=alert)  # ARM402
            DeliveryLog.objects.create(device=device, alert=alert)


        def log_then_send(device, alert):
            DeliveryLog.objects.create(device=device, alert=alert)
            apns_client.send_notification(device.token, alert)
        '''
    )


def test_in_app_send_notification_helpers_are_not_push():
    check(
        '''
        from notifications.models import Notification


        class Inbox:
            def send_notification(self, user, text):
                return Notification.objects.create(user=user, text=text)


        def mention(inbox, user, comment):
            inbox.send_notification(user, f"mentioned in {comment.id}")
            comment.notified = True
            comment.save()
        '''
    )


# --------------------------------------------------------------------------------------------
# ARM401: pagarme v4 SDK


def test_pagarme_v4_money_moving_calls():
    check(
        '''
        import pagarme
        from pagarme import transaction

        pagarme.authentication_key("ak_test_x")


        def pay_recipient(recipient_id: str, cents: int) -> dict:
            return pagarme.transfer.create({"amount": cents, "recipient_id": recipient_id})  # ARM401


        def refund(transaction_id: str, cents: int) -> dict:
            return transaction.refund(transaction_id, {"amount": cents})  # ARM401


        def charge_card(card_hash: str, cents: int) -> dict:
            return pagarme.transaction.create({"amount": cents, "card_hash": card_hash, "payment_method": "credit_card"})  # ARM401


        def lookups(transaction_id: str, recipient_id: str):
            found = pagarme.transaction.find_by({"id": transaction_id})
            recipient = pagarme.recipient.create({"bank_account_id": recipient_id})
            return found, recipient, pagarme.transfer.find_all()
        '''
    )


def test_pagarme_v4_message_says_the_sdk_has_no_key():
    code = textwrap.dedent(
        '''
        import pagarme


        def pay_recipient(recipient_id, cents):
            return pagarme.transfer.create({"amount": cents, "recipient_id": recipient_id})
        '''
    )
    report = analyze("app/payouts.py", code, Settings(select=frozenset({"ARM401"})))
    [finding] = report.findings
    assert "v4 SDK cannot send an idempotency key" in finding.message
    assert "pagarmeapisdk" in finding.message


# --------------------------------------------------------------------------------------------
# ARM401: a key passed on another request does not key this one


def test_pix_transfer_without_key_next_to_a_keyed_one():
    check(
        '''
        import httpx

        PSP_BASE = "https://api.psp.example.com.br"


        class PspClient:
            def __init__(self, token: str) -> None:
                self.http = httpx.Client(base_url=PSP_BASE, headers={"Authorization": f"Bearer {token}"})

            def send_pix(self, withdrawal) -> dict:
                # PSP dedups on X-Idempotency-Key, but this call does not send one
                r = self.http.post("/v2/pix/transfers", json={"valor": str(withdrawal.amount)})  # ARM401
                return r.json()

            def send_pix_keyed(self, withdrawal) -> dict:
                r = self.http.post(
                    "/v2/pix/transfers",
                    json={"valor": str(withdrawal.amount)},
                    headers={"X-Idempotency-Key": f"withdrawal-{withdrawal.id}"},
                )
                return r.json()
        '''
    )


def test_client_with_default_idempotency_header_may_be_keyed():
    check(
        '''
        import uuid

        import httpx


        class PspClient:
            def __init__(self, token: str) -> None:
                self.http = httpx.Client(base_url="https://api.psp.example.com.br")
                self.http.headers["X-Idempotency-Key"] = str(uuid.uuid4())

            def send_pix(self, withdrawal) -> dict:
                return self.http.post("/v2/pix/transfers", json={"valor": str(withdrawal.amount)}).json()
        '''
    )


# --------------------------------------------------------------------------------------------
# ARM402: a method of this module that wraps the effect


def test_settlement_loop_calls_a_client_method_that_posts_the_transfer():
    check(
        '''
        import httpx
        import psycopg


        class PspClient:
            def __init__(self, token: str) -> None:
                self.http = httpx.Client(base_url="https://api.psp.example.com.br")

            def send_pix(self, withdrawal) -> dict:
                r = self.http.post("/v2/pix/transfers", json={"valor": str(withdrawal.amount)})  # ARM401
                return r.json()

            def balance(self) -> dict:
                return self.http.get("/v2/balance").json()

            def send_pix_logged(self, conn, withdrawal) -> dict:
                conn.execute("insert into pix_outbox (withdrawal_id) values (%s) on conflict do nothing", (withdrawal.id,))
                return {}


        def settle(conn: psycopg.Connection, psp: PspClient, withdrawals) -> None:
            for w in withdrawals:
                res = psp.send_pix(w)  # ARM402
                conn.execute("update withdrawals set status = 'paid', e2e_id = %s where id = %s", (res["e2e"], w.id))


        def snapshot(conn: psycopg.Connection, token: str) -> None:
            psp = PspClient(token)
            conn.execute("update psp_state set balance = %s", (psp.balance()["available"],))


        def settle_with_outbox(conn: psycopg.Connection, psp: PspClient, w) -> None:
            psp.send_pix_logged(conn, w)
            conn.execute("update withdrawals set status = 'queued' where id = %s", (w.id,))
        '''
    )
