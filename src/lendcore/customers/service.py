"""Customers and credit lines: open, show, and change a line (limit, freeze, close).

Every function takes the caller's unit of work (the caller commits once) and returns a value of
``customers.model``; every write goes through ``customers.store``. The business date is the
server's (``clock.business_date``), the actor the command's (``ctx.actor``).

- A line is opened once per customer and product: a second open is a 409 ``line_exists`` and
  changes nothing (an approved 20,000.00 limit is never overwritten by "opening" it again).
- A limit changes only through :func:`set_limit`, with a reason and, optionally, the decision
  or review it rests on; the change is logged in ``limit_changes`` with who made it. A line's
  opening, freezing, unfreezing and closing are logged the same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from lendcore.clock import business_date
from lendcore.customers import store
from lendcore.customers.model import Customer, LimitChanged, Line
from lendcore.errors import InvalidInput, RuleViolation
from lendcore.money import format_yuan
from lendcore.products.catalogue import get_product
from lendcore.reasons import Reason
from lendcore.store.origination_tables import decisions, reviews
from lendcore.store.uow import UnitOfWork

REASON_CODE = "operator"  # the code of a reason typed by a person (limit_changes.reasons_json)


# -- customers ---------------------------------------------------------------------------------
def create_customer(uow: UnitOfWork, *, name_masked: str = "", timezone: str = "Asia/Shanghai",
                    external_ref: str | None = None) -> Customer:
    """A new customer, created on the business date; a duplicate external_ref is a 409."""
    customer_id = store.insert_customer(uow.conn, created_on=business_date(uow.conn),
                                        timezone=timezone, name_masked=name_masked,
                                        external_ref=external_ref)
    return get_customer(uow.conn, customer_id)


def get_customer(conn: Connection, customer_id: int) -> Customer:
    row = store.get_customer(conn, customer_id)
    return Customer(customer_id=int(row.id), name_masked=row.name_masked,
                    timezone=row.timezone, external_ref=row.external_ref,
                    created_on=row.created_on,
                    lines=tuple(_line(r) for r in store.customer_lines(conn, customer_id)),
                    id_number_masked=row.id_number_masked, mobile_masked=row.mobile_masked)


# -- lines -------------------------------------------------------------------------------------
def get_line(conn: Connection, line_id: int) -> Line:
    return _line(store.get_line(conn, line_id))


def _line(row: Any) -> Line:
    return Line(**store.line_values(row))


def open_line(uow: UnitOfWork, *, customer_id: int, product_code: str, limit_fen: int,
              actor: str) -> Line:
    """Open the customer's line of a product (logged as ``open``); one exists: 409."""
    conn = uow.conn
    product = get_product(product_code)
    store.get_customer(conn, customer_id)  # 404 naming customer_id
    _check_limit(product_code, limit_fen)
    bd = business_date(conn)
    line_id = store.insert_line(conn, customer_id=customer_id, product_code=product.code,
                                limit_fen=limit_fen, daily_rate_ppb=None, opened_on=bd)
    store.set_limit(conn, store.LimitChange(
        line_id=line_id, action="open", new_limit_fen=limit_fen,
        reasons=(Reason(REASON_CODE, "line opened"),), on=bd, actor=actor))
    return get_line(conn, line_id)


def set_limit(uow: UnitOfWork, *, line_id: int, limit_fen: int, reason: str, actor: str,
              decision_id: int | None = None, review_id: int | None = None) -> LimitChanged:
    """Raise or cut a line's limit, with a reason and what it rests on (logged)."""
    conn = uow.conn
    line = _open_line_for_change(conn, line_id)
    _check_limit(line.product, limit_fen)
    if limit_fen == line.limit_fen:
        raise RuleViolation(f"the limit of line {line_id} is already "
                            f"{format_yuan(limit_fen)} CNY", field="limit",
                            code="limit_unchanged")
    _check_basis(conn, line.customer_id, decision_id, review_id)
    action = "raise" if limit_fen > line.limit_fen else "cut"
    return _change(conn, line, action, limit_fen, reason, actor, decision_id=decision_id,
                   review_id=review_id)


