"""ARM103/ARM104 stay quiet where the wall clock only measures, shows or counts: elapsed times
that are logged or recorded, statistics/dashboard throttles, refresh intervals of caches, stamps
kept in a web session, read-only counts and date windows, migrations. Each quiet form is paired
with the deadline it resembles, which must still be flagged."""
from __future__ import annotations

from analyzers.paths import is_python_migration, is_test_path

from .helpers import CLOCK, flagged


# --- elapsed time that is only logged or recorded --------------------------------------------------
def test_duration_recorded_in_a_history_field_is_measurement():
    code = """
    from time import time


    def load_inputs(task, store):
        start = time()
        data = store.read(task.key)
        stop = time()
        if stop - start > 0.01:
            task.timings.append({"action": "read", "start": start, "stop": stop})
        return data
    """
    assert flagged(code, CLOCK) == []


def test_if_else_that_only_picks_a_log_level_is_measurement():
    code = """
    import logging
    import time

    log = logging.getLogger(__name__)


    def rebalance(lock):
        waited_from = time.time()
        with lock:
            waited = time.time() - waited_from
            if waited > 1.0:
                emit = log.info
            else:
                emit = log.debug
            emit("waited %.1fs for the rebalance lock", waited)
    """
    assert flagged(code, CLOCK) == []


def test_elif_chain_of_log_levels_is_measurement():
    code = """
    import time


    def timed(fn, logger, slow=5.0, noticeable=1.0):
        began = time.time()
        result = fn()
        took = time.time() - began
        if took > slow:
            logger.warning("%s took %.1fs", fn.__name__, took)
        elif took > noticeable:
            logger.debug("%s took %.1fs", fn.__name__, took)
        else:
            pass
        return result
    """
    assert flagged(code, CLOCK) == []


def test_elapsed_time_that_collects_work_to_do_is_still_a_deadline():
    code = """
    import time


    def sweep(members, ttl, log):
        now = time.time()
        to_evict = []
        for member in members:
            if now - member.joined > ttl:
                to_evict.append(member)
                log.warning("evicting %s", member)
        return to_evict
    """
    # a local list of members to act on is not a history: the comparison decides evictions
    assert flagged(code, CLOCK) == [("ARM103", 9)]


def test_log_then_give_up_is_still_a_deadline():
    code = """
    import time


    def wait_ready(probe, limit=30):
        began = time.time()
        while not probe():
            if time.time() - began > limit:
                raise TimeoutError("not ready")
            time.sleep(1)
    """
    assert flagged(code, CLOCK) == [("ARM103", 6)]


# --- statistics, metrics and dashboards ------------------------------------------------------------
def test_statistics_flush_throttle_is_diagnostics():
    code = """
    import time


    class Receiver:
        def __init__(self, redis):
            self.redis = redis
            self.last_stats = time.time()

        def record_statistics(self):
            if time.time() - self.last_stats > 5:
                self.redis.set("receiver-stats", self.summary())
                self.last_stats = time.time()
    """
    assert flagged(code, CLOCK) == []


def test_dashboard_module_redraw_throttle_is_display(tmp_path=None):
    code = """
    from time import time


    class WorkerTable:
        def __init__(self):
            self.last = 0

        def update(self, workers):
            now = time()
            if now < self.last + 1:
                return
            self.last = now
            self.source.update(rows(workers))
    """
    assert flagged(code, CLOCK, path="app/dashboard/components/workers.py") == []
    assert flagged(code, CLOCK, path="app/service/components/workers.py") == [("ARM103", 10)]


def test_metrics_module_flush_interval_is_diagnostics():
    code = """
    import time


    class Pipe:
        def flush(self):
            self.pipe.execute()
            self.last_flush = time.time()

        def should_flush(self):
            return time.time() - self.last_flush > self.flush_interval
    """
    assert flagged(code, CLOCK, path="core/metrics.py") == []
    assert flagged(code, CLOCK, path="core/outbox.py") != []


# --- refresh intervals and session stamps ----------------------------------------------------------
def test_cache_refresh_interval_is_an_in_process_deadline():
    # round 14: labelled real code (and RULES.md) treats an in-memory refresh interval on the wall
    # clock as ARM103 like any other TTL; the name "refresh"/"sync" no longer exempts it
    code = """
    import time


    class Catalog:
        def _refresh_extensions(self, client):
            if not self.last_extension_sync or time.time() - self.last_extension_sync >= self.sync_interval:
                self.extensions = client.list_extensions()
                self.last_extension_sync = time.time()
    """
    assert flagged(code, CLOCK) == [("ARM103", 9)]


