"""Recall of ARM201/ARM401/ARM402 on shapes a held-out corpus showed missing: money-moving stripe
and Adyen calls, header helpers that add the key only when asked, `setnx` + `expire` leases, and
locks taken through a helper function or method. A line whose trailing comment lists rule ids
(`# ARM401, ARM402`, or `-- ARM201` inside SQL text) is where those findings must start; every other line must stay quiet."""
from __future__ import annotations

import re
import textwrap

from analyzers import Settings, analyze

_MARK = re.compile(r"(?:#|--)\s*(ARM\d{3}(?:\s*,\s*ARM\d{3})*)\s*$")


def check(code: str, rules: tuple[str, ...], path: str = "app/worker.py") -> None:
    code = textwrap.dedent(code)
    expected = []
    for lineno, line in enumerate(code.splitlines(), 1):
        mark = _MARK.search(line)
        if mark:
            expected += [(rule.strip(), lineno) for rule in mark.group(1).split(",") if rule.strip() in rules]
    report = analyze(path, code, Settings(select=frozenset(rules)))
    assert report.notes == []
    assert sorted((f.rule, f.line) for f in report.findings) == sorted(expected)


PAYMENTS = ("ARM401", "ARM402")

# --------------------------------------------------------------------------------------------
# ARM401/ARM402: stripe calls that move money


def test_stripe_invoice_pay_in_a_dunning_task():
    check(
        '''
        import psycopg
        import stripe
        from celery import shared_task


        @shared_task(acks_late=True)
        def collect_overdue(invoice_ids):
            with psycopg.connect("postgresql:///billing") as conn, conn.cursor() as cur:
                for invoice_id, stripe_id in invoice_ids:
                    stripe.Invoice.pay(stripe_id)  # ARM401, ARM402
                    cur.execute("update invoices set status = 'paid' where id = %s", (invoice_id,))
                conn.commit()


        @shared_task(acks_late=True)
        def collect_overdue_keyed(invoice_id, stripe_id, attempt):
            stripe.Invoice.pay(stripe_id, idempotency_key=f"dunning-{invoice_id}-{attempt}")


        def show(stripe_id):
            invoice = stripe.Invoice.retrieve(stripe_id)
            stripe.Invoice.modify(stripe_id, metadata={"seen": "1"})
            return stripe.Invoice.list(customer=invoice.customer)
        ''',
        PAYMENTS,
    )


def test_stripe_confirm_capture_and_instance_methods():
    check(
        '''
        import stripe


        def confirm(intent_id, payment_method):
            return stripe.PaymentIntent.confirm(intent_id, payment_method=payment_method)  # ARM401


        def save_card(setup_intent_id):
            return stripe.SetupIntent.confirm(setup_intent_id)  # ARM401


        def settle(charge_id):
            stripe.Charge.capture(charge_id)  # ARM401


        def pay_fetched(invoice_id):
            invoice = stripe.Invoice.retrieve(invoice_id)
            return invoice.pay()  # ARM401


        def pay_fetched_keyed(invoice_id):
            invoice = stripe.Invoice.retrieve(invoice_id)
            return invoice.pay(idempotency_key=f"pay-{invoice_id}")


        def reverse(transfer_id):
            return stripe.Transfer.create_reversal(transfer_id, amount=500)  # ARM401


        def client_pay(client, invoice_id):
            return client.invoices.pay(invoice_id)  # ARM401


        def client_pay_keyed(client, invoice_id):
            return client.v1.invoices.pay(invoice_id, options={"idempotency_key": f"pay-{invoice_id}"})


        def reads(client, invoice_id, order):
            client.invoices.retrieve(invoice_id)
            order.pay()  # not a stripe object
            return stripe.PaymentIntent.retrieve(invoice_id)
        ''',
        ("ARM401",),
    )


# --------------------------------------------------------------------------------------------
# ARM401/ARM402: Adyen Python SDK


def test_adyen_transfers_payouts_and_checkout():
    check(
        '''
        import Adyen
        import psycopg

        adyen = Adyen.Adyen()
        adyen.client.xapikey = "AQE..."


        def cash_out(conn: psycopg.Connection, courier, amount, ref):
            result = adyen.transfers.transfers_api.transfer_funds({"amount": amount, "reference": ref})  # ARM401, ARM402
            with conn.cursor() as cur:
                cur.execute("update wallets set balance = balance - %s where courier_id = %s", (amount, courier))
            conn.commit()
            return result.message


        def cash_out_keyed(conn, courier, amount, ref):
            with conn.cursor() as cur:
                cur.execute("insert into cashouts (ref, courier_id) values (%s, %s) on conflict do nothing", (ref, courier))
            conn.commit()
            adyen.transfers.transfers_api.transfer_funds({"amount": amount}, idempotency_key=ref)


        def instant_payout(card, amount):
            return adyen.payout.instant_payouts_api.payout({"card": card, "amount": amount})  # ARM401


        def charge(order):
            return adyen.checkout.payments_api.payments({"amount": order.amount, "reference": order.ref})  # ARM401


        def charge_keyed(order):
            return adyen.checkout.payments_api.payments({"amount": order.amount}, idempotency_key=order.ref)


        def capture_legacy(psp_reference, amount):
            return adyen.payment.modifications_api.capture({"originalReference": psp_reference, "amount": amount})  # ARM401


        def reads(order):
            adyen.checkout.payments_api.payment_methods({"merchantAccount": "M"})
            adyen.transfers.transactions_api.get_all_transactions()
            order.payment.refund()  # a model's method, not the SDK
        ''',
        PAYMENTS,
    )


