"""ARM104 round 9: instants written or compared under any name that says they are due, leased or
aged elsewhere, not only under expiry names."""
from __future__ import annotations

import textwrap

from analyzers import analyze

from .helpers import CLOCK, flagged


def findings(code: str, path: str = "app/jobs.py") -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), CLOCK)
    return [(f.rule, f.line, f.confidence) for f in report.findings]


def test_flags_backoff_run_time_passed_to_orm_update():
    code = """
        from datetime import datetime, timedelta, timezone

        async def reschedule(store, message, backoff):
            next_try = datetime.now(timezone.utc) + timedelta(seconds=backoff)
            await store.update(message, state="waiting", deliver_after=next_try)
    """
    assert flagged(code, CLOCK, "app/outbox.py") == [("ARM104", 5)]


def test_flags_epoch_millis_run_time_in_named_sql_parameter():
    code = """
        import time

        def defer(cur, job_id, delay_ms):
            cur.execute(
                "UPDATE jobs SET wake_at_ms = %(wake)s WHERE id = %(id)s",
                {"id": job_id, "wake_epoch_ms": int(time.time() * 1000) + delay_ms},
            )
    """
    assert findings(code, "app/defer.py") == [("ARM104", 7, "high")]


def test_flags_present_as_default_run_time_in_insert_medium():
    code = """
        from django.utils import timezone

        from .models import Job

        def enqueue(name, payload, when=None):
            return Job.objects.create(name=name, payload=payload, run_at=when or timezone.now())
    """
    assert findings(code) == [("ARM104", 7, "medium")]


def test_flags_lease_start_written_by_queryset_update_medium():
    code = """
        from django.utils import timezone

        from .models import Export

        def claim(export_id, worker):
            moment = timezone.now()
            return Export.objects.filter(pk=export_id, owner=None).update(owner=worker, locked_at=moment)
    """
    assert findings(code) == [("ARM104", 8, "medium")]


def test_flags_moved_instant_under_unknown_column_medium():
    code = """
        from datetime import datetime, timedelta

        from .models import Campaign

        def pause(campaign_id, hours):
            Campaign.objects.filter(pk=campaign_id).update(paused_till=datetime.utcnow() + timedelta(hours=hours))
    """
    assert findings(code, "app/campaigns.py") == [("ARM104", 7, "medium")]


def test_flags_retry_time_set_on_objects_then_bulk_updated():
    code = """
        from datetime import timedelta

        from django.utils import timezone

        from .models import Notice

        def requeue(failed, pause_minutes):
            retry_at = timezone.now() + timedelta(minutes=pause_minutes)
            for notice in failed:
                notice.retry_at = retry_at
            Notice.objects.bulk_update(failed, ["retry_at"])
    """
    assert flagged(code, CLOCK, "app/notices.py") == [("ARM104", 9)]


def test_flags_due_rows_compared_with_app_clock_in_orm_and_sql():
    code = """
        import time

        from django.utils import timezone

        from .models import Newsletter

        def due_newsletters():
            return Newsletter.objects.filter(publish_date__lte=timezone.now(), sent=False)

        def due_jobs(cur):
            cur.execute("SELECT id FROM jobs WHERE scheduled <= %s FOR UPDATE SKIP LOCKED", (time.time(),))
            return cur.fetchall()
    """
    assert flagged(code, CLOCK, "app/dispatch.py") == [("ARM104", 9), ("ARM104", 12)]


def test_quiet_for_history_stamps_and_document_dates():
    code = """
        from datetime import timedelta

        from django.utils import timezone

        from .models import ArchivedRun, Invoice, Job

        def finish(job_id, worker):
            Job.objects.filter(pk=job_id).update(completed_at=timezone.now(), claimed_by=worker, started_at=timezone.now())

        def bill(order):
            Invoice.objects.create(order=order, issued=timezone.now(), payment_date=timezone.now() + timedelta(days=14))

        def archive(job):
            ArchivedRun.objects.create(name=job.name, run_at=timezone.now(), attempts=job.attempts)

        def mark_sent(cur, message_id):
            cur.execute("UPDATE outbox SET sent_at = %(sent_at)s WHERE id = %(id)s",
                        {"sent_at": timezone.now(), "id": message_id})
    """
    assert flagged(code, CLOCK, "app/billing.py") == []


