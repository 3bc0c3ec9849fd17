"""Penalty interest (罚息) is 1.5 x the loan's contract rate, capped at 24% (issue #14, item 1).

Seed 001: 日利率的1.5倍; domain.md s4. The rate is a property of the contract, so identical
contracts drawn on different dates get the same penalty rate (1.5 x the disclosed APR of a loan
charging by the day used to move with the lengths of its months). A flat-fee loan, which has no
contract interest rate, takes 1.5 x its fee's equivalent annual rate (13.0342% for 0.6% a month
over 12), which moves with neither the date nor the amount.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from lendcore.clock import advance_business_date, business_date
from lendcore.customers.operations import OpenLine
from lendcore.products.catalogue import get_product
from lendcore.products.model import RepaymentMethod
from lendcore.products.pricing import penalty_rate
from lendcore.servicing.lending import _loan_terms
from lendcore.servicing.operations import Checkout, Draw
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork
from tests.servicing.helpers import MERCHANT, goods, new_line, run, start_book

CAP = Decimal("0.24")
CASH, CHECKOUT = get_product("cash-line"), get_product("checkout-installment")
EI, FLAT = RepaymentMethod.EQUAL_INSTALLMENT, RepaymentMethod.FLAT_FEE


# -- the rule, worked -------------------------------------------------------------------------
@pytest.mark.parametrize(("daily", "penalty"), [
    ("0.0003", "0.16425"),  # 10.95% -> 16.425%
    ("0.0004", "0.219"),  # 14.60% -> 21.90%
    ("0.0005", "0.24"),  # 18.25% -> 27.375%, cut to the 24% cap (domain.md s4)
])
def test_the_cash_lines_penalty_is_one_and_a_half_times_its_daily_rate_a_year(
        daily: str, penalty: str) -> None:
    annual = Decimal(daily) * 365
    assert penalty_rate(CASH, EI, 6, annual, Decimal(0), CAP) == Decimal(penalty)


@pytest.mark.parametrize(("annual", "penalty"), [
    ("0.159999", "0.2399985"),  # just under: 1.5 x, untouched
    ("0.16", "0.24"),  # exactly at the cap
    ("0.160001", "0.24"),  # just over: cut to the cap
])
def test_the_penalty_is_cut_to_the_cap_only_above_it(annual: str, penalty: str) -> None:
    assert penalty_rate(CASH, EI, 6, Decimal(annual), Decimal(0), CAP) == Decimal(penalty)


def test_a_tighter_cap_in_the_table_cuts_the_penalty_further() -> None:
    assert penalty_rate(CASH, EI, 6, Decimal("0.146"), Decimal(0), Decimal("0.20")) == Decimal(
        "0.20")


@pytest.mark.parametrize(("fee", "n", "penalty"), [
    ("0.006", 12, "0.1955130"),  # 1.5 x 13.0342%
    ("0.008", 3, "0.2151480"),  # 1.5 x 14.3432%
    ("0", 12, "0"),  # 贴息: the borrower pays nothing for the money
])
def test_a_flat_fee_loans_penalty_is_one_and_a_half_times_its_fee_equivalent_rate(
        fee: str, n: int, penalty: str) -> None:
    assert penalty_rate(CHECKOUT, FLAT, n, Decimal(0), Decimal(fee), CAP) == Decimal(penalty)


def test_a_flat_fee_penalty_is_not_the_naive_fee_times_twelve() -> None:
    naive = Decimal("1.5") * Decimal("0.006") * 12  # 10.8%: understates what the money costs
    assert penalty_rate(CHECKOUT, FLAT, 12, Decimal(0), Decimal("0.006"), CAP) > naive


# -- identical contracts, any date ------------------------------------------------------------
_days = st.integers(min_value=0, max_value=4 * 365).map(lambda d: date(2024, 1, 1) + timedelta(d))


@settings(max_examples=200, deadline=None)
@given(first=_days, second=_days, amount_fen=st.integers(min_value=50_000, max_value=5_000_000),
       installments=st.integers(min_value=1, max_value=12),
       method=st.sampled_from([m.value for m in CASH.methods]),
       daily_bp=st.sampled_from([None, "0.0002", "0.00025", "0.0003", "0.0004", "0.0005"]))
def test_identical_cash_contracts_get_identical_penalty_rates_on_any_two_dates(
        first: date, second: date, amount_fen: int, installments: int, method: str,
        daily_bp: str | None) -> None:
    daily = None if daily_bp is None else Decimal(daily_bp)
    a, _ = _loan_terms(CASH, 1, amount_fen, installments, method, daily, first, False, "shorten")
    b, _ = _loan_terms(CASH, 1, amount_fen, installments, method, daily, second, False,
                       "shorten")
    assert a.penalty_rate_ppb == b.penalty_rate_ppb
    expected = min(Decimal("1.5") * Decimal(a.annual_rate_ppb), Decimal(240_000_000))
    assert a.penalty_rate_ppb == int(expected)  # 1.5 x the contract rate, never the APR


@settings(max_examples=100, deadline=None)
@given(first=_days, second=_days, amount_fen=st.integers(min_value=10_000, max_value=5_000_000),
       installments=st.sampled_from([3, 6, 12, 24]))
def test_flat_fee_checkouts_of_any_amount_on_any_date_share_their_terms_penalty_rate(
        first: date, second: date, amount_fen: int, installments: int) -> None:
    a, _ = _loan_terms(CHECKOUT, 1, amount_fen, installments, "flat-fee", None, first, False,
                       "shorten")
    b, _ = _loan_terms(CHECKOUT, 1, 1_200_000, installments, "flat-fee", None, second, False,
                       "shorten")
    assert a.penalty_rate_ppb == b.penalty_rate_ppb > 0


def test_an_interest_free_checkout_charges_no_penalty_interest() -> None:
    terms, _ = _loan_terms(CHECKOUT, 1, 1_200_000, 12, "flat-fee", None, date(2026, 1, 5), True,
                           "shorten")
    assert (terms.fee_rate_ppb, terms.penalty_rate_ppb) == (0, 0)


# -- through the real draw and checkout -------------------------------------------------------
def _jump(engine: Engine, to: date) -> None:
    """Move the business date forward without a nightly run (no loan is touched)."""
    with UnitOfWork(engine) as uow:
        day = business_date(uow.conn)
        while day < to:
            day = advance_business_date(uow.conn, day)
        uow.commit()


def _penalty_ppb(engine: Engine, loan_id: int) -> int:
    with UnitOfWork(engine, read_only=True) as uow:
        return int(uow.conn.execute(select(loans.c.penalty_rate_ppb)
                                    .where(loans.c.id == loan_id)).scalar_one())


def _draw(engine: Engine, installments: int, key: str) -> int:
    _, line_id = new_line(engine)
    loan = run(engine, Draw(line_id, 1_000_000, installments, "travel", MERCHANT,
                            "equal-installment"), key)
    return int(loan["loan_id"])


def test_the_same_draw_on_1_july_and_on_1_february_gets_the_same_penalty_rate(
        engine: Engine) -> None:
    start_book(engine, date(2025, 7, 1))  # July and August: the longest months first
    july = (_draw(engine, 6, "jul-6"), _draw(engine, 12, "jul-12"))
    _jump(engine, date(2026, 2, 1))  # February first: the shortest
    february = (_draw(engine, 6, "feb-6"), _draw(engine, 12, "feb-12"))
    assert [_penalty_ppb(engine, i) for i in july] == [219_000_000, 240_000_000]
    assert [_penalty_ppb(engine, i) for i in february] == [219_000_000, 240_000_000]


def test_a_flat_fee_checkout_stores_one_and_a_half_times_its_fee_equivalent_rate(
        engine: Engine) -> None:
    start_book(engine, date(2026, 1, 5))
    cid, _ = new_line(engine)
    run(engine, OpenLine(cid, "checkout-installment", 2_000_000))
    loan = run(engine, Checkout(cid, "O-1", MERCHANT, 399_900, 12, goods(399_900)), "co")
    assert loan["penalty_rate"] == "0.195513"  # 1.5 x 13.0342%, whatever the amount
    free = run(engine, Checkout(cid, "O-2", MERCHANT, 120_000, 12, goods(120_000), "flat-fee",
                                True), "free")
    assert free["penalty_rate"] == "0.000000"
