"""The general wall-clock flow (analyzers/python/rules/_clock_flow.py): a reading followed through
its function to where it leaves the process or meets an instant stored elsewhere, whatever the
store, the callee or the field is called."""
from __future__ import annotations

from .helpers import CLOCK, flagged


# --- (b) an expiry or due time handed to any call that keeps or sends it ------------------------
def test_expiry_in_a_dict_handed_to_an_unknown_client_is_flagged():
    code = """
        import time


        def subscribe(pipe, key, ttl, url):
            now = int(time.time())
            expires = now + ttl
            pipe.hmset(key, {"u": url, "e": expires})
    """
    assert flagged(code, CLOCK, "app/subscriptions.py") == [("ARM104", 7)]


def test_visibility_instant_passed_as_a_keyword_is_flagged():
    code = """
        from datetime import datetime, timedelta


        def requeue(client, message, backoff):
            visible_at = datetime.utcnow() + timedelta(milliseconds=backoff)
            client.push(message, delay=visible_at)
    """
    assert flagged(code, CLOCK, "app/broker.py") == [("ARM104", 6)]


def test_record_dict_handed_to_a_method_of_the_same_class_is_flagged():
    code = """
        import datetime


        class Job:
            def finish(self, ttl):
                self._store_status("done", {"finished": 1, "purge_after": datetime.datetime.utcnow() + ttl})

            def _store_status(self, status, extra):
                self.collection.update_one({"_id": self.id}, {"$set": dict(extra, status=status)})
    """
    assert flagged(code, CLOCK, "app/job.py") == [("ARM104", 7)]


def test_attribute_set_on_an_object_then_saved_is_flagged():
    code = """
        import time


        def extend(grant, seconds):
            grant.valid_through = time.time() + seconds
            grant.persist()
    """
    assert flagged(code, CLOCK, "app/grants.py") == [("ARM104", 6)]


def test_constructed_record_handed_to_a_store_is_flagged():
    code = """
        import time


        def issue(repo, owner, lifetime):
            repo.put(Credential(owner=owner, good_until=time.time() + lifetime))
    """
    assert flagged(code, CLOCK, "app/credentials.py") == [("ARM104", 6)]


def test_handoffs_that_stay_in_the_process_are_quiet():
    code = """
        import heapq
        import logging
        import time

        log = logging.getLogger(__name__)


        def wait_until(deadline):
            while time.time() < deadline:
                time.sleep(0.1)


        def run(tasks, job, budget):
            wait_until(time.time() + budget)
            heapq.heappush(tasks, (time.time() + 5, job))
            log.info("next try at %s", time.time() + 5)
            elapsed = time.time() - job.started
            job.report(elapsed)
            probe = Probe(deadline=time.time() + budget)
            return probe
    """
    assert [f for f in flagged(code, CLOCK, "app/runner.py") if f[0] == "ARM104"] == []


# --- (a) a reading compared with an instant read back from a store ---------------------------
def test_expiry_read_back_into_a_local_is_flagged():
    code = """
        import time


        class Claims:
            def check(self, claim_id):
                info = self._backend.hmget(claim_id, "t", "e")
                expires = int(info[1])
                now = time.time()
                if now >= expires:
                    raise LookupError(claim_id)
    """
    assert flagged(code, CLOCK, "app/claims.py") == [("ARM104", 9)]


def test_age_of_a_stamp_read_back_compared_with_a_window_is_flagged():
    code = """
        import json
        import time


        def fresh(client, key, window):
            record = json.loads(client.get(key))
            return time.time() - record["stamped"] < window
    """
    assert flagged(code, CLOCK, "app/fresh.py") == [("ARM104", 8)]


def test_readings_compared_with_values_from_requests_files_or_the_process_are_quiet():
    code = """
        import os
        import time


        def replay(request, window):
            sent = float(request.headers["X-Sent"])
            return time.time() - sent > window


        def stale_file(path, limit):
            return time.time() - os.stat(path).st_mtime > limit


        def pending(items):
            first = sorted(items)[0]
            return first < time.time()


        def later(entry):
            return entry["when"] > time.time()
    """
    assert flagged(code, CLOCK, "app/checks.py") == []


