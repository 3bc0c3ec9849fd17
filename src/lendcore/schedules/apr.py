"""The annual percentage rate (APR) as the internal rate of return of a loan's cash flows.

PBoC Announcement [2021] No. 3: the disclosed annual rate covers interest *and every fee*, measured
on principal actually outstanding. It is the periodic internal rate of return ``r`` of the
lender's cash flows (``-principal`` at t0, then each installment's total), annualised

* nominally, ``r x periods per year``, labelled simple (单利) — the figure to show first;
* compounded, ``(1 + r) ** periods per year - 1``, labelled compound (复利).

Worked example: 12,000 CNY repaid as 12 x 1,072 (a 0.6% flat fee per installment)::

    >>> apr = apr_of_cash_flows([-1_200_000] + [107_200] * 12)
    >>> format_rate(apr.nominal), format_rate(apr.effective)
    ('0.130342', '0.138418')

The naive "0.6% x 12 = 7.2%" is what the rule forbids.

Time is measured the way the loan charges for it. Counting every installment as a twelfth of a
year is right for per-period interest and fees, but a loan charging 0.04% a day pays 1.24% in a
31-day month and 1.12% in a 28-day one: counted in months its IRR would move with the start
date (14.79% for a loan starting on 1 July, vs the 14.60% of its daily rate). So a loan charging
interest by the day has its periods measured in days (:func:`apr_of_dated_cash_flows`) and
discloses 14.60% on any calendar (domain.md s2: a daily rate and the disclosed annual rate never
disagree).

The solver: the flows' signs are counted first. No sign change means no rate (refused); more
than one means Descartes' rule allows several rates, and we refuse rather than pick one. With
exactly one change the root is unique: ``g(r) = sum c_k (1+r)^(j-k)`` (``j`` the index of the
change) is strictly monotone on ``r > -1``. A bracket-safeguarded Newton iteration in float finds
it (bisection whenever Newton would leave the bracket, so never NaN, never a spurious root), then
Newton steps in ``Decimal`` at 34 digits polish it far below 1e-10. Money stays integer fen: the
float stage only locates the root; the reported rate comes from the exact ``Decimal`` polish.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from lendcore.errors import InvalidInput, RuleViolation
from lendcore.schedules.model import InterestMode, Method, Schedule

MONTHS_PER_YEAR = 12
DISCLOSURE_PLACES = 6  # a fraction to 6 decimals is a percentage to 4: 13.0342%
_CONTEXT = Context(prec=34, rounding=ROUND_HALF_UP)  # decimal128: far below 1e-10
_FLOAT_STEPS = 200  # bound: bisection alone halves a (-1, 2^k) bracket to 1e-15 well inside this
_DECIMAL_STEPS = 8
_FLOAT_TOLERANCE = 1e-10  # a Newton step this small lands at float precision
_POLISHED = Decimal("1e-12")  # a Newton step this small leaves an error near its square
_ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class Apr:
    """A loan's annual rate: periodic IRR and its nominal (单利) and effective (复利) forms."""

    periodic: Decimal
    periods_per_year: Decimal
    nominal: Decimal  # simple, 单利: periodic x periods per year (shown first)
    effective: Decimal  # compound, 复利: (1 + periodic) ** periods per year - 1


def disclosed_rate(rate: Decimal, places: int = DISCLOSURE_PLACES) -> Decimal:
    """A rate as disclosed (and checked against caps): ``places`` decimals, rounded half-up."""
    rounded = rate.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return abs(rounded) if rounded == 0 else rounded  # never "-0.000000"


def format_rate(rate: Decimal, places: int = DISCLOSURE_PLACES) -> str:
    """A rate as a decimal-fraction string with ``places`` decimals: "0.130342"."""
    return f"{disclosed_rate(rate, places):f}"


def apr_of_schedule(schedule: Schedule) -> Apr:
    """The APR of a schedule, its time measured the way the loan charges for time.

    A loan charging interest by the day (daily interest mode, a rate above zero) has each
    period measured in days of its day count (:func:`apr_of_dated_cash_flows`), so a fee-free
    one discloses its contract rate whatever the calendar: 0.04%/day is 14.60% whether its
    months have 28 or 31 days. Otherwise each installment is one month (a bullet: one period of
    the whole term) and the rate is the periodic IRR x periods a year.
    """
    terms = schedule.terms
    if terms.interest_mode is InterestMode.DAILY and terms.annual_rate > 0:
        days: list[int] = []
        previous = terms.start
        for installment in schedule.installments:
            days.append(terms.day_count.days_between(previous, installment.due_date))
            previous = installment.due_date
        return apr_of_dated_cash_flows(schedule.cash_flows_fen(), days,
                                       terms.day_count.basis_days)
    months_per_period = terms.installments if terms.method is Method.BULLET else 1
    periods_per_year = Decimal(MONTHS_PER_YEAR) / months_per_period
    return apr_of_cash_flows(schedule.cash_flows_fen(), periods_per_year)


