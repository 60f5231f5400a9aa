"""ARM103 (in-process deadlines on the wall clock) and ARM104 (wall-clock expiries persisted or
sent): realistic code, exact ids and lines, look-alikes that must stay quiet, and fixes checked
byte for byte."""
from __future__ import annotations

import textwrap

import pytest

from analyzers import Settings, analyze, apply_edits

BOTH = Settings(select=frozenset({"ARM103", "ARM104"}))


def flagged(code: str, settings: Settings = BOTH, path: str = "app/module.py"):
    report = analyze(path, textwrap.dedent(code), settings)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


def findings(code: str, settings: Settings = BOTH):
    return analyze("app/module.py", textwrap.dedent(code), settings).findings


def fixed_text(code: str) -> str:
    code = textwrap.dedent(code)
    found = [f for f in analyze("app/module.py", code, BOTH).findings if f.fix]
    assert len(found) == 1, found
    return apply_edits(code, found[0].fix.edits)


# --- ARM103: flagged ------------------------------------------------------------------------

WORKER_LOOP = """\
import time

import redis

r = redis.Redis()


def drain(queue, budget_seconds=20):
    deadline = time.time() + budget_seconds
    processed = 0
    while True:
        if time.time() >= deadline:
            break
        item = r.lpop(queue)
        if item is None:
            time.sleep(0.2)
            continue
        handle(item)
        processed += 1
    return processed
"""


def test_rq_style_drain_loop_deadline_is_flagged_at_the_deadline():
    assert flagged(WORKER_LOOP) == [("ARM103", 9)]


def test_drain_loop_fix_rewrites_both_readings_exactly():
    expected = WORKER_LOOP.replace("deadline = time.time()", "deadline = time.monotonic()").replace(
        "if time.time() >= deadline", "if time.monotonic() >= deadline"
    )
    result = fixed_text(WORKER_LOOP)
    assert result == expected
    assert flagged(result) == []


def test_alias_import_is_resolved_and_fix_keeps_the_alias():
    code = """\
    import time as clock

    def poll(fetch, timeout):
        start = clock.time()
        while clock.time() - start < timeout:
            value = fetch()
            if value is not None:
                return value
            clock.sleep(1)
        raise TimeoutError
    """
    assert flagged(code) == [("ARM103", 4)]
    result = fixed_text(code)
    assert "start = clock.monotonic()" in result
    assert "while clock.monotonic() - start < timeout" in result
    assert result.count("clock.time()") == 0
    assert flagged(result) == []


def test_from_time_import_time_is_flagged_without_a_fix():
    code = """\
    from time import time, sleep

    def wait_ready(service, timeout=30):
        deadline = time() + timeout
        while not service.ready():
            if time() > deadline:
                raise TimeoutError("service not ready")
            sleep(0.5)
    """
    found = findings(code)
    assert [(f.rule, f.line) for f in found] == [("ARM103", 4)]
    assert found[0].fix is None


def test_async_celery_style_poll_with_elapsed_variable():
    code = """\
    import asyncio
    import time

    JOB_TIMEOUT = 120


    async def wait_for_result(client, task_id):
        started = time.time()
        while True:
            result = await client.get(task_id)
            if result.ready:
                return result.value
            elapsed = time.time() - started
            if elapsed > JOB_TIMEOUT:
                raise asyncio.TimeoutError(task_id)
            await asyncio.sleep(1)
    """
    assert flagged(code) == [("ARM103", 8)]
    result = fixed_text(code)
    assert "started = time.monotonic()" in result and "elapsed = time.monotonic() - started" in result
    assert flagged(result) == []


def test_in_memory_ttl_cache_across_methods_is_flagged_without_fix():
    code = """\
    import time


    class ConfigCache:
        def __init__(self, loader, ttl=60):
            self._loader = loader
            self._ttl = ttl
            self._value = None
            self._loaded_at = 0

        def get(self):
            if self._value is None or time.time() - self._loaded_at > self._ttl:
                self._value = self._loader()
                self._loaded_at = time.time()
            return self._value
    """
    found = findings(code)
    assert [(f.rule, f.line) for f in found] == [("ARM103", 14)]
    assert found[0].fix is None  # a `self.` attribute may be read elsewhere


def test_in_process_lease_with_datetime_is_flagged_with_datetime_advice():
    code = """\
    from datetime import datetime as dt, timedelta


    class LocalLease:
        def acquire(self, seconds):
            self.expires_at = dt.now() + timedelta(seconds=seconds)

        def held(self):
            return dt.now() < self.expires_at
    """
    found = findings(code)
    assert [(f.rule, f.line) for f in found] == [("ARM103", 6)]
    assert "monotonic" in found[0].message and found[0].fix is None