# --------------------------------------------------------------------------------------------
# ARM401: header helpers that add the key only when the caller passes one


HEADERS_HELPER = '''
    import os

    import requests

    API = "https://api.pagar.me/core/v5"


    def _headers(idempotency_key=None):
        h = {"Authorization": f"Basic {os.environ['PAGARME_KEY']}", "Content-Type": "application/json"}
        if idempotency_key:
            h["Idempotency-Key"] = idempotency_key
        return h


    def create_order(body):
        return requests.post(f"{API}/orders", json=body, headers=_headers(), timeout=20)  # ARM401


    def create_order_keyed(body, invoice_id):
        return requests.post(f"{API}/orders", json=body, headers=_headers(f"order-{invoice_id}"), timeout=20)


    def transfer_keyed(recipient_id, amount, ref):
        return requests.post(
            f"{API}/recipients/{recipient_id}/transfers",
            json={"amount": amount},
            headers=_headers(idempotency_key=ref),
            timeout=20,
        )


    def transfer_without_key(recipient_id, amount):
        return requests.post(f"{API}/recipients/{recipient_id}/transfers", json={"amount": amount},  # ARM401
                             headers=_headers(None), timeout=20)


    def get_order(order_id):
        return requests.get(f"{API}/orders/{order_id}", headers=_headers(), timeout=10).json()
'''


def test_header_helper_with_optional_key():
    check(HEADERS_HELPER, ("ARM401",))


def test_header_helpers_that_always_or_by_default_add_the_key():
    check(
        '''
        import uuid

        import requests


        class Gateway:
            def _headers(self, key):
                return {"Authorization": "Bearer x", "Idempotency-Key": key}

            def _signed(self, request_key="default-batch"):
                return {"X-Idempotency-Key": request_key}

            def refund(self, charge_id):
                return requests.post("https://api.stripe.com/v1/refunds", data={"charge": charge_id},
                                     headers=self._headers(f"refund-{charge_id}"))

            def payout(self, amount):
                return requests.post("https://api.example-pay.com/v1/payouts", json={"amount": amount},
                                     headers=self._signed())


        def _always():
            return {"Idempotency-Key": str(uuid.uuid4())}


        def charge(amount):
            return requests.post("https://api.example-pay.com/v1/charges", json={"amount": amount}, headers=_always())
        ''',
        ("ARM401",),
    )


# --------------------------------------------------------------------------------------------
# ARM201: claims that are leases although the key does not say "lock"

LOCKS = ("ARM201",)


def test_setnx_then_expire_guarding_a_write():
    check(
        '''
        import os

        import psycopg
        import redis

        r = redis.Redis(host="redis-cron")
        NODE = os.environ.get("HOSTNAME", "local")


        def rotate_daily_digest(conn: psycopg.Connection, build):
            if r.setnx("cron:daily-digest", NODE):
                r.expire("cron:daily-digest", 600)
                body = build()
                with conn.cursor() as cur:
                    cur.execute("update digests set body = %s where kind = 'daily'", (body,))  # ARM201
                conn.commit()


        def rebuild_sitemap(conn, build):
            key = f"cron:sitemap:{conn.info.dbname}"
            if not r.setnx(key, 1):
                return
            r.pexpire(key, 60_000)
            with conn.cursor() as cur:
                cur.execute("update sitemaps set xml = %s", (build(),))  # ARM201
        ''',
        LOCKS,
    )


def test_holder_values_make_a_claim_a_lock():
    check(
        '''
        import socket

        import redis

        r = redis.Redis()
        WORKER_ID = f"{socket.gethostname()}-1"


        def settle_batch(conn, batch_id):
            if r.set(f"settle:{batch_id}", WORKER_ID, nx=True):
                with conn.cursor() as cur:
                    cur.execute("update batches set settled = true where id = %s", (batch_id,))  # ARM201


        def remember_event(conn, event_id):
            # a "seen it" marker: constant value, no lifetime, key not lock-like
            if r.setnx(f"seen:{event_id}", 1):
                with conn.cursor() as cur:
                    cur.execute("insert into events (id) values (%s)", (event_id,))


        def count_visit(conn, page, visitor):
            if r.set(f"visit:{page}:{visitor}", "1", nx=True):
                r.expire(f"visit:{page}", 86400)  # another key: not this claim's lifetime
                with conn.cursor() as cur:
                    cur.execute("update pages set visits = visits + 1 where id = %s", (page,))
        ''',
        LOCKS,
    )


