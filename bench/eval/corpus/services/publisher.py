import json

import pika
import psycopg2

params = pika.URLParameters("amqp://guest:guest@rabbit:5672/%2F")


def publish_order_paid(conn, order_id: int) -> None:
    connection = pika.BlockingConnection(params)
    channel = connection.channel()
    channel.basic_publish(  # expect: ARM402
        exchange="orders",
        routing_key="order.paid",
        body=json.dumps({"order_id": order_id}),
    )
    with conn.cursor() as cur:
        cur.execute("update orders set paid_event_published = true where id = %s", (order_id,))
    conn.commit()
    connection.close()


def mark_paid_with_outbox(conn, order_id: int) -> None:
    # ok: state change and outbox row in the same transaction; relay publishes later
    with conn, conn.cursor() as cur:
        cur.execute("update orders set status = 'paid' where id = %s", (order_id,))
        cur.execute(
            "insert into outbox (aggregate_id, routing_key, body) values (%s, 'order.paid', %s)",
            (order_id, json.dumps({"order_id": order_id})),
        )