def test_deadline_compared_through_a_now_variable():
    code = """\
    import time

    def run_batch(jobs, budget=5.0):
        end = time.time() + budget
        for job in jobs:
            now = time.time()
            if now > end:
                return False
            job()
        return True
    """
    assert flagged(code) == [("ARM103", 4)]
    result = fixed_text(code)
    assert result.count("time.monotonic()") == 2 and flagged(result) == []


def test_remaining_time_check_and_sleep_of_a_duration_is_fixable():
    code = """\
    import time

    def retry(op, timeout=10.0):
        deadline = time.time() + timeout
        while True:
            try:
                return op()
            except IOError:
                remaining = deadline - time.time()
                if remaining <= 0:
                    raise
                time.sleep(min(1.0, remaining))
    """
    assert flagged(code) == [("ARM103", 4)]
    result = fixed_text(code)
    assert result.count("time.monotonic()") == 2 and "time.time" not in result


def test_module_level_script_loop():
    code = """\
    import time

    deadline = time.time() + 60
    while time.time() < deadline:
        print("waiting")
        time.sleep(5)
    """
    assert flagged(code) == [("ARM103", 3)]


def test_nested_function_has_its_own_deadline():
    code = """\
    import time

    def make_waiter(timeout):
        def wait(check):
            deadline = time.time() + timeout
            while time.time() < deadline:
                if check():
                    return True
            return False
        return wait
    """
    assert flagged(code) == [("ARM103", 5)]


def test_deadline_that_is_also_returned_is_flagged_but_not_fixed():
    code = """\
    import time

    def start_window(seconds):
        deadline = time.time() + seconds
        if time.time() > deadline:
            raise RuntimeError("clock went backwards?")
        return deadline
    """
    found = findings(code)
    assert [(f.rule, f.line) for f in found] == [("ARM103", 4)]
    assert found[0].fix is None


def test_deadline_parameter_default_blocks_the_fix():
    code = """\
    import time

    def wait(event, timeout=5, deadline=None):
        if deadline is None:
            deadline = time.time() + timeout
        while time.time() < deadline:
            if event.is_set():
                return True
        return False
    """
    found = findings(code)
    assert [(f.rule, f.line) for f in found] == [("ARM103", 5)]
    assert found[0].fix is None  # callers may pass a wall-clock deadline


def test_start_also_logged_blocks_the_fix():
    code = """\
    import logging
    import time

    log = logging.getLogger(__name__)

    def wait(check, timeout):
        start = time.time()
        log.info("waiting since %s", start)
        while time.time() - start < timeout:
            if check():
                return
    """
    found = findings(code)
    assert [(f.rule, f.line) for f in found] == [("ARM103", 7)]
    assert found[0].fix is None


def test_elapsed_logged_alongside_is_rewritten_too():
    code = """\
    import logging
    import time

    log = logging.getLogger(__name__)

    def wait(check, timeout):
        start = time.time()
        while time.time() - start < timeout:
            if check():
                break
        log.info("waited %.1fs", time.time() - start)
    """
    result = fixed_text(code)
    assert result.count("time.monotonic()") == 3 and "time.time" not in result
    assert flagged(result) == []


def test_suppression_comment_silences_arm103():
    code = """\
    import time

    def wait(check, timeout):
        deadline = time.time() + timeout  # armadilhas: ignore[ARM103]
        while time.time() < deadline:
            check()
    """
    assert flagged(code) == []


# --- ARM103: not flagged ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "code",
    [
        # monotonic and perf_counter
        """\
        import time
        def wait(check, timeout):
            deadline = time.monotonic() + timeout
            while time.perf_counter() < deadline:
                check()
        """,
        # plain created_at stamp and display
        """\
        from datetime import datetime
        def create_post(db, title):
            post = {"title": title, "created_at": datetime.utcnow()}
            db.posts.insert_one(post)
            print("created at", datetime.now().strftime("%H:%M"))
        """,
        # file name from the clock
        """\
        import time
        def backup_name(prefix):
            return f"{prefix}-{int(time.time())}.tar.gz"
        """,
        # (a stored expiry compared with the clock is ARM104's: test_round10_clock_stored.py)
        # business-hours check: a field of now, not a deadline
        """\
        from datetime import datetime
        def is_open():
            return 9 <= datetime.now().hour < 18
        """,
        # comparison with a fixed calendar date
        """\
        from datetime import datetime
        def promo_active():
            return datetime.now() < datetime(2030, 1, 1)
        """,
        # elapsed time only logged
        """\
        import time, logging
        logger = logging.getLogger(__name__)
        def timed(fn):
            t0 = time.time()
            fn()
            logger.info("took %.3f", time.time() - t0)
        """,
        # a local variable named like the module
        """\
        def report(rows, time):
            total = time.elapsed + 3
            return total > 10
        """,
    ],
)
def test_arm103_look_alikes_are_not_flagged(code):
    assert flagged(code) == []