def apr_of_cash_flows(cash_flows_fen: Sequence[int], periods_per_year: Decimal | int = 12) -> Apr:
    """APR of equally spaced integer-fen cash flows (lender's view: outflow negative)."""
    per_year = Decimal(periods_per_year)
    if per_year <= 0:
        raise InvalidInput("must be positive", field="periods_per_year")
    periodic = periodic_irr(cash_flows_fen)
    with localcontext(_CONTEXT):
        nominal = periodic * per_year
        effective = (_ONE + periodic) ** per_year - _ONE
    return Apr(periodic, per_year, +nominal, +effective)


def apr_of_dated_cash_flows(cash_flows_fen: Sequence[int], period_days: Sequence[int],
                            basis_days: int) -> Apr:
    """APR of flows at the ends of periods of ``period_days`` days (a year: ``basis_days``).

    The nominal rate ``y`` discounts period ``k`` by ``1 + y x days_k / basis``: simple inside
    a period, compounded between installments, exactly as a loan charging interest by the day
    accrues it. With equal periods of a month it is the periodic IRR x 12; a fee-free loan at
    0.04%/day (14.60% on ACT/365) solves to 14.60% on any calendar. The root is unique for one
    sign change (the present value over the discount at the change is strictly monotone).
    The periodic figure is per average period and the compound one compounds it per year.
    """
    flows = _checked(cash_flows_fen)
    if len(period_days) != len(flows) - 1 or any(d <= 0 for d in period_days):
        raise InvalidInput("need one positive length in days per period", field="period_days")
    if basis_days <= 0:
        raise InvalidInput("must be positive", field="basis_days")
    if flows[_first_nonzero(flows)] > 0:
        flows = [-c for c in flows]
    with localcontext(_CONTEXT):
        years = [Decimal(d) / basis_days for d in period_days]
        nominal = _dated_polish(flows, years, _dated_float_root(flows, [float(t) for t in years]))
        per_year = Decimal(basis_days * len(period_days)) / sum(period_days)
        periodic = nominal / per_year
        effective = (_ONE + periodic) ** per_year - _ONE
    return Apr(+periodic, +per_year, +nominal, +effective)


def flat_fee_equivalent_rate(fee_rate_per_installment: Decimal, installments: int) -> Decimal:
    """The nominal annual rate (单利) of a flat fee alone, as disclosed (6 decimals).

    The IRR of lending 1 and taking back ``1/n + fee`` each month, unrounded, so it depends on
    neither the principal nor the calendar: 0.6% over 12 installments is 13.0342%. The flows
    are scaled by ``n x 10^9`` so they are exact integers (a rate has at most 9 decimals)::

        >>> flat_fee_equivalent_rate(Decimal("0.006"), 12)
        Decimal('0.130342')
    """
    if installments < 1:
        raise InvalidInput("must be at least 1", field="installments")
    scale = installments * 10**9
    each = Decimal(10**9) + fee_rate_per_installment * scale
    if each != each.to_integral_value():
        raise InvalidInput("a fee rate may have at most 9 decimal places",
                           field="fee_rate_per_installment")
    flows = [-scale, *([int(each)] * installments)]
    return disclosed_rate(apr_of_cash_flows(flows, MONTHS_PER_YEAR).nominal)


def _dated_npv_and_slope(flows: list[int], years: list[float], rate: float
                         ) -> tuple[float, float]:
    """Present value at nominal ``rate`` of flows after periods of ``years``, and its slope."""
    value = 0.0
    slope = 0.0
    discount = 1.0
    weight = 0.0  # d(log 1/discount)/d(rate) so far
    for k, c in enumerate(flows):
        if k:
            factor = 1.0 + rate * years[k - 1]
            discount /= factor
            weight += years[k - 1] / factor
        value += c * discount
        slope -= c * discount * weight
    return value, slope


def _dated_float_root(flows: list[int], years: list[float]) -> float:
    """Safeguarded Newton in the nominal rate; the bracket (lo, hi) always holds the root."""
    lo, hi = -1.0 / max(years), math.inf
    rate = _initial_guess(flows) * len(years) / sum(years)
    if rate <= lo:
        rate = lo / 2.0
    for _ in range(_FLOAT_STEPS):
        value, slope = _dated_npv_and_slope(flows, years, rate)
        if value == 0.0:
            return rate
        if value > 0.0 or not math.isfinite(value):
            lo = rate
        else:
            hi = rate
        step = value / slope if slope != 0.0 and math.isfinite(slope) else math.nan
        proposal = rate - step
        if not lo < proposal < hi:
            proposal = (lo + hi) / 2.0 if math.isfinite(hi) else rate + max(1.0, abs(rate))
        if abs(proposal - rate) <= _FLOAT_TOLERANCE * (1.0 + abs(rate)):
            return proposal
        rate = proposal
    return rate


