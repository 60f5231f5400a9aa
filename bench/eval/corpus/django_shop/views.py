import json
import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import Invite, ProviderEvent, Shipment
from .tasks import send_invite_email

r = redis.Redis.from_url(settings.REDIS_URL)


@csrf_exempt
@require_POST
def carrier_webhook(request):
    """Correios/Loggi status callbacks. They retry on any non-2xx."""
    payload = json.loads(request.body)
    ProviderEvent.objects.create(  # expect: ARM403
        external_id=payload["event_id"],
        provider="loggi",
        body=payload,
    )
    Shipment.objects.filter(tracking=payload["tracking"]).update(status=payload["status"])
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def carrier_webhook_v2(request):
    payload = json.loads(request.body)
    # ok: get_or_create keyed on the external id (unique constraint)
    _, created = ProviderEvent.objects.get_or_create(
        external_id=payload["event_id"], defaults={"provider": "loggi", "body": payload}
    )
    if created:
        Shipment.objects.filter(tracking=payload["tracking"]).update(status=payload["status"])
    return HttpResponse(status=204)


@require_POST
def send_invite(request, invite_id):
    invite = Invite.objects.get(pk=invite_id, org=request.user.org)
    send_mail(  # expect: ARM402
        "Você foi convidado",
        f"Acesse {invite.url()}",
        "convites@app.example",
        [invite.email],
    )
    invite.sent_at = timezone.now()
    invite.save(update_fields=["sent_at"])
    return JsonResponse({"ok": True})


@require_POST
def send_invite_v2(request, invite_id):
    # ok: record first, email is sent by a task after commit
    with transaction.atomic():
        invite = Invite.objects.select_for_update().get(pk=invite_id)
        invite.status = "queued"
        invite.save(update_fields=["status"])
        transaction.on_commit(lambda: send_invite_email.delay(invite.pk))
    return JsonResponse({"ok": True})


def share_link(request, doc_id):
    token = f"{doc_id}:{request.user.pk}"
    # link compartilhado: qualquer pod valida lendo o exp do redis
    r.set(f"share:{token}", json.dumps({"doc": doc_id, "exp": time.time() + 3600}))  # expect: ARM104
    return JsonResponse({"token": token})


def dashboard_stats(request):
    stats = cache.get("dash:stats")
    if stats is None:
        stats = {"generated": timezone.now().isoformat()}  # ok: display
        cache.set("dash:stats", stats, timeout=300)  # ok: cache TTL
    return JsonResponse(stats)
