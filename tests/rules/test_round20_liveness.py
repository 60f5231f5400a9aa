"""Round 20, fixed-timeout: the silence verdicts round 19's test half (now `test10`) missed.

- F2, a registry of peers pruned by each peer's pulse: `node.last_pulse + 5 * self.pulse_interval
  < now` whose node is collected into `dead_nodes[addr] = node`, flagged `cluster.zombie = True`,
  or whose transport is closed (`client.transport.close()` for a registry member whose
  `last_keepalive` is older than a configured window);
- F1, stalled work: items still held whose stamp is older than a fixed window, moved to a compound
  failure state (`VideoStatus.UPLOAD_FAILED`, `JOB_STATUS_ERROR`, `dao_update_job_status_to_error`),
  selected with SQLAlchemy `and_(...)`/`between(...)`, a Mongo claim (`{"locked_by": {"$ne": None}}`),
  a converted cutoff (`to_epoch(now - W)`), or rows named for the verdict (`stalled_intents`);
- F5, the verdict in another function: the clock handed in as `now`, the database's clock read as
  a scalar, a stored node's own refresh stamp (`is_online()`) and its caller that detaches the work,
  a helper returning the stale list and the loop that fails each item;
- F4, a timer whose callback method removes the party it was armed for.

Look-alikes stay quiet: a cache refreshed by its own class, a branch that only logs a `*_TIMEOUT`,
a connection's own silence closing itself, finished rows, a timer callback that only logs.
"""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index

LIVENESS = Settings(select=frozenset({"ARM301"}))


def flagged(code: str, path: str = "app/sweeper.py", modules: dict[str, str] | None = None) -> list[tuple[str, int]]:
    code = textwrap.dedent(code)
    project = build_project_index([*((p, textwrap.dedent(t)) for p, t in (modules or {}).items()), (path, code)])
    report = analyze(path, code, LIVENESS, project=project)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


# --- F2: registries pruned by a pulse ------------------------------------------------------------
def test_pulse_collected_into_a_dead_dict():
    code = """\
    import time


    class Scheduler:
        def timer_proc(self):
            now = time.time()
            dead_nodes = {}
            for node in self._nodes.values():
                if node.busy and (node.last_pulse + (5 * self.pulse_interval)) < now:
                    dead_nodes[node.ip_addr] = node
            for ip_addr in dead_nodes:
                self._nodes.pop(ip_addr, None)
    """
    assert flagged(code) == [("ARM301", 9)]


def test_pulse_marks_a_zombie():
    code = """\
    import time


    class Scheduler:
        def sweep(self):
            now = time.time()
            for cluster in self._clusters.values():
                if (now - cluster.last_pulse) > self.zombie_interval:
                    cluster.zombie = True
    """
    assert flagged(code) == [("ARM301", 8)]


def test_registry_member_closed_after_keepalive_silence():
    code = """\
    import asyncio

    from app import utils


    class Master:
        async def check_clients_keepalive(self):
            while True:
                now = utils.get_utc_now().timestamp()
                for name, client in self.clients.copy().items():
                    if now - client.last_keepalive > self.cluster_items["intervals"]["max_allowed_time_without_keepalive"]:
                        client.transport.close()
                await asyncio.sleep(10)
    """
    assert flagged(code) == [("ARM301", 11)]


def test_registry_entry_aged_against_its_own_negotiated_window_is_quiet():
    # found on round 20's blind half after its measurement (ceph-nvmeof): each connection's
    # keep-alive timeout is the value its host negotiated, per-entity configuration
    code = """\
    import time


    class DiscoveryService:
        def handle_timeout(self):
            for key in list(self.conn_vals.keys()):
                if time.time() - self.conn_vals[key].keep_alive_time >= self.conn_vals[key].keep_alive_timeout / 1000:
                    self.conn_vals[key].connection.close()
                    del self.conn_vals[key]
    """
    assert flagged(code) == []
    fixed = code.replace("self.conn_vals[key].keep_alive_timeout / 1000", "KEEP_ALIVE_TIMEOUT")
    assert flagged(fixed) == [("ARM301", 7)]


def test_own_connection_silence_closing_itself_is_quiet():
    code = """\
    import time


    class Connection:
        def check(self):
            if time.time() - self.last_keepalive > self.timeout:
                self.transport.close()
    """
    assert flagged(code) == []


def test_pulse_branch_that_only_logs_is_quiet():
    code = """\
    import time


    class Scheduler:
        def report(self):
            now = time.time()
            for node in self._nodes.values():
                if now - node.last_pulse > self.pulse_interval:
                    print("slow node", node)
    """
    assert flagged(code) == []


