"""Refunded goods give the merchant back the interest-free (贴息) subsidy of the refunded part.

A 12,000.00 order on 12 interest-free installments books 864.00 of subsidy (12,000 x 0.6% x 12)
as fee income, netted from what the merchant is paid. A refund returns the subsidy's share of
everything refunded so far, rounded to the fen with the loan's mode (half-up), less what earlier
refunds returned: so the subsidy kept plus the subsidy returned is always the 864.00 booked, and
a full refund leaves neither fee income nor anything owed between lender and merchant on the
loan. The return is a ``merchant_subsidy`` entry mirroring the booking (Dr fee income / Cr
merchant payable).
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from lendcore.customers.operations import OpenLine
from lendcore.ledger.accounts import Account
from lendcore.ledger.store import loan_balances, loan_entries
from lendcore.money import Rounding
from lendcore.servicing import orders
from lendcore.servicing.lending import subsidy_share
from lendcore.servicing.operations import Checkout, RefundGoods
from lendcore.store.uow import UnitOfWork
from tests.servicing.helpers import (
    MERCHANT,
    advance,
    audit_problems,
    goods,
    new_line,
    run,
    start_book,
)

DAY0 = date(2026, 1, 5)
PRINCIPAL, SUBSIDY = 1_200_000, 86_400


# -- the share, pure ------------------------------------------------------------------------------
@pytest.mark.parametrize(("subsidy", "principal", "refunded", "mode", "share"), [
    (3, 2, 1, Rounding.HALF_UP, 2),  # 1.5 -> 2
    (3, 2, 1, Rounding.HALF_EVEN, 2),  # 1.5 -> 2 (even)
    (5, 2, 1, Rounding.HALF_UP, 3),  # 2.5 -> 3
    (5, 2, 1, Rounding.HALF_EVEN, 2),  # 2.5 -> 2 (even)
    (86_400, 1_200_000, 6, Rounding.HALF_UP, 0),  # 0.432 -> 0
    (86_400, 1_200_000, 7, Rounding.HALF_UP, 1),  # 0.504 -> 1
    (86_400, 1_200_000, 0, Rounding.HALF_UP, 0),
    (86_400, 1_200_000, 1_200_000, Rounding.HALF_UP, 86_400),
    (10_001, 30_000, 10_000, Rounding.HALF_UP, 3_334),  # 3,333.67
    (10_001, 30_000, 20_000, Rounding.HALF_UP, 6_667),  # 6,667.33
])
def test_the_subsidy_share_is_rounded_with_the_named_mode(
        subsidy: int, principal: int, refunded: int, mode: Rounding, share: int) -> None:
    assert subsidy_share(subsidy, principal, refunded, mode) == share


@given(subsidy=st.integers(0, 5_000_000), principal=st.integers(1, 5_000_000),
       cuts=st.lists(st.integers(1, 5_000_000), min_size=1, max_size=8),
       mode=st.sampled_from(list(Rounding)))
def test_returns_never_go_backwards_and_a_full_refund_returns_exactly_the_subsidy(
        subsidy: int, principal: int, cuts: list[int], mode: Rounding) -> None:
    refunded, returned = 0, 0
    for cut in cuts:
        refunded = min(principal, refunded + cut)
        due = subsidy_share(subsidy, principal, refunded, mode) - returned
        assert due >= 0
        returned += due
        assert 0 <= returned <= subsidy
    assert subsidy_share(subsidy, principal, principal, mode) == subsidy


# -- on the book ----------------------------------------------------------------------------------
@pytest.fixture()
def book(engine: Engine) -> Engine:
    start_book(engine, DAY0)
    return engine


def _checkout(engine: Engine, interest_free: bool = True) -> int:
    cid, _ = new_line(engine)
    run(engine, OpenLine(cid, "checkout-installment", 2_000_000))
    loan = run(engine, Checkout(cid, "O-9", MERCHANT, PRINCIPAL, 12, goods(PRINCIPAL),
                                "flat-fee", interest_free), "free")
    advance(engine, 1)  # a refund needs the loan closed through yesterday
    return int(loan["loan_id"])


def _subsidy(engine: Engine, loan_id: int) -> tuple[int, list[int]]:
    """(booked, [each return]) of the loan's subsidy, from its merchant_subsidy entries."""
    booked, returns = 0, []
    with UnitOfWork(engine, read_only=True) as uow:
        for entry in loan_entries(uow.conn, loan_id):
            if entry.reason != "merchant_subsidy":
                continue
            for line in entry.postings:
                if line.account_code == Account.FEE_INCOME.value:
                    booked += line.credit_fen
                    if line.debit_fen:
                        returns.append(line.debit_fen)
    return booked, returns


def _net(engine: Engine, loan_id: int, account: Account) -> int:
    with UnitOfWork(engine, read_only=True) as uow:
        return sum(b.net_fen for b in loan_balances(uow.conn, loan_id)
                   if b.account_code == account.value)


def test_the_subsidy_booked_is_kept_with_the_order(book: Engine) -> None:
    loan_id = _checkout(book)
    with UnitOfWork(book, read_only=True) as uow:
        order = orders.get(uow.conn, loan_id)
    assert order is not None and (order.interest_free, order.subsidy_fen) == (True, SUBSIDY)
    assert _subsidy(book, loan_id) == (SUBSIDY, [])


def test_a_full_refund_gives_the_merchant_back_the_whole_subsidy(book: Engine) -> None:
    loan_id = _checkout(book)
    run(book, RefundGoods(loan_id, PRINCIPAL), "all")
    assert _subsidy(book, loan_id) == (SUBSIDY, [SUBSIDY])
    assert _net(book, loan_id, Account.FEE_INCOME) == 0
    assert _net(book, loan_id, Account.MERCHANT_PAYABLE) == 0
    assert audit_problems(book) == []


def test_a_partial_refund_returns_the_share_of_the_refunded_part(book: Engine) -> None:
    loan_id = _checkout(book)
    run(book, RefundGoods(loan_id, 400_000), "third")  # a third: 28,800 exactly
    assert _subsidy(book, loan_id) == (SUBSIDY, [28_800])
    assert _net(book, loan_id, Account.FEE_INCOME) == -(SUBSIDY - 28_800)
    assert audit_problems(book) == []


def test_rounded_returns_of_many_refunds_sum_exactly_to_the_subsidy(book: Engine) -> None:
    loan_id = _checkout(book)
    run(book, RefundGoods(loan_id, 6), "r1")  # 0.432 fen: rounds to nothing yet
    run(book, RefundGoods(loan_id, 1), "r2")  # 7 fen refunded: 0.504 -> 1 fen
    run(book, RefundGoods(loan_id, 599_993), "r3")  # 600,000: 43,200 in all
    run(book, RefundGoods(loan_id, 600_000), "r4")  # the rest: the last 43,200
    booked, returns = _subsidy(book, loan_id)
    assert returns == [1, 43_199, 43_200]
    assert booked == SUBSIDY == sum(returns)
    assert _net(book, loan_id, Account.MERCHANT_PAYABLE) == 0
    assert audit_problems(book) == []


def test_a_refund_without_a_subsidy_returns_nothing(book: Engine) -> None:
    loan_id = _checkout(book, interest_free=False)
    run(book, RefundGoods(loan_id, 400_000), "plain")
    assert _subsidy(book, loan_id) == (0, [])
    assert audit_problems(book) == []
