"""Celery tasks for the shop (Django settings)."""
from celery import shared_task
from django.core.mail import send_mail
from django.db import connection, transaction

from shop.models import Order


@shared_task(bind=True, max_retries=5, soft_time_limit=30)  # ok: task time limit, not a failure detector
def send_receipt(self, order_id):
    order = Order.objects.select_related("customer").get(pk=order_id)
    send_mail(  # expect: ARM402
        subject=f"Recibo do pedido #{order.pk}",
        message=order.render_receipt(),
        from_email="noreply@loja.example",
        recipient_list=[order.customer.email],
    )
    Order.objects.filter(pk=order_id).update(receipt_sent=True)


@shared_task(bind=True, autoretry_for=(ConnectionError,), retry_backoff=True)
def consume_inventory_message(self, message):
    with connection.cursor() as cur:
        cur.execute(
            "insert into processed_messages (message_id, topic, received_at) values (%s, %s, now())",  # expect: ARM403
            [message["id"], message["topic"]],
        )
        cur.execute(
            "update products set stock = stock - %s where sku = %s",
            [message["qty"], message["sku"]],
        )


@shared_task
def enqueue_welcome(user_id):
    # ok: outbox row, idempotent; the mailer worker sends later
    with connection.cursor() as cur:
        cur.execute(
            """
            insert into email_outbox (user_id, kind)
            values (%s, 'welcome')
            on conflict (user_id, kind) do nothing
            """,
            [user_id],
        )


@shared_task(bind=True, max_retries=3)
def sync_order_to_erp(self, order_id):
    try:
        _push(order_id)
    except TimeoutError as exc:
        raise self.retry(exc=exc, countdown=60)  # ok: retry delay


def _push(order_id):
    with transaction.atomic():
        Order.objects.filter(pk=order_id).update(erp_status="queued")
