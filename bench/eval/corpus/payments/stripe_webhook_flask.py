import os

import psycopg2
import stripe
from flask import Flask, abort, request

from .mailer import Mailer

app = Flask(__name__)
mailer = Mailer(api_key=os.environ["POSTMARK_TOKEN"])
endpoint_secret = os.environ["STRIPE_WEBHOOK_SECRET"]


def db():
    return psycopg2.connect(os.environ["DATABASE_URL"])


@app.post("/webhooks/stripe")
def stripe_webhook():
    try:
        event = stripe.Webhook.construct_event(  # ok: signature check
            request.data, request.headers.get("Stripe-Signature"), endpoint_secret
        )
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)

    conn = db()
    with conn, conn.cursor() as cur:
        cur.execute(
            "insert into stripe_events (id, type, payload) values (%s, %s, %s)",  # expect: ARM403
            (event["id"], event["type"], request.data.decode()),
        )
        if event["type"] == "invoice.paid":
            _invoice_paid(cur, event["data"]["object"])
    return "", 200


def _invoice_paid(cur, invoice):
    cur.execute("update subscriptions set status = 'active' where stripe_id = %s", (invoice["subscription"],))


@app.post("/webhooks/stripe/v2")
def stripe_webhook_v2():
    event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), endpoint_secret)
    conn = db()
    with conn, conn.cursor() as cur:
        # ok: dedup by event id
        cur.execute(
            """insert into stripe_events (id, type, payload)
               values (%s, %s, %s)
               on conflict (id) do nothing
               returning id""",
            (event["id"], event["type"], request.data.decode()),
        )
        if cur.fetchone() is None:
            return "", 200
        if event["type"] == "invoice.paid":
            _invoice_paid(cur, event["data"]["object"])
    return "", 200


@app.post("/internal/invoices/<int:invoice_id>/send-receipt")
def send_receipt(invoice_id):
    conn = db()
    with conn, conn.cursor() as cur:
        cur.execute("select email, pdf_url from invoices where id = %s", (invoice_id,))
        email, pdf_url = cur.fetchone()
        mailer.send(to=email, template="receipt", attachments=[pdf_url])  # expect: ARM402
        cur.execute("update invoices set receipt_sent = true where id = %s", (invoice_id,))
    return "", 204
