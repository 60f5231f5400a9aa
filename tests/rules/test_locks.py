"""ARM201 on realistic lock code. A line ending in `# ARM201` is where a finding must start;
every other line must stay quiet."""
from __future__ import annotations

import textwrap

import pytest

from analyzers import Settings, analyze

RULE = "ARM201"


def check(code: str) -> None:
    code = textwrap.dedent(code)
    expected = [i for i, line in enumerate(code.splitlines(), 1) if line.rstrip().endswith(f"# {RULE}")]
    report = analyze("app/worker.py", code, Settings(select=frozenset({RULE})))
    assert report.notes == []
    assert [(f.rule, f.line) for f in report.findings] == [(RULE, line) for line in expected]


BAD = {
    "anti_pattern_2_set_nx_ex": '''
        import redis

        r = redis.Redis(host="redis")


        def publish_snapshot(s3, resource_id, value):
            lock_id = r.set(f"resource:{resource_id}", "locked", ex=30, nx=True)
            if lock_id:
                body = do_expensive_work(value)
                s3.put_object(Bucket="snapshots", Key=f"{resource_id}.json", Body=body)  # ARM201
                r.delete(f"resource:{resource_id}")
    ''',
    "leader_election_loop": '''
        import time

        import redis

        r = redis.Redis()


        def leader_loop(conn, node_id):
            while True:
                if r.set("leader:billing", node_id, nx=True, px=10_000):
                    with conn.cursor() as cur:
                        cur.execute("update invoices set status = 'issued' where status = 'draft'")  # ARM201
                    conn.commit()
                time.sleep(5)
    ''',
    "setnx_then_expire_django_update": '''
        import os

        from django_redis import get_redis_connection

        from reports.models import Report


        def refresh(job_id):
            client = get_redis_connection("default")
            key = f"lock:refresh:{job_id}"
            if client.setnx(key, os.getpid()):
                client.expire(key, 60)
                Report.objects.filter(job_id=job_id).update(status="fresh")  # ARM201
                client.delete(key)
    ''',
    "lock_object_acquire_release_save": '''
        from redis import Redis

        from .models import Wallet

        redis_conn = Redis.from_url("redis://redis:6379/1")


        def settle(wallet_id, amount):
            lock = redis_conn.lock(f"wallet:{wallet_id}", timeout=10)
            if not lock.acquire(blocking=False):
                return False
            try:
                wallet = Wallet.objects.get(pk=wallet_id)
                wallet.balance -= amount
                wallet.save()  # ARM201
            finally:
                lock.release()
            return True
    ''',
    "redis_lock_class_sqlalchemy_commit": '''
        from redis import Redis
        from redis.lock import Lock

        from .db import Session
        from .models import Export

        r = Redis()


        def export(user_id, rows):
            with Lock(r, f"export:{user_id}", timeout=60):
                session = Session()
                session.add(Export(user_id=user_id, rows=rows))
                session.commit()  # ARM201
    ''',
    "pottery_redlock_http_put": '''
        import requests
        from pottery import Redlock
        from redis import Redis

        redis = Redis()


        def push_config(service, config):
            printer_lock = Redlock(key=f"config:{service}", masters={redis}, auto_release_time=15)
            with printer_lock:
                requests.put(f"https://consul.internal/v1/kv/{service}", data=config, timeout=5)  # ARM201
    ''',
    "redlock_py_manager": '''
        from redlock import Redlock

        dlm = Redlock([{"host": "localhost", "port": 6379, "db": 0}])


        def close_day(conn, day):
            my_lock = dlm.lock(f"close:{day}", 10_000)
            if not my_lock:
                return
            with conn.cursor() as cur:
                cur.execute("insert into closings (day, closed_at) values (%s, now())", (day,))  # ARM201
            conn.commit()
            dlm.unlock(my_lock)
    ''',
    "sql_lease_row": '''
        LEASE = """
            update leases
               set holder = %s, expires_at = now() + interval '30 seconds'
             where name = %s and expires_at < now()
        """


        def run_compaction(conn, me):
            with conn.cursor() as cur:
                cur.execute(LEASE, (me, "compactor"))
                if cur.rowcount == 0:
                    return
                cur.execute("delete from events where created_at < now() - interval '90 days'")  # ARM201
                cur.execute("update leases set holder = null where name = %s and holder = %s", ("compactor", me))
            conn.commit()
    ''',
    "session_advisory_lock": '''
        def rebuild_search_index(conn):
            cur = conn.cursor()
            cur.execute("select pg_try_advisory_lock(%s)", (4242,))
            if not cur.fetchone()[0]:
                return
            try:
                cur.execute("insert into search_index (doc_id, body) select id, body from docs")  # ARM201
                conn.commit()
            finally:
                cur.execute("select pg_advisory_unlock(%s)", (4242,))
    ''',
    "async_with_sqlalchemy_core_update": '''
        from redis.asyncio import Redis
        from sqlalchemy import update

        from .models import Order

        redis = Redis()


        async def expire_orders(session, batch):
            async with redis.lock("orders:expire", timeout=20):
                await session.execute(update(Order).where(Order.id.in_(batch)).values(status="expired"))  # ARM201
                await session.commit()
    ''',
    "method_in_class_upload": '''
        import boto3
        import redis


        class Publisher:
            def __init__(self):
                self.redis = redis.Redis()
                self.s3 = boto3.client("s3")

            def publish(self, name, path):
                with self.redis.lock(f"publish:{name}", timeout=30, blocking_timeout=5):
                    self.s3.upload_file(path, "artifacts", name)  # ARM201
    ''',
    "django_cache_add_recipe": '''
        from django.core.cache import cache

        from .models import Feed


        def import_feed(feed_url):
            lock_id = f"import-feed-lock-{feed_url}"
            if cache.add(lock_id, "true", 60 * 10):
                try:
                    feed = Feed.objects.get(url=feed_url)
                    feed.last_import = "now"
                    feed.save()  # ARM201
                finally:
                    cache.delete(lock_id)
    ''',
    "aliased_module_file_write": '''
        import redis as rds_mod

        conn = rds_mod.StrictRedis()


        def write_report(rows):
            with conn.lock("nightly-report", timeout=60, blocking_timeout=5):
                with open("/mnt/shared/report.csv", "w") as out:  # ARM201
                    out.write("\\n".join(rows))
    ''',
    "redis_write_of_another_key": '''
        import json

        import redis

        r = redis.Redis()


        def rebuild_leaderboard(scores):
            if not r.set("lock:leaderboard", "1", nx=True, ex=30):
                return
            r.set("leaderboard", json.dumps(sorted(scores)))  # ARM201
            r.delete("lock:leaderboard")
    ''',
}


