"""ARM301, round 12: liveness verdicts that live apart from their action.

- a cluster member's generic refresh stamp (`updated_at`, `last_update`) used as its heartbeat:
  registry rows older than a configured window are deleted, filed for deletion or marked down
  (a state constant prefixed with the member kind, `HOST_OFFLINE`);
- a function named for the live or dead members that returns the comparison or the query built
  on it: its callers act on the answer, so the finding is at the window (medium);
- an elapsed time floored at zero (`max(0, now - seen)`) and members filed in a `dead_*` table.
Look-alikes: an article's or order's `updated_at` purged by age, a status computed only for
display, a per-entity window read from the row, a query helper whose name is no verdict, a
verdict name whose sense contradicts the comparison, a service layer's own stamp, a process
probing its own loop."""
from __future__ import annotations

import textwrap

from analyzers import analyze
from tests.rules.helpers import HEARTBEAT, flagged


def graded(code: str, path: str = "cluster/registry.py") -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), HEARTBEAT)
    return [(f.rule, f.line, f.confidence) for f in report.findings]


def test_registry_row_updated_at_older_than_configured_window_is_deleted():
    code = """
    import datetime

    from oslo_config import cfg
    from oslo_utils import timeutils

    CONF = cfg.CONF


    class Janitor:
        def drop_silent_services(self, ctx, registry):
            window = 4 * CONF.report_interval
            cutoff = timeutils.utcnow() - datetime.timedelta(seconds=window)
            for service_row in registry.list_services(ctx):
                if service_row["id"] == self.own_id or service_row["updated_at"] is None:
                    continue
                if service_row["updated_at"] < cutoff:
                    registry.delete_service(ctx, service_row["id"])
    """
    assert graded(code) == [("ARM301", 17, "high")]


def test_member_stamp_filed_for_deletion_by_name():
    code = """
    import datetime

    from oslo_utils import timeutils


    def sweep_hosts(api, ctx, timeout=90):
        limit = timeutils.utcnow() - datetime.timedelta(seconds=timeout)
        hosts_to_delete = []
        for name in api.hosts_marked_offline(ctx):
            host = api.load_host(ctx, name)
            if host.updated_at < limit:
                hosts_to_delete.append(name)
        api.drop_hosts(ctx, hosts_to_delete)
    """
    assert graded(code) == [("ARM301", 12, "high")]


def test_seconds_since_heartbeat_marks_member_with_kind_prefixed_down_state():
    code = """
    from oslo_utils import timeutils

    from fleet import states
    from fleet.conf import CONF


    def demote(api, ctx):
        for host in api.hosts_in_state(ctx, states.HOST_ONLINE):
            gap = timeutils.delta_seconds(host.heartbeat_at, timeutils.utcnow())
            if gap > CONF.monitor.silence_threshold:
                host.status = states.HOST_OFFLINE
                api.save_host(ctx, host)
    """
    assert graded(code) == [("ARM301", 11, "high")]


def test_query_helper_named_for_live_members_returns_the_filter():
    code = """
    import datetime

    from oslo_utils import timeutils

    from fleet import models
    from fleet.conf import CONF


    def _only_live_agents(query, window=None):
        if window is None:
            window = CONF.agents.report_timeout
        limit = timeutils.utcnow() - datetime.timedelta(seconds=window)
        query = query.filter(models.Agent.updated_at >= limit)
        return query
    """
    assert graded(code) == [("ARM301", 14, "medium")]


def test_method_listing_dead_members_returns_the_rows():
    code = """
    import datetime

    from oslo_utils import timeutils

    from fleet import models
    from fleet.conf import CONF


    class Store:
        def list_dead_executors(self, session):
            cutoff = timeutils.utcnow() - datetime.timedelta(seconds=CONF.executor_timeout)
            rows = session.query(models.Executor.name).filter(models.Executor.last_update < cutoff)
            names = [row[0] for row in rows]
            return names
    """
    assert graded(code) == [("ARM301", 13, "medium")]


def test_property_of_member_model_returns_the_verdict():
    code = """
    import datetime

    from oslo_utils import timeutils

    DOWN_AFTER = 60


    class Conductor:
        @property
        def is_up(self):
            limit = timeutils.utcnow() - datetime.timedelta(seconds=DOWN_AFTER)
            return self.updated_at is not None and self.updated_at >= limit
    """
    assert graded(code) == [("ARM301", 13, "medium")]