def test_lease_refreshed_by_its_holder_is_still_a_deadline():
    code = """
    import time


    class Leases:
        def refresh(self, key):
            self.refreshed_at[key] = time.time()

        def expire_stale(self):
            now = time.time()
            for key in list(self.refreshed_at):
                since_refresh = now - self.refreshed_at[key]
                if since_refresh > self.lease_timeout:
                    self.release(key)
    """
    assert flagged(code, CLOCK) != []


def test_ttl_of_entries_kept_in_a_web_session_is_not_in_process():
    code = """
    import time


    def forget_old_visits(request, ttl=3600):
        now = time.time()
        visits = request.session.get("visited", {})
        for url, seen in list(visits.items()):
            if now - seen > ttl:
                del visits[url]
        request.session.modified = True
    """
    assert flagged(code, CLOCK) == []


# --- read-only queries -------------------------------------------------------------------------------
def test_count_of_unexpired_rows_is_a_statistic():
    code = """
    from django.utils.timezone import now

    from .models import Session


    def usage_counts():
        return {"active_sessions": Session.objects.filter(expire_date__gte=now()).count()}
    """
    assert flagged(code, CLOCK) == []


def test_delete_of_expired_rows_is_still_flagged():
    code = """
    from django.utils.timezone import now

    from .models import Session


    def purge():
        Session.objects.filter(expire_date__lt=now()).delete()
    """
    assert flagged(code, CLOCK) == [("ARM104", 8)]


def test_window_of_rows_expiring_soon_is_a_listing():
    code = """
    from datetime import timedelta

    from django.utils import timezone


    class SubscriptionQuerySet:
        def ending_within(self, days=7):
            now = timezone.now()
            return self.filter(trial_end__gte=now, trial_end__lte=now + timedelta(days=days))
    """
    assert flagged(code, CLOCK) == []


# --- one-shot code -----------------------------------------------------------------------------------
def test_data_migration_is_one_shot():
    code = """
    from datetime import timedelta

    from django.db import migrations
    from django.utils import timezone


    def port_invites(apps, schema_editor):
        Invite = apps.get_model("orgs", "Invite")
        for old in Invite.objects.filter(expires__gt=timezone.now()):
            old.expires = timezone.now() + timedelta(days=7)
            old.save()


    class Migration(migrations.Migration):
        operations = [migrations.RunPython(port_invites)]
    """
    assert flagged(code, CLOCK, path="orgs/migrations/0008_port_invites.py") == []
    assert flagged(code, CLOCK, path="orgs/invites.py") != []


def test_path_conventions():
    assert is_python_migration("orgs/migrations/0008_port_invites.py")
    assert is_python_migration("db/alembic/versions/1a2b_add_expiry.py")
    assert not is_python_migration("orgs/migration_helpers.py")
    assert is_test_path("distributed/pytest_resourceleaks.py")
    assert not is_test_path("app/pytest_like.txt")


# --- cache lifetimes ---------------------------------------------------------------------------------
def test_cache_lifetime_compared_with_the_app_clock_is_not_an_expiry():
    code = """
    from django.utils.timezone import now


    def cached_embed(embed_hash):
        return Embed.objects.exclude(cache_until__lte=now()).get(hash=embed_hash)


    def live_session(key):
        return Session.objects.filter(expires_at__gt=now()).get(key=key)
    """
    assert flagged(code, CLOCK) == [("ARM104", 10)]


# --- a helper that records measurements about an object does not save it ----------------------------
def test_retry_time_on_an_object_only_measured_by_a_metrics_helper_is_in_process():
    code = """
    import time


    class Task:
        def __init__(self, family):
            self.family = family
            self.status = "PENDING"
            self.retry = None


    class Scheduler:
        def set_status(self, task, status, delay):
            task.status = status
            task.updated = time.time()
            self.update_metrics(task)
            if status == "FAILED":
                task.retry = time.time() + delay

        def update_metrics(self, task):
            self._collector.observe(task.family, task.status)

        def update_status(self, task):
            if task.status == "FAILED" and task.retry < time.time():
                task.status = "PENDING"
    """
    assert flagged(code, CLOCK) == [("ARM103", 18)]


def test_retry_time_on_an_object_a_save_helper_writes_is_persisted():
    code = """
    import time


    class Scheduler:
        def set_status(self, task, status, delay):
            task.status = status
            task.updated = time.time()
            self.update_task(task)
            if status == "FAILED":
                task.retry = time.time() + delay

        def update_task(self, task):
            self._db.save(task)
    """
    assert [rule for rule, _ in flagged(code, CLOCK)] == ["ARM104"]
