"""Round 23, fixed timeouts: the general form (rules/_liveness_ages) read where round 22's blind
half (`test13`) missed it, checked against the misses of test11/test12.

- a stamp read through another record's accessor (`slave.get_last_heartbeat_time()`), a
  difference's `.seconds`, a caller's cutoff or the fixed one (`deadline or self._deadline()`);
- stamps kept per key of a collection of work in flight (`for key in harvest_object_pending:
  redis.get(key)`), re-pushed and deleted when old;
- the silent party's work cancelled (`task_cancel_requested_event_handler`), or removed by a
  private helper after a removal flag (`to_delete = True` ... `self._delete_edges(...)`);
- a stale finder handed a fixed cutoff whose items are then failed;
- a fresh item skipped (`if fresh: return False`) so that the stale one falls through to be
  resubmitted or taken over (ckanext-xloader, bk-lite's outbox lease).

Look-alikes stay quiet: the process's own accessor, keys of a cache, the live half of a query
(reported once), a stale finder whose items are only refreshed, a throttle that skips a fresh
send, a fresh document kept and an old one deleted (retention), and a guard whose takeover still
needs a confirmation.
"""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

TIMEOUT = Settings(select=frozenset({"ARM301", "ARM302"}))


def flagged(code: str, path: str = "app/sweeper.py") -> list[tuple[str, int]]:
    report = analyze(path, textwrap.dedent(code), TIMEOUT)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


def test_getter_stamp_and_seconds_of_a_difference():
    code = """\
    from datetime import datetime


    class ClusterMaster:
        def _disconnect_non_heartbeating_slaves(self):
            for slave in self._registry.all():
                if not self._is_slave_responsive(slave):
                    self._disconnect_slave(slave)

        def _is_slave_responsive(self, slave):
            time_since_last_heartbeat = (datetime.now() - slave.get_last_heartbeat_time()).seconds
            return time_since_last_heartbeat < self._unresponsive_slaves_cleanup_interval
    """
    assert flagged(code) == [("ARM301", 12)]


def test_own_getter_and_unnamed_getter_stay_quiet():
    code = """\
    from datetime import datetime


    class Poller:
        def __init__(self):
            self._beat = datetime.now()

        def get_last_heartbeat_time(self):
            return self._beat

        def is_responsive(self):
            return (datetime.now() - self.get_last_heartbeat_time()).seconds < 30

        def report(self, order):
            if (datetime.now() - order.get_created_time()).seconds > 60:
                print("old order")
    """
    assert flagged(code) == []


def test_caller_cutoff_or_the_fixed_one():
    code = """\
    import datetime

    from app import config, utils


    class BotInfo(BaseModel):
        def _should_be_dead(self, deadline=None):
            if not self.last_seen_ts:
                return False
            return self.last_seen_ts <= (deadline or self._deadline())

        @staticmethod
        def _deadline():
            dt = datetime.timedelta(seconds=config.settings().bot_death_timeout_secs)
            return utils.utcnow() - dt
    """
    assert flagged(code) == [("ARM301", 10)]


def test_in_flight_keys_repushed_and_deleted():
    code = """\
    import datetime
    import json


    def resubmit_jobs(redis):
        pending = redis.keys("fetch:*")
        for key in pending:
            value = redis.get(key)
            started = datetime.datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%f")
            if (datetime.datetime.now() - started).seconds > 180:
                redis.rpush("fetch", json.dumps({"id": key.split(":")[-1]}))
                redis.delete(key)
    """
    assert flagged(code) == [("ARM301", 10)]


def test_cache_keys_deleted_when_old_stay_quiet():
    code = """\
    import datetime


    def purge(redis):
        cached = redis.keys("page:*")
        for key in cached:
            value = redis.get(key)
            stored = datetime.datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%f")
            if (datetime.datetime.now() - stored).seconds > 180:
                redis.delete(key)
    """
    assert flagged(code) == []


