"""Shard ownership leases (redis.asyncio + asyncpg)."""
import asyncio
from datetime import datetime, timedelta

import asyncpg
from redis import asyncio as aioredis


class ShardLease:
    def __init__(self, redis: aioredis.Redis, pool: asyncpg.Pool, shard: int, node_id: str, ttl_ms: int = 15_000):
        self.redis = redis
        self.pool = pool
        self.shard = shard
        self.node_id = node_id
        self.ttl_ms = ttl_ms
        self.expires = None
        self._guard = asyncio.Lock()  # ok: asyncio lock

    @property
    def key(self):
        return f"shard:{self.shard}:owner"

    async def acquire_and_claim(self) -> bool:
        async with self._guard:
            acquired = await self.redis.set(self.key, self.node_id, nx=True, px=self.ttl_ms)
            if not acquired:
                return False
            self.expires = datetime.utcnow() + timedelta(milliseconds=self.ttl_ms)  # expect: ARM103
            async with self.pool.acquire() as conn:
                await conn.execute("update shard_owner set owner = $1 where shard = $2", self.node_id, self.shard)  # expect: ARM201  (the guarded write: RULES.md real-code form)
            return True

    async def acquire_and_claim_fenced(self) -> bool:
        # ok: INCR token checked by the storage
        if not await self.redis.set(self.key, self.node_id, nx=True, px=self.ttl_ms):
            return False
        token = await self.redis.incr(f"{self.key}:fence")
        async with self.pool.acquire() as conn:
            status = await conn.execute(
                "update shard_owner set owner = $1, fence_token = $2 where shard = $3 and fence_token < $2",
                self.node_id,
                token,
                self.shard,
            )
        return status.endswith(" 1")

    async def renew_loop(self):
        loop = asyncio.get_running_loop()
        next_renew = loop.time() + self.ttl_ms / 3000  # ok: loop.time() is monotonic
        while True:
            await asyncio.sleep(max(0, next_renew - loop.time()))
            await self.redis.pexpire(self.key, self.ttl_ms)
            next_renew = loop.time() + self.ttl_ms / 3000
