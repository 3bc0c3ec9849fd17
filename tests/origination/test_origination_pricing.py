"""Price and limit: always inside the product's range, the term tier and the DTI ceiling."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from lendcore.origination import policy
from lendcore.origination.model import Ecosystem
from lendcore.origination.pricing import dti_headroom_fen, initial_limit, price
from lendcore.products.catalogue import get_product

CASH = get_product("cash-line")
assert CASH.rate_min is not None and CASH.rate_max is not None
scores = st.integers(min_value=200, max_value=900)
amounts = st.integers(min_value=500_00, max_value=50_000_00)
terms = st.sampled_from(CASH.installment_counts)
incomes = st.integers(min_value=0, max_value=500_000_00)
ecosystems = st.builds(Ecosystem, st.booleans(), st.integers(0, 240),
                       st.integers(0, 1_000_000_00))


@settings(max_examples=300, deadline=None)
@given(scores, amounts, terms)
def test_the_daily_rate_is_within_the_range_and_never_above_the_term_tier(
        score: int, amount_fen: int, installments: int) -> None:
    rate, reasons = price(score, amount_fen, installments)
    assert rate is not None and CASH.rate_min is not None and CASH.rate_max is not None
    assert CASH.rate_min.daily <= rate <= CASH.rate_max.daily
    tier_rate = CASH.tier_for(installments).rate
    assert tier_rate is not None and rate <= tier_rate.daily
    assert rate * 365 <= Decimal("0.24")
    assert reasons[0].code == "price_score_band"


def test_tier_ceilings_bind_short_terms_for_weak_scores() -> None:
    assert price(470, 5000_00, 3)[0] == Decimal("0.0003")
    assert price(470, 5000_00, 4)[0] == Decimal("0.0004")
    assert price(470, 5000_00, 7)[0] == Decimal("0.0005")
    assert price(650, 5000_00, 3)[0] == Decimal("0.0002")


def test_a_large_request_is_priced_lower_but_never_below_the_floor() -> None:
    assert price(560, 20_000_00, 12)[0] == Decimal("0.0002")
    assert price(560, 19_999_99, 12)[0] == Decimal("0.00025")
    assert price(650, 20_000_00, 12)[0] == Decimal("0.0002")


@settings(max_examples=300, deadline=None)
@given(scores, incomes, incomes, st.sampled_from([Decimal("0.0002"), Decimal("0.0005")]),
       ecosystems, st.one_of(st.none(), st.integers(500_00, 50_000_00)))
def test_the_limit_never_exceeds_the_maximum_and_keeps_payments_within_the_dti_ceiling(
        score: int, income_fen: int, debt_fen: int, rate: Decimal, eco: Ecosystem,
        current: int | None) -> None:
    limit_fen, reasons = initial_limit(score, income_fen, debt_fen, rate, eco,
                                       current_limit_fen=current)
    assert 0 <= limit_fen <= CASH.principal_max_fen
    assert limit_fen % 100_00 == 0
    payment = Decimal(limit_fen) * (Decimal(1) / 12 + rate * 30)
    assert debt_fen + payment <= Decimal(income_fen) * Decimal("0.5") or limit_fen == 0
    if current is None or current <= policy.NEW_CUSTOMER_LIMIT_MAX_FEN:
        assert limit_fen <= policy.NEW_CUSTOMER_LIMIT_MAX_FEN
    assert reasons


def test_the_worked_example_in_the_module_docstring() -> None:
    eco = Ecosystem(True, 30, 20_000_00)
    assert price(560, 5000_00, 12)[0] == Decimal("0.00025")
    limit_fen, reasons = initial_limit(560, 12_000_00, 1_000_00, Decimal("0.00025"), eco)
    assert limit_fen == 20_000_00
    assert reasons[0].code == "limit_new_customer_cap"
    assert dti_headroom_fen(12_000_00, 1_000_00) == 5_000_00


def test_a_low_income_gives_a_limit_below_the_minimum() -> None:
    limit_fen, _ = initial_limit(650, 100_00, 0, Decimal("0.0002"), Ecosystem(True, 6, 0))
    assert limit_fen < CASH.principal_min_fen
