import asyncio
import json
import os

import boto3
import redis
from redlock import Redlock

s3 = boto3.client("s3")
rds = redis.StrictRedis(host=os.environ.get("REDIS_HOST", "localhost"), decode_responses=True)
dlm = Redlock([{"host": h, "port": 6379} for h in os.environ["REDLOCK_HOSTS"].split(",")])

EXPORT_BUCKET = "acme-exports"


def export_invoices(tenant_id: str, rows: list[dict]) -> bool:
    lock = dlm.lock(f"invoice-export:{tenant_id}", 10_000)
    if not lock:
        return False
    try:
        body = "\n".join(json.dumps(r) for r in rows)
        s3.put_object(Bucket=EXPORT_BUCKET, Key=f"{tenant_id}/invoices.jsonl", Body=body)  # expect: ARM201  (the guarded write: RULES.md real-code form)
    finally:
        dlm.unlock(lock)
    return True


def rebuild_search_index(shard: int, docs: list[dict]) -> None:
    key = f"lock:reindex:{shard}"
    if rds.setnx(key, os.getpid()):
        rds.expire(key, 120)
        try:
            rds.delete(f"idx:{shard}")
            for d in docs:
                rds.hset(f"idx:{shard}", d["id"], json.dumps(d))  # expect: ARM201  (the guarded write: RULES.md real-code form)
        finally:
            rds.delete(key)


def cache_profile(user_id: int, profile: dict) -> None:
    # ok: plain cache write with TTL, not a lock
    rds.set(f"profile:{user_id}", json.dumps(profile), ex=300)


def bump_rate_counter(api_key: str) -> int:
    # ok: fixed-window rate limit counter
    k = f"rl:{api_key}"
    n = rds.incr(k)
    if n == 1:
        rds.expire(k, 60)
    return n


_inflight = asyncio.Lock()  # ok: in-process


async def refresh_local_catalog(fetch):
    async with _inflight:
        data = await fetch()
        return data
