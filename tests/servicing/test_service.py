"""Servicing on SQLite and PostgreSQL: lifecycle, idempotency, back-dating, refunds, audit."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select

from lendcore.clock import advance_business_date
from lendcore.customers.operations import OpenLine
from lendcore.customers.service import get_line
from lendcore.errors import Conflict, RuleViolation
from lendcore.servicing import queries
from lendcore.servicing.operations import Checkout, Draw, RefundGoods
from lendcore.store.servicing_tables import loan_events, loans
from lendcore.store.uow import UnitOfWork
from tests.servicing.helpers import (
    MERCHANT,
    advance,
    audit_problems,
    goods,
    new_draw,
    new_line,
    repay,
    run,
    start_book,
)

DAY0 = date(2026, 1, 5)


@pytest.fixture()
def book(engine: Engine) -> Engine:
    start_book(engine, DAY0)
    return engine


def loan_row(engine: Engine, loan_id: int):  # type: ignore[no-untyped-def]
    with UnitOfWork(engine, read_only=True) as uow:
        return uow.conn.execute(select(loans).where(loans.c.id == loan_id)).one()


def test_a_draw_reserves_the_limit_and_repaid_principal_frees_it(book: Engine) -> None:
    loan_id = new_draw(book, 1_000_000, 6)
    with UnitOfWork(book, read_only=True) as uow:
        line = get_line(uow.conn, loan_row(book, loan_id).credit_line_id)
    assert line.used_fen == 1_000_000
    advance(book, 31)
    row = loan_row(book, loan_id)
    first_due = row.interest_receivable_fen  # the first installment's interest is billed
    assert first_due > 0
    repay(book, loan_id, 300_000, "k1")
    with UnitOfWork(book, read_only=True) as uow:
        line = get_line(uow.conn, row.credit_line_id)
    assert line.used_fen == 1_000_000 - (300_000 - first_due)
    assert audit_problems(book) == []


def test_the_same_key_and_payload_returns_the_first_result_without_paying_twice(
        book: Engine) -> None:
    loan_id = new_draw(book)
    advance(book, 3)
    first = repay(book, loan_id, 50_000, "same")
    second = repay(book, loan_id, 50_000, "same")
    assert first == second
    with UnitOfWork(book) as uow:
        n = uow.conn.execute(select(func.count()).select_from(loan_events)
                             .where(loan_events.c.kind == "repayment")).scalar()
    assert n == 1


def test_the_same_key_with_another_payload_is_a_conflict_that_changes_nothing(
        book: Engine) -> None:
    loan_id = new_draw(book)
    advance(book, 3)
    repay(book, loan_id, 50_000, "k")
    before = loan_row(book, loan_id)
    with pytest.raises(Conflict) as err:
        repay(book, loan_id, 60_000, "k")
    assert err.value.code == "idempotency_conflict"
    assert loan_row(book, loan_id).principal_outstanding_fen == before.principal_outstanding_fen


def test_a_prohibited_purpose_is_refused_with_the_reason_and_reserves_nothing(
        book: Engine) -> None:
    _, line_id = new_line(book)
    with pytest.raises(RuleViolation) as err:
        run(book, Draw(line_id, 100_000, 3, "securities", MERCHANT), "p1")
    assert err.value.code == "purpose_not_accepted" and err.value.field == "purpose"
    with UnitOfWork(book) as uow:
        assert get_line(uow.conn, line_id).used_fen == 0


def test_a_draw_over_the_available_limit_is_refused(book: Engine) -> None:
    _, line_id = new_line(book, limit_fen=100_000)
    with pytest.raises(RuleViolation) as err:
        run(book, Draw(line_id, 100_001, 3, "travel", MERCHANT), "over")
    assert err.value.code == "exceeds_available"


def test_a_back_dated_repayment_removes_the_penalty_it_would_have_avoided(
        book: Engine) -> None:
    loan_id = new_draw(book)
    with UnitOfWork(book) as uow:
        first = queries.schedule(uow.conn, loan_id).installments[0]
    due = first.due_date
    advance(book, (due - DAY0).days + 20)
    assert loan_row(book, loan_id).penalty_receivable_fen > 0
    amount = first.principal_fen + first.interest_fen + first.fee_fen
    result = repay(book, loan_id, amount, "late-posted", on=due)
    assert result["back_dated"] is True
    row = loan_row(book, loan_id)
    assert row.penalty_receivable_fen == 0 and row.dpd == 0
    assert audit_problems(book) == []


def test_a_checkout_loan_pays_the_merchant_and_a_refund_shrinks_it(book: Engine) -> None:
    cid, _ = new_line(book)
    run(book, OpenLine(cid, "checkout-installment", 1_000_000))
    loan = run(book, Checkout(cid, "O-1", MERCHANT, 600_000, 12, goods(600_000)), "co1")
    assert loan["payee"] == "merchant:mi-mall" and loan["kind"] == "checkout"
    advance(book, 40)
    run(book, RefundGoods(loan["loan_id"], 200_000), "r1")
    row = loan_row(book, loan["loan_id"])
    assert row.principal_outstanding_fen <= 400_000
    assert audit_problems(book) == []


def test_payoff_quote_for_a_future_date_includes_interest_to_that_date(book: Engine) -> None:
    loan_id = new_draw(book, 1_000_000, 3, method="pay-any-time")
    with UnitOfWork(book) as uow:
        quote = queries.payoff_quote(uow.conn, loan_id, DAY0 + timedelta(days=10))
    assert quote.principal_fen == 1_000_000
    assert quote.interest_fen == 3000  # 1-3 months tier: 0.03%/day x 10 days
    repay_day = advance(book, 10)
    assert repay_day == DAY0 + timedelta(days=10)
    repay(book, loan_id, 1_003_000, "payoff")
    assert loan_row(book, loan_id).status == "closed"
    assert audit_problems(book) == []


def test_a_payment_before_end_of_day_caught_up_is_refused(book: Engine) -> None:
    loan_id = new_draw(book)
    with UnitOfWork(book) as uow:  # five days pass without the nightly run closing the loan
        for n in range(5):
            advance_business_date(uow.conn, DAY0 + timedelta(days=n))
        uow.commit()
    with pytest.raises(RuleViolation) as err:
        repay(book, loan_id, 1000, "early")
    assert err.value.code == "end_of_day_pending"


def test_fifty_concurrent_repayments_on_one_loan_all_land_exactly_once(book: Engine) -> None:
    loan_id = new_draw(book, 2_000_000, 12)
    advance(book, 2)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            repay(book, loan_id, 1_000, f"c{n}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with UnitOfWork(book) as uow:
        n = uow.conn.execute(select(func.count()).select_from(loan_events)
                             .where(loan_events.c.kind == "repayment")).scalar()
    assert n == 50
    row = loan_row(book, loan_id)
    paid = 2_000_000 - row.principal_outstanding_fen
    accrued_interest_paid = 50_000 - paid
    assert accrued_interest_paid >= 0
    assert row.interest_receivable_fen >= 0
    assert audit_problems(book) == []


def test_an_interest_free_checkout_charges_the_borrower_nothing_and_the_merchant_the_fee(
        book: Engine) -> None:
    cid, _ = new_line(book)
    run(book, OpenLine(cid, "checkout-installment", 2_000_000))
    loan = run(book, Checkout(cid, "O-9", MERCHANT, 1_200_000, 12, goods(1_200_000),
                              "flat-fee", True), "free")
    assert loan["merchant_subsidy"] == "864.00"  # 12,000 x 0.6% x 12 at the standard price
    with UnitOfWork(book, read_only=True) as uow:
        rows = queries.schedule(uow.conn, loan["loan_id"]).installments
    assert {r.interest_fen for r in rows} == {0} and {r.fee_fen for r in rows} == {0}
    assert audit_problems(book) == []
