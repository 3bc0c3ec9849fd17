"""The dated caps table: all-in annual cost caps and the one-year LPR, looked up by date.

Rule: a consumer loan's all-in annual cost (interest and every fee, as the nominal IRR-based APR)
may not exceed 24%; policy: new consumer-finance loans target 20% or less (a warning, not a
refusal). The one-year Loan Prime Rate in force at the contract date is recorded on the contract.
Both live in ``data/caps.toml`` with effective dates, so a change is a new row, not a code edit::

    >>> table = load_caps()
    >>> table.on(date(2025, 6, 1)).lpr_one_year
    Decimal('0.03')
    >>> table.on(date(2024, 8, 1)).lpr_one_year
    Decimal('0.0335')
    >>> check_all_in_rate(Decimal("0.2412"), table.on(date(2025, 6, 1)))
    Traceback (most recent call last):
    lendcore.errors.RuleViolation: annual-rate: all-in annual rate 24.12% is over the 24% cap ...
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from itertools import pairwise

from lendcore.errors import InvalidInput, NotFound, RuleViolation
from lendcore.fields import Fields

CAPS_FILE = "caps.toml"


@dataclass(frozen=True, slots=True)
class CapRow:
    effective_from: date
    hard_cap: Decimal
    target_new_loans: Decimal


@dataclass(frozen=True, slots=True)
class LprRow:
    effective_from: date
    rate: Decimal


@dataclass(frozen=True, slots=True)
class CapsInForce:
    """What applies on one date."""

    on: date
    hard_cap: Decimal
    target_new_loans: Decimal
    lpr_one_year: Decimal | None  # None before the first recorded LPR


@dataclass(frozen=True, slots=True)
class CapsTable:
    all_in_caps: tuple[CapRow, ...]
    lpr_one_year: tuple[LprRow, ...]

    def on(self, day: date) -> CapsInForce:
        """The caps and LPR in force on ``day`` (each row runs until the next one)."""
        caps = [row for row in self.all_in_caps if row.effective_from <= day]
        if not caps:
            first = self.all_in_caps[0].effective_from
            raise NotFound(f"no annual-rate cap recorded before {first}", field="date")
        lprs = [row for row in self.lpr_one_year if row.effective_from <= day]
        return CapsInForce(day, caps[-1].hard_cap, caps[-1].target_new_loans,
                           lprs[-1].rate if lprs else None)

    @property
    def strictest_hard_cap(self) -> Decimal:
        """The lowest hard cap ever in the table: what a product must respect on any date."""
        return min(row.hard_cap for row in self.all_in_caps)


def percent(rate: Decimal) -> str:
    """0.2412 -> "24.12%", 0.24 -> "24%" (for messages)."""
    text = f"{(rate * 100).quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP).normalize():f}"
    return f"{text}%"


def check_all_in_rate(rate: Decimal, caps: CapsInForce, *, what: str = "all-in annual rate",
                      field: str = "annual-rate") -> tuple[str, ...]:
    """Refuse a rate over the hard cap; return a warning when it is over the target."""
    if rate > caps.hard_cap:
        raise RuleViolation(
            f"{what} {percent(rate)} is over the {percent(caps.hard_cap)} cap on all-in annual "
            f"cost in force on {caps.on}; accepted: at most {percent(caps.hard_cap)}",
            field=field,
            code="rate_over_cap",
        )
    if rate > caps.target_new_loans:
        return (
            f"{what} {percent(rate)} is over the {percent(caps.target_new_loans)} target for new "
            "consumer-finance loans",
        )
    return ()


@cache
def load_caps() -> CapsTable:
    """The caps table shipped with the package (read and validated once)."""
    text = resources.files("lendcore.products").joinpath("data", CAPS_FILE).read_text("utf-8")
    return parse_caps(text, CAPS_FILE)


def parse_caps(text: str, source: str) -> CapsTable:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"not valid TOML: {exc}", field=source) from None
    top = Fields(source, document)
    caps = tuple(_cap_row(f) for f in top.tables("all_in_cap"))
    lprs = tuple(_lpr_row(f) for f in top.tables("lpr_one_year"))
    top.finish()
    _check_order(source, "all_in_cap", [row.effective_from for row in caps])
    _check_order(source, "lpr_one_year", [row.effective_from for row in lprs])
    return CapsTable(caps, lprs)


def _cap_row(fields: Fields) -> CapRow:
    row = CapRow(fields.day("effective_from"), fields.rate("hard_cap"),
                 fields.rate("target_new_loans"))
    if row.target_new_loans > row.hard_cap:
        raise fields.fail("target_new_loans", "must not be above hard_cap")
    fields.finish()
    return row


def _lpr_row(fields: Fields) -> LprRow:
    row = LprRow(fields.day("effective_from"), fields.rate("rate"))
    fields.finish()
    return row


def _check_order(source: str, key: str, days: list[date]) -> None:
    for index, (before, after) in enumerate(pairwise(days), start=2):
        if after <= before:
            raise InvalidInput(f"effective_from {after} is not after the previous row's {before}",
                               field=f"{source}: {key}[{index}].effective_from")
