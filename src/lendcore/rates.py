"""Rates and day counts.

A rate is stored as an annual nominal rate plus a day-count basis; the advertised daily rate is
derived from it, never the other way round, so a product cannot show a daily rate whose
annualisation differs from its disclosed annual rate::

    >>> AnnualRate.from_daily(parse_rate("0.05%"), DayCount.ACT_365).annual
    Decimal('0.1825')
    >>> AnnualRate.from_daily(parse_rate("0.05%"), DayCount.ACT_360).annual
    Decimal('0.1800')

ACT/365 is *fixed*: 365 days also in leap years (one day of a leap year is 1/365 of a year).
Rates are exact decimals with at most 9 places, so they convert losslessly to integer parts per
billion (``ppb``) for the columnar end-of-day kernel.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lendcore.errors import InvalidInput

PPB = 10**9
_PPB_QUANTUM = Decimal(1) / PPB


class DayCount(enum.Enum):
    ACT_365 = "ACT/365"
    ACT_360 = "ACT/360"
    THIRTY_360 = "30/360"

    @property
    def basis_days(self) -> int:
        return 365 if self is DayCount.ACT_365 else 360

    def days_between(self, start: date, end: date) -> int:
        """Days counted by this convention from ``start`` (exclusive) to ``end`` (inclusive)."""
        if self is not DayCount.THIRTY_360:
            return (end - start).days
        # 30/360 US (bond basis): day 31 counts as 30; a start on 30/31 lifts an end on 31 to 30.
        d1 = min(start.day, 30)
        d2 = end.day
        if d2 == 31 and d1 == 30:
            d2 = 30
        return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)

    @classmethod
    def parse(cls, text: str, field: str = "day_count") -> DayCount:
        for dc in cls:
            if dc.value == text.strip().upper():
                return dc
        raise InvalidInput(
            f"unknown day count {text!r}; accepted: ACT/365, ACT/360, 30/360", field=field
        )


def parse_rate(text: object, field: str = "rate") -> Decimal:
    """Parse a rate as a decimal fraction: "0.12" and "12%" are both 0.12; "0.05%" is 0.0005.

    Refuses floats, negatives, more than 9 decimal places (as a fraction) and rates of 100% or
    more (no consumer rate comes near that; it is a typo).
    """
    if isinstance(text, (bool, float)):
        raise InvalidInput("a rate must be a string such as \"12%\" or \"0.12\"", field=field)
    raw = str(text).strip()
    percent = raw.endswith("%")
    try:
        value = Decimal(raw[:-1].strip() if percent else raw)
    except InvalidOperation:
        raise InvalidInput(
            f"{raw!r} is not a rate; accepted: a fraction like 0.12 or a percentage like 12% "
            "or 0.05%",
            field=field,
        ) from None
    if not value.is_finite():
        raise InvalidInput("a rate must be a finite number", field=field)
    if percent:
        value = value / 100
    if value < 0:
        raise InvalidInput("a rate must not be negative", field=field)
    if value >= 1:
        raise InvalidInput(f"{raw} is 100% or more; write 12% or 0.12 for twelve percent",
                           field=field)
    if value != value.quantize(_PPB_QUANTUM):
        raise InvalidInput("a rate may have at most 9 decimal places as a fraction", field=field)
    return value.normalize() if value else Decimal(0)


def rate_to_ppb(rate: Decimal) -> int:
    scaled = rate * PPB
    if scaled != scaled.to_integral_value():
        raise ValueError(f"rate {rate} has more than 9 decimal places")
    return int(scaled)


def ppb_to_rate(ppb: int) -> Decimal:
    return (Decimal(ppb) / PPB).normalize()


def format_percent(rate: Decimal, min_places: int = 2) -> str:
    """A rate as a percentage, exactly (no rounding), with at least ``min_places`` decimals::

        >>> [format_percent(Decimal(t)) for t in ("0.1825", "0.0004", "0.006", "0.130342")]
        ['18.25%', '0.04%', '0.60%', '13.0342%']
        >>> format_percent(Decimal("0.24")), format_percent(Decimal("0.27375"))
        ('24.00%', '27.375%')

    The one unit of every rate and fee a product table or a statement shows.
    """
    value = (rate * 100).normalize()
    exponent = value.as_tuple().exponent
    places = max(min_places, -exponent if isinstance(exponent, int) else 0)
    return f"{value:.{places}f}%"


@dataclass(frozen=True, slots=True)
class AnnualRate:
    """An annual nominal rate with its day-count basis; the daily rate is derived."""

    annual: Decimal
    day_count: DayCount = DayCount.ACT_365

    @classmethod
    def from_daily(cls, daily: Decimal, day_count: DayCount = DayCount.ACT_365) -> AnnualRate:
        return cls(daily * day_count.basis_days, day_count)

    @property
    def daily(self) -> Decimal:
        return self.annual / self.day_count.basis_days

    @property
    def monthly(self) -> Decimal:
        return self.annual / 12

    @property
    def annual_ppb(self) -> int:
        return rate_to_ppb(self.annual)

    def scaled(self, factor: Decimal) -> AnnualRate:
        return AnnualRate(self.annual * factor, self.day_count)

    def capped(self, cap_annual: Decimal) -> AnnualRate:
        return self if self.annual <= cap_annual else AnnualRate(cap_annual, self.day_count)