GOOD = {
    "threading_lock_guards_db_write": '''
        import threading

        _lock = threading.Lock()


        def bump(conn, counter_id):
            with _lock:
                with conn.cursor() as cur:
                    cur.execute("update counters set n = n + 1 where id = %s", (counter_id,))
    ''',
    "asyncio_and_multiprocessing_locks": '''
        import asyncio
        import multiprocessing
        from threading import RLock

        alock = asyncio.Lock()
        plock = multiprocessing.Lock()
        rlock = RLock()


        async def save(session, obj):
            async with alock:
                session.add(obj)
                await session.commit()


        def save_sync(obj):
            with plock:
                obj.save()
            with rlock:
                obj.save()
    ''',
    "file_locks_are_local": '''
        import portalocker
        from filelock import FileLock


        def append(path, line):
            with FileLock(path + ".lock"):
                with open(path, "a") as fh:
                    fh.write(line)
            with open(path, "a") as fh:
                portalocker.lock(fh, portalocker.LOCK_EX)
                fh.write(line)
    ''',
    "redis_lock_only_dedupes_reads": '''
        import redis

        r = redis.Redis()


        def cached_profile(user_id, fetch):
            with r.lock(f"profile-fill:{user_id}", timeout=5):
                data = r.get(f"profile:{user_id}")
                if data is None:
                    data = fetch(user_id)
                return data
    ''',
    "fenced_sql_write": '''
        import redis

        r = redis.Redis()


        def rebuild(conn, report_id, body):
            with r.lock(f"report:{report_id}", timeout=30):
                cur = conn.cursor()
                cur.execute("select nextval('fencing_tokens_seq')")
                token = cur.fetchone()[0]
                cur.execute(
                    "update reports set body = %s, last_token = %s where id = %s and last_token < %s",
                    (body, token, report_id, token),
                )
                conn.commit()
    ''',
    "fenced_orm_filter_and_named_token": '''
        import redis

        from .models import Resource

        r = redis.Redis()


        def store(storage, rid, value):
            with r.lock(f"resource:{rid}", timeout=30):
                token = r.incr("fence:resource")
                Resource.objects.filter(id=rid, last_token__lt=token).update(value=value, last_token=token)
                storage.put_object(Bucket="b", Key=rid, Body=value, fencing_token=token)
    ''',
    "advisory_xact_lock_is_self_fencing": '''
        def move_funds(conn, src, dst, amount):
            with conn.cursor() as cur:
                cur.execute("select pg_advisory_xact_lock(%s)", (src,))
                cur.execute("update accounts set balance = balance - %s where id = %s", (amount, src))
                cur.execute("update accounts set balance = balance + %s where id = %s", (amount, dst))
            conn.commit()
    ''',
    "set_nx_as_dedupe_marker": '''
        import redis

        from .models import Order

        r = redis.Redis()


        def handle_event(event):
            if not r.set(f"processed:{event['id']}", 1, nx=True, ex=86400):
                return
            Order.objects.create(external_id=event["id"], total=event["total"])
    ''',
    "write_outside_lock_region": '''
        import redis

        r = redis.Redis()


        def compute_then_store(conn, key):
            with r.lock(f"compute:{key}", timeout=10):
                result = r.get(key)
            with conn.cursor() as cur:
                cur.execute("insert into results (k, v) values (%s, %s)", (key, result))
    ''',
    "write_only_when_lock_not_held": '''
        import redis

        r = redis.Redis()


        def try_run(conn, job_id):
            if r.set(f"lock:job:{job_id}", 1, nx=True, ex=60):
                return run(job_id)
            else:
                with conn.cursor() as cur:
                    cur.execute("insert into skipped_jobs (job_id) values (%s)", (job_id,))
    ''',
    "lease_renewal_touches_only_the_lease": '''
        def heartbeat(conn, me):
            with conn.cursor() as cur:
                cur.execute(
                    "update leases set holder = %s, expires_at = now() + interval '30 seconds' "
                    "where name = 'scheduler' and (holder = %s or expires_at < now())",
                    (me, me),
                )
                cur.execute("update leases set expires_at = now() + interval '30 seconds' where holder = %s", (me,))
            conn.commit()
    ''',
    "lease_write_checks_token": '''
        def process(conn, me, job_id):
            cur = conn.cursor()
            cur.execute(
                "update leases set holder = %s, expires_at = now() + interval '1 minute', token = token + 1 "
                "where name = 'jobs' and expires_at < now() returning token",
                (me,),
            )
            token = cur.fetchone()[0]
            cur.execute("update jobs set done = true where id = %s and lease_token = %s", (job_id, token))
    ''',
    "domain_lock_method_is_not_redis": '''
        def freeze(account):
            account.lock("fraud review")
            account.save()
    ''',
}