# --- (a) a query that picks rows older than this clock's cut-off ------------------------------
def test_rows_older_than_a_cut_off_picked_by_a_query_are_flagged():
    code = """
        from datetime import timedelta

        from django.utils import timezone


        def release_holds(Payout, hold):
            cutoff = timezone.now() - hold
            for payout in Payout.objects.filter(created_at__lt=cutoff):
                payout.release()


        def abandoned(session, Cart, minutes):
            limit = timezone.now() - timedelta(minutes=minutes)
            return session.scalars(select(Cart).where(Cart.updated_at < limit)).all()
    """
    assert flagged(code, CLOCK, "app/holds.py") == [("ARM104", 8), ("ARM104", 14)]


def test_recent_listings_counts_and_retention_purges_are_quiet():
    code = """
        from datetime import timedelta

        from django.utils import timezone


        def recent(Order):
            return Order.objects.filter(created_at__gte=timezone.now() - timedelta(minutes=30))


        def failures(Fail, user):
            return Fail.objects.filter(user=user, created_at__lt=timezone.now() - timedelta(minutes=1)).count()


        def prune(Log):
            Log.objects.filter(created_at__lt=timezone.now() - timedelta(days=30)).delete()


        def silent(Worker):
            return Worker.objects.filter(last_heartbeat__lt=timezone.now() - timedelta(seconds=30))
    """
    assert flagged(code, CLOCK, "app/reports.py") == []


# --- (c) handed to a comparison the store makes --------------------------------------------
def test_mongo_operator_and_script_arguments_are_flagged():
    code = """
        from datetime import datetime
        import time


        def overdue(db):
            return db.alerts.find({"$expr": {"$lt": [{"$add": ["$received", 60000]}, datetime.utcnow()]}})


        def pop_due(script, queue):
            return script([queue], [time.time(), 10])
    """
    assert flagged(code, CLOCK, "app/store.py") == [("ARM104", 7), ("ARM104", 11)]


def test_store_side_look_alikes_are_quiet():
    code = """
        import time


        def count_recent(db, since):
            return db.events.find({"$gt": since})


        def call(script, queue, limit):
            return script([queue], [limit, 10])


        def stamp(db, doc_id):
            db.docs.update_one({"_id": doc_id}, {"$set": {"seen": 1}})
            print({"$lt": time.time()})
    """
    assert flagged(code, CLOCK, "app/store.py") == []


# --- in-process: a closure reads the enclosing function's stamp ------------------------------
def test_nested_helper_measuring_from_the_enclosing_stamp_is_flagged():
    code = """
        import time


        def call_with_retry(fn, timeout):
            first_try = time.time()

            def time_left():
                return first_try + timeout - time.time()

            while time_left() > 0:
                if fn():
                    return True
            return False
    """
    assert flagged(code, CLOCK, "app/retry.py") == [("ARM103", 6)]


def test_nested_helper_with_its_own_monotonic_stamp_is_quiet():
    code = """
        import time


        def call_with_retry(fn, timeout):
            first_try = time.monotonic()
            stamp = time.time()

            def time_left():
                return first_try + timeout - time.monotonic()

            while time_left() > 0:
                if fn():
                    return stamp
            return None
    """
    assert flagged(code, CLOCK, "app/retry.py") == []


def test_day_sized_invitation_expiry_written_through_a_project_function_is_flagged():
    code = """
        from datetime import timedelta

        from django.utils import timezone


        def invite(repo, email):
            repo.add_invitation(email, valid_through=timezone.now() + timedelta(days=7))
    """
    assert flagged(code, CLOCK, "app/invites.py") == [("ARM104", 8)]


def test_cut_off_handed_to_a_data_access_function_is_flagged():
    code = """
        from datetime import datetime, timedelta


        def due_claims(storage, interval):
            before = datetime.utcnow() - timedelta(seconds=interval / 2)
            for claim in storage.get_claims(owner=None, stamped_before=before):
                claim.take()
    """
    assert flagged(code, CLOCK, "app/evaluator.py") == [("ARM104", 6)]


