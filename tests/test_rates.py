"""Rates: parsing fractions and percentages, annual rate plus basis with a derived daily rate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lendcore.errors import InvalidInput
from lendcore.rates import AnnualRate, DayCount, parse_rate, ppb_to_rate, rate_to_ppb


def test_twelve_percent_parses_the_same_as_a_fraction_and_a_percentage() -> None:
    assert parse_rate("0.12") == parse_rate("12%") == Decimal("0.12")


def test_a_daily_percentage_parses_to_its_fraction() -> None:
    assert parse_rate("0.05%") == Decimal("0.0005")


@pytest.mark.parametrize("text", ["abc", "-1%", "100%", "1.5", "0.0000000001", "nan", ""])
def test_malformed_negative_huge_and_over_precise_rates_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_rate(text, "annual-rate")


def test_a_float_rate_is_refused() -> None:
    with pytest.raises(InvalidInput, match="string"):
        parse_rate(0.12)


def test_point_zero_five_percent_a_day_is_18_25_percent_on_act_365_and_18_on_act_360() -> None:
    assert AnnualRate.from_daily(Decimal("0.0005"), DayCount.ACT_365).annual == Decimal("0.1825")
    assert AnnualRate.from_daily(Decimal("0.0005"), DayCount.ACT_360).annual == Decimal("0.18")


def test_the_daily_rate_is_derived_from_the_annual_rate_and_basis() -> None:
    assert AnnualRate(Decimal("0.1825"), DayCount.ACT_365).daily == Decimal("0.0005")


def test_act_365_is_fixed_at_365_days_also_in_a_leap_year() -> None:
    leap_year_days = DayCount.ACT_365.days_between(date(2024, 1, 1), date(2025, 1, 1))
    assert leap_year_days == 366
    assert DayCount.ACT_365.basis_days == 365
    one_year_interest = Decimal(10_000) * Decimal("0.1825") * leap_year_days / 365
    assert one_year_interest == Decimal("1830")  # a leap year's extra day is charged


def test_thirty_360_counts_every_month_as_30_days() -> None:
    assert DayCount.THIRTY_360.days_between(date(2025, 1, 31), date(2025, 2, 28)) == 28
    assert DayCount.THIRTY_360.days_between(date(2025, 1, 30), date(2025, 3, 31)) == 60


def test_rates_round_trip_through_parts_per_billion() -> None:
    assert rate_to_ppb(Decimal("0.1825")) == 182_500_000
    assert ppb_to_rate(182_500_000) == Decimal("0.1825")


def test_the_penalty_rate_is_capped() -> None:
    penalty = AnnualRate(Decimal("0.1825")).scaled(Decimal("1.5"))
    assert penalty.annual == Decimal("0.27375")
    assert penalty.capped(Decimal("0.24")).annual == Decimal("0.24")
