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
from lendcore.schedules.model import Method, Schedule

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
    """The APR of a schedule: monthly installments, or one period of the whole term for bullet."""
    terms = schedule.terms
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
