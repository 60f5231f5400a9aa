"""Shared state: delivery de-duplication, the per-PR job fence and the command rate limit,
for both backends (the Redis one against a real redis-server)."""
import time

from bot.store import SqliteStore, pr_key


def exercise(store):
    assert store.claim_delivery("d-1", ttl=3600)
    assert not store.claim_delivery("d-1", ttl=3600)  # a redelivery keeps its id
    assert store.claim_delivery("d-2", ttl=3600)
    store.forget_delivery("d-2")
    assert store.claim_delivery("d-2", ttl=3600)

    key = pr_key("Octo/Repo", 7)
    assert store.newest_job(key) == 0
    assert [store.next_job(key), store.next_job(key)] == [1, 2]
    assert store.newest_job(key) == 2
    assert store.newest_job(pr_key("octo/repo", 8)) == 0

    assert store.allow("recheck:x", 60)
    assert not store.allow("recheck:x", 60)
    assert store.allow("recheck:y", 60)
    assert store.allow("recheck:x", 0)


def test_sqlite_store(tmp_path):
    exercise(SqliteStore(tmp_path / "state.db"))


def test_sqlite_store_is_shared_between_instances(tmp_path):
    first, second = SqliteStore(tmp_path / "state.db"), SqliteStore(tmp_path / "state.db")
    assert first.claim_delivery("abc", 3600)
    assert not second.claim_delivery("abc", 3600)
    first.next_job("k")
    assert second.newest_job("k") == 1


def test_sqlite_delivery_claim_expires(tmp_path):
    store = SqliteStore(tmp_path / "state.db")
    assert store.claim_delivery("old", ttl=1)
    time.sleep(2.1)  # the store's own clock (whole seconds) decides expiry
    assert store.claim_delivery("old", ttl=1)


def test_redis_store(redis_url):
    from bot.store import RedisStore

    exercise(RedisStore(redis_url, prefix=f"t{time.monotonic_ns()}:"))
