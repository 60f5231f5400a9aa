"""Queued work survives a restart (SQLite) and both backends run the same review end to end
(the Redis one against a real redis-server)."""
from huey import RedisHuey, SqliteHuey

from bot.store import RedisStore

from .conftest import INSTALLATION, REPO, AppWorld

CHARGE = '''import stripe


def charge(order):
    return stripe.Charge.create(amount=order.total_cents, currency="brl", source=order.token)
'''


def test_work_queued_before_a_restart_runs_after_it(fake_github, github_gateway, tmp_path):
    fake_github.add_repo(REPO)
    fake_github.add_installation(INSTALLATION, repos=[REPO])
    before = AppWorld(fake_github, github_gateway, tmp_path)
    before.open_pull(1, head_files={"billing.py": CHARGE})
    assert before.runtime.queue.pending() == 1
    del before  # the process dies with the job still queued on disk

    after = AppWorld(fake_github, github_gateway, tmp_path,
                     huey=SqliteHuey("armadilhas-test", filename=str(tmp_path / "queue.db"), results=False))
    assert after.work() == 1
    assert len(fake_github.review_comments(REPO, 1)) == 1


def test_redis_backend_end_to_end(fake_github, github_gateway, tmp_path, redis_url):
    fake_github.add_repo(REPO)
    fake_github.add_installation(INSTALLATION, repos=[REPO])
    web = AppWorld(fake_github, github_gateway, tmp_path, huey=RedisHuey("armadilhas-t", url=redis_url, results=False),
                   store=RedisStore(redis_url))
    pull = web.open_pull(1, head_files={"billing.py": CHARGE})
    # A redelivery hitting another web process is still recognised: the store is shared.
    other_web = AppWorld(fake_github, github_gateway, tmp_path / "other",
                         huey=RedisHuey("armadilhas-t", url=redis_url, results=False), store=RedisStore(redis_url))
    from .deliveries import pull_request_event

    again = other_web.deliver("pull_request", pull_request_event("opened", REPO, 1, pull.head_sha, INSTALLATION),
                              delivery="same-delivery")
    assert again.status_code == 202
    assert web.deliver("pull_request", pull_request_event("opened", REPO, 1, pull.head_sha, INSTALLATION),
                       delivery="same-delivery").status_code == 200
    # A separate worker process (its own huey instance on the same Redis) runs the jobs.
    worker = AppWorld(fake_github, github_gateway, tmp_path / "worker",
                      huey=RedisHuey("armadilhas-t", url=redis_url, results=False), store=RedisStore(redis_url))
    assert worker.work() == 2
    assert [o.status for _, o in worker.runtime.outcomes] == ["superseded", "posted"]
    assert len(fake_github.review_comments(REPO, 1)) == 1
