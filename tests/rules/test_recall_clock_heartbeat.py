"""Recall of the clock and heartbeat rules on shapes a second labelled corpus exposed:
ARM104 expiries named for when access ends (`trial_ends_at`, `grace_until`, `access_until`),
ARM103 deadlines re-armed inside a loop, and ARM301 silences computed into a variable or read
from a field before the comparison. Each shape has look-alikes that must stay quiet."""
from __future__ import annotations

from analyzers import analyze, apply_edits

from .helpers import CLOCK, HEARTBEAT, flagged


# --- ARM104: persisted instants that say when something ends ------------------------------------

def test_django_trial_end_and_grace_period_through_an_aliased_timezone_module():
    code = """\
    from datetime import datetime, timedelta

    from django.db import transaction
    from django.utils import timezone as djtz

    from .models import Subscription

    TRIAL_DAYS = 14
    GRACE = timedelta(days=3)


    def start_trial(account, plan):
        return Subscription.objects.create(
            account=account,
            plan=plan,
            status="trialing",
            started_at=datetime.utcnow(),
            trial_ends_at=datetime.utcnow() + timedelta(days=TRIAL_DAYS),
        )


    @transaction.atomic
    def on_invoice_payment_failed(event):
        sub = Subscription.objects.select_for_update().get(stripe_id=event["data"]["object"]["subscription"])
        sub.status = "past_due"
        sub.grace_until = djtz.now() + GRACE
        sub.save(update_fields=["status", "grace_until"])
    """
    assert flagged(code, CLOCK) == [("ARM104", 18), ("ARM104", 26)]


def test_sqlalchemy_access_window_and_renewal_written_through_the_session():
    code = """\
    from datetime import datetime, timedelta, timezone

    from .db import Session
    from .models import Membership, Plan

    PERIOD = timedelta(days=30)


    def activate(user_id: int, plan: Plan) -> Membership:
        now = datetime.now(timezone.utc)
        membership = Membership(
            user_id=user_id,
            plan_id=plan.id,
            activated_at=now,
            access_until=now + PERIOD,
            renews_at=now + PERIOD - timedelta(days=1),
        )
        with Session() as session:
            session.add(membership)
            session.commit()
        return membership
    """
    assert flagged(code, CLOCK) == [("ARM104", 15), ("ARM104", 16)]


def test_psycopg_pause_window_written_as_a_sql_parameter():
    code = """\
    import time

    SNOOZE_SECONDS = 4 * 3600


    def snooze_alerts(conn, rule_id):
        paused = time.time() + SNOOZE_SECONDS
        with conn.cursor() as cur:
            cur.execute(
                "update alert_rules set paused_until = to_timestamp(%s) where id = %s",
                (paused, rule_id),
            )
        conn.commit()
    """
    assert flagged(code, CLOCK) == [("ARM104", 7)]


def test_start_and_creation_stamps_ending_now_and_read_filters_stay_quiet():
    code = """\
    from datetime import timedelta

    from django.db.models.functions import Now
    from django.utils import timezone

    from .models import Campaign, Subscription


    def end_trial_now(sub):
        sub.trial_ends_at = timezone.now()  # the instant it happened, not one computed ahead
        sub.save()


    def restart(sub):
        sub.started_at = timezone.now()
        sub.updated_at = timezone.now()
        sub.save()


    def extend_with_the_database_clock(sub_id):
        Subscription.objects.filter(pk=sub_id).update(grace_until=Now() + timedelta(days=3))


    def ending_soon():
        return Subscription.objects.filter(trial_ends_at__lt=timezone.now() + timedelta(days=2))


    def schedule_campaign(name):
        return Campaign.objects.create(name=name, created_at=timezone.now(), attends_at=timezone.now())
    """
    assert flagged(code, CLOCK) == []