def _dated_polish(flows: list[int], years: list[Decimal], guess: float) -> Decimal:
    """Newton in ``Decimal`` (the caller's 34-digit context) from the float root."""
    rate = Decimal(guess)
    for _ in range(_DECIMAL_STEPS):
        value = Decimal(0)
        slope = Decimal(0)
        discount = _ONE
        weight = Decimal(0)
        for k, c in enumerate(flows):
            if k:
                factor = _ONE + rate * years[k - 1]
                discount /= factor
                weight += years[k - 1] / factor
            value += c * discount
            slope -= c * discount * weight
        if slope == 0:
            break
        step = value / slope
        rate -= step
        if abs(step) <= _POLISHED * (_ONE + abs(rate)):
            break
    return rate


def periodic_irr(cash_flows_fen: Sequence[int]) -> Decimal:
    """The unique periodic rate r > -1 at which the flows' present value is zero."""
    flows = _checked(cash_flows_fen)
    if flows[_first_nonzero(flows)] > 0:
        flows = [-c for c in flows]  # borrower's view: same rate, lender's signs
    guess = _float_root(flows)
    return _decimal_polish(flows, guess)


def _checked(cash_flows_fen: Sequence[int]) -> list[int]:
    """Integer flows with exactly one sign change; anything else has no (unique) rate."""
    flows = list(cash_flows_fen)
    if len(flows) < 2:
        raise InvalidInput("need at least two cash flows", field="cash_flows")
    if any(type(c) is not int for c in flows):
        raise InvalidInput("cash flows must be integer fen", field="cash_flows")
    changes = _sign_changes(flows)
    if changes == 0:
        raise InvalidInput(
            "cash flows never change sign (all paid out, all paid in, or all zero): no rate "
            "of return exists",
            field="cash_flows",
            code="no_rate",
        )
    if changes > 1:
        raise RuleViolation(
            f"cash flows change sign {changes} times, so the rate of return may not be unique; "
            "the APR is only defined here for one outflow period followed by repayments",
            field="cash_flows",
            code="rate_not_unique",
        )
    return flows


def _sign_changes(flows: list[int]) -> int:
    changes = 0
    previous = 0
    for c in flows:
        if c == 0:
            continue
        if previous and (c > 0) != (previous > 0):
            changes += 1
        previous = c
    return changes


def _first_nonzero(flows: list[int]) -> int:
    return next(k for k, c in enumerate(flows) if c != 0)


def _initial_guess(flows: list[int]) -> float:
    """The annuity approximation r ~ 2 (paid in / paid out - 1) / (n + 1), kept above -1."""
    paid_out = -sum(c for c in flows if c < 0)
    paid_in = sum(c for c in flows if c > 0)
    guess = 2.0 * (paid_in / paid_out - 1.0) / len(flows)
    return max(guess, -0.5)


def _npv_and_slope(flows: list[int], rate: float) -> tuple[float, float]:
    """Present value at ``rate`` and its derivative, by Horner's rule in x = 1/(1+rate)."""
    x = 1.0 / (1.0 + rate)
    value = 0.0
    slope = 0.0  # d(value)/dx
    for c in reversed(flows):
        slope = slope * x + value
        value = value * x + c
    return value, -slope * x * x  # dx/dr = -x^2


def _float_root(flows: list[int]) -> float:
    """Safeguarded Newton: the bracket (lo, hi) always holds the root; NPV falls as r rises."""
    lo, hi = -1.0, math.inf
    rate = _initial_guess(flows)
    for _ in range(_FLOAT_STEPS):
        value, slope = _npv_and_slope(flows, rate)
        if value == 0.0:
            return rate
        if value > 0.0 or not math.isfinite(value):  # near -1 the last (positive) flow rules
            lo = rate
        else:
            hi = rate
        step = value / slope if slope != 0.0 and math.isfinite(slope) else math.nan
        proposal = rate - step
        if not lo < proposal < hi:
            proposal = (lo + hi) / 2.0 if math.isfinite(hi) else 2.0 * rate + 1.0
        if abs(proposal - rate) <= _FLOAT_TOLERANCE * (1.0 + abs(rate)):
            return proposal  # the Decimal polish takes it from here
        rate = proposal
    return rate


def _decimal_polish(flows: list[int], guess: float) -> Decimal:
    """Newton in x = 1/(1+r) at 34 digits from the float root; quadratic convergence."""
    with localcontext(_CONTEXT):
        x = _ONE / (_ONE + Decimal(guess))
        for _ in range(_DECIMAL_STEPS):
            value = Decimal(0)
            slope = Decimal(0)
            for c in reversed(flows):
                slope = slope * x + value
                value = value * x + c
            if slope == 0:
                break
            step = value / slope
            x -= step
            if abs(step) <= _POLISHED * x:
                break
        return _ONE / x - _ONE
