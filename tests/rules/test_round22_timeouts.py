"""Round 22, fixed timeouts: the general form (rules/_liveness_ages) read where it misparsed or
missed the consequence, and SQL takeovers that clear a claim.

Read in the misses of round 21's half (now `test12`):

- a window handed in (`stale_after`) or read from a config (`app.config["PURGE_TIME"]`) and
  subtracted from now makes a cutoff; it was taken for the aged stamp;
- an excluded terminal state (`status != finished`, `~Q(state__in=...)`) or a window named for
  its verdict (`self._dead_interval`) no longer reads as retention of finished rows;
- the party is cut off by `logout()` / `disconnect()`, listed in `culled_peers`, handed back by
  `status = Status.pending_allocation`, or its claim holder cleared (`locked_by = None`);
- stamps spelled `update_time`, `locked_at_in_seconds`, a bare `timestamp` of a node or a link
  timing out, the values of a `heartbeats` mapping, a builder's `healthcheck`;
- a verdict function named `*_is_recent` / `needs_expired`; a cutoff parameter of a backend
  (`older_than`); a cutoff handed to `fetch_stalled_jobs(cutoff)`; Django `__range` lookups in a
  dict unpacked into `filter(**query).update(...)`;
- SQL: `attempted_at` is a claim stamp, a CASE in SET that makes the job available again, and
  `claimed_by = -1` / `claimed_at = null` take the claim away.

Look-alikes stay quiet: a recency label for display, a cleanup not handed the silent member, rows
in a finished state aged for retention, a person's last visit, a cutoff handed to a function
named for nothing gone, and SQL that stamps without handing anything back.
"""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

TIMEOUT = Settings(select=frozenset({"ARM301", "ARM302"}))


def flagged(code: str, path: str = "app/sweeper.py") -> list[tuple[str, int]]:
    report = analyze(path, textwrap.dedent(code), TIMEOUT)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


def test_window_parameter_makes_a_cutoff_not_a_stamp():
    code = """\
    from datetime import datetime, timezone


    def _utc_now():
        return datetime.now(timezone.utc)


    class Backend:
        async def requeue_stale_running(self, *, stale_after):
            cutoff = _utc_now() - stale_after
            records = await self.list_running()
            candidates = [r for r in records if r.heartbeat_at is None or r.heartbeat_at < cutoff]
            for record in candidates:
                await self.requeue(record)
    """
    assert flagged(code) == [("ARM301", 12)]


def test_config_window_and_keep_fresh_filter():
    code = """\
    import time

    from flask import current_app as app


    class ServerList:
        def purge_old(self):
            cutoff = int(time.time()) - app.config["PURGE_TIME"]
            with self.lock:
                self.list = [server for server in self.list if cutoff <= server["update_time"]]
    """
    assert flagged(code) == [("ARM301", 10)]


def test_excluded_terminal_state_is_running_work():
    code = """\
    from datetime import datetime, timedelta

    CHECK_TIME = timedelta(minutes=60)


    def cleanup_tasks():
        now = datetime.utcnow()
        pending = Task.query.filter(
            Task.status != Status.finished,
            Task.date_modified < now - CHECK_TIME,
        )
        for task in pending:
            task.delay(task_id=task.id)


    def purge_finished():
        now = datetime.utcnow()
        done = Task.query.filter(
            Task.status == Status.finished,
            Task.date_modified < now - CHECK_TIME,
        )
        for task in done:
            task.delay(task_id=task.id)
    """
    assert flagged(code) == [("ARM301", 10)]


def test_window_named_dead_and_cleanup_of_the_silent_member():
    code = """\
    import time


    class Scheduler:
        async def sweep(self, conn):
            heartbeats = await conn.hgetall(self._heartbeats_key)
            for sid, last_ping in heartbeats.items():
                delay = time.time() - float(last_ping)
                if delay > self._dead_interval:
                    await self._cleanup(conn, sid=sid)

        async def tidy(self, conn):
            heartbeats = await conn.hgetall(self._heartbeats_key)
            for sid, last_ping in heartbeats.items():
                delay = time.time() - float(last_ping)
                if delay > self._dead_interval:
                    await self._cleanup_cache()
    """
    assert flagged(code) == [("ARM301", 9)]


def test_players_logged_out_and_peers_culled():
    code = """\
    import time

    MIN_PING_INTERVAL = 300
    MAX_UNREACHABLE = 14 * 24 * 3600


    def disconnect_ghosts(players):
        current_time = time.time()
        for player in players:
            if current_time - player.last_recv_time > MIN_PING_INTERVAL:
                player.logout()


    def sync_peers(router):
        culled_peers = []
        for peer_id, peer in router.peers.items():
            if time.time() > peer.last_heard + MAX_UNREACHABLE:
                culled_peers.append(peer_id)
        for peer_id in culled_peers:
            router.unpeer(peer_id)


    def greet_quiet_players(players):
        current_time = time.time()
        for player in players:
            if current_time - player.last_recv_time > MIN_PING_INTERVAL:
                player.send_message("still there?")
    """
    assert flagged(code) == [("ARM301", 10), ("ARM301", 17)]


