"""The job journal and leases in Redis: a hash per job, a key with a TTL per lease (Redis expires
it by its own clock), a sorted set of when each job should be looked at again. Each step is one
Lua script, so it is atomic against every other web and worker process."""
from __future__ import annotations

import json

from .leases import Lease

_NOW = "local t = redis.call('TIME'); local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"

# KEYS: job hash, due zset. ARGV: kind, payload, visible-after ms, job id.
_ADD = _NOW + """
redis.call('HSETNX', KEYS[1], 'kind', ARGV[1])
redis.call('HSETNX', KEYS[1], 'payload', ARGV[2])
redis.call('ZADD', KEYS[2], 'NX', now + tonumber(ARGV[3]), ARGV[4])
return 1
"""
# KEYS: job hash, lease key, due zset. ARGV: ttl ms, job id. The lease's value is the fencing token
# HINCRBY just issued, and every write is preceded by a check of it (Holder.guard):
# armadilhas: ignore[ARM201]
_CLAIM = _NOW + """
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[2]) == 1 then return false end
local token = redis.call('HINCRBY', KEYS[1], 'token', 1)
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('SET', KEYS[2], token, 'PX', ARGV[1])  -- armadilhas: ignore[ARM201] the value is the fencing token just issued
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[1]), ARGV[2])
return {token, attempts, redis.call('HGET', KEYS[1], 'kind'), redis.call('HGET', KEYS[1], 'payload'),
        tonumber(redis.call('HGET', KEYS[1], 'refunds') or '0')}
"""
# KEYS: lease key, due zset. ARGV: token, ttl ms, job id.
_RENEW = _NOW + """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[3])
return 1
"""
# KEYS: job hash, lease key, due zset. ARGV: token, visible-after ms, job id, attempts refunded.
_RELEASE = _NOW + """
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HINCRBY', KEYS[1], 'refunds', tonumber(ARGV[4]))
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), ARGV[3])
return 1
"""
# KEYS: job hash, lease key, due zset. ARGV: token, job id.
_FINISH = """
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[2])
return 1
"""
# KEYS: due zset. ARGV: limit, grace ms, key prefix. (Job keys are built from the prefix inside the
# script, which a single Redis or a primary with replicas accepts; Redis Cluster would not.)
_DUE = _NOW + """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local out = {}
for _, id in ipairs(ids) do
  if redis.call('EXISTS', ARGV[3] .. 'job:' .. id) == 0 then
    redis.call('ZREM', KEYS[1], id)
  elseif redis.call('EXISTS', ARGV[3] .. 'lease:' .. id) == 0 then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), id)
    table.insert(out, id)
  end
end
return out
"""


class RedisLeases:
    def __init__(self, client, *, prefix: str = "armadilhas:jobs:", grace: float = 300.0) -> None:
        self.client = client
        self.prefix = prefix
        self.grace = grace
        self._due_key = f"{prefix}due"
        self._add = client.register_script(_ADD)
        self._claim = client.register_script(_CLAIM)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)
        self._finish = client.register_script(_FINISH)
        self._due = client.register_script(_DUE)

    def _job(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    def _lease(self, job_id: str) -> str:
        return f"{self.prefix}lease:{job_id}"

    def add(self, job_id: str, kind: str, payload: dict, delay: float = 0.0) -> None:
        self._add(keys=[self._job(job_id), self._due_key],
                  args=[kind, json.dumps(payload), int((delay + self.grace) * 1000), job_id])

    def claim(self, job_id: str, ttl: float) -> Lease | None:
        row = self._claim(keys=[self._job(job_id), self._lease(job_id), self._due_key],
                          args=[int(ttl * 1000), job_id])
        if not row:
            return None
        token, attempts, kind, payload, refunds = row
        return Lease(job_id, int(token), int(attempts), _text(kind), json.loads(_text(payload)), int(refunds))

    def renew(self, lease: Lease, ttl: float) -> bool:
        return bool(self._renew(keys=[self._lease(lease.job_id), self._due_key],
                                args=[lease.token, int(ttl * 1000), lease.job_id]))

    def release(self, lease: Lease, delay: float, refund: bool = False) -> bool:
        return bool(self._release(keys=[self._job(lease.job_id), self._lease(lease.job_id), self._due_key],
                                  args=[lease.token, int((delay + self.grace) * 1000), lease.job_id,
                                        1 if refund else 0]))

    def finish(self, lease: Lease) -> bool:
        return bool(self._finish(keys=[self._job(lease.job_id), self._lease(lease.job_id), self._due_key],
                                 args=[lease.token, lease.job_id]))

    def due(self, limit: int = 100) -> list[str]:
        return [_text(i) for i in self._due(keys=[self._due_key], args=[int(limit), int(self.grace * 1000),
                                                                        self.prefix])]

    def pending(self) -> int:
        return int(self.client.zcard(self._due_key))


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
