"""ARM104 on shared stores real projects keep: a model's stored expiry checked against this
server's clock, sorted-set scores stamped and swept by the app clock, due jobs picked by
`zrangebyscore(..., max=now)`, retry scores moved with `zincrby`, and an expiry copied through
another variable before it is written."""
from __future__ import annotations

from .helpers import CLOCK, flagged


def test_model_method_compares_its_stored_expiry_with_the_app_clock():
    code = """
    from django.db import models
    from django.utils import timezone


    class ApiKey(models.Model):
        expires_at = models.DateTimeField()

        def is_expired(self):
            if not self.expires_at:
                return True
            return timezone.now() >= self.expires_at
    """
    assert flagged(code, CLOCK, "keys/models.py") == [("ARM104", 12)]


def test_stamp_scored_in_a_sorted_set_swept_by_age():
    code = """
    import time
    import uuid


    class Slots:
        def __init__(self, redis, key, limit, max_age):
            self.redis, self.key, self.limit, self.max_age = redis, key, limit, max_age

        def take(self):
            holder = str(uuid.uuid4())
            stamp = time.time()
            pipe = self.redis.pipeline()
            pipe.zremrangebyscore(self.key, "-inf", stamp - self.max_age)
            pipe.zadd(self.key, {holder: stamp})
            pipe.zrank(self.key, holder)
            return holder if pipe.execute()[-1] < self.limit else None
    """
    assert flagged(code, CLOCK, "app/slots.py") == [("ARM104", 15)]


def test_zadd_arguments_built_beforehand_and_swept_elsewhere():
    code = """
    from time import time


    class Unacked:
        def remember(self, client, tag):
            args = [{tag: time()}]
            client.zadd(self.index_key, *args)

        def restore(self, client, timeout):
            ceiling = time() - timeout
            for tag, _ in client.zrevrangebyscore(self.index_key, ceiling, 0, withscores=True):
                self.requeue(tag)
    """
    assert flagged(code, CLOCK, "app/unacked.py") == [("ARM104", 7)]


def test_due_jobs_picked_by_score_against_the_local_clock():
    code = """
    from app.utils import now_ms


    class Poller:
        async def poll(self, redis, queue):
            now = now_ms()
            ids = await redis.zrangebyscore(queue, min=float("-inf"), max=now)
            return ids
    """
    assert flagged(code, CLOCK, "app/poller.py") == [("ARM104", 8)]


def test_retry_score_moved_by_the_local_clock():
    code = """
    import time


    class Worker:
        def fail(self, tr, queue, job_id, score, backoff_ms):
            bump = backoff_ms + (int(time.time() * 1000) - score)
            tr.zincrby(queue, bump, job_id)
    """
    assert flagged(code, CLOCK, "app/worker.py") == [("ARM104", 7)]


def test_expiry_copied_through_another_variable_is_reported_where_computed():
    code = """
    from datetime import datetime, timedelta


    def cache_introspection(token, content, seconds):
        limit = datetime.now() + timedelta(seconds=seconds)
        expires = limit
        if "exp" in content:
            expires = datetime.utcfromtimestamp(content["exp"])
        Token.objects.update_or_create(token=token, defaults={"expires": expires})
    """
    assert flagged(code, CLOCK, "app/introspect.py") == [("ARM104", 6)]


# --- look-alikes -------------------------------------------------------------------------------
def test_model_comparing_a_provider_period_end_stays_quiet():
    code = """
    from django.db import models
    from django.utils import timezone


    class Subscription(models.Model):
        current_period_end = models.DateTimeField()
        trial_end = models.DateTimeField(null=True)

        def is_period_current(self):
            return self.current_period_end > timezone.now()

        def in_trial(self):
            return self.trial_end is not None and self.trial_end > timezone.now()
    """
    assert flagged(code, CLOCK, "billing/models.py") == []


def test_plain_class_with_an_in_memory_expiry_is_not_a_stored_one():
    code = """
    from datetime import datetime


    class Ticket:
        def __init__(self, expires):
            self.expires = expires

        def expired(self):
            return datetime.now() >= self.expires
    """
    assert flagged(code, CLOCK, "app/tickets.py") == []