def test_fenced_statement_checked_first_covers_the_rest_of_the_transaction():
    check(
        '''
        import redis

        rds = redis.Redis()


        def compact(conn, room_id):
            with rds.lock(f"compact:{room_id}", timeout=120):
                token = rds.incr(f"compact:{room_id}:fence")
                with conn.cursor() as cur:
                    cur.execute("update rooms set compact_token = %s where id = %s and compact_token < %s",
                                (token, room_id, token))
                    if cur.rowcount == 0:
                        conn.rollback()
                        return
                    cur.execute("delete from edits where room_id = %s", (room_id,))
                conn.commit()


        def compact_unchecked(conn, room_id):
            with rds.lock(f"compact:{room_id}", timeout=120):
                token = rds.incr(f"compact:{room_id}:fence")
                with conn.cursor() as cur:
                    cur.execute("update rooms set compact_token = %s where id = %s and compact_token < %s",
                                (token, room_id, token))
                    cur.execute("delete from edits where room_id = %s", (room_id,))  # ARM201
                conn.commit()


        def compact_across_commits(conn, room_id):
            with rds.lock(f"compact:{room_id}", timeout=120):
                token = rds.incr(f"compact:{room_id}:fence")
                with conn.cursor() as cur:
                    cur.execute("update rooms set compact_token = %s where id = %s and compact_token < %s",
                                (token, room_id, token))
                    if cur.rowcount == 0:
                        return
                    conn.commit()
                    cur.execute("delete from edits where room_id = %s", (room_id,))  # ARM201
                conn.commit()
        ''',
        LOCKS,
    )


# --------------------------------------------------------------------------------------------
# ARM201: the lock is taken in a helper (function or method of the module), the write in its caller


def test_method_wrapping_set_nx_and_caller_writing():
    check(
        '''
        import asyncio
        import socket

        import asyncpg
        import redis.asyncio as aioredis

        NODE_ID = socket.gethostname()
        LEASE_S = 15


        class ShardOwner:
            def __init__(self, shard: int, rds: aioredis.Redis, pool: asyncpg.Pool) -> None:
                self.shard = shard
                self.rds = rds
                self.pool = pool
                self._local = asyncio.Lock()

            async def claim(self) -> bool:
                key = f"shards:owner:{self.shard}"
                return bool(await self.rds.set(key, NODE_ID, nx=True, ex=LEASE_S))  # ARM201

            async def rebalance(self) -> None:
                async with self._local:
                    if not await self.claim():
                        return
                    async with self.pool.acquire() as conn:
                        await conn.execute("update shards set owner = $1 where id = $2", NODE_ID, self.shard)

            async def report(self) -> list:
                if await self.claim():  # a read only: nothing to fence
                    async with self.pool.acquire() as conn:
                        return await conn.fetch("select * from shards where id = $1", self.shard)
                return []


        class FencedShardOwner(ShardOwner):
            async def claim(self) -> int | None:
                ok = await self.rds.set(f"shards:owner:{self.shard}", NODE_ID, nx=True, ex=LEASE_S)
                if not ok:
                    return None
                return int(await self.rds.incr(f"shards:fence:{self.shard}"))

            async def rebalance(self) -> None:
                token = await self.claim()
                if token is None:
                    return
                async with self.pool.acquire() as conn:
                    await conn.execute(
                        "update shards set owner = $1, fence = $3 where id = $2 and fence < $3", NODE_ID, self.shard, token
                    )


        class Unrelated:
            def __init__(self, pool):
                self.pool = pool

            def claim(self) -> bool:
                return True  # same name, no lock

            async def rebalance(self) -> None:
                if self.claim():
                    async with self.pool.acquire() as conn:
                        await conn.execute("update shards set owner = null")
        ''',
        LOCKS,
    )