# --- ARM104: flagged --------------------------------------------------------------------------

def test_flask_sqlalchemy_session_add_of_model_with_expiry():
    code = """\
    from datetime import datetime, timedelta

    from flask import Blueprint

    from .db import db
    from .models import PasswordReset

    bp = Blueprint("auth", __name__)


    @bp.post("/password/forgot")
    def forgot(email, token):
        reset = PasswordReset(
            email=email,
            token=token,
            expires_at=datetime.utcnow() + timedelta(hours=1),
        )
        db.session.add(reset)
        db.session.commit()
        return {"ok": True}
    """
    assert flagged(code) == [("ARM104", 16)]


def test_session_add_of_inline_constructor():
    code = """\
    import datetime as dt

    def grant(session, user, ttl):
        session.add(Grant(user_id=user.id, valid_until=dt.datetime.now(dt.timezone.utc) + ttl))
        session.commit()
    """
    assert flagged(code) == [("ARM104", 4)]


def test_attribute_assignment_then_save_django():
    code = """\
    from datetime import timedelta

    from django.utils import timezone


    def extend(subscription, days):
        subscription.expires_at = timezone.now() + timedelta(days=days)
        subscription.save(update_fields=["expires_at"])
    """
    assert flagged(code) == [("ARM104", 7)]


def test_django_update_of_queryset():
    code = """\
    from datetime import timedelta
    from django.utils import timezone
    from .models import ApiKey

    def rotate(owner):
        ApiKey.objects.filter(owner=owner).update(expires_at=timezone.now() + timedelta(days=90))
    """
    assert flagged(code) == [("ARM104", 6)]


def test_sql_parameters_via_named_dict_and_sqlalchemy_text():
    code = """\
    import time

    from sqlalchemy import text

    LEASE_SECONDS = 30


    def take_lease(conn, job_id, worker):
        lease_until = time.time() + LEASE_SECONDS
        conn.execute(
            text("UPDATE jobs SET owner = :w, lease_until = to_timestamp(:u) WHERE id = :id"),
            {"w": worker, "u": lease_until, "id": job_id},
        )
    """
    assert flagged(code) == [("ARM104", 9)]


def test_asyncpg_positional_parameters_in_fastapi_handler():
    code = """\
    from datetime import datetime, timedelta, timezone

    from fastapi import APIRouter

    router = APIRouter()
    INSERT = "insert into magic_links (token, email, expires_at) values ($1, $2, $3)"


    @router.post("/magic-link")
    async def magic_link(email: str, token: str, pool):
        expires = datetime.now(timezone.utc) + timedelta(minutes=10)
        async with pool.acquire() as conn:
            await conn.execute(INSERT, token, email, expires)
        return {"sent": True}
    """
    assert flagged(code) == [("ARM104", 11)]


def test_redis_expireat_with_client_timestamp():
    code = """\
    import time

    def remember(r, key, value, seconds):
        r.set(key, value)
        r.expireat(key, int(time.time()) + seconds)
    """
    found = findings(code)
    assert [(f.rule, f.line) for f in found] == [("ARM104", 5)]
    assert "Redis" in found[0].message


def test_celery_task_expiry_sent_to_workers():
    code = """\
    from datetime import datetime, timedelta

    from .tasks import send_digest

    def schedule(user_id):
        send_digest.apply_async(args=[user_id], expires=datetime.utcnow() + timedelta(minutes=30))
    """
    assert flagged(code) == [("ARM104", 6)]


def test_jwt_exp_via_subscript_assignment_gets_the_pragmatic_message():
    code = """\
    import time

    import jwt

    def sign(claims, key):
        payload = dict(claims)
        payload["exp"] = int(time.time()) + 900
        return jwt.encode(payload, key, algorithm="HS256")
    """
    found = findings(code)
    assert [(f.rule, f.line) for f in found] == [("ARM104", 7)]
    assert "leeway" in found[0].message


def test_pt_br_message():
    code = """\
    import time
    import jwt

    def sign(key):
        return jwt.encode({"exp": time.time() + 60}, key)
    """
    found = findings(code, Settings(select=frozenset({"ARM104"}), language="pt-BR"))
    assert [(f.rule, f.line) for f in found] == [("ARM104", 5)]
    assert "tolerância" in found[0].message


