"""Round 19, unfenced locks: forms read in the retired ninth half's misses, each with look-alikes.

- a project class that extends a library's lock class (`class RegionLock(redis.lock.Lock)`),
  handed out by a manager of another module, is that library's expiring lock;
- a module's own lock class that takes its key with SETEX (not even NX) and deletes it to release;
- a lifetime given when the lock is taken (`lock.acquire(lock_expiry=...)`), not when it is built;
- a decorator given a lock lifetime (`@org_task("pull", lock_timeout=7200)`) runs the function
  under an expiring lock, whatever the decorator is called;
- a Mongo document taken when free, expired or already this taker's (`$or` alternatives);
- a `cache.add` lock given back by another function of the module (a task chain's last step);
- a job object's `execute()` under the lock is the guarded work, out of sight;
- a rate limiter's `tokens` count is no fencing token.
"""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index

LOCK = Settings(select=frozenset({"ARM201"}))


def flagged(code: str, path: str = "app/module.py", project=None) -> list[tuple[str, int]]:
    report = analyze(path, textwrap.dedent(code), LOCK, project=project)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


LOCKS_MODULE = """\
from redis.lock import Lock


class RegionLock(Lock):
    def __init__(self, name, client, timeout=None):
        super().__init__(redis=client, name=name, timeout=timeout or 600)


class LockRegistry:
    def __init__(self, client):
        self._client = client

    def invoice_lock(self, invoice_id):
        return RegionLock(f"lock.invoice.{invoice_id}", self._client)
"""

SHARED_MODULE = """\
from redis import Redis

from billing.locks import LockRegistry

redis = Redis.from_url("redis://cache:6379/1")
locks = LockRegistry(redis)
"""

PLAIN_MODULE = """\
class Registry:
    def invoice_lock(self, invoice_id):
        return Holder(invoice_id)


class Holder:
    def __init__(self, invoice_id):
        self.invoice_id = invoice_id


locks = Registry()
"""

CALLER = """\
from billing.shared import locks
from billing.models import Invoice


def settle(invoice_id, amount):
    invoice = Invoice.objects.get(pk=invoice_id)
    with locks.invoice_lock(invoice.pk):
        invoice.refresh_from_db()
        invoice.paid = amount
        invoice.save()
"""


def test_a_project_subclass_of_a_library_lock_handed_out_by_a_manager_is_that_librarys_lock():
    project = build_project_index(
        [("billing/locks.py", LOCKS_MODULE), ("billing/shared.py", SHARED_MODULE), ("billing/payments.py", CALLER)]
    )
    assert flagged(CALLER, "billing/payments.py", project) == [("ARM201", 10)]


def test_a_manager_handing_out_a_plain_project_object_is_no_lock():
    caller = CALLER.replace("billing.shared", "billing.plain")
    project = build_project_index([("billing/plain.py", PLAIN_MODULE), ("billing/payments.py", caller)])
    assert flagged(caller, "billing/payments.py", project) == []


def test_a_lock_class_taking_its_key_with_setex_and_deleting_it_is_flagged_at_the_claim():
    code = """\
    import redis


    class Lock(object):
        def __init__(self, key):
            self.key = key
            self.connection = redis.from_url("redis://localhost")

        def acquire(self):
            if self.connection.get(self.key):
                raise RuntimeError("already running")
            self.connection.setex(name=self.key, value="x", time=1200)

        def release(self):
            self.connection.delete(self.key)


    def charge_pledges(pledges):
        lock = Lock(key="charge-pledges-lock")
        lock.acquire()
        for pledge in pledges:
            pledge.charge()
        lock.release()
    """
    assert flagged(code) == [("ARM201", 12)]


def test_a_class_caching_with_setex_is_no_lock():
    code = """\
    import redis


    class ReportCache(object):
        def __init__(self, key):
            self.key = key
            self.connection = redis.from_url("redis://localhost")

        def lock(self):
            return None

        def store(self, body):
            self.connection.setex(name=self.key, value=body, time=1200)

        def release(self):
            self.connection.delete(self.other_key)
    """
    assert flagged(code) == []


