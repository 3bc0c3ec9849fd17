"""Amortisation methods.

Worked example (the seeds' reference cash loan): 10,000 CNY at 0.05%/day on ACT/365 (18.25% a
year) over 12 monthly installments, equal installment with per-period interest. The monthly rate
is 0.1825/12; the annuity 917.985... rounds half-up to 917.99; each month's interest is the
balance x monthly rate rounded half-up; principal = installment - interest; the last installment
takes the remaining balance, so the schedule is 917.99 x 11 then 917.98, interest 1,015.87.

Flat fee (分期手续费): 12,000 CNY in 12 installments with a 0.6% fee per installment on the
original principal is 1,000 principal + 72 fee = 1,072 a month; its true annual rate (APR, see
``apr.py``) is 13.03%, not 7.2%.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from lendcore.calendar import monthly_due_dates
from lendcore.money import round_to_multiple, to_fen
from lendcore.schedules.model import (
    Installment,
    InterestMode,
    Method,
    Schedule,
    ScheduleTerms,
)

_ONE = Decimal(1)


def build_schedule(terms: ScheduleTerms) -> Schedule:
    """The repayment schedule of ``terms`` (pure; exact to the fen)."""
    builder = _BUILDERS[terms.method]
    return Schedule(terms, tuple(builder(terms)))


def _period_interest(terms: ScheduleTerms, balance_fen: int, start: date, end: date) -> int:
    """Interest for one period on ``balance_fen``, by the terms' interest mode, rounded."""
    if terms.interest_mode is InterestMode.PER_PERIOD:
        exact = balance_fen * terms.annual_rate / 12
    else:
        days = terms.day_count.days_between(start, end)
        exact = balance_fen * terms.annual_rate * days / terms.day_count.basis_days
    return to_fen(exact, terms.rounding)


def _fee_per_installment(terms: ScheduleTerms) -> int:
    return to_fen(terms.principal_fen * terms.fee_rate_per_installment, terms.rounding)


def _equal_split(terms: ScheduleTerms) -> list[int]:
    """Principal per installment rounded to the fen; the last takes the rest."""
    n = terms.installments
    each = to_fen(Decimal(terms.principal_fen) / n, terms.rounding)
    parts = [each] * (n - 1)
    parts.append(terms.principal_fen - each * (n - 1))
    return parts


def annuity_fen(terms: ScheduleTerms) -> int:
    """The equal installment: monthly-rate annuity rounded to the installment multiple."""
    n = terms.installments
    rate = terms.annual_rate / 12
    if rate == 0:
        exact = Decimal(terms.principal_fen) / n
    else:
        growth = (_ONE + rate) ** n
        exact = terms.principal_fen * rate * growth / (growth - _ONE)
    return round_to_multiple(exact, terms.installment_multiple_fen, terms.rounding)


def _from_principal_parts(terms: ScheduleTerms, parts: list[int]) -> list[Installment]:
    """Installments whose principal is given; interest on the declining balance, fee flat."""
    dues = monthly_due_dates(terms.start, terms.installments)
    fee = _fee_per_installment(terms)
    balance = terms.principal_fen
    previous = terms.start
    rows: list[Installment] = []
    for number, (due, principal) in enumerate(zip(dues, parts, strict=True), start=1):
        interest = _period_interest(terms, balance, previous, due)
        balance -= principal
        rows.append(Installment(number, due, principal, interest, fee, balance))
        previous = due
    return rows


def _equal_installment(terms: ScheduleTerms) -> list[Installment]:
    dues = monthly_due_dates(terms.start, terms.installments)
    payment = annuity_fen(terms)
    fee = _fee_per_installment(terms)
    balance = terms.principal_fen
    previous = terms.start
    rows: list[Installment] = []
    last = terms.installments
    for number, due in enumerate(dues, start=1):
        interest = _period_interest(terms, balance, previous, due)
        if number == last:
            principal = balance
        else:
            # An installment smaller than its interest never amortises negatively: principal
            # is floored at 0 and capped at the balance (possible with a coarse multiple).
            principal = min(max(payment - interest, 0), balance)
        balance -= principal
        rows.append(Installment(number, due, principal, interest, fee, balance))
        previous = due
    return rows


def _equal_principal(terms: ScheduleTerms) -> list[Installment]:
    return _from_principal_parts(terms, _equal_split(terms))


def _flat_fee(terms: ScheduleTerms) -> list[Installment]:
    return _from_principal_parts(terms, _equal_split(terms))


def _interest_first(terms: ScheduleTerms) -> list[Installment]:
    parts = [0] * (terms.installments - 1) + [terms.principal_fen]
    return _from_principal_parts(terms, parts)


def _bullet(terms: ScheduleTerms) -> list[Installment]:
    """One installment at the end of the term with all principal, interest and fees."""
    due = monthly_due_dates(terms.start, terms.installments)[-1]
    if terms.interest_mode is InterestMode.PER_PERIOD:
        exact = terms.principal_fen * terms.annual_rate * terms.installments / 12
    else:
        days = terms.day_count.days_between(terms.start, due)
        exact = terms.principal_fen * terms.annual_rate * days / terms.day_count.basis_days
    interest = to_fen(exact, terms.rounding)
    fee = _fee_per_installment(terms) * terms.installments
    return [Installment(1, due, terms.principal_fen, interest, fee, 0)]


_BUILDERS: dict[Method, Callable[[ScheduleTerms], list[Installment]]] = {
    Method.EQUAL_INSTALLMENT: _equal_installment,
    Method.EQUAL_PRINCIPAL: _equal_principal,
    Method.INTEREST_FIRST: _interest_first,
    Method.BULLET: _bullet,
    Method.FLAT_FEE: _flat_fee,
}
