"""Expiries and due times that cross a module boundary on their way to storage.

- OpenStack's shared clock library, oslo.utils: `timeutils.utcnow(with_timezone=True)` and
  `timeutils.utcnow_ts(microsecond=True)` read the wall clock whatever their form option; a
  helper built on them (`service_expired_time()`) is a clock helper for the whole project.
- A row handed to a data-access function of the project (`db_api.create_scheduled_job(values)`)
  or to a repository's write (`repository.update(order, update_dict={...})`) whose due-time
  field holds `now + delay`: the writer is in another module, the instant is this node's.
- A file cache that keeps each entry's expiry as the file's mtime (`os.utime`)."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index

from .helpers import CLOCK, flagged


def run(files: dict[str, str], path: str, settings: Settings = CLOCK):
    texts = {name: textwrap.dedent(text) for name, text in files.items()}
    report = analyze(path, texts[path], settings, project=build_project_index(texts))
    assert report.notes == []
    return [(f.rule, f.line, f.confidence) for f in report.findings]


# --- oslo.utils timeutils with its form option -------------------------------------------------
def test_oslo_utcnow_with_timezone_option_is_a_reading_in_an_expiry_helper():
    code = """
        import datetime

        from oslo_config import cfg
        from oslo_utils import timeutils

        CONF = cfg.CONF


        def service_expired_time(with_timezone=False):
            return (timeutils.utcnow(with_timezone=with_timezone) -
                    datetime.timedelta(seconds=CONF.service_down_time))
    """
    assert run({"volumes/utils.py": code}, "volumes/utils.py") == [("ARM104", 11, "medium")]


def test_oslo_utcnow_positional_flag_in_a_stored_expiry_is_flagged():
    code = """
        import datetime

        from oslo_utils import timeutils


        def reserve(session, models, project_id, minutes):
            row = models.Reservation(project_id=project_id)
            row.expire = timeutils.utcnow(True) + datetime.timedelta(minutes=minutes)
            session.add(row)
            session.commit()
    """
    assert flagged(code, CLOCK, "quota/reservations.py") == [("ARM104", 9)]


def test_oslo_utcnow_ts_microsecond_option_as_a_lease_end_is_flagged():
    code = """
        from oslo_utils import timeutils


        def take_lease(db, name, ttl):
            db.execute(
                "UPDATE leases SET expires_at = %s WHERE name = %s",
                (timeutils.utcnow_ts(microsecond=True) + ttl, name),
            )
    """
    assert flagged(code, CLOCK, "coordination/leases.py") == [("ARM104", 8)]


def test_helper_on_oslo_utcnow_is_known_to_other_modules_of_the_project():
    utils = """
        import datetime

        from oslo_utils import timeutils


        def lease_deadline(seconds):
            return timeutils.utcnow(with_timezone=True) + datetime.timedelta(seconds=seconds)
    """
    worker = """
        from volumes import utils


        def claim(session, job, seconds):
            job.lease_until = utils.lease_deadline(seconds)
            session.add(job)
            session.commit()
    """
    files = {"volumes/utils.py": utils, "volumes/worker.py": worker}
    assert run(files, "volumes/worker.py") == [("ARM104", 6, "high")]


def test_oslo_utcnow_for_a_display_stamp_is_quiet():
    code = """
        from oslo_utils import timeutils


        def describe(service):
            now = timeutils.utcnow(with_timezone=True)
            return {"name": service.host, "checked_at": now.isoformat()}
    """
    assert flagged(code, CLOCK, "api/hosts.py") == []


def test_oslo_parse_isotime_and_other_options_are_no_reading():
    code = """
        import datetime

        from oslo_utils import timeutils


        def lease_end(session, row, text):
            row.lease_until = timeutils.parse_isotime(text) + datetime.timedelta(minutes=5)
            row.expires_at = timeutils.utcnow(unknown=True) + datetime.timedelta(minutes=5)
            session.add(row)
    """
    assert flagged(code, CLOCK, "api/leases.py") == []


def test_project_function_named_like_oslo_utcnow_is_not_the_library():
    code = """
        import datetime

        from .clocks import timeutils


        def lease_end(session, row):
            row.lease_until = timeutils.utcnow(with_timezone=True) + datetime.timedelta(minutes=5)
            session.add(row)
    """
    files = {"app/clocks.py": "class timeutils:\n    @staticmethod\n    def utcnow(with_timezone=False):\n        return 0\n",
             "app/leases.py": code}
    assert run(files, "app/leases.py") == []


# --- rows handed to the project's data-access layer --------------------------------------------
def test_due_time_in_a_row_handed_to_a_db_api_create_function_is_flagged():
    code = """
        import datetime

        from scheduler.db import api as db_api


        def schedule_call(job, utc_now_sec):
            execute_at = datetime.datetime.utcnow() + datetime.timedelta(seconds=job.run_after)
            values = {
                "func_name": job.func_name,
                "execute_at": execute_at,
                "captured_at": None,
            }
            return db_api.create_scheduled_job(values)
    """
    assert flagged(code, CLOCK, "scheduler/default.py") == [("ARM104", 8)]


def test_expiry_in_a_row_handed_to_an_insert_function_is_flagged_at_medium():
    code = """
        import time

        from . import dao


        def open_session(user_id, ttl):
            dao.insert_session({"user_id": user_id, "expires_at": time.time() + ttl})
    """
    assert run({"web/sessions.py": code, "web/dao.py": "def insert_session(row):\n    pass\n"},
               "web/sessions.py") == [("ARM104", 8, "medium")]


def test_due_time_in_a_repository_update_dict_is_flagged():
    code = """
        from datetime import datetime, timezone


        class OrderService:
            async def retry(self, repository, order, interval):
                return await repository.update(
                    order,
                    update_dict={"next_payment_attempt_at": datetime.now(timezone.utc) + interval},
                )
    """
    assert run({"shop/orders.py": code}, "shop/orders.py") == [("ARM104", 9, "medium")]


def test_due_time_chosen_on_one_branch_and_written_by_a_repository_is_flagged():
    code = """
        from datetime import datetime, timezone


        async def first_attempt(repository, order, subscription, interval, lapsed):
            if lapsed:
                next_retry_date = subscription.past_due_deadline
            else:
                next_retry_date = datetime.now(timezone.utc) + interval
            return await repository.update(order, update_dict={"next_payment_attempt_at": next_retry_date})
    """
    assert flagged(code, CLOCK, "shop/dunning.py") == [("ARM104", 9)]


def test_rows_without_a_clock_offset_or_with_history_fields_stay_quiet():
    code = """
        from datetime import datetime, timedelta, timezone

        from .db import api as db_api


        def record(job, repository, order, when):
            db_api.create_scheduled_job({"execute_at": when, "created_at": datetime.now(timezone.utc)})
            db_api.create_audit_entry({"logged_at": datetime.now(timezone.utc) + timedelta(seconds=1)})
            repository.update(order, update_dict={"next_payment_attempt_at": None})
            repository.update(order, update_dict={"updated_at": datetime.now(timezone.utc)})
    """
    assert flagged(code, CLOCK, "jobs/records.py") == []


def test_claims_handed_to_a_create_function_keep_the_token_message():
    code = """
        import time

        import jwt


        def create_session_token(secret, user_id):
            claims = {"sub": user_id, "exp": time.time() + 900}
            return jwt.encode(claims, secret, algorithm="HS256")


        def issue(secret, user_id, store):
            store.create_token_row({"sub": user_id, "exp": time.time() + 900})
    """
    report = analyze("auth/tokens.py", textwrap.dedent(code), CLOCK)
    assert [(f.rule, f.line) for f in report.findings] == [("ARM104", 8)]
    assert "JWT" in report.findings[0].message


def test_dict_merged_in_memory_and_cache_writers_stay_quiet():
    code = """
        from datetime import datetime, timedelta, timezone


        def plan(pending, local_cache, delay):
            due = {"next_payment_attempt_at": datetime.now(timezone.utc) + timedelta(seconds=delay)}
            pending.update(due)
            local_cache.update_entry({"next_run_at": datetime.now(timezone.utc) + timedelta(seconds=delay)})
            return pending
    """
    assert flagged(code, CLOCK, "jobs/planner.py") == []


# --- file modification times ---------------------------------------------------------------------
def test_expiry_kept_as_a_file_mtime_is_flagged():
    code = """
        import os
        import time


        def store(filename, payload, timeout):
            with open(filename, "wb") as handle:
                handle.write(payload)
            os.utime(filename, (0, time.time() + timeout))
    """
    assert flagged(code, CLOCK, "filecache/backend.py") == [("ARM104", 9)]


def test_touching_a_file_with_the_current_time_or_a_copied_stamp_is_quiet():
    code = """
        import os
        import time


        def touch(filename, source_stat):
            now = time.time()
            os.utime(filename, (now, now))
            os.utime(filename, (source_stat.st_atime, source_stat.st_mtime))
            os.utime(filename)
    """
    assert flagged(code, CLOCK, "filecache/touch.py") == []
