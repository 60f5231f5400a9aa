"""End to end: `armadilhas check --fix` (then `--unsafe-fixes`) on a small project with fixable
findings of every fixing rule, as real processes on real files; the result re-analyses clean."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from pglast import parser

import analyzers
from analyzers import Settings

ROOT = Path(__file__).resolve().parents[1]

FILES = {
    "shop/invites.py": '''\
from datetime import timedelta

from django.utils import timezone

from .models import InviteToken, Session


def create_invite(user, token):
    InviteToken.objects.create(inviter=user, token=token, expires_at=timezone.now() + timedelta(hours=24))


def purge_expired_sessions():
    Session.objects.filter(expires_at__lt=timezone.now()).delete()
''',
    "shop/payments.py": '''\
import stripe


def send_refund(refund):
    stripe.Refund.create(payment_intent=refund.intent_id, amount=refund.amount_cents)
    return refund.id


def charge_order(order):
    intent = stripe.PaymentIntent.create(
        amount=order.total_cents,
        currency="brl",
    )
    return intent.id, order.id
''',
    "shop/worker.py": '''\
import time


def wait_for(job, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if job.done():
            return True
        time.sleep(1)
    return False
''',
    "db/webhooks.sql": '''\
create table public.webhook_events (
  id bigserial primary key,
  event_id text not null unique,
  provider text,
  payload jsonb
);

-- name: record_event
insert into public.webhook_events (event_id, provider, payload)
values ($1, 'mercadopago', $2);

-- name: record_event_returning
insert into public.webhook_events (event_id, provider, payload)
values ($1, 'stripe', $2) returning id;
''',
    "db/sessions.sql": '''\
update public.sessions set expires_at = clock_timestamp() + interval '1 hour' where id = $1;
''',
}


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}, timeout=120)


def findings(root: Path) -> list[tuple[str, str, int]]:
    found = []
    for name in sorted(FILES):
        text = (root / name).read_text(encoding="utf-8")
        report = analyzers.analyze(name, text, Settings())
        assert report.notes == []
        found += [(name, f.rule, f.line) for f in report.findings]
    return found


def test_fix_repairs_the_sample_project_and_unsafe_fixes_finish_it(tmp_path):
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert findings(tmp_path) == [
        ("db/sessions.sql", "ARM101", 1),
        ("db/webhooks.sql", "ARM403", 9),
        ("db/webhooks.sql", "ARM403", 13),
        ("shop/invites.py", "ARM104", 9),
        ("shop/invites.py", "ARM104", 13),
        ("shop/payments.py", "ARM401", 5),
        ("shop/payments.py", "ARM401", 10),
        ("shop/worker.py", "ARM103", 5),
    ]

    done = run("check", ".", "--fix", "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # the two unsafe fixes wait for --unsafe-fixes
    left = [(f["path"], f["rule"], f["line"], f["fix"]["applicability"]) for f in json.loads(done.stdout)["findings"]]
    assert left == [("db/webhooks.sql", "ARM403", 13, "unsafe"), ("shop/payments.py", "ARM401", 10, "unsafe")]
    assert "applied 6 fixes in 5 file(s), 2 finding(s) remaining" in done.stderr
    assert findings(tmp_path) == [("db/webhooks.sql", "ARM403", 13), ("shop/payments.py", "ARM401", 10)]

    invites = (tmp_path / "shop/invites.py").read_text(encoding="utf-8")
    assert invites == FILES["shop/invites.py"].replace(
        "from .models import InviteToken, Session\n",
        "from .models import InviteToken, Session\nfrom django.db.models.functions import Now\n",
    ).replace("timezone.now()", "Now()")
    payments = (tmp_path / "shop/payments.py").read_text(encoding="utf-8")
    assert 'amount=refund.amount_cents, idempotency_key=f"refund-{refund.id}")\n' in payments
    assert "idempotency_key=f\"payment-intent" not in payments
    webhooks = (tmp_path / "db/webhooks.sql").read_text(encoding="utf-8")
    assert "values ($1, 'mercadopago', $2) on conflict (event_id) do nothing;\n" in webhooks
    assert "values ($1, 'stripe', $2) returning id;\n" in webhooks
    assert (tmp_path / "db/sessions.sql").read_text(encoding="utf-8").startswith(
        "update public.sessions set expires_at = now() + interval '1 hour'")
    assert "while time.monotonic() < deadline" in (tmp_path / "shop/worker.py").read_text(encoding="utf-8")

    done = run("check", ".", "--fix", "--unsafe-fixes", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["findings"] == []
    assert findings(tmp_path) == []
    webhooks = (tmp_path / "db/webhooks.sql").read_text(encoding="utf-8")
    assert "values ($1, 'stripe', $2) on conflict (event_id) do nothing returning id;\n" in webhooks
    payments = (tmp_path / "shop/payments.py").read_text(encoding="utf-8")
    assert '        currency="brl",\n        idempotency_key=f"payment-intent-{order.id}",\n    )\n' in payments
    for name in FILES:  # everything still parses
        text = (tmp_path / name).read_text(encoding="utf-8")
        ast.parse(text) if name.endswith(".py") else parser.parse_sql(text)