def test_status_handed_back_and_claim_holder_cleared():
    code = """\
    import time
    from datetime import datetime

    from flask import current_app


    def update_step(step):
        if step.status == Status.allocated and step.last_heartbeat:
            duration = datetime.utcnow() - step.last_heartbeat
            if duration.total_seconds() >= current_app.config["ALLOCATION_TIMEOUT_SECONDS"]:
                step.status = Status.pending_allocation


    def remove_stale_locks():
        max_duration = current_app.config["MAX_INSTANCE_LOCK_DURATION_IN_SECONDS"]
        current_time = round(time.time())
        cutoff = current_time - max_duration
        entries_with_stale_locks = QueueEntry.query.filter(
            QueueEntry.locked_by != None,
            QueueEntry.locked_at_in_seconds <= cutoff,
        ).all()
        for entry in entries_with_stale_locks:
            entry.locked_by = None
    """
    assert flagged(code) == [("ARM301", 10), ("ARM301", 20)]


def test_bare_timestamps_of_nodes_and_links():
    code = """\
    import time
    from datetime import datetime, timedelta


    def update_nodes_status(timeout):
        to_update = db().query(Node).filter(
            datetime.now() > (Node.timestamp + timedelta(seconds=timeout))
        ).filter_by(online=True)
        for node in to_update:
            node.online = False
            notifier.notify("error", "gone away")
            node.delete()


    class Switches:
        LINK_TIMEOUT = 10

        def link_loop(self):
            now = time.time()
            deleted = []
            for link, timestamp in self.links.items():
                if timestamp + self.LINK_TIMEOUT < now:
                    deleted.append(link)
            for link in deleted:
                self.links.link_down(link)


    class Gallery:
        def refresh(self):
            now = time.time()
            for photo, timestamp in self.photos.items():
                if timestamp + 3600 < now:
                    self.thumbnails.pop(photo)
    """
    assert flagged(code) == [("ARM301", 7), ("ARM301", 22)]


def test_recency_verdicts_and_expiry_answers():
    code = """\
    import time
    from datetime import datetime, timedelta

    ACTIVITY_TIMEOUT = 600
    EXPIRE_TIMEOUT = timedelta(minutes=60)


    def _worker_is_recent(app_state, key):
        now = time.time()
        return now - app_state.worker_last_seen.get(key, 0.0) <= ACTIVITY_TIMEOUT


    class TrackedTask:
        def needs_expired(self, task):
            current = datetime.utcnow()
            if task.date_modified < current - EXPIRE_TIMEOUT:
                return True
            return False


    def ping_label(store):
        last_ping = store.get("scheduler_last_ping")
        recent = (datetime.utcnow() - last_ping) < timedelta(minutes=20)
        return "recent" if recent else "a while ago"
    """
    assert flagged(code) == [("ARM301", 10), ("ARM301", 16)]


def test_cutoff_parameter_and_cutoff_handed_to_a_stalled_query():
    code = """\
    import time


    class RedisBackend:
        async def fetch_stalled_jobs(self, older_than):
            stalled = []
            heartbeats = await self.redis.hgetall("heartbeats")
            for job_id, ts_str in heartbeats.items():
                ts = float(ts_str)
                if ts < older_than:
                    stalled.append(job_id)
            return stalled


    async def stalled_recovery(backend, threshold=None):
        threshold = threshold or settings.stalled_threshold
        cutoff = time.time() - threshold
        stalled = await backend.fetch_stalled_jobs(cutoff)
        for job in stalled:
            await backend.enqueue(job)


    async def report(backend):
        cutoff = time.time() - settings.report_window
        rows = await backend.fetch_events(cutoff)
        return len(rows)
    """
    assert flagged(code) == [("ARM301", 10), ("ARM301", 18)]


def test_range_lookup_in_an_unpacked_dict_and_health_reports():
    code = """\
    import datetime
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import Q
    from django.utils import timezone

    MAX_RUNNING = 1800


    def check_zombie_records():
        query_kwargs = {
            "update_time__range": (
                timezone.now() - timedelta(seconds=2 * MAX_RUNNING),
                timezone.now() - timedelta(seconds=MAX_RUNNING),
            ),
            "status__in": ["PENDING", "RUNNING"],
        }
        Record.objects.filter(**query_kwargs).update(status="FAILED")


    def finish_unhealthy_builds():
        delta = datetime.timedelta(seconds=settings.BUILD_HEALTHCHECK_TIMEOUT)
        query = ~Q(state__in=FINAL_STATES) & Q(healthcheck__lt=timezone.now() - delta)
        for build in Build.objects.filter(query)[:50]:
            build.state = BUILD_STATE_CANCELLED
            build.save()


    def archive_visits():
        query = Q(healthcheck__lt=timezone.now() - timedelta(days=30))
        return Build.objects.filter(query).count()
    """
    assert flagged(code) == [("ARM301", 13), ("ARM301", 24)]


