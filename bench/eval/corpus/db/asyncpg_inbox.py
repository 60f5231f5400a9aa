"""Inbox consumer + outbox relay (asyncpg + aio-pika)."""
import json
import logging

import aio_pika
import asyncpg

log = logging.getLogger(__name__)


async def consume_order_events(pool: asyncpg.Pool, queue: aio_pika.Queue):
    async with queue.iterator() as it:
        async for message in it:
            async with message.process(requeue=True):
                evt = json.loads(message.body)
                async with pool.acquire() as conn, conn.transaction():
                    await conn.execute(
                        "INSERT INTO inbox_messages (message_id, kind, body) VALUES ($1, $2, $3)",  # expect: ARM403
                        message.message_id,
                        evt["kind"],
                        message.body.decode(),
                    )
                    await conn.execute(
                        "UPDATE orders SET state = $1 WHERE id = $2", evt["state"], evt["order_id"]
                    )


async def consume_order_events_v2(pool: asyncpg.Pool, queue: aio_pika.Queue):
    async with queue.iterator() as it:
        async for message in it:
            async with message.process(requeue=True):
                evt = json.loads(message.body)
                async with pool.acquire() as conn, conn.transaction():
                    # ok: dedup on message id
                    inserted = await conn.fetchval(
                        """
                        insert into inbox_messages (message_id, kind, body)
                        values ($1, $2, $3)
                        on conflict (message_id) do nothing
                        returning true
                        """,
                        message.message_id,
                        evt["kind"],
                        message.body.decode(),
                    )
                    if inserted:
                        await conn.execute(
                            "update orders set state = $1 where id = $2", evt["state"], evt["order_id"]
                        )


async def record_domain_event(conn: asyncpg.Connection, kind: str, payload: dict):
    # eventos gravados por várias instâncias da API; timeline ordenada por occurred_at
    await conn.execute(
        """
        insert into domain_events (kind, payload, occurred_at)
        values ($1, $2, clock_timestamp())                -- expect: ARM102
        """,
        kind,
        json.dumps(payload),
    )


async def timeline(conn: asyncpg.Connection, limit: int = 100):
    return await conn.fetch("select * from domain_events order by id desc limit $1", limit)


async def relay_outbox(pool: asyncpg.Pool, exchange: aio_pika.Exchange):
    # ok: outbox relay; publish carries the outbox id as message_id so consumers dedup
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "select id, routing_key, body from outbox where published_at is null order by id limit 100"
        )
        for row in rows:
            await exchange.publish(
                aio_pika.Message(body=row["body"].encode(), message_id=str(row["id"])),
                routing_key=row["routing_key"],
            )
            await conn.execute("update outbox set published_at = now() where id = $1", row["id"])