def test_sql_lease_claimed_in_a_helper():
    check(
        '''
        import psycopg

        LEASE_TTL = 30


        def claim(conn: psycopg.Connection, name: str, me: str) -> bool:
            with conn.cursor() as cur:
                cur.execute(  # ARM201
                    "update leases set holder = %s, expires_at = now() + make_interval(secs => %s) "
                    "where name = %s and expires_at < now()",
                    (me, LEASE_TTL, name),
                )
                return cur.rowcount == 1


        def expire_sessions(conn: psycopg.Connection, me: str) -> None:
            if not claim(conn, "session-reaper", me):
                return
            with conn.cursor() as cur:
                cur.execute("delete from sessions where revoked")
            conn.commit()


        def count_sessions(conn: psycopg.Connection, me: str) -> int:
            if claim(conn, "session-counter", me):
                with conn.cursor() as cur:
                    cur.execute("select count(*) from sessions")
                    return cur.fetchone()[0]
            return 0
        ''',
        LOCKS,
    )


def test_lease_statement_in_a_module_constant_is_where_a_helper_finding_points():
    check(
        '''
        ACQUIRE = """  -- ARM201
            update leases
               set holder = %(me)s, expires_at = now() + interval '20 seconds'
             where name = %(name)s and (expires_at < now() or holder = %(me)s)
        """


        def acquire(conn, name, me):
            with conn.cursor() as cur:
                cur.execute(ACQUIRE, {"me": me, "name": name})
                got = cur.rowcount == 1
            conn.commit()
            return {"name": name, "holder": me} if got else None


        def compact(conn, me):
            lease = acquire(conn, "compactor", me)
            if lease is None:
                return
            with conn.cursor() as cur:
                cur.execute("update partitions set compacted = true where compacted = false")
            conn.commit()
        ''',
        LOCKS,
    )


def test_advisory_lock_helpers_returning_or_yielding():
    check(
        '''
        from contextlib import contextmanager

        import psycopg


        def try_lock(cur, key: str) -> bool:
            cur.execute("select pg_try_advisory_lock(hashtext(%s))", (key,))  # ARM201
            return cur.fetchone()[0]


        def rebuild_totals(conn: psycopg.Connection, account_id: str) -> None:
            with conn.cursor() as cur:
                if try_lock(cur, f"totals:{account_id}"):
                    cur.execute("update totals set amount = (select sum(v) from entries where a = %s) where a = %s",
                                (account_id, account_id))
                    conn.commit()


        @contextmanager
        def session_lock(conn: psycopg.Connection, key: str):
            with conn.cursor() as cur:
                cur.execute("select pg_try_advisory_lock(hashtext(%s))", (key,))  # ARM201
                if not cur.fetchone()[0]:
                    raise RuntimeError("busy")
            try:
                yield
            finally:
                with conn.cursor() as cur:
                    cur.execute("select pg_advisory_unlock(hashtext(%s))", (key,))


        def reconcile(conn: psycopg.Connection, account_id: str, fetch_statement) -> None:
            with session_lock(conn, f"recon:{account_id}"):
                statement = fetch_statement(account_id)
                with conn.cursor() as cur:
                    cur.execute("update accounts set reconciled = %s where id = %s", (statement["balance"], account_id))
                conn.commit()


        def audit(conn: psycopg.Connection, account_id: str) -> list:
            with session_lock(conn, f"audit:{account_id}"):
                with conn.cursor() as cur:
                    cur.execute("select * from entries where account_id = %s", (account_id,))
                    return cur.fetchall()


        @contextmanager
        def xact_lock(conn: psycopg.Connection, key: str):
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("select pg_advisory_xact_lock(hashtext(%s))", (key,))
                yield cur


        def post(conn: psycopg.Connection, account_id: str, amount) -> None:
            with xact_lock(conn, f"acct:{account_id}") as cur:
                cur.execute("update accounts set balance = balance + %s where id = %s", (amount, account_id))
        ''',
        LOCKS,
    )


def test_helpers_that_are_not_just_a_lock_stay_quiet():
    check(
        '''
        import threading

        import redis

        r = redis.Redis()
        _guard = threading.Lock()


        def probe(key: str) -> bool:
            # takes the lock only to see whether someone else holds it, and gives it back
            ok = r.set(f"lock:{key}", "probe", nx=True, ex=5)
            if ok:
                r.delete(f"lock:{key}")
            return bool(ok)


        def local_lock() -> bool:
            return _guard.acquire(timeout=1)


        def refresh(conn, key: str) -> None:
            if probe(key):
                with conn.cursor() as cur:
                    cur.execute("update caches set stale = true where key = %s", (key,))
            if local_lock():
                with conn.cursor() as cur:
                    cur.execute("update caches set stale = false where key = %s", (key,))


        def with_own_write(conn, key: str) -> bool:
            if r.set(f"lock:{key}", "1", nx=True, ex=30):
                with conn.cursor() as cur:
                    cur.execute("update jobs set started = true where key = %s", (key,))  # ARM201
                return True
            return False


        def run(conn, key: str) -> None:
            if with_own_write(conn, key):
                with conn.cursor() as cur:
                    cur.execute("update jobs set finished = true where key = %s", (key,))
        ''',
        LOCKS,
    )
