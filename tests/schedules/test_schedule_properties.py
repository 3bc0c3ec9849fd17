"""Invariants over thousands of generated loans (Hypothesis).

Every schedule: principal sums exactly to the loan, balances never go negative and fall to zero;
the APR solver agrees with an independent float oracle (numpy-financial, test-only) to 1e-8; a
fee-free equal-installment loan with per-period interest discloses its contract rate.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy_financial as npf
from hypothesis import given, settings
from hypothesis import strategies as st

from lendcore.money import Rounding
from lendcore.rates import DayCount
from lendcore.schedules import InterestMode, Method, ScheduleTerms, build_schedule
from lendcore.schedules.apr import apr_of_schedule, periodic_irr

_rates = st.integers(min_value=0, max_value=2_400).map(lambda bp: Decimal(bp) / 10_000)
_fees = st.integers(min_value=0, max_value=150).map(lambda bp: Decimal(bp) / 10_000)
_starts = st.integers(min_value=0, max_value=3_650).map(lambda d: date(2020, 1, 1) + timedelta(d))

loans = st.builds(
    ScheduleTerms,
    principal_fen=st.integers(min_value=50_000, max_value=5_000_000),
    installments=st.sampled_from([1, 2, 3, 6, 9, 12, 18, 24, 36]),
    method=st.sampled_from(list(Method)),
    annual_rate=_rates,
    start=_starts,
    fee_rate_per_installment=_fees,
    interest_mode=st.sampled_from(list(InterestMode)),
    day_count=st.sampled_from(list(DayCount)),
    rounding=st.sampled_from(list(Rounding)),
    installment_multiple_fen=st.sampled_from([1, 1, 1, 10, 100]),
)


@settings(max_examples=2_000, deadline=None)
@given(loans)
def test_every_schedule_repays_exactly_the_principal_and_never_goes_negative(
    terms: ScheduleTerms,
) -> None:
    schedule = build_schedule(terms)
    rows = schedule.installments
    assert sum(i.principal_fen for i in rows) == terms.principal_fen
    assert all(i.balance_after_fen >= 0 for i in rows)
    assert all(i.principal_fen >= 0 and i.interest_fen >= 0 and i.fee_fen >= 0 for i in rows)
    assert rows[-1].balance_after_fen == 0
    assert [i.due_date for i in rows] == sorted(i.due_date for i in rows)


@settings(max_examples=1_500, deadline=None)
@given(loans)
def test_the_apr_matches_an_independent_float_oracle_to_1e_8(terms: ScheduleTerms) -> None:
    flows = build_schedule(terms).cash_flows_fen()
    ours = periodic_irr(flows)
    oracle = npf.irr([float(c) for c in flows])
    assert abs(float(ours) - oracle) < 1e-8


@settings(max_examples=1_000, deadline=None)
@given(
    principal_fen=st.integers(min_value=2 * 10**9, max_value=10**12),
    installments=st.integers(min_value=1, max_value=60),
    annual_rate=_rates,
    start=_starts,
)
def test_a_fee_free_per_period_equal_installment_loan_discloses_its_contract_rate_to_1e_8(
    principal_fen: int, installments: int, annual_rate: Decimal, start: date
) -> None:
    # Rounding each installment to the fen moves the IRR by up to ~12 / principal_fen; at this
    # size that is below 1e-8, so what remains is the schedule maths and the solver.
    terms = ScheduleTerms(principal_fen, installments, Method.EQUAL_INSTALLMENT, annual_rate,
                          start)
    assert abs(apr_of_schedule(build_schedule(terms)).nominal - annual_rate) < Decimal("1e-8")


@settings(max_examples=1_000, deadline=None)
@given(
    principal_fen=st.integers(min_value=50_000, max_value=5_000_000),
    installments=st.sampled_from([1, 3, 6, 12, 24, 36]),
    annual_rate=_rates,
    start=_starts,
)
def test_a_consumer_sized_fee_free_loan_discloses_its_rate_within_the_fen_rounding(
    principal_fen: int, installments: int, annual_rate: Decimal, start: date
) -> None:
    terms = ScheduleTerms(principal_fen, installments, Method.EQUAL_INSTALLMENT, annual_rate,
                          start)
    apr = apr_of_schedule(build_schedule(terms)).nominal
    assert abs(apr - annual_rate) <= Decimal(12) / principal_fen  # half a fen a month, a year
