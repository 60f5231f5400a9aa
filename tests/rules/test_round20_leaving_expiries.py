"""Round 20, wall clock: expiries computed from this node's clock that leave the function.

Read in the misses of round 19's half (now `test10`, cause 3 of docs/realworld-round19-misses.md):
`now + amount` goes where another node or another time judges it, in spellings the forms did
not follow:

- a JWT claim set merged with `|` before `jwt.encode`, or handed to the module's own signer
  (`sign_identity_token(payload)`) in a module that signs JWTs;
- a module that imports `from datetime import datetime` and later `import datetime`: the module
  is what `datetime` names from there on;
- `doc.setdefault("expiry", now + delta)` over the records of a batch handed on (`create(docs)`),
  and a slot of an object's field (`message.options["eta"] = ...`) kept with the object;
- a dict built beforehand whose expiry-named field is `now + amount`, handed to a call that keeps
  it (`self.new_unique_data("token", token)`);
- a record kept whole in the web session (`mfa["next_check"] = ...; session["mfa"] = mfa`);
- `self.expires = now + delta` inside a model's own `save()` that calls `super().save()`,
  whatever its base class is called;
- a returned record whose field is a due time (`{"next_check": ...}`);
- an in-memory table of deadlines filled in one method and pruned in another, both through a
  local called the same (`exp_time`): the flow's recursion guard was keyed by the bare name.

Look-alikes stay quiet: the same records only logged or printed, a `save()` of a plain class
that writes a file, a dict with no expiry-named field.
"""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

CLOCK = Settings(select=frozenset({"ARM103", "ARM104"}))


def flagged(code: str, path: str = "app/tokens.py") -> list[tuple[str, int]]:
    report = analyze(path, textwrap.dedent(code), CLOCK)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


def test_jwt_claims_merged_with_a_pipe():
    code = """\
    import jwt
    from datetime import datetime, timezone


    def generate_token(user_id, result, auth_context):
        now_seconds = int(datetime.now(timezone.utc).timestamp())
        payload = {
            "iss": "api",
            "nbf": now_seconds,
            "exp": now_seconds + result["auth_token_exp_timeout"],
            "sub": str(user_id),
        } | ({"ctx": auth_context} if auth_context else {})
        return jwt.encode(payload, "secret", algorithm="HS256")
    """
    assert flagged(code) == [("ARM104", 10)]


def test_module_import_after_from_import_of_the_same_name():
    code = """\
    from datetime import date, datetime
    import jwt
    import datetime


    def generate_jwt_token(username, life):
        payload = {
            "username": username,
            "exp": datetime.datetime.utcnow() + datetime.timedelta(seconds=life),
        }
        return jwt.encode(payload, "key", algorithm="HS256")
    """
    assert flagged(code) == [("ARM104", 9)]


def test_claims_handed_to_the_modules_own_signer():
    code = """\
    import datetime
    from uuid import uuid4

    import jwt


    def sign_identity_token(payload):
        return jwt.encode(payload, "key", algorithm="RS256")


    def generate_identity_token(fc_hash, data):
        payload = {
            "iss": "ami",
            "exp": datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=30),
            "nonce": str(uuid4()),
            "hash_fc": fc_hash,
            "data": data,
        }
        return sign_identity_token(payload)


    def describe(logger, fc_hash):
        info = {"exp": datetime.datetime.now() + datetime.timedelta(minutes=30), "hash": fc_hash}
        logger.info("token %s", info)
    """
    assert flagged(code) == [("ARM104", 14)]


def test_setdefault_over_a_batch_handed_on():
    code = """\
    from datetime import datetime, timedelta

    import superdesk


    class CompanyTokenService(superdesk.Service):
        def create(self, docs, **kwargs):
            for doc in docs:
                doc["_id"] = "x"
                doc.setdefault("expiry", datetime.utcnow() + timedelta(days=7))
            return super().create(docs, **kwargs)


    def preview(docs):
        for doc in docs:
            doc.setdefault("expiry", datetime.utcnow() + timedelta(days=7))
        print(docs)
    """
    assert flagged(code, "content_api/tokens/service.py") == [("ARM104", 10)]


def test_slot_of_an_objects_field_kept_with_the_object():
    code = """\
    import time


    def enqueue(broker, message, delay=None):
        if delay:
            message.options["eta"] = time.time() * 1000 + delay
        broker.insert_message(tidy(message))


    def show(message, delay):
        message.options["eta"] = time.time() * 1000 + delay
        print(message)
    """
    assert flagged(code, "queue/broker.py") == [("ARM104", 6)]