def test_keepalive_in_a_retention_window_name_is_still_a_keepalive_but_keep_days_is_retention():
    code = """\
    import time


    def prune(peers, settings):
        now = time.time()
        for peer in list(peers.values()):
            if now - peer.updated > settings.keep_days * 86400:
                peers.pop(peer.id)
    """
    assert flagged(code) == []


# --- F1: stalled work ----------------------------------------------------------------------------
def test_held_rows_failed_to_a_compound_state():
    code = """\
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from .models import Video, VideoStatus


    def fail_stuck_uploading_videos():
        now = timezone.now()
        threshold = now - timedelta(hours=settings.STUCK_UPLOADING_THRESHOLD_HOURS)
        videos = list(Video.objects.filter(status=VideoStatus.UPLOADING, updated_at__lt=threshold))
        for video in videos:
            video.update_status(VideoStatus.UPLOAD_FAILED)
    """
    assert flagged(code) == [("ARM301", 12)]


def test_sqlalchemy_and_between_and_error_state():
    code = """\
    from datetime import datetime, timedelta

    from sqlalchemy import and_, between, select

    from app.models import JOB_STATUS_ERROR, JOB_STATUS_IN_PROGRESS, Job, JobStatus


    def check_job_status():
        minutes_ago_30 = datetime.utcnow() - timedelta(minutes=30)
        jobs = Job.query.filter(
            Job.job_status == JOB_STATUS_IN_PROGRESS,
            and_(Job.updated_at < minutes_ago_30),
        ).all()
        for job in jobs:
            job.job_status = JOB_STATUS_ERROR


    def check_processing():
        start = datetime.utcnow() - timedelta(minutes=245)
        end = datetime.utcnow() - timedelta(minutes=240)
        query = select(Job).where(
            Job.job_status == JobStatus.IN_PROGRESS,
            between(Job.processing_started, start, end),
        )
        for job in db.session.execute(query).all():
            dao_update_job_status_to_error(job)
    """
    assert flagged(code) == [("ARM301", 12), ("ARM301", 23)]


def test_finished_rows_and_logged_timeouts_are_quiet():
    code = """\
    from datetime import datetime, timedelta

    from sqlalchemy import between

    from app.models import Job, JobStatus

    LOST_TIMEOUT = 60


    def purge_finished():
        cutoff = datetime.utcnow() - timedelta(days=7)
        rows = Job.query.filter(Job.job_status == JobStatus.FINISHED, between(Job.updated_at, cutoff, cutoff)).all()
        for job in rows:
            job.job_status = JobStatus.ARCHIVED_ERROR


    def watch(tasks, finished):
        import time
        for tid in tasks:
            t = finished.get(tid)
            if t is not None and time.time() - t > LOST_TIMEOUT:
                print("zombie for", LOST_TIMEOUT)
    """
    assert flagged(code) == []


def test_mongo_claim_cleared_after_a_fixed_window():
    code = """\
    from datetime import datetime, timedelta


    class MongoQueue:
        def repair(self):
            self.collection.find_and_modify(
                query={
                    "locked_by": {"$ne": None},
                    "locked_at": {"$lt": datetime.now() - timedelta(self.timeout)},
                },
                update={"$set": {"locked_by": None, "locked_at": None}},
            )
    """
    assert flagged(code) == [("ARM301", 9)]


def test_mongo_unclaimed_documents_are_quiet():
    code = """\
    from datetime import datetime, timedelta


    class MongoQueue:
        def purge(self):
            self.collection.find_and_modify(
                query={"locked_by": None, "created_at": {"$lt": datetime.now() - timedelta(self.timeout)}},
                update={"$set": {"archived": True}},
            )
    """
    assert flagged(code) == []


def test_converted_cutoff_in_a_document_query():
    code = """\
    import datetime

    from app import config
    from app.utils import to_epoch


    class Track:
        def fetch_lost_trials(self, experiment):
            heartbeat = config.worker.heartbeat
            threshold = to_epoch(datetime.datetime.utcnow() - datetime.timedelta(seconds=heartbeat * 5))
            query = {"experiment": experiment.id, "status": "reserved", "heartbeat": {"$lte": threshold}}
            return self._fetch_trials(query)
    """
    assert flagged(code) == [("ARM301", 11)]


def test_rows_named_stalled_returned_to_the_sweeper():
    code = """\
    from datetime import timedelta

    from django.db import models
    from django.utils import timezone


    class CheckoutIntent(models.Model):
        @classmethod
        def find_stalled_intents(cls, stalled_threshold_seconds=180):
            threshold_time = timezone.now() - timedelta(seconds=stalled_threshold_seconds)
            stalled_intents = list(cls.objects.filter(state="paid", modified__lte=threshold_time))
            return stalled_intents

        @classmethod
        def find_recent_intents(cls):
            threshold_time = timezone.now() - timedelta(seconds=180)
            recent_intents = list(cls.objects.filter(state="paid", modified__lte=threshold_time))
            return recent_intents
    """
    assert flagged(code) == [("ARM301", 11)]


