"""Cases the held-out corpus (bench/eval) caught: each was a miss of a rule, now fixed."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze


def found(code: str, rule: str) -> list[int]:
    report = analyze("app/module.py", textwrap.dedent(code), Settings(select=frozenset({rule})))
    assert report.notes == []
    return [f.line for f in report.findings if f.rule == rule]


def test_arm201_async_lease_recorded_by_holder_under_a_property_key():
    code = """\
        import asyncio


        class ShardLease:
            def __init__(self, redis, pool, shard, node_id):
                self.redis, self.pool, self.shard, self.node_id = redis, pool, shard, node_id
                self._guard = asyncio.Lock()

            @property
            def key(self):
                return f"shard:{self.shard}:owner"

            async def claim(self, ttl_ms=15000):
                async with self._guard:
                    acquired = await self.redis.set(self.key, self.node_id, nx=True, px=ttl_ms)
                    if not acquired:
                        return False
                    async with self.pool.acquire() as conn:
                        await conn.execute("update shard_owner set owner = $1 where shard = $2", self.node_id, self.shard)
                    return True
        """
    assert found(code, "ARM201") == [19]  # at the guarded write (RULES.md: at the write when visible)


def test_arm201_dedupe_marker_with_constant_value_is_not_a_lock():
    code = """\
        def handle_order_created(r, db, event):
            if not r.set(f"processed:{event['id']}", 1, nx=True, ex=86400):
                return
            db.execute("insert into shipments (order_id) values (%s)", (event["order_id"],))
        """
    assert found(code, "ARM201") == []


def test_arm401_payment_url_from_a_module_constant_in_an_fstring():
    code = """\
        import httpx

        PAGARME = "https://api.pagar.me/core/v5"


        class PagarmeGateway:
            def create_order(self, customer, items):
                r = httpx.post(
                    f"{PAGARME}/orders",
                    json={"customer": customer, "items": items},
                    auth=self.auth,
                    timeout=20,
                )
                return r.json()
        """
    assert found(code, "ARM401") == [8]


def test_arm401_headers_from_a_local_helper_are_read():
    code = """\
        import requests

        MP_API = "https://api.mercadopago.com"


        def _auth():
            return {"Authorization": "Bearer token"}


        def _auth_with_key(key):
            return {"Authorization": "Bearer token", "X-Idempotency-Key": key}


        def charge(body):
            return requests.post(f"{MP_API}/v1/payments", json=body, headers=_auth(), timeout=15)


        def charge_safely(body, order_id):
            return requests.post(f"{MP_API}/v1/payments", json=body, headers=_auth_with_key(order_id), timeout=15)
        """
    assert found(code, "ARM401") == [15]


def test_arm301_dead_nodes_returned_from_a_fixed_threshold_comprehension():
    code = """\
        import time


        class GossipTable:
            def __init__(self):
                self.seen: dict[str, float] = {}

            def mark(self, node: str) -> None:
                self.seen[node] = time.monotonic()

            def dead_nodes(self) -> list[str]:
                now = time.monotonic()
                return [n for n, t in self.seen.items() if now - t >= 15]

            def recently_seen_nodes(self) -> list[str]:
                now = time.monotonic()
                return [n for n, t in self.seen.items() if now - t < 15]
        """
    assert found(code, "ARM301") == [13]