def test_sql_rescue_with_case_and_attempted_at():
    code = """\
    UPDATE
      oban_jobs
    SET
      state = CASE
        WHEN attempt >= max_attempts THEN 'discarded'::oban_job_state
        ELSE 'available'::oban_job_state
      END
    WHERE
      state = 'executing'
      AND attempted_at < timezone('UTC', now()) - make_interval(secs => %(rescue_after)s);
    """
    assert flagged(code, "queries/rescue_jobs.sql") == [("ARM302", 10)]


def test_sql_claim_cleared_by_sentinel_and_nulls():
    code = """\
    -- name: WorkQueueCleanup :exec
    UPDATE work_queue SET claimed_by = -1, claimed_at = NULL, heartbeated_at = NULL
     WHERE claimed_by <> -1 AND heartbeated_at < now() - @heartbeat_timeout::INTERVAL;

    -- name: WorkQueueTouch :exec
    UPDATE work_queue SET attempted_at = now()
     WHERE id = @id AND attempted_at < now() - interval '1 day';

    -- name: PostsBump :exec
    UPDATE posts SET state = 'pending' WHERE updated_at < now() - interval '1 day';
    """
    assert flagged(code, "queries/work_queue.sql") == [("ARM302", 2)]


def test_sql_lease_expiry_buffered_then_returned_to_the_queue():
    code = """\
    CREATE OR REPLACE PROCEDURE queue.cron_unlock(lease_duration_in integer)
    LANGUAGE plpgsql
    AS $BODY$
    DECLARE
        lease_duration integer;
        ts timestamp;
    BEGIN
        lease_duration := lease_duration_in * 2;
        ts := CURRENT_TIMESTAMP - make_interval(0, 0, 0, 0, 0, 0, lease_duration);
        update queue.message_queue
           set message_state_id = 1, leased_by = NULL
         where message_state_id = 2 AND lease_expires < ts;
        update queue.message_queue
           set message_state_id = 3
         where message_state_id = 2 AND lease_expires < ts;
    END;
    $BODY$;
    """
    assert flagged(code, "sql/520_cron_unlock.sql") == [("ARM302", 12)]


def test_reason_recorded_then_acted_on_and_restaged_work():
    code = """\
    import time


    class BundleManager:
        def bring_offline_stuck_bundles(self, workers):
            now = time.time()
            for bundle in self._model.running_bundles():
                failure_message = None
                if now - bundle.metadata.last_updated > self._worker_timeout_seconds:
                    failure_message = "Worker offline."
                if failure_message is not None:
                    self._model.transition_bundle_worker_offline(bundle)

        def restage_stuck_bundles(self, workers):
            for bundle in self._model.starting_bundles():
                if time.time() - bundle.metadata.last_updated > 5 * 60:
                    workers.restage(bundle.uuid)

        def label_bundles(self):
            now = time.time()
            for bundle in self._model.running_bundles():
                note = None
                if now - bundle.metadata.last_updated > 600:
                    note = "quiet"
                if note is not None:
                    self.show(bundle, note)
    """
    assert flagged(code) == [("ARM301", 9), ("ARM301", 16)]


def test_last_live_time_verdict_and_age_methods_of_members():
    code = """\
    import time


    class Stack:
        def live_timeout_healthy(self, last_live_time, now, update_time):
            down_time = self.down_time_multiple * update_time
            health_timeout = now - down_time
            timeout_healthy = last_live_time >= health_timeout
            return timeout_healthy, health_timeout


    def age_out(sc):
        for n in list(sc.controller_neighbours):
            if sc.controller_neighbours[n].get_age() >= 120:
                del sc.controller_neighbours[n]
        for n in list(sc.photos):
            if sc.photos[n].get_age() >= 120:
                del sc.photos[n]
    """
    assert flagged(code) == [("ARM301", 8), ("ARM301", 14)]


def test_listing_with_the_callers_window_is_quiet():
    code = """\
    from datetime import datetime, timezone


    class InMemoryQueries:
        async def stale_jobs(self, threshold, limit=100):
            now = datetime.now(timezone.utc)
            stale = [j for j in self._jobs.values() if j["status"] == "picked" and j["heartbeat"] < now - threshold]
            return stale[:limit]
    """
    assert flagged(code) == []
