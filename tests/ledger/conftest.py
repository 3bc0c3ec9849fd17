"""Ledger test helpers: minimal customer and loan rows written straight with Core inserts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Connection, insert

from lendcore.ids import customer_of
from lendcore.store.core_tables import customers
from lendcore.store.servicing_tables import loans

D0 = date(2026, 3, 1)

LoanMaker = Callable[..., int]


def insert_loan(
    conn: Connection,
    loan_id: int,
    *,
    principal_outstanding_fen: int,
    status: str = "active",
    interest_receivable_fen: int = 0,
    penalty_receivable_fen: int = 0,
    fee_receivable_fen: int = 0,
    overpayment_fen: int = 0,
    product_code: str = "cash",
) -> int:
    """A loan row with just the balances the audit reads (and its customer, if new)."""
    customer_id = customer_of(loan_id)
    if conn.execute(customers.select().where(customers.c.id == customer_id)).first() is None:
        conn.execute(insert(customers).values(id=customer_id, created_on=D0))
    values = dict(
        id=loan_id, customer_id=customer_id, product_code=product_code, kind="draw",
        method="equal_installment", principal_fen=principal_outstanding_fen, installments_count=3,
        start_date=D0, maturity_date=date(2026, 6, 1), annual_rate_ppb=182_500_000,
        penalty_rate_ppb=240_000_000, day_count="ACT/365", interest_mode="daily",
        rounding="half-up", grace_days=3, charge_off_dpd=180, ladder="bank", status=status,
        principal_outstanding_fen=principal_outstanding_fen,
        interest_receivable_fen=interest_receivable_fen,
        penalty_receivable_fen=penalty_receivable_fen, fee_receivable_fen=fee_receivable_fen,
        overpayment_fen=overpayment_fen,
    )
    conn.execute(insert(loans).values(_fill_required(values)))
    return loan_id


def _fill_required(values: dict[str, Any]) -> dict[str, Any]:
    """Placeholders for required columns the ledger does not read (servicing may add more)."""
    filled = dict(values)
    for column in loans.c:
        if column.name in filled or column.nullable or column.server_default is not None:
            continue
        python_type = column.type.python_type
        placeholders: dict[type, Any] = {str: "-", int: 0, bool: False, date: D0}
        filled[column.name] = placeholders.get(python_type, "-")
    return filled


@pytest.fixture()
def make_loan() -> LoanMaker:
    return insert_loan