# --- F5: the verdict in another function ---------------------------------------------------------
def test_clock_handed_in_as_now():
    code = """\
    from flask import current_app


    def has_publish_failed(now, task):
        return now - task.last_activity_at.timestamp() > current_app.config.get("PUBLISH_FAILED_INTERVAL")


    def is_recent(now, post):
        return now - post.created_at.timestamp() > 3600
    """
    assert flagged(code) == [("ARM301", 5)]


def test_database_clock_read_as_a_scalar():
    code = """\
    from datetime import timedelta

    import sqlalchemy


    class Storage:
        def _get_stale_trial_ids(self, study_id):
            grace_period = self.grace_period or 2 * self.heartbeat_interval
            stale_trial_ids = []
            with self.session() as session:
                current_heartbeat = session.execute(sqlalchemy.func.now()).scalar()
                for trial in session.query(Trial).filter(Trial.study_id == study_id).all():
                    heartbeat = trial.heartbeats[0].heartbeat
                    if current_heartbeat - heartbeat > timedelta(seconds=grace_period):
                        stale_trial_ids.append(trial.trial_id)
            return stale_trial_ids
    """
    assert flagged(code) == [("ARM301", 14)]


STORAGE = """\
from datetime import timedelta

import sqlalchemy


class Storage:
    def _get_stale_trial_ids(self, study_id):
        stale_trial_ids = []
        with self.session() as session:
            now = session.execute(sqlalchemy.func.now()).scalar()
            for trial in session.query(Trial).all():
                if now - trial.heartbeat > timedelta(seconds=self.grace_period):
                    stale_trial_ids.append(trial.trial_id)
        return stale_trial_ids
"""


def test_loop_over_a_returned_stale_list_failing_each_item():
    code = """\
    from app.trial import TrialState


    def fail_stale_trials(storage, study):
        for trial_id in storage._get_stale_trial_ids(study.id):
            storage.set_trial_state_values(trial_id, state=TrialState.FAIL)


    def list_stale_trials(storage, study):
        for trial_id in storage._get_stale_trial_ids(study.id):
            print(trial_id)
    """
    assert flagged(code, "app/heartbeat.py", {"app/storage.py": STORAGE}) == [("ARM301", 5)]


NODE_MODEL = """\
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class ProcessingNode(models.Model):
    def is_online(self):
        return self.last_refreshed is not None and \\
            self.last_refreshed >= timezone.now() - timedelta(minutes=settings.NODE_OFFLINE_MINUTES)

    def update_node_info(self):
        self.last_refreshed = timezone.now()
        self.save()
"""


def test_stored_nodes_refresh_stamp_and_the_caller_that_detaches_the_work():
    assert flagged(NODE_MODEL, "nodeodm/models.py") == [("ARM301", 11)]
    code = """\
    from django.db import models


    class Task(models.Model):
        def process(self):
            if self.processing_node and not self.processing_node.is_online():
                self.uuid = ""
                self.processing_node = None
                self.save()

        def show(self):
            if self.processing_node and not self.processing_node.is_online():
                self.note = "waiting for the node"
                self.save()
    """
    assert flagged(code, "app/models/task.py", {"nodeodm/models.py": NODE_MODEL}) == [("ARM301", 6)]


def test_plain_cache_refreshed_by_its_own_class_is_quiet():
    code = """\
    import time


    class Cache:
        def refresh(self):
            self.last_refreshed = time.time()

        def is_online(self):
            return time.time() - self.last_refreshed < 60
    """
    assert flagged(code) == []


# --- F4: a timer whose callback removes the party --------------------------------------------------
def test_timer_callback_method_removes_the_node():
    code = """\
    from twisted.internet import reactor


    class RPCProtocol:
        def __init__(self, router, waitTimeout=60):
            self.router = router
            self._waitTimeout = waitTimeout

        def timeout(self, node):
            self._outstanding.pop(node.id, None)
            self.router.removeContact(node)

        def note(self, node):
            print("late", node)

        def __getattr__(self, name):
            def func(node, *args):
                reactor.callLater(self._waitTimeout, self.timeout, node)
                reactor.callLater(self._waitTimeout, self.note, node)
            return func
    """
    assert flagged(code, "net/rpcudp.py") == [("ARM301", 18)]
