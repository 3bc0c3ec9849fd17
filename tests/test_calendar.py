"""Dates: month-end clamping of due dates and the China business-day calendar."""

from __future__ import annotations

from datetime import date

import pytest

from lendcore.calendar import BusinessCalendar, add_months, monthly_due_dates, parse_date
from lendcore.errors import InvalidInput, UnknownCalendarYear


def test_due_dates_from_january_31_clamp_to_month_end_without_drifting() -> None:
    assert monthly_due_dates(date(2023, 1, 31), 4) == [
        date(2023, 2, 28), date(2023, 3, 31), date(2023, 4, 30), date(2023, 5, 31),
    ]


def test_a_leap_february_clamps_to_the_29th() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 12, 31), 2) == date(2024, 2, 29)


def test_a_february_29_start_keeps_the_29th_in_later_months() -> None:
    assert monthly_due_dates(date(2024, 2, 29), 2) == [date(2024, 3, 29), date(2024, 4, 29)]


def test_due_dates_cross_the_year_end() -> None:
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


def test_zero_installments_have_no_due_dates() -> None:
    with pytest.raises(InvalidInput):
        monthly_due_dates(date(2025, 1, 1), 0)


def test_a_malformed_date_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput, match="YYYY-MM-DD") as caught:
        parse_date("2022-13-01", "start")
    assert caught.value.field == "start"


@pytest.fixture(scope="module")
def china() -> BusinessCalendar:
    return BusinessCalendar()


def test_the_calendar_knows_2004_to_2026(china: BusinessCalendar) -> None:
    assert (china.first_year, china.last_year) == (2004, 2026)


def test_a_year_without_holiday_data_is_refused_rather_than_guessed(
    china: BusinessCalendar,
) -> None:
    with pytest.raises(UnknownCalendarYear, match="2027"):
        china.is_workday(date(2027, 3, 1))
    with pytest.raises(UnknownCalendarYear):
        china.is_workday(date(2003, 3, 3))


def test_national_day_2026_is_a_holiday(china: BusinessCalendar) -> None:
    assert not china.is_workday(date(2026, 10, 1))
    assert china.holiday_name(date(2026, 10, 1)) == "National Day"


def test_the_weekends_around_national_day_2026_include_make_up_working_days(
    china: BusinessCalendar,
) -> None:
    assert date(2026, 9, 20).weekday() == 6 and china.is_workday(date(2026, 9, 20))
    assert date(2026, 10, 10).weekday() == 5 and china.is_workday(date(2026, 10, 10))
    assert not china.is_workday(date(2026, 10, 11))  # an ordinary Sunday


def test_the_next_working_day_after_national_day_skips_the_golden_week(
    china: BusinessCalendar,
) -> None:
    assert china.next_workday(date(2026, 10, 1)) == date(2026, 10, 8)
