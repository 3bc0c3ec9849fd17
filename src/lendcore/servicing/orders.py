"""A checkout loan's order: the only writer of ``checkout_orders`` and ``checkout_order_items``.

One loan per (merchant, order): :func:`check_new` refuses a known order before anything is
reserved, and the unique constraint on (merchant_id, order_id) refuses the second of two
concurrent checkouts of one order at :func:`insert` (409 ``order_already_financed``; the whole
command rolls back). The items are kept in the order given, numbered from 1. Every function
takes the caller's connection and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, select
from sqlalchemy.exc import IntegrityError

from lendcore.errors import Conflict
from lendcore.store.merchant_tables import checkout_order_items, checkout_orders


@dataclass(frozen=True, slots=True)
class Order:
    """A financed order as written: the loan that pays it and what it holds."""

    loan_id: int
    merchant_id: str
    order_id: str
    customer_id: int
    amount_fen: int
    interest_free: bool
    subsidy_fen: int
    ordered_on: date
    items: tuple[tuple[str, str, int, int], ...]  # (name, category, quantity, unit price fen)


def financed_by(conn: Connection, merchant_id: str, order_id: str) -> int | None:
    """The loan that pays the merchant's order, or None."""
    found = conn.execute(select(checkout_orders.c.loan_id).where(and_(
        checkout_orders.c.merchant_id == merchant_id,
        checkout_orders.c.order_id == order_id))).scalar()
    return None if found is None else int(found)


def check_new(conn: Connection, merchant_id: str, order_id: str) -> None:
    """Refuse (409) an order a loan already pays."""
    loan_id = financed_by(conn, merchant_id, order_id)
    if loan_id is not None:
        raise _financed(merchant_id, order_id, loan_id)


def insert(conn: Connection, order: Order) -> None:
    """Write the order and its items; an order financed meanwhile is a 409."""
    try:
        with conn.begin_nested():
            conn.execute(checkout_orders.insert().values(
                loan_id=order.loan_id, merchant_id=order.merchant_id, order_id=order.order_id,
                customer_id=order.customer_id, amount_fen=order.amount_fen,
                interest_free=order.interest_free, subsidy_fen=order.subsidy_fen,
                ordered_on=order.ordered_on))
            conn.execute(checkout_order_items.insert(), [
                {"loan_id": order.loan_id, "line": n, "name": name, "category": category,
                 "quantity": quantity, "unit_price_fen": price}
                for n, (name, category, quantity, price) in enumerate(order.items, start=1)])
    except IntegrityError as exc:  # a concurrent checkout of the same order won
        loan_id = financed_by(conn, order.merchant_id, order.order_id)
        if loan_id is None:
            raise
        raise _financed(order.merchant_id, order.order_id, loan_id) from exc


def get(conn: Connection, loan_id: int) -> Order | None:
    """The order a checkout loan pays, with its items, or None (a draw)."""
    head = conn.execute(select(checkout_orders)
                        .where(checkout_orders.c.loan_id == loan_id)).first()
    if head is None:
        return None
    lines: Sequence[Any] = conn.execute(
        select(checkout_order_items).where(checkout_order_items.c.loan_id == loan_id)
        .order_by(checkout_order_items.c.line)).all()
    return Order(int(head.loan_id), head.merchant_id, head.order_id, int(head.customer_id),
                 int(head.amount_fen), bool(head.interest_free), int(head.subsidy_fen),
                 head.ordered_on,
                 tuple((r.name, r.category, int(r.quantity), int(r.unit_price_fen))
                       for r in lines))


def _financed(merchant_id: str, order_id: str, loan_id: int) -> Conflict:
    return Conflict(f"order {order_id!r} of merchant {merchant_id!r} is already paid by loan "
                    f"{loan_id}; one loan per order", field="order_id",
                    code="order_already_financed")