def test_sorted_set_of_stamps_never_ranged_by_the_clock_stays_quiet():
    code = """
    import time


    def record_login(redis, user_id):
        redis.zadd("recent-logins", {user_id: time.time()})
        return redis.zrevrange("recent-logins", 0, 9)
    """
    assert flagged(code, CLOCK, "app/logins.py") == []


def test_removal_by_age_of_a_set_stamped_elsewhere_stays_quiet():
    # retention pruning: the scores are written in another module; only their age is trimmed
    code = """
    import time


    def prune(redis, key, keep_for):
        redis.zremrangebyscore(key, "-inf", time.time() - keep_for)
    """
    assert flagged(code, CLOCK, "app/prune.py") == []


def test_score_range_with_monotonic_bound_stays_quiet():
    code = """
    import time


    def due(redis, key):
        return redis.zrangebyscore(key, 0, time.monotonic())
    """
    assert flagged(code, CLOCK, "app/due.py") == []


def test_expiry_returned_by_a_method_is_reported_where_the_method_arms_it():
    code = """
    from datetime import datetime, timedelta, timezone


    class Outbox:
        def clock(self):
            return datetime.now(timezone.utc)

        def _message_expiry(self, headers):
            ttl_ms = headers.get("ttl_ms")
            if ttl_ms is not None:
                return self.clock() + timedelta(milliseconds=int(ttl_ms))

        def push(self, collection, body, headers):
            doc = {"body": body}
            expiry = self._message_expiry(headers)
            if expiry is not None:
                doc["expire_at"] = expiry
            collection.insert_one(doc)
    """
    assert flagged(code, CLOCK, "app/outbox.py") == [("ARM104", 12)]


def test_imported_helper_named_like_an_expiry_it_computes_is_persisted():
    code = """
    from app.security.helpers import get_lockout_expiration
    from app.security import helpers
    from app.models import Lockout, Grant


    def record_failure(request, account):
        Lockout.objects.create(account=account, expires_at=get_lockout_expiration(request))


    def issue_grant(user):
        return Grant.objects.create(user=user, valid_until=helpers.compute_grant_deadline(user))
    """
    assert flagged(code, CLOCK, "app/security/handlers.py") == [("ARM104", 8), ("ARM104", 12)]


def test_imported_expiry_checks_ages_and_in_process_comparisons_stay_quiet():
    code = """
    import time

    from app.tokens import get_expiry_age, is_expired, parse_expiration, token_expiration
    from app.models import Session


    def refresh(session, token):
        Session.objects.filter(pk=session.pk).update(max_age=get_expiry_age(session))
        if is_expired(token) or parse_expiration(token) < time.time():
            return None
        if token_expiration(token) < time.time():
            return None
        return token
    """
    assert flagged(code, CLOCK, "app/sessions.py") == []


def test_claim_set_with_exp_written_as_epoch_text_is_a_jwt_expiry():
    code = """
    import uuid
    from datetime import timedelta

    from django.utils import dateformat, timezone


    class IdTokens:
        def claims_for(self, request, lifetime):
            claims = {"sub": str(request.user.pk)}
            expires = timezone.now() + timedelta(seconds=lifetime)
            claims.update(
                **{
                    "iss": self.issuer,
                    "exp": int(dateformat.format(expires, "U")),
                    "jti": str(uuid.uuid4()),
                }
            )
            return claims
    """
    assert flagged(code, CLOCK, "app/oidc.py") == [("ARM104", 11)]


def test_formatted_instants_in_messages_and_non_claim_dicts_stay_quiet():
    code = """
    from datetime import timedelta

    from django.utils import dateformat, timezone


    def banner(context, lifetime):
        expires = timezone.now() + timedelta(seconds=lifetime)
        context.update({"title": "Offer", "exp": "ends {}".format(expires)})
        context.update(**{"label": dateformat.format(expires, "N j, Y")})
        return context
    """
    assert flagged(code, CLOCK, "app/views.py") == []