def test_text_rounded_readings_backdated_writes_and_reports_are_quiet():
    code = """
        import time
        from datetime import datetime, timedelta


        def upload_name(name):
            return store_file(str(datetime.utcnow()) + name)


        def signed_link(client, key):
            ts = int(time.time())
            return client.presign(key, issued=ts - (ts % 3600))


        def force_refresh(redis, key, longest):
            redis.hset(key, "created", time.time() - longest - 3600)


        def archive(service, retention):
            return service.archive_events(older_than=datetime.utcnow() - retention)


        def renewal_reminders(repo):
            return repo.list_renewing(before=datetime.utcnow() + timedelta(days=7))


        def health(repo, minimum_age, threshold):
            pending = repo.get_all_pending(older_than=datetime.utcnow() - minimum_age)
            return len(pending) > threshold
    """
    assert flagged(code, CLOCK, "app/misc.py") == []


def test_mongo_criteria_for_listings_counts_and_purges_are_quiet():
    code = """
        from datetime import datetime, timedelta


        def flapping(db, window):
            return db.alerts.aggregate([{"$match": {"updated": {"$gt": datetime.utcnow() - timedelta(seconds=window)}}}])


        def purge(db, keep):
            db.alerts.delete_many({"received": {"$lt": datetime.utcnow() - timedelta(seconds=keep)}})


        def waiting(db):
            query = {"tx": None}
            query["c.e"] = {"$lte": datetime.utcnow()}
            return db.messages.count_documents(query)


        def parse_filters(params):
            query = {"$or": []}
            if "active" in params:
                query["$or"].append({"expires": {"$gte": datetime.utcnow()}})
            return query
    """
    assert flagged(code, CLOCK, "app/mongo.py") == []


def test_mongo_criterion_built_over_statements_reaches_the_query_and_is_flagged():
    code = """
        from datetime import datetime


        def active(db, queue):
            query = {"q": queue}
            query["c.e"] = {"$lte": datetime.utcnow()}
            return list(db.messages.find(query))
    """
    assert flagged(code, CLOCK, "app/mongo.py") == [("ARM104", 7)]


def test_mongo_criterion_returned_by_a_query_builder_is_quiet():
    code = """
        from datetime import datetime


        def from_params(params, builder):
            query = {}
            if params.get("status") == "active":
                query["$or"] = [{"valid": {"$gte": datetime.utcnow()}}]
            query = builder.narrow(params, query)
            return Query(where=query)
    """
    assert flagged(code, CLOCK, "app/filters.py") == []


def test_history_fields_caches_ranges_and_signed_claims_are_left_to_the_named_forms():
    code = """
        import time
        from datetime import datetime, timedelta

        import jwt


        def record(repo, order):
            repo.put_entry({"order": order, "created_at": datetime.utcnow() + timedelta(seconds=1)})
            repo.put_invoice(order, payment_date=datetime.utcnow() + timedelta(days=14))


        def remember(local_cache, key, ttl):
            local_cache.put_item(key, time.time() + ttl)


        def sweep(redis, key, keep_for):
            redis.zremrangebyscore(key, "-inf", time.time() - keep_for)


        def session_token(secret, user_id):
            return jwt.encode({"sub": user_id}, secret)


        def keep_claims(store, user_id):
            store.create_session_row({"sub": user_id, "exp": time.time() + 900})
    """
    assert flagged(code, CLOCK, "app/records.py") == []


def test_partitions_listings_schedulers_and_day_windows_are_quiet():
    code = """
        import sched
        import time
        from datetime import datetime, timedelta


        def partition(table, span):
            start = (datetime.utcnow() - span).replace(minute=0, second=0)
            create_partition(table, start)


        def recent_runs(client, since=None):
            since = since or (datetime.utcnow() - timedelta(days=1))
            return client.runs_list(since=since)


        def later(run):
            s = sched.scheduler(time.time, time.sleep)
            s.enterabs(time.time() + 10, 0, run, ())


        def uptime_cell(stat):
            return str(int((datetime.utcnow() - stat.tob).total_seconds())).center(10)


        class Cleanup:
            def handle(self, cursor, days):
                self.cutoff = datetime.utcnow() - timedelta(days=days)
                row = cursor.fetchone()
                if row[0] < self.cutoff:
                    cursor.execute("delete from runs")
    """
    assert flagged(code, CLOCK, "app/tools.py") == []