def test_in_memory_breaker_window_is_not_persisted_by_an_unrelated_dict_update():
    code = """\
    import time

    COOLDOWN_S = 30


    def record_failure(breaker, stats):
        breaker.failures += 1
        if breaker.failures >= 5:
            breaker.open_until = time.time() + COOLDOWN_S
        stats.update({"failures": breaker.failures})


    class Breaker:
        def __init__(self):
            self.open_until = 0.0

        def trip(self):
            self.open_until = time.time() + COOLDOWN_S

        def allow(self):
            return time.time() >= self.open_until
    """
    # ARM104 stays quiet (nothing is written); the class's own deadline is ARM103's.
    assert flagged(code, CLOCK) == [("ARM103", 18)]


def test_attribute_expiry_saved_through_the_session_that_loaded_it():
    code = """\
    from datetime import datetime, timedelta, timezone

    from .db import SessionLocal
    from .models import ApiKey

    ROTATION_GRACE = timedelta(hours=12)


    def rotate(key_id: int) -> None:
        with SessionLocal() as session:
            old = session.get(ApiKey, key_id)
            old.valid_through = datetime.now(timezone.utc) + ROTATION_GRACE
            session.add(ApiKey(owner_id=old.owner_id))
            session.commit()
    """
    assert flagged(code, CLOCK) == [("ARM104", 12)]


# --- ARM103: a deadline re-armed inside its loop ------------------------------------------------

CONSUMER = """\
import json
import time

from kafka import KafkaConsumer

BATCH_MAX = 500
FLUSH_EVERY_S = 5.0


def run(consumer: KafkaConsumer, sink) -> None:
    batch = []
    flush_at = time.time() + FLUSH_EVERY_S
    while True:
        for records in consumer.poll(timeout_ms=500).values():
            batch.extend(json.loads(r.value) for r in records)
        if len(batch) >= BATCH_MAX or time.time() >= flush_at:
            if batch:
                sink.write_many(batch)
                consumer.commit()
            batch.clear()
            flush_at = time.time() + FLUSH_EVERY_S
"""


def test_flush_deadline_re_armed_after_each_flush_is_flagged_at_every_assignment():
    assert flagged(CONSUMER, CLOCK) == [("ARM103", 12), ("ARM103", 21)]


def test_each_finding_offers_the_whole_exact_fix():
    report = analyze("app/module.py", CONSUMER, CLOCK)
    fixes = [f.fix for f in report.findings]
    assert all(fix is not None for fix in fixes)
    fixed = apply_edits(CONSUMER, fixes[0].edits)
    assert fixed == CONSUMER.replace("time.time()", "time.monotonic()")
    assert apply_edits(CONSUMER, fixes[1].edits) == fixed
    assert flagged(fixed, CLOCK) == []


def test_retry_backoff_deadline_re_armed_on_a_datetime_clock_in_a_method():
    code = """\
    from datetime import datetime, timedelta

    RECONNECT_EVERY = timedelta(seconds=30)


    class Upstream:
        def __init__(self, connect):
            self._connect = connect
            self._conn = None
            self._next_try = datetime.now()

        def get(self):
            if self._conn is None and datetime.now() >= self._next_try:
                try:
                    self._conn = self._connect()
                except OSError:
                    self._next_try = datetime.now() + RECONNECT_EVERY
            return self._conn
    """
    assert flagged(code, CLOCK) == [("ARM103", 17)]


def test_monotonic_re_armed_deadline_and_a_start_stamp_reset_for_logging_stay_quiet():
    code = """\
    import logging
    import time

    log = logging.getLogger(__name__)
    FLUSH_EVERY_S = 5.0


    def run(consumer, sink):
        flush_at = time.monotonic() + FLUSH_EVERY_S
        window_started = time.time()
        while True:
            sink.add(consumer.poll(1.0))
            if time.monotonic() >= flush_at:
                sink.flush()
                log.info("window %d flushed", int(window_started))
                window_started = time.time()
                flush_at = time.monotonic() + FLUSH_EVERY_S
    """
    assert flagged(code, CLOCK) == []


# --- ARM301: a silence computed before the comparison -------------------------------------------

