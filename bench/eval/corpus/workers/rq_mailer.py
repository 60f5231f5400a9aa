import logging
import smtplib
from email.message import EmailMessage

import psycopg

log = logging.getLogger("mailer")
DSN = "postgresql:///mailer"


def _build(row):
    msg = EmailMessage()
    msg["To"] = row["to_addr"]
    msg["From"] = "avisos@empresa.example"
    msg["Subject"] = row["subject"]
    msg.set_content(row["body"])
    return msg


def deliver_queued_email(email_id: int):
    """RQ job: entrega um e-mail da fila."""
    with psycopg.connect(DSN) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute("select * from email_queue where id = %s", (email_id,))
        row = cur.fetchone()
        with smtplib.SMTP("smtp.empresa.example", 587, timeout=10) as smtp:  # ok: socket timeout
            smtp.starttls()
            smtp.send_message(_build(row))  # expect: ARM402
        cur.execute("update email_queue set sent_at = now(), status = 'sent' where id = %s", (email_id,))
        log.info("sent email %s", email_id)


def send_digest(to_addr: str, html: str):
    # ok: no database write in this function
    msg = EmailMessage()
    msg["To"] = to_addr
    msg["Subject"] = "Resumo semanal"
    msg.set_content(html, subtype="html")
    with smtplib.SMTP("smtp.empresa.example", 587, timeout=10) as smtp:
        smtp.send_message(msg)


def notify_password_changed(user_id: int, to_addr: str):
    # ok: record first (on conflict do nothing), send only if we won the insert
    with psycopg.connect(DSN) as conn:
        cur = conn.execute(
            """insert into notification_log (user_id, kind, day)
               values (%s, 'password_changed', current_date)
               on conflict do nothing
               returning id""",
            (user_id,),
        )
        conn.commit()
        if cur.fetchone() is None:
            return
    send_digest(to_addr, "<p>Sua senha foi alterada.</p>")