def test_gone_tasks_cancelled_and_live_half_reported_once():
    code = """\
    import datetime

    import sqlalchemy as sa

    STALLED_GONE_TIMEOUT = 3600


    def cancel_incomplete_tasks(session):
        now = datetime.datetime.now(datetime.timezone.utc)
        ago = now - datetime.timedelta(seconds=STALLED_GONE_TIMEOUT)
        tasks = session.execute(
            sa.select(Task)
            .join(Worker, Worker.id == Task.worker_id)
            .where(
                Task.updated_at <= ago,
                Worker.last_seen > ago,
            )
        ).scalars()
        for task in tasks:
            task_cancel_requested_event_handler(session, task.id, {"canceled_by": "periodic"})
    """
    assert flagged(code) == [("ARM301", 15)]


def test_removal_flag_then_private_delete():
    code = """\
    from oslo_utils import timeutils

    MAX_EDGE_PENDING_SEC = 600


    class EdgeManager:
        def _clean_error_edges(self, context, bindings):
            errored = []
            for binding in bindings:
                to_delete = False
                if binding.status == "PENDING_UPDATE":
                    if binding.updated_at and timeutils.is_older_than(binding.updated_at, MAX_EDGE_PENDING_SEC):
                        to_delete = True
                if to_delete:
                    errored.append(binding)
            self._delete_backup_edges_on_db(context, errored)
    """
    assert flagged(code) == [("ARM301", 12)]


def test_stale_finder_whose_items_are_failed():
    code = """\
    import datetime

    STALLED_COMPLETED_TIMEOUT = 1800


    def close_completed_tasks(session):
        now = datetime.datetime.now(datetime.timezone.utc)
        ago = now - datetime.timedelta(seconds=STALLED_COMPLETED_TIMEOUT)
        tasks = get_stale_tasks_with_status(session, "scraper_completed", ago)
        for task in tasks:
            task.status = TaskStatus.failed
            session.add(task)


    def refresh_feeds(session):
        now = datetime.datetime.now(datetime.timezone.utc)
        ago = now - datetime.timedelta(seconds=STALLED_COMPLETED_TIMEOUT)
        for feed in get_stale_feeds(session, ago):
            feed.refresh()
    """
    assert flagged(code) == [("ARM301", 9)]


def test_fresh_item_skipped_stale_one_resubmitted():
    code = """\
    import datetime


    def xloader_submit(context, res_id, config):
        task = {"entity_id": res_id, "state": "submitting"}
        existing_task = get_task(context, res_id)
        if existing_task:
            stale_after = datetime.timedelta(seconds=int(config.get("assume_task_stale_after", 3600)))
            if existing_task.get("state") == "pending":
                updated = parse_iso_date(existing_task["last_updated"])
                time_since_last_updated = datetime.datetime.utcnow() - updated
                if time_since_last_updated > stale_after:
                    log.info("stale pending task %s", existing_task["id"])
                else:
                    log.info("skipping duplicate task %s", existing_task["id"])
                    return False
            task["id"] = existing_task["id"]
        job = enqueue_job(load_into_datastore, [task])
        return job.id
    """
    assert flagged(code) == [("ARM301", 12)]


def test_fresh_lease_skipped_stale_claim_taken_over():
    code = """\
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    LEASE_TIMEOUT = timedelta(minutes=5)


    def deliver(record_id):
        now = timezone.now()
        with transaction.atomic():
            record = Outbox.objects.select_for_update().filter(pk=record_id).first()
            if record.status == "delivering" and record.updated_at > now - LEASE_TIMEOUT:
                return False
            record.status = Outbox.Status.PENDING
            record.save()
        send(record)
    """
    assert flagged(code) == [("ARM301", 13)]


def test_throttle_retention_and_confirmed_takeover_stay_quiet():
    code = """\
    from datetime import timedelta

    from django.utils import timezone


    def send_digest(subscription):
        now = timezone.now()
        if subscription.updated_at > now - timedelta(hours=1):
            return
        mail_digest(subscription)


    def recover(executions):
        now = timezone.now()
        for execution in executions:
            if execution.started_at > now - timedelta(hours=1):
                continue
            if not missing_task_confirmed(execution):
                continue
            finalize(execution.id, status=Status.canceled)


    def prune(document):
        if document.modified_at > timezone.now() - timedelta(days=30):
            return
        document.delete()
    """
    assert flagged(code) == []
