"""Round 10, ARM104: this node's wall clock judged against times read back from shared storage
(loaded records, the web session), query cutoffs that age other nodes' stamps, and date-level
readings of the clock."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

from .helpers import CLOCK, flagged


def _with_confidence(code: str, path: str = "app/module.py") -> list[tuple[str, int, str]]:
    report = analyze(path, textwrap.dedent(code), CLOCK)
    return [(f.rule, f.line, f.confidence) for f in report.findings]


# --- date-level readings -------------------------------------------------------------------
def test_todays_date_against_a_stored_expiry_date():
    code = """
    import datetime

    from django.db import models
    from django.utils import timezone


    class Membership(models.Model):
        valid_until = models.DateField()

        def lapsed(self):
            return self.valid_until < timezone.localdate()


    def close_lapsed_memberships():
        Membership.objects.filter(valid_until__lt=datetime.date.today()).update(active=False)
    """
    assert flagged(code, CLOCK, "members/models.py") == [("ARM104", 12), ("ARM104", 16)]


def test_localdate_of_a_given_value_is_a_conversion():
    code = """
    from django.utils import timezone

    from .models import Membership


    def renewals_on(moment):
        return Membership.objects.filter(valid_until__lt=timezone.localdate(moment))
    """
    assert flagged(code, CLOCK, "members/renewals.py") == []


# --- stored times on loaded records ----------------------------------------------------------
def test_loaded_row_expiry_against_this_clock():
    code = """
    from datetime import datetime, timezone

    from .models import ApiKey


    def resolve(raw):
        key = ApiKey.objects.select_related("owner").get(digest=raw)
        if key.valid_to <= datetime.now(timezone.utc):
            key.delete()
            return None
        return key.owner
    """
    assert _with_confidence(code, "auth/keys.py") == [("ARM104", 9, "high")]


def test_stored_stamp_aged_by_a_lifetime_is_medium():
    code = """
    import time

    GRANT_LIFETIME = 600


    def redeem(store, code):
        grant = store.load(code)
        if grant.issued_ts + GRANT_LIFETIME < time.time():
            raise PermissionError("grant expired")
        return grant.user_id


    def idle_too_long(device, max_idle):
        return time.time() - device.last_used_at > max_idle
    """
    assert _with_confidence(code, "auth/grants.py") == [("ARM104", 9, "medium"), ("ARM104", 15, "medium")]


def test_session_stamp_and_expiry_against_this_clock():
    code = """
    import time


    def step_up_required(request, window):
        confirmed = request.session.get("mfa_confirmed_ts")
        return confirmed is None or time.time() - confirmed > window


    def id_token_current(request):
        until = request.session.get("id_token_expires", 0)
        now = time.time()
        if until > now:
            return True
        return False
    """
    assert _with_confidence(code, "auth/middleware.py") == [("ARM104", 7, "medium"), ("ARM104", 12, "high")]


def test_stored_times_look_alikes_stay_quiet():
    code = """
    import time
    from datetime import datetime, timezone

    from django.db import models

    log = __import__("logging").getLogger(__name__)


    class Workshop(models.Model):
        starts_on = models.DateTimeField()

        def open_for_signup(self):
            # a date a person chose on the calendar, not a stamp
            return self.starts_on > datetime.now(timezone.utc)


    def running(campaign):
        return campaign.start_time <= datetime.now(timezone.utc)


    def replayed(request, window):
        sent = float(request.headers["X-Signed-At"])
        return time.time() - sent > window


    def note_quiet(peer, limit):
        if time.time() - peer.heard_at > limit:
            log.info("peer %s quiet", peer.name)


    def provider_fresh(payload):
        return payload["issued_at"] > time.time() - 86400


    class LocalEntry:
        def __init__(self, ttl):
            self.expires = time.time() + ttl


    def alive(entry):
        return entry.expires > time.time()


    def touch_throttled(key, refresh_interval):
        # a cadence for refreshing a stamp, not a lifetime that ends access
        if time.time() - key.last_used_at >= refresh_interval:
            key.save(update_fields=["last_used_at"])


    class MemoCache:
        def purge(self):
            now = time.time()
            return [k for k, item in self.items.items() if item.expires_at <= now]
    """
    assert [f for f in flagged(code, CLOCK, "events/signup.py") if f[0] == "ARM104"] == []


# --- query cutoffs ---------------------------------------------------------------------------
def test_cutoff_deleting_expired_rows():
    code = """
    from datetime import datetime, timedelta

    import sqlalchemy as sa

    from .models import Nonce, UploadSlot


    def drop_expired_nonces(session, ttl):
        cutoff = datetime.utcnow() - timedelta(seconds=ttl)
        session.execute(sa.delete(Nonce).where(Nonce.minted_at < cutoff))


    def release_stale_slots():
        UploadSlot.objects.filter(reserved_on__lt=datetime.utcnow() - timedelta(minutes=15), stale=False).update(stale=True)
    """
    assert _with_confidence(code, "uploads/maintenance.py") == [("ARM104", 10, "high"), ("ARM104", 15, "high")]


def test_cutoff_selecting_expired_rows_is_medium():
    code = """
    from datetime import timedelta

    from django.db.models import Q
    from django.utils import timezone


    def expired_invitations_q(hours):
        expiry_threshold = timezone.now() - timedelta(hours=hours)
        return Q(mailed__lt=expiry_threshold)
    """
    assert _with_confidence(code, "invites/queries.py") == [("ARM104", 9, "medium")]


def test_cutoff_look_alikes_stay_quiet():
    code = """
    from datetime import timedelta

    from django.utils import timezone

    from .models import Comment, Visit


    def drop_old_visits(days):
        Visit.objects.filter(seen_on__lt=timezone.now() - timedelta(days=days)).delete()


    def latest_comments():
        return Comment.objects.filter(posted_at__gte=timezone.now() - timedelta(hours=6))


    def agents_gone(Agent):
        return Agent.objects.filter(last_heartbeat__lt=timezone.now() - timedelta(seconds=45)).update(up=False)


    def drop_expired_accounts(Account):
        # a window of days: seconds of skew decide nothing
        Account.objects.filter(last_login_at__lt=timezone.now() - timedelta(days=90)).delete()
    """
    assert [f for f in flagged(code, Settings(select=frozenset({"ARM104"})), "stats/cleanup.py")] == []


def test_expiry_renewed_on_a_loaded_record_and_checked_in_the_same_file():
    code = """
    from datetime import timedelta

    from django.utils import timezone


    def renew(grant, lifetime):
        grant.valid_until = timezone.now() + lifetime
        grant.save(update_fields=["valid_until"])


    def check(grant):
        if grant.valid_until < timezone.now():
            grant.delete()
            return False
        return True
    """
    assert flagged(code, CLOCK, "grants/service.py") == [("ARM104", 8), ("ARM104", 13)]
