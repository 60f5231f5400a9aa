"""Django app: reservas de mesa / room holds for the hotel channel manager."""
from __future__ import annotations

import datetime as dt
import time

from django.db import models, transaction
from django.utils import timezone


class RoomHold(models.Model):
    room = models.ForeignKey("rooms.Room", on_delete=models.CASCADE)
    guest_email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)  # ok: created_at stamp
    expires_at = models.DateTimeField()
    ota_booking_id = models.CharField(max_length=64, null=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]


class OtaWebhook(models.Model):
    external_id = models.CharField(max_length=64, unique=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)  # ok: received stamp


def hold_room(room, email: str) -> RoomHold:
    return RoomHold.objects.create(
        room=room,
        guest_email=email,
        expires_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=20),  # expect: ARM104
    )


def receive_ota_webhook(payload: dict) -> None:
    OtaWebhook.objects.create(external_id=payload["booking_id"], payload=payload)  # expect: ARM403


def receive_ota_webhook_safe(payload: dict) -> None:
    # ok: idempotent on the OTA's id
    OtaWebhook.objects.get_or_create(external_id=payload["booking_id"], defaults={"payload": payload})


def create_room_hold_admin(room, email: str, until) -> RoomHold:
    # ok: back-office CRUD, date chosen by the operator
    return RoomHold.objects.create(room=room, guest_email=email, expires_at=until)


@transaction.atomic
def confirm(hold_id: int) -> bool:
    hold = RoomHold.objects.select_for_update().get(pk=hold_id)
    return hold.expires_at > timezone.now()  # expect: ARM103|ARM104


def wait_channel_sync(poll, timeout_s: float = 12.0) -> bool:
    end = time.time() + timeout_s  # expect: ARM103
    while time.time() < end:
        if poll():
            return True
        time.sleep(0.5)
    return False