def test_gateway_silence_read_into_a_local_marks_it_offline():
    code = """\
    import time

    GATEWAY_DEAD_AFTER = 45.0


    class GatewayRegistry:
        def __init__(self):
            self.last_seen: dict[str, float] = {}
            self.status: dict[str, str] = {}

        def on_batch(self, gw_id: str) -> None:
            self.last_seen[gw_id] = time.monotonic()
            self.status[gw_id] = "online"

        def sweep(self) -> None:
            now = time.monotonic()
            for gw_id in list(self.last_seen):
                seen = self.last_seen[gw_id]
                if now - seen > GATEWAY_DEAD_AFTER:
                    self.status[gw_id] = "offline"
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 19)]


def test_standby_promotes_itself_after_a_fixed_quiet_period():
    code = """\
    import logging
    import time

    log = logging.getLogger("failover")
    PRIMARY_SILENCE_LIMIT = 30.0


    class RegionStandby:
        def __init__(self, promote):
            self.promote_secondary = promote
            self.primary_last_ok = time.monotonic()

        def on_primary_ok(self):
            self.primary_last_ok = time.monotonic()

        def tick(self):
            now = time.monotonic()
            quiet_for = now - self.primary_last_ok
            if quiet_for >= PRIMARY_SILENCE_LIMIT:
                log.critical("primary quiet for %.1fs", quiet_for)
                self.promote_secondary()
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 19)]


def test_last_beat_named_after_the_peer_counts_as_a_heartbeat():
    code = """\
    import time

    LEADER_TIMEOUT_S = 10


    class Follower:
        def on_append_entries(self, msg):
            self.last_leader_beat = time.monotonic()

        def tick(self):
            if time.monotonic() - self.last_leader_beat > LEADER_TIMEOUT_S:
                self.start_election()
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 11)]


def test_worker_silence_field_loaded_from_the_database_requeues_its_jobs():
    code = """\
    from dataclasses import dataclass

    WORKER_DEAD_S = 120


    @dataclass
    class WorkerRow:
        worker_id: str
        silent_ms: float
        jobs: list


    class Coordinator:
        def __init__(self, repo, queue):
            self.repo = repo
            self.queue = queue

        def sweep(self):
            for w in self.repo.running_workers():
                if w.silent_ms / 1000 > WORKER_DEAD_S:
                    self.requeue(w.jobs)

        def requeue(self, jobs):
            for job in jobs:
                self.queue.put(job)
    """
    assert flagged(code, HEARTBEAT) == [("ARM301", 20)]


def test_silence_look_alikes_stay_quiet():
    code = """\
    import logging
    import time

    log = logging.getLogger(__name__)
    PRIMARY_SILENCE_LIMIT = 30.0
    WORKER_DEAD_S = 120
    IDLE_TIMEOUT_S = 300
    MIN_FLOOR_MS = 30_000


    class Pool:
        def warn_quiet(self, now):
            quiet_for = now - self.primary_last_ok
            if quiet_for >= PRIMARY_SILENCE_LIMIT:
                log.warning("primary quiet for %.1fs", quiet_for)  # a read-out, nobody is promoted

        def scale_down(self):
            for w in self.workers:
                if w.idle_for > IDLE_TIMEOUT_S:  # unused, not unheard from: pool sizing
                    w.terminate()

        def sweep_adaptive(self, quorum_agrees):
            for w in self.workers:
                threshold = max(3 * w.hb_p99_ms, MIN_FLOOR_MS)
                if w.silent_ms > threshold:
                    self.requeue(w.jobs)

        def sweep_with_quorum(self, votes):
            for w in self.workers:
                if w.silent_ms / 1000 > WORKER_DEAD_S and votes.majority(w.worker_id):
                    self.requeue(w.jobs)


    def notify_user(user, send):
        silent_for = time.time() - user.last_message_at
        if silent_for > 86400:
            send(user, "We miss you")
    """
    assert flagged(code, HEARTBEAT) == []
