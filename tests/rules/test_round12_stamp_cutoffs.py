"""Round 12, ARM104: age cut-offs on stamps whose name does not say expiry (`created_at`,
`sent_at`, `*_since`): a stamp moved by a lifetime in a query whose rows are then written, and a
loaded record's stamp compared with this clock where the branch writes, cancels or raises. The
look-alikes keep the same shape: retention purges, day-sized windows, calendar dates, listings,
liveness stamps (ARM301's) and comparisons that decide nothing."""
from __future__ import annotations

import textwrap

from analyzers import analyze

from .helpers import CLOCK, flagged


def _with_confidence(code: str, path: str) -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), CLOCK)
    return [(f.rule, f.line, f.confidence) for f in report.findings]


# --- in a query: the stamp moved by a lifetime -------------------------------------------------
def test_shifted_creation_stamp_in_an_update_query():
    code = """
    import datetime

    from shop.models import Reservation


    def lapse_unpaid_reservations(db):
        Reservation.query.filter(
            Reservation.state == "unpaid",
            (Reservation.created_at + datetime.timedelta(minutes=20))
            <= datetime.datetime.now(datetime.timezone.utc),
        ).update({"state": "lapsed"})
        db.session.commit()
    """
    assert _with_confidence(code, "shop/jobs.py") == [("ARM104", 11, "high")]


def test_shifted_stamp_through_the_name_the_query_is_bound_to():
    code = """
    from datetime import datetime, timedelta

    from shop.models import Basket, BasketLine


    def drop_idle_baskets(session, minutes):
        idle = session.query(Basket.id).filter(
            Basket.touched_on + timedelta(minutes=minutes) < datetime.utcnow(),
        )
        session.query(BasketLine).filter(BasketLine.basket_id.in_(idle.subquery())).delete()
        idle.delete()
    """
    assert flagged(code, CLOCK, "shop/baskets.py") == [("ARM104", 9)]


def test_shifted_stamp_selected_by_a_function_named_for_the_verdict():
    code = """
    from datetime import datetime, timedelta

    from sqlalchemy import select

    from shop.models import Invoice


    def find_overdue_invoices(session, grace: timedelta):
        now = datetime.utcnow()
        return session.scalars(select(Invoice).filter(Invoice.issued_at + grace < now)).all()
    """
    assert _with_confidence(code, "billing/invoices.py") == [("ARM104", 11, "medium")]


def test_shifted_stamp_in_a_listing_is_left_alone():
    code = """
    from datetime import datetime, timedelta

    from blog.models import Post


    def recent_posts(session):
        return session.query(Post).filter(Post.created_at + timedelta(hours=6) > datetime.utcnow()).all()
    """
    assert flagged(code, CLOCK, "blog/feeds.py") == []


def test_shifted_stamp_by_days_is_a_retention_window():
    code = """
    from datetime import datetime, timedelta

    from audit.models import Upload


    def purge_old_uploads(session):
        session.query(Upload).filter(Upload.created_at + timedelta(days=30) < datetime.utcnow()).delete()
    """
    assert flagged(code, CLOCK, "audit/cleanup.py") == []


def test_shifted_calendar_date_is_a_person_s_choice():
    code = """
    from datetime import datetime, timedelta

    from events.models import Talk


    def close_talk_feedback(session):
        session.query(Talk).filter(Talk.ends_at + timedelta(hours=2) < datetime.utcnow()).update({"open": False})
    """
    assert flagged(code, CLOCK, "events/feedback.py") == []


def test_shifted_update_stamp_of_a_worker_row_is_a_liveness_question():
    code = """
    from datetime import datetime, timedelta

    from cluster.models import Worker


    def reap_workers(session):
        session.query(Worker).filter(Worker.updated_at + timedelta(seconds=90) < datetime.utcnow()).delete()
    """
    assert flagged(code, CLOCK, "cluster/reaper.py") == []


