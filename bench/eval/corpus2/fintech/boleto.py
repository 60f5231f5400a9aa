"""Emissão de boletos via Pagar.me (API v5)."""
from __future__ import annotations

import base64
import os
from datetime import date, timedelta

import requests
from sqlalchemy import text
from sqlalchemy.orm import Session

PAGARME_API = "https://api.pagar.me/core/v5"
_AUTH = base64.b64encode(f"{os.environ['PAGARME_SECRET_KEY']}:".encode()).decode()


def _headers(idempotency_key: str | None = None) -> dict[str, str]:
    h = {"Authorization": f"Basic {_AUTH}", "Content-Type": "application/json"}
    if idempotency_key:
        h["Idempotency-Key"] = idempotency_key
    return h


def _order_body(invoice: dict) -> dict:
    return {
        "code": invoice["number"],
        "customer_id": invoice["pagarme_customer_id"],
        "items": [{"amount": invoice["amount_cents"], "description": invoice["description"], "quantity": 1}],
        "payments": [{
            "payment_method": "boleto",
            "boleto": {"due_at": (date.today() + timedelta(days=3)).isoformat(),  # ok: business due date, not a timeout
                        "instructions": "Não receber após o vencimento"},
        }],
    }


def emitir_boleto(invoice: dict) -> dict:
    resp = requests.post(f"{PAGARME_API}/orders", json=_order_body(invoice), headers=_headers(), timeout=20)  # expect: ARM401
    resp.raise_for_status()
    return resp.json()


def emitir_boleto_idempotente(invoice: dict) -> dict:
    resp = requests.post(
        f"{PAGARME_API}/orders",
        json=_order_body(invoice),
        headers=_headers(idempotency_key=f"boleto-{invoice['id']}"),  # ok: idempotency key
        timeout=20,
    )
    resp.raise_for_status()
    return resp.json()


def consultar_pedido(order_id: str) -> dict:
    # ok: GET, no side effect
    return requests.get(f"{PAGARME_API}/orders/{order_id}", headers=_headers(), timeout=10).json()


def emitir_e_registrar(session: Session, invoice: dict) -> None:
    order = emitir_boleto_idempotente(invoice)
    session.execute(
        text("update invoices set pagarme_order_id = :oid, status = 'boleto_emitido' where id = :id"),
        {"oid": order["id"], "id": invoice["id"]},
    )
    session.commit()


def repassar_ao_recebedor(recipient_id: str, amount_cents: int) -> dict:
    # Transferência (saque) para a conta do recebedor — sem chave de idempotência
    resp = requests.post(f"{PAGARME_API}/recipients/{recipient_id}/transfers",  # expect: ARM401
                         json={"amount": amount_cents}, headers=_headers(), timeout=20)
    return resp.json()
