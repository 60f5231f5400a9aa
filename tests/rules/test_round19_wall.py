"""Round 19, wall clock: sorted sets in Redis trimmed by age on the local clock, JWT claims handed
to jwcrypto's `JWT(claims=...)`, and arrow's old `.timestamp` property."""
from __future__ import annotations

from .helpers import CLOCK, flagged


def test_a_sorted_set_trimmed_by_this_nodes_clock_is_flagged_where_it_is_trimmed():
    code = """\
    import time


    class PresenceLayer:
        def _room_key(self, room):
            return f"presence:{room}"

        async def join(self, conn, room, client):
            await conn.zadd(self._room_key(room), {client: time.time()})

        async def members(self, conn, room):
            key = self._room_key(room)
            await conn.zremrangebyscore(key, min=0, max=int(time.time()) - self.room_expiry)
            return await conn.zrange(key, 0, -1)
    """
    assert flagged(code, CLOCK) == [("ARM104", 13)]


def test_a_sliding_window_count_whose_bound_is_an_f_string():
    code = """\
    import time


    def admit(redis, bucket, request_id, window):
        now = time.time()
        with redis.pipeline() as pipe:
            pipe.zremrangebyscore(bucket, "-inf", f"({now - window:f}")
            pipe.zadd(f"{bucket}:all", {request_id: now})
            pipe.zcard(bucket)
            return pipe.execute()[-1]
    """
    assert flagged(code, CLOCK) == [("ARM104", 7)]


def test_scores_collected_in_a_dict_before_the_zadd():
    code = """\
    import time


    def exclude_groups(pipe, key, group_ids):
        now = time.time()
        scores = {}
        for group_id in group_ids:
            scores[str(group_id)] = now
        pipe.zadd(key, scores)


    def latest(pipe, key, ttl):
        now = time.time()
        pipe.zremrangebyscore(key, float("-inf"), now - ttl)
    """
    assert flagged(code, CLOCK) == [("ARM104", 8), ("ARM104", 14)]


def test_a_set_scored_by_points_is_not_a_set_of_stamps():
    code = """\
    import time


    def record_score(redis, board, player, points):
        redis.zadd(board, {player: points})
        redis.zremrangebyscore(board, 0, int(time.time()) - 3600)


    def trim_by_rank(redis, key):
        redis.zremrangebyscore(key, 0, 100)
    """
    assert flagged(code, CLOCK) == []


def test_worker_registries_and_semaphore_holders_are_left_to_their_own_rules():
    code = """\
    import time


    def sweep_workers(redis):
        redis.zadd("workers:alive", {"me": time.time()})
        redis.zremrangebyscore("workers:alive", 0, time.time() - 30)


    def acquire_semaphore(redis, name, holder, timeout):
        now = time.time()
        redis.zremrangebyscore(f"semaphore:{name}", "-inf", now - timeout)
        redis.zadd(f"semaphore:{name}", {holder: now})
    """
    findings = flagged(code, CLOCK)
    assert ("ARM104", 6) not in findings
    assert ("ARM104", 11) not in findings


def test_jwcrypto_claims_carry_an_exp_from_this_clock():
    code = """\
    from datetime import UTC, datetime

    from jwcrypto import jwt


    def issue(key, user, lifetime_seconds):
        iat = int(datetime.now(UTC).timestamp())
        exp = iat + lifetime_seconds
        claims = {"sub": str(user.id), "iat": iat, "exp": exp}
        token = jwt.JWT(header={"alg": "RS256"}, claims=claims)
        token.make_signed_token(key)
        return token.serialize()
    """
    assert flagged(code, CLOCK) == [("ARM104", 8)]


def test_jwcrypto_verification_and_a_claim_set_without_clock_stay_quiet():
    code = """\
    from jwcrypto import jwt


    def read(key, token):
        return jwt.JWT(jwt=token, key=key).claims


    def issue(key, user, exp):
        token = jwt.JWT(header={"alg": "RS256"}, claims={"sub": user, "exp": exp})
        token.make_signed_token(key)
        return token.serialize()
    """
    assert flagged(code, CLOCK) == []


def test_arrow_timestamp_property_keeps_the_instant():
    code = """\
    import arrow
    import jwt


    def id_token(user, secret):
        claims = {"sub": user, "exp": arrow.now().shift(hours=1).timestamp}
        return jwt.encode(claims, secret)


    def created_label(record):
        return {"created": arrow.now().timestamp, "name": record.name}
    """
    assert flagged(code, CLOCK) == [("ARM104", 6)]
