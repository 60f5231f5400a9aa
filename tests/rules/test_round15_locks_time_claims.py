"""Round 15: a record claimed by time, whatever its fields are called. A write that stamps a
field with the time and wins only while the stamp already there is absent or older than a
bound is a lease: the winner holds the record until its own stamp grows old, then the next
caller takes it over while the first may still be working. Spelt in SQL (`_time_claims`, ARM202)
and through Django or SQLAlchemy (`_lock_time_claims`, ARM201). Look-alikes: a throttle (no
taker, nothing handed on), a counter capped by a bound, a version compared as a fence, a
heartbeat stamp, a claim of rows nobody ever takes over by age."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

from .helpers import flagged

LOCKS = Settings(select=frozenset({"ARM201", "ARM202"}))


def flagged_sql(code: str, path: str = "db/queries.sql") -> list[tuple[str, int]]:
    report = analyze(path, textwrap.dedent(code), LOCKS)
    return [(f.rule, f.line) for f in report.findings]


# --- SQL inside Python -----------------------------------------------------------------------


def test_row_taken_over_once_its_stamp_is_old_is_flagged_at_the_statement():
    code = '''
    import datetime

    TABLE = "process_lock"


    class Store:
        def take(self, name, me, interval):
            sql = f"UPDATE {TABLE} SET ownerHost=:me,stampTime=:now "
            sql += "WHERE name=:name AND stampTime<=:limit "
            now = datetime.datetime.utcnow()
            self.execute(sql, {":me": me, ":now": now, ":name": name,
                               ":limit": now - datetime.timedelta(seconds=interval)})
            return self.cur.rowcount > 0

        def add(self, name):
            self.execute("INSERT INTO audit (name) VALUES (:n)", {":n": name})
    '''
    assert flagged(code, LOCKS, "app/store.py") == [("ARM202", 9)]


def test_row_taken_when_unstamped_or_stale_in_one_string_is_flagged():
    code = '''
    class Queues:
        def take_site(self, site, me):
            sql = (
                "UPDATE panda_queues SET submitTime=:t,lockedBy=:me "
                "WHERE siteName=:site "
                "AND (submitTime IS NULL OR submitTime<:limit) "
            )
            self.execute(sql, {":site": site})
            return self.cur.rowcount

        def log(self, line):
            self.execute("INSERT INTO log (line) VALUES (:l)", {":l": line})
    '''
    assert flagged(code, LOCKS, "app/queues.py") == [("ARM202", 5)]


def test_throttle_counter_fence_and_heartbeat_updates_stay_quiet():
    code = '''
    class Store:
        def throttle(self, key):
            # spaces a repeated action out: nobody takes the row, nothing is handed on
            self.execute("UPDATE limits SET last_sent = now() WHERE k = %s AND last_sent < now() - interval '1 minute'", (key,))

        def bump(self, key, me):
            # a counter under a cap is not a stamp
            self.execute("UPDATE quotas SET used = used + 1, owner_id = %s WHERE k = %s AND used < 10", (me, key))

        def fenced(self, key, token):
            self.execute("UPDATE docs SET body_at = now(), last_token = %s WHERE k = %s AND last_token < %s", (token, key, token))

        def beat(self, worker):
            self.execute("UPDATE workers SET heartbeat_at = now(), host = %s WHERE id = %s", (worker, worker))

        def record(self, key):
            self.execute("INSERT INTO audit (k) VALUES (%s)", (key,))
    '''
    assert flagged(code, LOCKS, "app/store.py") == []


# --- SQL files ---------------------------------------------------------------------------------


def test_visibility_claim_returning_rows_in_a_routine_is_flagged():
    code = """
    create function poll(batch int) returns setof msgs as $$
    begin
        return query update msgs
        set visible_after = now() + msgs.backoff,
            tries = msgs.tries - 1
        from (select id from msgs where msgs.visible_after <= now() limit batch) as picked
        where msgs.id = picked.id
        returning msgs.id, msgs.body;
    end $$ language plpgsql;
    """
    assert flagged_sql(code) == [("ARM202", 4)]


def test_visibility_claim_that_bumps_and_returns_a_read_count_stays_quiet():
    code = """
    create function poll(batch int) returns setof msgs as $$
    begin
        return query update msgs
        set visible_after = now() + interval '30 seconds',
            read_count = read_count + 1
        from (select id from msgs where msgs.visible_after <= now() limit batch) as picked
        where msgs.id = picked.id
        returning msgs.id, msgs.read_count, msgs.body;
    end $$ language plpgsql;
    """
    assert flagged_sql(code) == []


def test_claim_in_a_query_file_with_other_names_is_flagged_and_a_plain_marker_is_not():
    code = """
    -- name: TakeJob :one
    update jobs set picker = $1, picked_time = now()
    where id = $2 and (picked_time is null or picked_time < now() - interval '5 minutes');

    -- name: MarkSeen :exec
    update jobs set seen_time = now(), reader = $1 where id = $2 and seen_time is null;
    """
    assert flagged_sql(code) == [("ARM202", 3)]


# --- Django and SQLAlchemy -------------------------------------------------------------------


def test_django_stamp_claimed_when_empty_and_taken_over_when_old_is_flagged_at_each_claim():
    code = '''
    import contextlib

    from django.utils import timezone

    from .models import Task

    LIMIT = 7200


    @contextlib.contextmanager
    def hold(name):
        now = timezone.now()
        if Task.objects.filter(name=name, running_since=None).update(running_since=now) == 1:
            yield
            Task.objects.filter(name=name).update(running_since=None)
            return
        task = Task.objects.get(name=name)
        if (now - task.running_since).seconds > LIMIT:
            if Task.objects.filter(name=name, running_since=task.running_since).update(running_since=now) == 1:
                yield
                Task.objects.filter(name=name).update(running_since=None)
                return
        raise RuntimeError(name)
    '''
    assert flagged(code, LOCKS, "app/tasks.py") == [("ARM201", 14), ("ARM201", 20)]


def test_sqlalchemy_rows_stamped_with_a_taker_after_selecting_them_by_age_are_flagged():
    code = '''
    import datetime

    from sqlalchemy import or_, select, update

    from .models import Transfer


    def pick(session, me, delay):
        rows = session.execute(select(Transfer.id).where(
            or_(Transfer.picked_at.is_(None),
                Transfer.picked_at < datetime.datetime.utcnow() - datetime.timedelta(seconds=delay))
        )).scalars().all()
        session.execute(update(Transfer).where(Transfer.id.in_(rows)).values({
            Transfer.picked_by: me,
            Transfer.picked_at: datetime.datetime.utcnow(),
        }))
        return rows
    '''
    assert ("ARM201", 16) in flagged(code, LOCKS, "app/pick.py")


def test_orm_look_alikes_stay_quiet():
    code = '''
    import datetime

    from django.utils import timezone
    from sqlalchemy import update

    from .models import Mail, Page, Transfer


    def mark_sent(mail_id):
        # a once-only marker: claimed when empty, never aged, never given back
        return Mail.objects.filter(id=mail_id, sent_at=None).update(sent_at=timezone.now())


    def touch(page_id, cutoff):
        # refreshed when old, but nobody takes it and it is never given back: a throttle
        Page.objects.filter(id=page_id, refreshed_at__lt=cutoff).update(refreshed_at=timezone.now())


    def stamp(session, ids, me):
        # stamped with a taker, but no age test anywhere in the function
        session.execute(update(Transfer).where(Transfer.id.in_(ids)).values({
            Transfer.picked_by: me,
            Transfer.picked_at: datetime.datetime.utcnow(),
        }))
    '''
    assert flagged(code, LOCKS, "app/marks.py") == []
