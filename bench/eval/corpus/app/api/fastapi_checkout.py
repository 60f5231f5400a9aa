# FastAPI checkout service — Stripe
import os
import uuid

import asyncpg
import stripe
from fastapi import APIRouter, Depends, HTTPException

router = APIRouter(prefix="/checkout")
stripe.api_key = os.environ["STRIPE_SECRET_KEY"]


async def get_conn():
    conn = await asyncpg.connect(os.environ["DATABASE_URL"], timeout=5)  # ok: connect timeout
    try:
        yield conn
    finally:
        await conn.close()


@router.post("/orders/{order_id}/pay")
async def pay_order(order_id: int, conn=Depends(get_conn)):
    order = await conn.fetchrow("select id, total_cents, customer_ref from orders where id = $1", order_id)
    if order is None:
        raise HTTPException(404)
    # TODO: mover para worker
    intent = stripe.PaymentIntent.create(  # expect: ARM401, ARM402
        amount=order["total_cents"],
        currency="brl",
        customer=order["customer_ref"],
        confirm=True,
    )
    await conn.execute(
        "update orders set status = 'paid', payment_intent = $2 where id = $1",
        order_id,
        intent.id,
    )
    return {"status": "paid"}


@router.post("/orders/{order_id}/refund")
async def refund_order(order_id: int, conn=Depends(get_conn)):
    row = await conn.fetchrow("select payment_intent from orders where id = $1", order_id)
    # ok: idempotency key derived from the order, written before anything else
    refund = stripe.Refund.create(
        payment_intent=row["payment_intent"],
        idempotency_key=f"refund-order-{order_id}",
    )
    return {"refund": refund.id}


@router.get("/orders/{order_id}/intent")
async def show_intent(order_id: int, conn=Depends(get_conn)):
    row = await conn.fetchrow("select payment_intent from orders where id = $1", order_id)
    intent = stripe.PaymentIntent.retrieve(row["payment_intent"])  # ok: read-only
    return {"status": intent.status}


@router.post("/customers")
async def create_customer(email: str):
    # ok: not a money movement
    cust = stripe.Customer.create(email=email, idempotency_key=str(uuid.uuid5(uuid.NAMESPACE_URL, email)))
    return {"id": cust.id}


@router.post("/tips")
async def tip(amount_cents: int, customer: str, request_id: str):
    # X-Request-Id só serve para tracing; não é idempotency key
    charge = stripe.Charge.create(  # expect: ARM401
        amount=amount_cents,
        currency="brl",
        customer=customer,
        headers={"X-Request-Id": request_id},
    )
    return {"charge": charge.id}