def test_record_built_beforehand_and_handed_to_a_keeper():
    code = """\
    import json
    import time


    class TokenStore(Store):
        def issueToken(self, client_id, username, scope):
            expires_in = 3600
            token = {
                "type": "Bearer",
                "client_id": client_id,
                "scope": json.dumps(scope),
                "expires_at": int(time.time()) + expires_in,
                "issued_at": int(time.time()),
            }
            token_id = self.new_unique_data("token", token)
            token = "%s_%s" % (token_id, client_id)
            return token


    def describe(logger, username):
        info = {"username": username, "expires_at": int(time.time()) + 3600}
        logger.info("token %s", info)


    def hint(client, username):
        record = {"username": username, "refresh_hint": time.time() + 5}
        client.push_record(record)
    """
    assert flagged(code, "providers/store.py") == [("ARM104", 12)]


def test_record_kept_whole_in_the_session():
    code = """\
    import datetime
    import random

    from django.conf import settings


    def verify(request, key):
        mfa = {"verified": True, "method": "U2F", "id": key.id}
        if getattr(settings, "MFA_RECHECK", False):
            mfa["next_check"] = datetime.datetime.timestamp(
                datetime.datetime.now() + datetime.timedelta(seconds=random.randint(10, 20))
            )
        request.session["mfa"] = mfa
        return True


    def remember(request, user):
        info = {"user": user.pk, "seen": datetime.datetime.now().timestamp()}
        request.session["info"] = info
    """
    assert flagged(code, "mfa/U2F.py") == [("ARM104", 10)]


def test_expiry_set_in_a_models_own_save():
    code = """\
    import datetime

    from django.conf import settings
    from django.utils import timezone

    from cms.models import ContentManageable


    class Job(ContentManageable):
        def save(self, **kwargs):
            if not self.expires and self.status == self.STATUS_APPROVED:
                delta = datetime.timedelta(days=settings.JOB_THRESHOLD_DAYS)
                self.expires = timezone.now() + delta
            return super().save(**kwargs)


    class Poller:
        def save(self, path):
            self.expires = timezone.now() + datetime.timedelta(seconds=5)
            with open(path, "w") as fh:
                fh.write("x")
    """
    assert flagged(code, "apps/jobs/models.py") == [("ARM104", 13)]


def test_returned_record_with_a_due_time():
    code = """\
    import datetime
    from random import randint

    from django.conf import settings


    def set_next_recheck():
        if getattr(settings, "MFA_RECHECK", False):
            delta = datetime.timedelta(seconds=randint(settings.MFA_RECHECK_MIN, settings.MFA_RECHECK_MAX))
            return {"next_check": datetime.datetime.timestamp(datetime.datetime.now() + delta)}
        return {}


    def last_seen():
        return {"seen": datetime.datetime.now().timestamp()}
    """
    assert flagged(code, "mfa/Common.py") == [("ARM104", 10)]


def test_deadline_table_through_locals_named_alike():
    code = """\
    import time

    TRUSTED_CONNECTION_TIMEOUT = 3600


    class Authorization:
        def __init__(self):
            self.trusted_users = {}

        def _prune_conn_handler(self, eventtime):
            cur_time = time.time()
            for ip, user_info in list(self.trusted_users.items()):
                exp_time = user_info["expires_at"]
                if cur_time >= exp_time:
                    self.trusted_users.pop(ip, None)
            return eventtime + 60.0

        def _check_trusted_connection(self, ip):
            curtime = time.time()
            exp_time = curtime + TRUSTED_CONNECTION_TIMEOUT
            if ip in self.trusted_users:
                self.trusted_users[ip]["expires_at"] = exp_time
                return self.trusted_users[ip]["user"]
            self.trusted_users[ip] = {"user": ip, "expires_at": exp_time}
            return None
    """
    assert flagged(code, "components/authorization.py") == [("ARM103", 13)]


def test_hivemind_dht_time_is_the_wall_clock():
    code = """\
    import threading
    import time

    from hivemind import get_dht_time

    from petals.utils.dht import declare_active_modules


    class ModuleAnnouncerThread(threading.Thread):
        def run(self) -> None:
            while True:
                started = time.perf_counter()
                declare_active_modules(self.dht, self.module_uids, expiration_time=get_dht_time() + self.expiration)
                if self.stop.wait(self.update_period - (time.perf_counter() - started)):
                    break
    """
    assert flagged(code, "src/petals/server/server.py") == [("ARM104", 13)]


def test_deadline_kept_as_a_value_in_djangos_shared_cache():
    code = """\
    import time

    from django.core.cache import cache


    class Profile:
        def set_quota_deadline(self, hours):
            k = f"quota_deadline_{self.user.id}"
            seconds = hours * 60 * 60
            v = time.time() + seconds
            cache.set(k, v, int(seconds * 10))
            return v

        def remember_total(self, total):
            cache.set(f"used_quota_{self.user.id}", total, 60)


    def memo(local_cache, key):
        local_cache.set(key, time.time() + 30)
    """
    assert flagged(code, "app/models/profile.py") == [("ARM104", 10)]