def test_persisted_expiry_also_checked_locally_is_reported_once_as_arm104():
    code = """\
    import time

    def refresh(cur, sid):
        expires = time.time() + 3600
        cur.execute("UPDATE sessions SET expires_at = to_timestamp(%s) WHERE id = %s", (expires, sid))
        if time.time() > expires:
            raise RuntimeError
    """
    assert flagged(code) == [("ARM104", 4)]


def test_arm103_alone_does_not_take_over_a_persisted_expiry():
    code = """\
    import time

    def refresh(cur, sid):
        expires = time.time() + 3600
        cur.execute("UPDATE sessions SET expires_at = to_timestamp(%s) WHERE id = %s", (expires, sid))
        if time.time() > expires:
            raise RuntimeError
    """
    assert flagged(code, Settings(select=frozenset({"ARM103"}))) == []


# --- ARM104: not flagged ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "code",
    [
        # database computes the expiry
        """\
        def create(cur, token):
            cur.execute("insert into tokens (token, expires_at) values (%s, now() + interval '1 day')", (token,))
        """,
        # relative TTLs
        """\
        def cache(r, django_cache, key, value):
            r.setex(key, 300, value)
            r.set(key, value, ex=300)
            django_cache.set(key, value, timeout=300)
        """,
        # created_at stamps are not expiries
        """\
        from datetime import datetime
        def log_event(session, Event, kind):
            session.add(Event(kind=kind, created_at=datetime.utcnow()))
            session.commit()
        """,
        # read query with a cutoff
        """\
        from datetime import datetime, timedelta
        def recent(cur):
            cur.execute("select * from orders where created_at > %s", (datetime.utcnow() - timedelta(days=7),))
            return cur.fetchall()
        """,
        # Django lookups compare, they do not write
        """\
        from datetime import timedelta
        from django.utils import timezone
        def expiring(Token):
            return Token.objects.filter(expires_at__lt=timezone.now() + timedelta(days=3))
        """,
        # in-memory object that is never persisted
        """\
        import time
        def make_lease(Lease, holder):
            return Lease(holder=holder, expires_at=time.time() + 30)
        """,
        # expiry made from the database's clock
        """\
        from datetime import timedelta
        from sqlalchemy import func
        def grant(session, Grant, user):
            session.add(Grant(user_id=user.id, expires_at=func.now() + timedelta(hours=1)))
        """,
    ],
)
def test_arm104_look_alikes_are_not_flagged(code):
    assert flagged(code) == []


def test_unparsable_and_empty_input_give_notes_not_crashes():
    assert analyze("app/x.py", "import time\ndef f(:\n  time.time()\n", BOTH).findings == []
    assert analyze("app/x.py", "", BOTH).findings == []


# --- display code: progress bars and spinners read the clock for people, not for decisions ---
PROGRESS_BAR = '''\
import time


class ProgressBar:
    def __init__(self, total):
        self.total = total
        self.start = self.last_eta = time.time()

    def make_step(self, done):
        now = time.time()
        if now - self.last_eta < 1.0:
            return
        self.last_eta = now
        rate = done / (now - self.start)
        print(f"eta {(self.total - done) / rate:.0f}s")
'''

THROTTLED_SYNC = '''\
import time


class RateLimiter:
    def __init__(self, min_interval):
        self.min_interval = min_interval
        self.last = 0.0

    def ready(self):
        now = time.time()
        return now - self.last >= self.min_interval

    def mark(self):
        self.last = time.time()
'''


def test_progress_bar_eta_is_display_not_a_deadline():
    report = analyze("app/progress.py", PROGRESS_BAR, Settings(select=frozenset({"ARM103"})))
    assert report.findings == []


def test_rate_limiter_on_the_wall_clock_is_still_flagged():
    report = analyze("app/limits.py", THROTTLED_SYNC, Settings(select=frozenset({"ARM103"})))
    assert [(f.rule, f.line) for f in report.findings] == [("ARM103", 10)]


def test_arm104_message_says_where_the_expiry_goes():
    code = '''\
from datetime import datetime, timedelta, timezone

from .models import Token
from .tasks import report


def issue(user):
    Token.objects.create(user=user, expires_at=datetime.now(timezone.utc) + timedelta(hours=1))


def schedule(user):
    report.s(user.id).set(expires=datetime.now(timezone.utc) + timedelta(minutes=5)).delay()
'''
    report = analyze("app/tokens.py", code, Settings(select=frozenset({"ARM104"})))
    by_line = {f.line: f.message for f in report.findings}
    assert sorted(by_line) == [8, 12]
    assert "written to the database by `Token.objects.create(expires_at=...)`" in by_line[8]
    assert "stored or sent by `set(expires=...)`" in by_line[12]
    assert "written to the database" not in by_line[12]
