"""Quotes: schedule, APR and the cap check against the caps table at the start date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lendcore.errors import RuleViolation
from lendcore.schedules import Method, ScheduleTerms
from lendcore.schedules.apr import format_rate
from lendcore.schedules.quote import quote


def _terms(rate: str, fee: str = "0", start: date = date(2025, 6, 1)) -> ScheduleTerms:
    return ScheduleTerms(1_000_000, 12, Method.EQUAL_INSTALLMENT, Decimal(rate), start,
                         fee_rate_per_installment=Decimal(fee))


def test_a_quote_records_the_lpr_in_force_at_its_start_date() -> None:
    assert quote(_terms("0.12", start=date(2025, 5, 20))).caps.lpr_one_year == Decimal("0.03")
    assert quote(_terms("0.12", start=date(2025, 5, 19))).caps.lpr_one_year == Decimal("0.031")


def test_a_rate_of_exactly_24_percent_is_accepted_with_a_warning() -> None:
    result = quote(_terms("0.24"))
    assert format_rate(result.apr.nominal, 4) == "0.2400"  # 24.0001%: fen rounding, no charge
    assert len(result.warnings) == 1 and "20% target" in result.warnings[0]


def test_a_rate_just_over_24_percent_is_refused_naming_the_rate() -> None:
    with pytest.raises(RuleViolation, match=r"24\.01%") as caught:
        quote(_terms("0.2401"))
    assert (caught.value.code, caught.value.field) == ("rate_over_cap", "annual-rate")


def test_fees_that_push_the_all_in_rate_over_24_percent_are_refused() -> None:
    with pytest.raises(RuleViolation, match="all-in annual rate") as caught:
        quote(_terms("0.18", fee="0.006"))
    assert caught.value.code == "rate_over_cap"


def test_a_rate_of_20_percent_carries_no_warning_and_just_over_does() -> None:
    assert quote(_terms("0.20")).warnings == ()
    assert quote(_terms("0.2001")).warnings != ()