def test_shifted_stamp_compared_with_a_cutoff_argument_reads_no_clock():
    code = """
    from datetime import timedelta

    from shop.models import Reservation


    def lapse_before(session, moment):
        session.query(Reservation).filter(Reservation.created_at + timedelta(minutes=20) < moment).delete()
    """
    assert flagged(code, CLOCK, "shop/lapse.py") == []


# --- on a loaded record: the branch acts ---------------------------------------------------
def test_loaded_stamp_plus_lifetime_guards_a_delete_and_a_raise():
    code = """
    from datetime import timedelta

    from django.utils import timezone


    def check_code(code_row, hours):
        lapse = code_row.created_at + timedelta(hours=hours)
        if timezone.now() > lapse:
            code_row.delete()
            raise LookupError("unknown code")
        return code_row
    """
    assert _with_confidence(code, "accounts/serializers.py") == [("ARM104", 9, "medium")]


def test_loaded_since_stamp_against_a_past_cutoff_cancels_a_charge():
    code = """
    from datetime import datetime, timedelta


    def settle(db, payment, account):
        five_minutes_ago = datetime.utcnow() - timedelta(minutes=5)
        if account.flagged_since < five_minutes_ago:
            cancel_payment(db, payment.id, reason="fraud")
        return payment
    """
    assert flagged(code, CLOCK, "payments/settle.py") == [("ARM104", 7)]


def test_loaded_stamp_age_decides_a_status():
    code = """
    import time


    def review(request_row, limit):
        if time.time() - request_row.sent_ts > limit:
            request_row.status = "stale"
            request_row.save()
    """
    assert flagged(code, CLOCK, "support/review.py") == [("ARM104", 6)]


def test_loaded_stamp_comparison_that_only_shows_is_left_alone():
    code = """
    from datetime import datetime, timedelta


    def badge(order):
        cutoff = datetime.utcnow() - timedelta(minutes=30)
        if order.created_at < cutoff:
            return "old"
        return "new"
    """
    assert flagged(code, CLOCK, "shop/labels.py") == []


def test_loaded_stamp_against_a_day_window_is_left_alone():
    code = """
    from datetime import datetime, timedelta


    def prune(entry):
        if entry.created_at < datetime.utcnow() - timedelta(days=90):
            entry.delete()
    """
    assert flagged(code, CLOCK, "history/prune.py") == []


def test_loaded_start_date_is_a_calendar_setting():
    code = """
    from datetime import datetime, timedelta


    def open_doors(event):
        if event.starts_at - timedelta(minutes=30) < datetime.utcnow():
            event.status = "open"
            event.save()
    """
    assert flagged(code, CLOCK, "events/doors.py") == []


def test_loaded_heartbeat_is_arm301_s_question():
    code = """
    from datetime import datetime, timedelta


    def sweep(agent):
        if agent.last_heartbeat < datetime.utcnow() - timedelta(seconds=30):
            agent.status = "down"
            agent.save()
    """
    assert flagged(code, CLOCK, "fleet/sweep.py") == []


def test_stamp_this_process_keeps_in_a_cache_is_arm103_s():
    code = """
    import time


    class MemoryCache:
        def get(self, entry, ttl):
            if time.time() - entry.created_ts > ttl:
                self.delete(entry.key)
                return None
            return entry.value
    """
    assert flagged(code, CLOCK, "app/memory_cache.py") == [("ARM103", 7)]  # an in-process deadline


def test_loaded_stamp_refreshed_at_a_cadence_is_left_alone():
    code = """
    import time


    def refresh_usage(api_key, refresh_interval):
        if time.time() - api_key.used_ts > refresh_interval:
            api_key.used_ts = time.time()
            api_key.save(update_fields=["used_ts"])
    """
    assert [f for f in flagged(code, CLOCK, "keys/usage.py") if f[0] == "ARM104"] == []


def test_loaded_service_update_stamp_is_a_liveness_question():
    code = """
    from datetime import datetime, timedelta


    def mark_down(service, down_after):
        if service.updated_at < datetime.utcnow() - timedelta(seconds=down_after):
            service.status = "down"
            service.save()
    """
    assert flagged(code, CLOCK, "fleet/services.py") == []