@pytest.mark.parametrize("code", BAD.values(), ids=BAD.keys())
def test_flags_unfenced_distributed_locks(code):
    check(code)


@pytest.mark.parametrize("code", GOOD.values(), ids=GOOD.keys())
def test_leaves_local_or_fenced_locks_alone(code):
    check(code)


def test_message_names_the_guarded_write_line_in_both_languages():
    code = textwrap.dedent(BAD["leader_election_loop"])
    en = analyze("app/worker.py", code, Settings(select=frozenset({RULE})))
    pt = analyze("app/worker.py", code, Settings(select=frozenset({RULE}), language="pt-BR"))
    assert "line 13" in en.findings[0].message
    assert "linha 13" in pt.findings[0].message


def test_one_finding_per_acquisition_even_with_several_writes():
    code = textwrap.dedent('''
        import redis

        r = redis.Redis()


        def sync(conn, s3, key):
            with r.lock(f"sync:{key}", timeout=30):
                s3.put_object(Bucket="b", Key=key, Body=b"")  # ARM201
                with conn.cursor() as cur:
                    cur.execute("update sync_state set done = true where k = %s", (key,))
    ''')
    check(code)


def test_suppression_comment_silences_it():
    code = textwrap.dedent('''
        import redis

        r = redis.Redis()


        def sync(s3, key):
            with r.lock(f"sync:{key}", timeout=30):
                # armadilhas: ignore[ARM201]
                s3.put_object(Bucket="b", Key=key, Body=b"")
    ''')
    check(code)