def freeze_line(uow: UnitOfWork, *, line_id: int, reason: str, actor: str) -> LimitChanged:
    """No new draws on the line until it is unfrozen (loans on it run as before)."""
    line = _open_line_for_change(uow.conn, line_id)
    if line.frozen:
        raise RuleViolation(f"credit line {line_id} is already frozen ({line.frozen_reason})",
                            field="line_id", code="line_frozen")
    return _change(uow.conn, line, "freeze", line.limit_fen, reason, actor, frozen=True)


def unfreeze_line(uow: UnitOfWork, *, line_id: int, reason: str, actor: str) -> LimitChanged:
    line = _open_line_for_change(uow.conn, line_id)
    if not line.frozen:
        raise RuleViolation(f"credit line {line_id} is not frozen", field="line_id",
                            code="line_not_frozen")
    return _change(uow.conn, line, "unfreeze", line.limit_fen, reason, actor, frozen=False)


def close_line(uow: UnitOfWork, *, line_id: int, reason: str, actor: str) -> LimitChanged:
    """No new loans on the line, ever; loans already on it run to their end."""
    line = _open_line_for_change(uow.conn, line_id)
    return _change(uow.conn, line, "close", line.limit_fen, reason, actor)


def _open_line_for_change(conn: Connection, line_id: int) -> Line:
    line = _line(store.get_line(conn, line_id, for_update=True))
    if line.status != "open":
        raise RuleViolation(f"credit line {line_id} is {line.status}", field="line_id",
                            code="line_closed")
    return line


def _check_limit(product_code: str, limit_fen: int) -> None:
    product = get_product(product_code)
    if not product.principal_min_fen <= limit_fen <= product.principal_max_fen:
        raise InvalidInput(f"a {product.code} limit is {format_yuan(product.principal_min_fen)} "
                           f"to {format_yuan(product.principal_max_fen)}", field="limit")


def _check_basis(conn: Connection, customer_id: int, decision_id: int | None,
                 review_id: int | None) -> None:
    """A decision or review a change rests on must exist and be about this customer."""
    if review_id is not None:
        row = conn.execute(select(reviews.c.decision_id, decisions.c.customer_id)
                           .join(decisions, decisions.c.id == reviews.c.decision_id)
                           .where(reviews.c.id == review_id)).first()
        if row is None or row.customer_id != customer_id:
            raise InvalidInput(f"no review {review_id} of customer {customer_id}",
                               field="review_id")
        if decision_id is not None and row.decision_id != decision_id:
            raise InvalidInput(f"review {review_id} is of decision {row.decision_id}, not "
                               f"{decision_id}", field="review_id")
    if decision_id is not None:
        owner = conn.execute(select(decisions.c.customer_id)
                             .where(decisions.c.id == decision_id)).first()
        if owner is None or owner.customer_id != customer_id:
            raise InvalidInput(f"no decision {decision_id} of customer {customer_id}",
                               field="decision_id")


def _change(conn: Connection, line: Line, action: str, limit_fen: int, reason: str, actor: str,
            *, frozen: bool | None = None, decision_id: int | None = None,
            review_id: int | None = None) -> LimitChanged:
    bd = business_date(conn)
    store.set_limit(conn, store.LimitChange(
        line_id=line.line_id, action=action, new_limit_fen=limit_fen,
        reasons=(Reason(REASON_CODE, reason),), on=bd, actor=actor, frozen=frozen,
        frozen_reason=reason if frozen else None, decision_id=decision_id,
        review_id=review_id))
    return LimitChanged(line=get_line(conn, line.line_id), action=action,
                        old_limit_fen=line.limit_fen, new_limit_fen=limit_fen, reason=reason,
                        business_date=bd, actor=actor, decision_id=decision_id,
                        review_id=review_id)


def unmasked_identity(conn: Connection, customer_id: int) -> dict[str, str | None]:
    """The customer's full name, ID number and mobile, opened from their sealed values. Only
    for the audited read path (``audit.read_unmasked``, permission ``customer.unmask``)."""
    from lendcore import pii
    from lendcore.customers import store

    sealed = store.sealed_identity(conn, customer_id)
    return {"customer_id": str(customer_id),
            **{name: None if value is None else pii.unseal(value, name)
               for name, value in sealed.items()}}
