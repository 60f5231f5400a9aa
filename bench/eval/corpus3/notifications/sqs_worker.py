"""SQS-driven push notification worker (Django)."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import boto3
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.models import DeliveryLog, Device, ProcessedMessage, PushReceipt
from notifications.push import apns_client

sqs = boto3.client("sqs")
QUEUE = "https://sqs.sa-east-1.amazonaws.com/42/push"
VISIBILITY_S = 60


def handle(message: dict) -> None:
    body = json.loads(message["Body"])
    ProcessedMessage.objects.create(message_id=message["MessageId"], kind=body["kind"])  # expect: ARM403
    for dev in Device.objects.filter(user_id=body["user_id"], active=True):
        apns_client.send_notification(dev.token, body["alert"])


def handle_safe(message: dict) -> None:
    # ok: get_or_create keyed on the message id, inside one transaction
    with transaction.atomic():
        _, created = ProcessedMessage.objects.get_or_create(message_id=message["MessageId"])
        if not created:
            return
        PushReceipt.objects.create(user_id=json.loads(message["Body"])["user_id"])  # ok: CRUD row


def send_and_log(device: Device, alert: str) -> None:
    apns_client.send_notification(device.token, alert)  # expect: ARM402
    DeliveryLog.objects.create(device=device, alert=alert, sent_at=timezone.now())


def poll_forever() -> None:
    while True:
        t0 = time.monotonic()  # ok
        resp = sqs.receive_message(QueueUrl=QUEUE, WaitTimeSeconds=20, VisibilityTimeout=VISIBILITY_S)
        for m in resp.get("Messages", []):
            try:
                handle(m)
            except IntegrityError:
                pass
            sqs.delete_message(QueueUrl=QUEUE, ReceiptHandle=m["ReceiptHandle"])
        if time.monotonic() - t0 < 1:
            time.sleep(1)


def mute_user_for(device: Device, minutes: int) -> None:
    device.muted_until = timezone.now() + timedelta(minutes=minutes)  # expect: ARM104
    device.save(update_fields=["muted_until"])