def test_a_lifetime_given_at_acquire_makes_a_project_lock_expire():
    code = """\
    import redis
    from app.pools import resize_pool
    from app.utils import RedisLock


    def check_pools(pools):
        cache = redis.StrictRedis.from_url("redis://localhost")
        lock = RedisLock(cache, "pools:check")
        lock_key = lock.acquire(lock_expiry=1800)
        if lock_key is None:
            return
        try:
            for pool in pools:
                resize_pool(pool)
        finally:
            lock.release()
    """
    assert flagged(code) == [("ARM201", 9)]


def test_a_wait_given_at_acquire_is_no_lifetime():
    code = """\
    import redis
    from app.pools import resize_pool
    from app.utils import RedisLock


    def check_pools(pools):
        cache = redis.StrictRedis.from_url("redis://localhost")
        lock = RedisLock(cache, "pools:check")
        lock_key = lock.acquire(acquire_timeout=10)
        if lock_key is None:
            return
        try:
            for pool in pools:
                resize_pool(pool)
        finally:
            lock.release()
    """
    assert flagged(code) == []


def test_a_decorator_given_a_lock_lifetime_is_flagged_at_the_decorator():
    code = """\
    from dash.orgs.tasks import org_task


    @org_task("contact-pull", lock_timeout=2 * 60 * 60)
    def pull_contacts(org, since, until, prev_results):
        backend = org.get_backend()
        created, updated, deleted = backend.pull_contacts(org, since, until)
        return {"created": created, "updated": updated, "deleted": deleted}


    @org_task("contact-count", timeout=60)
    def count_contacts(org, since, until, prev_results):
        return org.get_backend().count_contacts(org)
    """
    assert flagged(code) == [("ARM201", 4)]


def test_a_decorator_given_a_lock_lifetime_around_nothing_is_quiet():
    code = """\
    from dash.orgs.tasks import org_task


    @org_task("noop", lock_timeout=60)
    def noop(org, since, until, prev_results):
        return None
    """
    assert flagged(code) == []


def test_a_mongo_document_taken_over_when_old_or_kept_when_already_ours_is_flagged():
    code = """\
    import datetime


    class Instance:
        def reserve_routes(self, networks):
            cutoff = now() - datetime.timedelta(seconds=self.route_ttl)
            self.routes.update_one({
                "_id": self.server_id,
                "$or": [
                    {"timestamp": {"$lt": cutoff}},
                    {"instance_id": self.id},
                ],
            }, {"$set": {
                "instance_id": self.id,
                "networks": networks,
                "timestamp": now(),
            }}, upsert=True)
            for network in networks:
                add_cloud_route(network)
    """
    assert flagged(code) == [("ARM201", 7)]


def test_a_mongo_document_claimed_when_free_with_a_ttl_is_flagged():
    code = """\
    import datetime


    class AssignPool:
        def task(self):
            response = self.servers.update_one({
                "_id": self.server_id,
                "$or": [
                    {"network_lock": self.id},
                    {"network_lock": {"$exists": False}},
                ],
            }, {"$set": {
                "network": self.network,
                "network_lock": self.id,
                "network_lock_ttl": now() + datetime.timedelta(minutes=3),
            }})
            if not response.modified_count:
                raise RuntimeError("locked")
            self.pool.assign(self.network)
    """
    assert flagged(code) == [("ARM201", 6)]


def test_mongo_upserts_keyed_by_their_owner_are_no_claims():
    code = """\
    class Presence:
        def touch(self, user):
            self.sessions.update_one(
                {"$or": [{"user": user}, {"alias": user}]},
                {"$set": {"user": user, "last_seen": now()}},
                upsert=True,
            )

        def sweep(self, cutoff):
            self.sessions.delete_many({"last_seen": {"$lt": cutoff}})

        def mark(self, doc_id):
            self.docs.update_one(
                {"_id": doc_id, "$or": [{"done": {"$exists": False}}, {"done": False}]},
                {"$set": {"done": True, "done_at": now()}},
            )
    """
    assert flagged(code) == []


