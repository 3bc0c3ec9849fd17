"""Dates: monthly due dates and the China business-day calendar.

Due dates roll monthly from the start date's day, clamped to month end and *anchored* on the
start day, so a short month does not drag later dates back::

    >>> monthly_due_dates(date(2023, 1, 31), 4)
    [date(2023, 2, 28), date(2023, 3, 31), date(2023, 4, 30), date(2023, 5, 31)]

The business-day calendar wraps ``chinesecalendar`` (statutory holidays and make-up working days,
调休) and refuses a year it has no data for instead of guessing that weekends are the only
days off.
"""

from __future__ import annotations

import calendar as _stdcal
from datetime import date, timedelta

from lendcore.errors import InvalidInput, UnknownCalendarYear


def add_months(anchor: date, months: int) -> date:
    """``anchor`` moved by ``months`` whole months, the day clamped to the target month's end."""
    total = anchor.year * 12 + (anchor.month - 1) + months
    year, month0 = divmod(total, 12)
    last_day = _stdcal.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(anchor.day, last_day))


def monthly_due_dates(start: date, count: int) -> list[date]:
    """Due dates of ``count`` monthly installments starting one month after ``start``."""
    if count < 1:
        raise InvalidInput("must be at least 1", field="installments")
    return [add_months(start, n) for n in range(1, count + 1)]


def parse_date(text: object, field: str = "date") -> date:
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date; use YYYY-MM-DD", field=field) from None


class BusinessCalendar:
    """China's working days: statutory holidays off, make-up weekend working days on."""

    def __init__(self) -> None:
        import chinese_calendar

        self._cc = chinese_calendar
        years = [d.year for d in chinese_calendar.holidays]
        self.first_year, self.last_year = min(years), max(years)

    def _check(self, day: date) -> None:
        if not self.first_year <= day.year <= self.last_year:
            raise UnknownCalendarYear(
                f"no holiday data for {day.year}; known years {self.first_year}-{self.last_year}. "
                "Upgrade chinesecalendar once the State Council publishes that year's schedule",
                field="date",
            )

    def is_workday(self, day: date) -> bool:
        self._check(day)
        return bool(self._cc.is_workday(day))

    def holiday_name(self, day: date) -> str | None:
        self._check(day)
        on_holiday, name = self._cc.get_holiday_detail(day)
        return str(name) if on_holiday and name else None

    def next_workday(self, day: date, *, max_days: int = 30) -> date:
        """The first working day on or after ``day`` (bounded: no holiday lasts 30 days)."""
        for offset in range(max_days):
            candidate = day + timedelta(days=offset)
            if self.is_workday(candidate):
                return candidate
        raise UnknownCalendarYear(f"no working day within {max_days} days of {day}", field="date")
