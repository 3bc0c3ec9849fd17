"""A customer past grace on any loan gets no new loan: no draw, no checkout.

Grace is the loan's own grace days (3 for both reference products). DPD counts from the oldest
unpaid due date: a first installment due 2026-02-05 and unpaid is 3 days past due on
2026-02-08 (still inside grace: new loans are allowed) and 4 on 2026-02-09 (past grace: a 422
``past_grace`` naming the loan, its DPD and its grace). Brought current, the customer borrows
again. The refusal reserves nothing.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, select

from lendcore.customers.operations import OpenLine
from lendcore.errors import RuleViolation
from lendcore.servicing.operations import Checkout, Draw
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork
from tests.servicing.helpers import MERCHANT, advance, goods, new_draw, repay, run, start_book

DAY0 = date(2026, 1, 5)
FIRST_DUE = date(2026, 2, 5)


@pytest.fixture()
def late(engine: Engine) -> tuple[Engine, int, int, int]:
    """A customer whose first draw's first installment is unpaid, on the day it falls due."""
    start_book(engine, DAY0)
    loan_id = new_draw(engine, 1_000_000, 12)
    with UnitOfWork(engine, read_only=True) as uow:
        row = uow.conn.execute(select(loans).where(loans.c.id == loan_id)).one()
    run(engine, OpenLine(int(row.customer_id), "checkout-installment", 2_000_000))
    assert advance(engine, (FIRST_DUE - DAY0).days) == FIRST_DUE
    return engine, int(row.customer_id), int(row.credit_line_id), loan_id


def _dpd(engine: Engine, loan_id: int) -> int:
    with UnitOfWork(engine, read_only=True) as uow:
        return int(uow.conn.execute(select(loans.c.dpd).where(loans.c.id == loan_id))
                   .scalar_one())


def _draw(engine: Engine, line_id: int, key: str) -> dict[str, object]:
    result: dict[str, object] = run(engine, Draw(line_id, 100_000, 3, "travel", MERCHANT), key)
    return result


def _checkout(engine: Engine, customer_id: int, order: str) -> dict[str, object]:
    result: dict[str, object] = run(engine, Checkout(customer_id, order, MERCHANT, 300_000, 3,
                                                     goods(300_000)), order)
    return result


def test_three_days_past_due_is_inside_grace_and_borrows(
        late: tuple[Engine, int, int, int]) -> None:
    engine, customer_id, line_id, loan_id = late
    advance(engine, 3)
    assert _dpd(engine, loan_id) == 3
    assert _draw(engine, line_id, "d3")["loan_id"]
    assert _checkout(engine, customer_id, "O-3")["loan_id"]


def test_four_days_past_due_is_past_grace_and_neither_draws_nor_checks_out(
        late: tuple[Engine, int, int, int]) -> None:
    engine, customer_id, line_id, loan_id = late
    advance(engine, 4)
    assert _dpd(engine, loan_id) == 4
    with UnitOfWork(engine, read_only=True) as uow:
        count = len(uow.conn.execute(select(loans.c.id)).all())
    with pytest.raises(RuleViolation) as drawn:
        _draw(engine, line_id, "d4")
    assert (drawn.value.code, drawn.value.field) == ("past_grace", "line_id")
    assert f"loan {loan_id}" in drawn.value.detail and "4 days past due" in drawn.value.detail
    with pytest.raises(RuleViolation) as bought:
        _checkout(engine, customer_id, "O-4")
    assert (bought.value.code, bought.value.field) == ("past_grace", "customer_id")
    with UnitOfWork(engine, read_only=True) as uow:
        assert len(uow.conn.execute(select(loans.c.id)).all()) == count
        from lendcore.customers.service import get_line
        assert get_line(uow.conn, line_id).used_fen == 1_000_000


def test_brought_current_the_customer_borrows_again(
        late: tuple[Engine, int, int, int]) -> None:
    engine, _, line_id, loan_id = late
    advance(engine, 5)
    with UnitOfWork(engine, read_only=True) as uow:
        row = uow.conn.execute(select(loans).where(loans.c.id == loan_id)).one()
    overdue = (row.overdue_principal_fen + row.overdue_interest_fen + row.overdue_fee_fen
               + row.penalty_receivable_fen)
    assert overdue > 0
    repay(engine, loan_id, overdue, "catch-up")
    assert _dpd(engine, loan_id) == 0
    assert _draw(engine, line_id, "after")["loan_id"]