def test_a_cache_lock_given_back_by_the_chains_last_task_is_flagged():
    code = """\
    from datetime import timedelta

    from django.core.cache import caches
    from django.utils.timezone import now

    redis_cache = caches["redis"]


    def pre_send(self, subscription_id):
        key = "subscription_lock:{}".format(subscription_id)
        locked = not redis_cache.add(key, now() + timedelta(seconds=300), timeout=300)
        if locked:
            self.retry(eta=redis_cache.get(key))
        subscription = Subscription.objects.get(id=subscription_id)
        return {"subscription": subscription.pk}


    def post_send(context):
        Subscription.objects.filter(pk=context["subscription"]).update(sent=True)
        redis_cache.delete("subscription_lock:{}".format(context["subscription"]))
    """
    assert flagged(code) == [("ARM201", 11)]


def test_a_send_once_marker_never_given_back_stays_quiet():
    code = """\
    from django.core.cache import cache


    def remind(user_id):
        key = "reminder_sent:{}".format(user_id)
        if not cache.add(key, 1, timeout=86400):
            return
        return {"user": user_id}


    def forget(user_id):
        cache.delete("reminder_other:{}".format(user_id))
    """
    assert flagged(code) == []


def test_a_job_objects_execute_under_a_cache_lock_is_the_guarded_work():
    code = """\
    from django.core.cache import cache


    def async_execute(migration_id):
        migration = Migration.objects.get(pk=migration_id)
        lock_key = f"execute_migration:{migration.name}"
        if cache.add(lock_key, "true", timeout=300):
            try:
                migration.execute()
            finally:
                cache.delete(lock_key)
    """
    assert flagged(code) == [("ARM201", 7)]


def test_a_pipeline_executed_under_a_cache_lock_around_reads_is_no_out_of_sight_work():
    code = """\
    from django.core.cache import cache


    def warm(user_id, client):
        lock_key = f"warm_lock:{user_id}"
        if cache.add(lock_key, "true", timeout=30):
            try:
                pipe = client.pipeline()
                pipe.execute()
            finally:
                cache.delete(lock_key)
    """
    assert flagged(code) == []


def test_a_token_bucket_under_a_cache_lock_is_an_unfenced_read_modify_write():
    code = """\
    import time

    from django.core.cache import cache


    def take_quota(name, capacity, rate):
        now = time.time()
        state_key = f"quota:{name}:bucket"
        with cache.lock(f"quota:{name}:lock", timeout=5, blocking_timeout=1):
            state = cache.get(state_key) or {"tokens": float(capacity), "updated_at": now}
            tokens = min(capacity, state["tokens"] + (now - state["updated_at"]) * rate)
            if tokens >= 1:
                cache.set(state_key, {"tokens": tokens - 1, "updated_at": now}, timeout=60)
                return True
            return False
    """
    assert flagged(code) == [("ARM201", 13)]


def test_a_write_passing_a_fencing_token_stays_fenced():
    code = """\
    from django.core.cache import cache


    def store(name, body, token):
        with cache.lock(f"doc:{name}:lock", timeout=5):
            cache.set(f"doc:{name}", {"token": token, "body": body}, timeout=60)
    """
    assert flagged(code) == []


def test_a_change_made_through_a_fetched_service_client_is_the_guarded_work():
    code = """\
    from django_redis import get_redis_connection


    class Contact:
        @classmethod
        def lock(cls, org, uuid):
            return get_redis_connection().lock("contact-lock:%d:%s" % (org.pk, uuid), timeout=60)

        def suspend_groups(self):
            with self.lock(self.org, self.uuid):
                for group in list(self.groups.all()):
                    self.org.get_backend().remove_from_group(self.org, self, group)

        def describe_groups(self):
            with self.lock(self.org, self.uuid):
                return [self.org.get_backend().get_group(self.org, g) for g in self.groups.all()]
    """
    assert flagged(code) == [("ARM201", 10)]
