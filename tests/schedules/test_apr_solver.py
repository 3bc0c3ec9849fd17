"""The IRR solver: exact, unique, and refusing flows that have no rate."""

from __future__ import annotations

from decimal import Decimal

import numpy_financial as npf
import pytest

from lendcore.errors import InvalidInput, RuleViolation
from lendcore.schedules.apr import apr_of_cash_flows, format_rate, periodic_irr


def _npv(flows: list[int], rate: Decimal) -> Decimal:
    return sum((Decimal(c) / (1 + rate) ** k for k, c in enumerate(flows)), Decimal(0))


def test_the_solved_rate_makes_the_present_value_zero_to_far_below_a_fen() -> None:
    flows = [-1_200_000] + [107_200] * 12
    rate = periodic_irr(flows)
    assert abs(_npv(flows, rate)) < Decimal("1e-15")


def test_the_classic_textbook_flows_match_numpy_financial() -> None:
    flows = [-100, 39, 59, 55, 20]
    assert abs(float(periodic_irr(flows)) - npf.irr(flows)) < 1e-12
    assert format_rate(periodic_irr(flows), 5) == "0.28095"


def test_a_loan_repaid_with_less_than_it_lent_has_a_negative_rate() -> None:
    assert format_rate(periodic_irr([-100, 0, 0, 74]), 5) == "-0.09550"


def test_the_borrowers_view_gives_the_same_rate_as_the_lenders() -> None:
    flows = [-1_200_000] + [107_200] * 12
    assert periodic_irr(flows) == periodic_irr([-c for c in flows])


def test_a_loan_repaid_exactly_has_a_rate_of_zero() -> None:
    assert format_rate(apr_of_cash_flows([-300, 100, 100, 100]).nominal) == "0.000000"


def test_zero_flows_inside_and_around_the_loan_are_ignored_for_the_sign_count() -> None:
    assert periodic_irr([0, -100, 0, 121, 0]) == pytest.approx(Decimal("0.1"), abs=Decimal("1e-25"))


def test_a_near_total_loss_still_solves_without_nan() -> None:
    rate = periodic_irr([-1_000_000, 1])
    assert rate == pytest.approx(Decimal("-0.999999"), abs=Decimal("1e-20"))


def test_an_enormous_return_still_solves_without_overflow() -> None:
    assert periodic_irr([-1, 10**15]) == pytest.approx(Decimal(10**15 - 1), rel=Decimal("1e-20"))


@pytest.mark.parametrize("flows", [[100, 200], [-100, -200], [0, 0, 0]])
def test_flows_that_never_change_sign_have_no_rate(flows: list[int]) -> None:
    with pytest.raises(InvalidInput, match="never change sign") as caught:
        periodic_irr(flows)
    assert caught.value.code == "no_rate"


def test_flows_that_change_sign_twice_are_refused_instead_of_picking_a_root() -> None:
    with pytest.raises(RuleViolation, match="2 times") as caught:
        periodic_irr([-100, 230, -132])  # roots at 10% and 20%
    assert caught.value.code == "rate_not_unique"


def test_a_single_flow_and_float_flows_are_refused() -> None:
    with pytest.raises(InvalidInput, match="two cash flows"):
        periodic_irr([-100])
    with pytest.raises(InvalidInput, match="integer fen"):
        periodic_irr([-100.0, 110.0])  # type: ignore[list-item]


def test_a_bullet_period_of_six_months_annualises_twice_a_year() -> None:
    apr = apr_of_cash_flows([-1_000_000, 1_060_000], periods_per_year=Decimal(2))
    assert apr.nominal == Decimal("0.12")
    assert format_rate(apr.effective) == "0.123600"