def test_elapsed_floored_at_zero_and_member_filed_among_the_dead():
    code = """
    import time

    EXPIRES_AFTER = 60


    class Roster:
        def __init__(self, expiry=EXPIRES_AFTER):
            self._expiry = expiry
            self._peers = {}

        def sweep(self):
            dead_peers = {}
            now = time.monotonic()
            for key, peer in self._peers.items():
                quiet = max(0, now - peer.last_seen)
                if quiet >= self._expiry:
                    dead_peers[key] = peer
            return dead_peers
    """
    assert graded(code) == [("ARM301", 17, "high")]


def test_health_repository_picks_a_stale_member_for_failover():
    code = """
    import datetime

    from oslo_utils import timeutils
    from sqlalchemy import select

    from fleet.conf import CONF
    from fleet.models import WorkerHealth


    class WorkerHealthRepository:
        model_class = WorkerHealth

        def pick_stale(self, session):
            cutoff = timeutils.utcnow() - datetime.timedelta(seconds=CONF.health.heartbeat_timeout)
            stale_ids = select(self.model_class.worker_id).where(self.model_class.last_update < cutoff).subquery()
            row = session.query(self.model_class).filter(self.model_class.worker_id.in_(stale_ids)).first()
            if row is None:
                return None
            row.busy = True
            return row.to_data_model()
    """
    assert graded(code) == [("ARM301", 16, "medium")]


# --- look-alikes --------------------------------------------------------------------------------


def test_article_updated_at_purged_by_age_is_quiet():
    code = """
    import datetime

    from django.utils import timezone

    from blog.models import Article

    RETENTION_DAYS = 30


    def purge_old_drafts():
        cutoff = timezone.now() - datetime.timedelta(days=RETENTION_DAYS)
        for article in Article.objects.filter(draft=True):
            if article.updated_at < cutoff:
                article.delete()
    """
    assert flagged(code, HEARTBEAT, "blog/cleanup.py") == []


def test_status_for_display_only_is_quiet():
    code = """
    from oslo_utils import timeutils


    def describe_service(service):
        state = "down"
        seen = service.updated_at or service.created_at
        silence = (timeutils.utcnow() - seen).total_seconds()
        if silence <= 2 * service.report_interval:
            state = "up"
        return {"id": service.id, "host": service.host, "state": state}
    """
    assert flagged(code, HEARTBEAT, "api/views.py") == []


def test_per_entity_window_read_from_the_row_is_quiet():
    code = """
    import datetime

    from oslo_utils import timeutils


    def drop_silent(api, ctx):
        for service in api.list_services(ctx):
            window = datetime.timedelta(seconds=3 * service.report_interval)
            if service.updated_at < timeutils.utcnow() - window:
                api.delete_service(ctx, service.id)
    """
    assert flagged(code, HEARTBEAT, "svc/janitor.py") == []


def test_query_helper_without_a_verdict_name_is_quiet():
    code = """
    import datetime

    from oslo_utils import timeutils

    from fleet import models

    WINDOW = 60


    def _agents_query(query):
        limit = timeutils.utcnow() - datetime.timedelta(seconds=WINDOW)
        return query.filter(models.Agent.updated_at >= limit)
    """
    assert flagged(code, HEARTBEAT, "fleet/queries.py") == []


def test_verdict_name_contradicting_the_comparison_is_quiet():
    code = """
    import datetime

    from oslo_utils import timeutils

    from fleet import models

    WINDOW = 60


    def get_active_workers(session):
        limit = timeutils.utcnow() - datetime.timedelta(seconds=WINDOW)
        return session.query(models.Worker).filter(models.Worker.updated_at < limit).all()
    """
    assert flagged(code, HEARTBEAT, "fleet/queries.py") == []


def test_service_layer_own_stamp_is_quiet():
    code = """
    import datetime

    from django.utils import timezone

    REFRESH_AFTER = 300


    class ExchangeRateService:
        def is_stale(self):
            return self.updated_at < timezone.now() - datetime.timedelta(seconds=REFRESH_AFTER)

        def refresh_if_stale(self):
            if self.is_stale():
                self.rates = self.fetch()
                self.updated_at = timezone.now()
    """
    assert flagged(code, HEARTBEAT, "billing/rates.py") == []


def test_process_probing_its_own_loop_is_quiet():
    code = """
    import time

    STALE_AFTER = 120
    _last_beat = 0.0


    def _loop_once(runner):
        global _last_beat
        runner.tick()
        _last_beat = time.monotonic()


    def _is_scheduler_healthy() -> bool:
        return time.monotonic() - _last_beat < STALE_AFTER
    """
    assert flagged(code, HEARTBEAT, "jobs/scheduler.py") == []
