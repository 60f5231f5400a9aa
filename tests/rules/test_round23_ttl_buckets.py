"""Round 23, wall-clock: an lru_cache given a lifetime by a bucket of the wall clock (ARM103).

Read in the misses of round 22's blind half (now `test13`: hedy, kafka-operator) and of test12
(starlingx-config): the recipe that passes `round(time.time() / seconds)` (or `time.time() //
seconds`, or a generator's `(time.time() - start) // ttl`) as an extra argument of an
`lru_cache`d function, so the entry expires when the bucket changes. The memo never leaves the
process: an in-process TTL on the wall clock, reported at the bucket.

Look-alikes stay quiet: the recipe on the monotonic clock, a bucket that names a rate-limit
window in Redis (no functools memo in the file), a bucket in a function not named for a cache key
(log batches), and an unrounded division (a fraction of an hour, for display).
"""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index

CLOCK = Settings(select=frozenset({"ARM103"}))


def flagged(code: str, path: str = "app/k8s.py") -> list[tuple[str, int]]:
    code = textwrap.dedent(code)
    project = build_project_index([(path, code)])
    report = analyze(path, code, CLOCK, project=project)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


K8S = """\
import math
import time
from functools import cache


class K8sManager:
    def __init__(self, client):
        self.client = client

    @staticmethod
    def get_ttl_hash(seconds=60 * 2) -> int:
        return math.floor(time.time() / seconds)

    def get_pod(self, pod_name):
        return self._get_pod(pod_name, self.get_ttl_hash())

    @cache
    def _get_pod(self, pod_name, *_):
        return self.client.get("Pod", name=pod_name)
"""


def test_floor_bucket_keying_a_functools_cache_is_reported_at_the_bucket():
    assert flagged(K8S) == [("ARM103", 12)]


def test_the_same_recipe_on_the_monotonic_clock_is_quiet():
    assert flagged(K8S.replace("time.time()", "time.monotonic()")) == []


def test_round_bucket_of_a_module_helper_with_lru_cache():
    code = """\
    import time
    from functools import lru_cache


    @lru_cache(maxsize=128)
    def public_adventures(lang, ttl_hash=None):
        del ttl_hash
        return load_adventures(lang)


    def get_ttl_hash(seconds=3600):
        \"\"\"Return the same value withing `seconds` time period\"\"\"
        return round(time.time() / seconds)


    def index(lang):
        return public_adventures(lang, ttl_hash=get_ttl_hash())
    """
    assert flagged(code) == [("ARM103", 13)]


def test_generator_of_elapsed_buckets_in_a_ttl_cache_decorator():
    code = """\
    import functools
    import time


    def ttl_cache(cache_expiry=10):
        def _generate_hash(ttl_seconds):
            start_time = time.time()
            ttl_seconds = max(1, ttl_seconds)
            while True:
                yield ((time.time() - start_time) // ttl_seconds)

        hash = _generate_hash(cache_expiry)

        def _decorator(func):
            @functools.lru_cache
            def ttl_func(ttl_hash, *args, **kwargs):
                return func(*args, **kwargs)

            def wrapped(*args, **kwargs):
                return ttl_func(next(hash), *args, **kwargs)

            return wrapped

        return _decorator
    """
    assert flagged(code) == [("ARM103", 10)]


def test_rate_limit_window_bucket_without_a_functools_memo_is_quiet():
    code = """\
    import time


    def rate_limit_hash(redis, api_key, window=60):
        bucket = int(time.time() // window)
        key = f"ratelimit:{api_key}:{bucket}"
        redis.incr(key)
        redis.expire(key, window)
        return int(time.time() // window)
    """
    assert flagged(code) == []


def test_bucket_in_a_function_not_named_for_a_cache_key_is_quiet():
    code = """\
    import time
    from functools import lru_cache


    @lru_cache
    def template(name):
        return load(name)


    def log_bucket(seconds=60):
        return int(time.time() // seconds)
    """
    assert flagged(code) == []


def test_unrounded_division_is_quiet():
    code = """\
    import time
    from functools import lru_cache


    @lru_cache
    def template(name):
        return load(name)


    def hours_since_hash(start):
        return (time.time() - start) / 3600
    """
    assert flagged(code) == []