def test_quiet_for_retention_purge_and_messages_under_unknown_names():
    code = """
        from datetime import timedelta

        import requests
        from django.utils import timezone

        from .models import AuditEntry

        def purge(days):
            AuditEntry.objects.filter(created__lt=timezone.now() - timedelta(days=days)).delete()

        def report(url, window):
            requests.post(url, json={"ok": True}, timeout=window)
            AuditEntry.objects.filter(created__gte=timezone.now() - timedelta(hours=1)).count()
    """
    assert flagged(code, CLOCK, "app/audit.py") == []


def test_flags_heartbeat_stamp_on_object_handed_to_own_writer_medium():
    code = """
        import time

        class Registry:
            async def beat(self, node):
                node.last_heartbeat = time.time()
                await self._persist_node(node)

            async def _persist_node(self, node):
                await self.db.put(node.key, node.to_json())
    """
    assert findings(code, "app/registry.py") == [("ARM104", 6, "medium")]


def test_flags_liveness_stamp_in_sqlalchemy_values_medium():
    code = """
        from datetime import datetime

        import sqlalchemy as sa

        def mark_alive(conn, table, name):
            stmt = sa.update(table).where(table.c.name == name).values(last_seen=datetime.utcnow())
            conn.execute(stmt)
    """
    assert findings(code, "app/presence.py") == [("ARM104", 7, "medium")]


def test_quiet_for_stamps_kept_in_memory_or_on_unsaved_objects():
    code = """
        import time

        class Pool:
            def checkout(self, conn, stats):
                conn.last_seen = time.time()
                stats.update({"checkouts": stats["checkouts"] + 1})
                return conn
    """
    assert flagged(code, CLOCK, "app/pool.py") == []


def test_flags_expiry_claim_written_by_key_parameter_from_kept_reading():
    code = """
        from datetime import datetime, timedelta, timezone

        def seconds_since_epoch(moment):
            return int(moment.timestamp())

        class AccessToken:
            lifetime = timedelta(minutes=5)

            def __init__(self, subject):
                self.claims = {"sub": subject}
                self.minted = datetime.now(timezone.utc)

            def put_lifetime(self, name="exp", base=None, span=None):
                base = base or self.minted
                span = span or self.lifetime
                self.claims[name] = seconds_since_epoch(base + span)
    """
    assert findings(code, "app/auth/tokens.py") == [("ARM104", 17, "high")]


def test_quiet_for_issue_claims_and_payloads_outside_token_code():
    code = """
        import time

        class AccessToken:
            def __init__(self, subject):
                self.claims = {"sub": subject}
                self.claims["iat"] = int(time.time())

        class Delivery:
            def __init__(self, body, patience):
                self.payload = {"body": body}
                self.payload["deadline"] = time.time() + patience
    """
    assert flagged(code, CLOCK, "app/messages.py") == []


def test_flags_loaded_resume_time_judged_by_local_clock_medium():
    code = """
        import time

        async def poll(repo, channel_id):
            channel = await repo.load_channel(channel_id)
            if channel.paused and channel.resume_at is not None and channel.resume_at <= time.time():
                await repo.unpause(channel_id)
    """
    assert findings(code, "app/channels.py") == [("ARM104", 6, "medium")]


def test_quiet_for_due_times_this_process_keeps_itself():
    code = """
        import time

        class Ticker:
            def arm(self, timer, delay):
                timer.run_at = time.time() + delay

            def due(self, timer):
                return timer.run_at <= time.time()
    """
    assert [line for rule, line, _ in findings(code, "app/ticker.py") if rule == "ARM104"] == []


def test_quiet_for_due_time_shown_as_a_status():
    code = """
        from django.utils import timezone

        def delivery_badge(mailing):
            if mailing.publish_at is not None and mailing.publish_at > timezone.now():
                return "waiting"
            return "sent"
    """
    assert flagged(code, CLOCK, "app/presenters.py") == []
    moved = code.replace("delivery_badge", "next_step")
    assert flagged(moved, CLOCK, "mailings/admin.py") == []


def test_quiet_for_text_built_from_the_clock_and_backdated_starts():
    code = """
        import time

        from django.utils import timezone

        def clone_template(template):
            template.pk = None
            template.title = template.title + " (copy " + timezone.now().strftime("%H:%M") + ")"
            template.save()

        class ListenerBase:
            pass

        class Listener(ListenerBase):
            def __init__(self, grace):
                self.outage_since = time.time() - grace
                self.save()
    """
    assert flagged(code, CLOCK, "app/templates.py") == []
