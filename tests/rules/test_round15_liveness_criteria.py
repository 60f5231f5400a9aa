"""ARM301, round 15: criteria written as data. A stored field compared with a cutoff `now - W`
through a document-store operator (`{"started": {"$lt": cutoff}}`) or through a placeholder of SQL
text bound to the cutoff, when the items are still held by a worker and the sweep fails them,
hands them back or lists them as lost, or when a verdict function answers with the fresh rows.

Look-alikes: retention of rows nobody holds, finished items, a window the caller hands in, a
placeholder bound to a caller's instant (not the clock), a session's age."""
from __future__ import annotations

from tests.rules.helpers import HEARTBEAT, flagged


# --- flagged ---------------------------------------------------------------------------------
def test_busy_documents_older_than_a_window_are_set_back_to_ready():
    code = """
    from datetime import datetime, timedelta

    STUCK_AFTER = 600


    def reset_stuck(collection):
        cutoff = datetime.utcnow() - timedelta(seconds=STUCK_AFTER)
        query = dict(state="busy", began={"$lt": cutoff})
        collection.update(query, {"$set": {"state": "ready"}}, multi=True)
    """
    assert flagged(code, HEARTBEAT, "jobs/sweeper.py") == [("ARM301", 9)]


def test_running_entries_in_a_nested_operator_are_listed_as_lost():
    code = """
    import datetime

    EXPIRY = 4 * 3600


    def find_lost(store, expiry=EXPIRY):
        now = datetime.datetime.now(datetime.timezone.utc)
        limit = (now - datetime.timedelta(seconds=expiry)).isoformat()
        query = {}
        query["history"] = {"$elemMatch": {"state": "RUNNING", "touched": {"$lte": limit}}}
        lost = []
        for doc in store.find(query):
            lost.append(doc["id"])
        return lost
    """
    assert flagged(code, HEARTBEAT, "jobs/lost.py") == [("ARM301", 11)]


def test_sql_placeholder_bound_to_a_cutoff_answers_which_hosts_are_alive():
    code = """
    import datetime

    from myapp.clock import naive_utcnow


    class Hosts:
        def get_alive_hosts(self, service, within_minutes=5):
            threshold = naive_utcnow() - datetime.timedelta(minutes=within_minutes)
            sql = (
                "SELECT host FROM beats "
                "WHERE service=:service AND last_seen>=:threshold "
            )
            self.cur.execute(sql, {":service": service, ":threshold": threshold})
            return [row[0] for row in self.cur.fetchall()]
    """
    assert flagged(code, HEARTBEAT, "hosts/db.py") == [("ARM301", 12)]


def test_sql_running_rows_older_than_a_default_window_are_reset_to_pending():
    code = """
    import datetime


    def recover(cur, owner, max_seconds=300):
        limit = datetime.datetime.utcnow() - datetime.timedelta(seconds=max_seconds)
        cur.execute(
            "SELECT id FROM results WHERE owner=%(owner)s AND status='running' AND started_at<%(limit)s",
            {"owner": owner, "limit": limit},
        )
        for (row_id,) in cur.fetchall():
            sql_retry = "UPDATE results SET status='pending' WHERE id=%(id)s"
            cur.execute(sql_retry, {"id": row_id})
    """
    assert flagged(code, HEARTBEAT, "results/recover.py") == [("ARM301", 8)]


def test_sql_built_piece_by_piece_deletes_rows_a_worker_still_claims():
    code = """
    from datetime import datetime, timedelta

    ORPHAN_AFTER = timedelta(minutes=30)


    class WorkerTable:
        def drop_orphans(self, site):
            var_map = {":site": site}
            var_map[":limit"] = datetime.utcnow() - ORPHAN_AFTER
            sql = "DELETE FROM workers WHERE site=:site "
            sql += "AND locked_by IS NOT NULL AND modified<:limit "
            self.execute(sql, var_map)
    """
    assert flagged(code, HEARTBEAT, "workers/orphans.py") == [("ARM301", 12)]


# --- never flagged ---------------------------------------------------------------------------
def test_old_log_documents_are_retention():
    code = """
    from datetime import datetime, timedelta


    class AuditLog:
        retention = timedelta(days=30)

        def prune(self, db):
            removed = db.audit.delete_many({"created": {"$lt": datetime.utcnow() - self.retention}})
            return removed.deleted_count
    """
    assert flagged(code, HEARTBEAT, "logs/prune.py") == []


def test_finished_rows_deleted_through_sql_text_are_retention():
    code = """
    from datetime import datetime, timedelta


    class Cleaner:
        window = timedelta(days=3)

        def purge(self):
            params = {}
            params[":limit"] = datetime.utcnow() - self.window
            sql = "DELETE FROM jobs "
            sql += "WHERE status IN ('complete', 'running') AND started_at<:limit"
            self.cur.execute(sql, params)
            return self.cur.rowcount
    """
    assert flagged(code, HEARTBEAT, "jobs/purge.py") == []


def test_window_the_caller_hands_in_is_left_to_the_caller():
    code = """
    import datetime


    def recover(cur, max_seconds):
        limit = datetime.datetime.utcnow() - datetime.timedelta(seconds=max_seconds)
        cur.execute("SELECT id FROM results WHERE status='running' AND started_at<:limit", {":limit": limit})
        for (row_id,) in cur.fetchall():
            cur.execute("UPDATE results SET status='pending' WHERE id=:id", {":id": row_id})
    """
    assert flagged(code, HEARTBEAT, "results/recover.py") == []


def test_operator_bound_to_the_callers_instant_is_no_cutoff():
    code = """
    def running_since(jobs, since):
        found = list(jobs.find({"state": "running", "began": {"$lt": since}}))
        jobs.update({"_id": {"$in": [j["_id"] for j in found]}}, {"$set": {"state": "pending"}})
        return found
    """
    assert flagged(code, HEARTBEAT, "jobs/recent.py") == []


def test_queued_documents_nobody_holds_are_not_a_takeover():
    code = """
    from datetime import datetime, timedelta


    def requeue_waiting(collection):
        cutoff = datetime.utcnow() - timedelta(minutes=10)
        collection.update({"state": "queued", "created": {"$lt": cutoff}}, {"$set": {"state": "ready"}}, multi=True)
    """
    assert flagged(code, HEARTBEAT, "jobs/waiting.py") == []
