"""Risk-based price and initial limit, each with its reasons.

Price (daily rate, ACT/365: annual = daily x 365)::

    rate = band rate (A >= 600: 0.020%, B >= 550: 0.025%, C >= 520: 0.030%, D >= 500: 0.040%,
                      E below: 0.050%)
         - 0.005% when the requested amount is 20,000 CNY or more
    rate = max(rate, 0.02%)                       product floor
    rate = min(rate, term tier ceiling)           1-3 installments 0.03%, 4-6 0.04%, >6 0.05%
    annual = rate x 365 <= 24% (rule; 0.05% x 365 = 18.25%, so it never binds today)

Limit (fen, whole hundreds of yuan rounded down)::

    by_score   = monthly income x band multiple (A 4, B 3, C 2, D 1.5, E 1)
                 x ecosystem uplift (1.2 with >= 24 months and >= 12,000 CNY spend in 12 months,
                                     1.1 with >= 12 months, else 1)
    headroom   = monthly income x 50% - declared monthly debt payments       (DTI ceiling)
    by_dti     = headroom / (1/12 + daily rate x 30)  a full draw, repaid in 12 equal principal
                                                      parts plus a month of interest, fits
    cap        = 20,000 CNY (new customers start low); for a customer whose line is already
                 higher, that line's limit (raises come only from the repayment record,
                 limits_job.py); never over 50,000
    limit      = min(by_score, by_dti, cap); below 500 CNY there is no line (declined)

Worked example: score 560 (band B), income 12,000, debt 1,000, 12 installments, 5,000 asked,
30 months in the ecosystem with 20,000 spent: rate 0.025%/day (9.125%/year); by_score = 12,000
x 3 x 1.2 = 43,200; headroom 5,000; by_dti = 5,000 / (0.083333 + 0.0075) = 55,670; cap 20,000 ->
limit 20,000 (new-customer cap).
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from lendcore.errors import RuleViolation
from lendcore.money import format_yuan
from lendcore.origination import policy as p
from lendcore.origination.model import Ecosystem
from lendcore.reasons import Reason


def band_of(score: int) -> tuple[str, Decimal, Decimal]:
    for band, min_score, daily, multiple in p.SCORE_BANDS:
        if score >= min_score:
            return band, daily, multiple
    raise AssertionError("the last band has no minimum")


def pct(rate: Decimal) -> str:
    return f"{format((rate * 100).normalize(), 'f')}%"


def price(score: int, amount_fen: int, installments: int) -> tuple[Decimal, list[Reason]]:
    """Daily rate for this score, requested amount and term, never outside the product range."""
    band, rate, _ = band_of(score)
    reasons = [Reason("price_score_band", f"score {score} is band {band}: {pct(rate)}/day")]
    if amount_fen >= p.LARGE_AMOUNT_FEN:
        rate -= p.LARGE_AMOUNT_DISCOUNT
        reasons.append(Reason("price_amount_discount",
                              f"{format_yuan(amount_fen)} CNY requested: "
                              f"{pct(p.LARGE_AMOUNT_DISCOUNT)}/day lower"))
    rate = max(rate, p.DAILY_RATE_MIN)
    ceiling = p.term_tier_ceiling(installments)
    if rate > ceiling:
        rate = ceiling
        reasons.append(Reason("price_term_tier_ceiling",
                              f"{installments} installments: the term tier caps the rate at "
                              f"{pct(ceiling)}/day"))
    rate = min(rate, p.DAILY_RATE_MAX)
    if rate * p.DAYS_PER_YEAR > p.ALL_IN_CAP_ANNUAL:  # rule: PBoC/Supreme Court 24% all-in cap
        raise RuleViolation(f"annual rate {pct(rate * p.DAYS_PER_YEAR)} is over the 24% cap",
                            field="daily_rate")
    return rate, reasons


def ecosystem_uplift(eco: Ecosystem) -> Decimal:
    for months, spend_fen, factor in p.ECOSYSTEM_UPLIFT:
        if eco.device_user and eco.consumption_months >= months and eco.spend_12m_fen >= spend_fen:
            return factor
    return Decimal(1)


def dti_headroom_fen(income_fen: int, debt_fen: int) -> Decimal:
    return max(Decimal(income_fen) * p.DTI_CEILING - debt_fen, Decimal(0))


def initial_limit(score: int, income_fen: int, debt_fen: int, daily_rate: Decimal,
                  eco: Ecosystem, *, current_limit_fen: int | None = None
                  ) -> tuple[int, list[Reason]]:
    """The initial line limit in fen (a multiple of 100 CNY; may be below the minimum)."""
    band, _, multiple = band_of(score)
    uplift = ecosystem_uplift(eco)
    by_score = Decimal(income_fen) * multiple * uplift
    payment_factor = Decimal(1) / p.AFFORDABILITY_MONTHS + daily_rate * p.AFFORDABILITY_DAYS
    by_dti = dti_headroom_fen(income_fen, debt_fen) / payment_factor
    cap = p.NEW_CUSTOMER_LIMIT_MAX_FEN
    cap_reason = Reason("limit_new_customer_cap",
                        f"a new customer starts at no more than {format_yuan(cap)} CNY")
    if current_limit_fen is not None and current_limit_fen > cap:
        cap = min(current_limit_fen, p.LIMIT_MAX_FEN)
        cap_reason = Reason("limit_current_line", f"the line's current limit {format_yuan(cap)} "
                            "CNY; raises come from the repayment record")
    candidates = [
        (by_score, Reason("limit_by_score_income",
                          f"band {band}: {multiple} x monthly income"
                          + (f" x {uplift} ecosystem uplift" if uplift != 1 else ""))),
        (by_dti, Reason("limit_by_dti", "repayment of a full draw must keep debt payments "
                        f"within {pct(p.DTI_CEILING)} of income")),
        (Decimal(cap), cap_reason),
    ]
    amount, binding = min(candidates, key=lambda c: c[0])
    steps = (amount / p.LIMIT_STEP_FEN).quantize(Decimal(1), rounding=ROUND_FLOOR)
    limit_fen = int(steps) * p.LIMIT_STEP_FEN
    reasons = [binding]
    if uplift != 1 and binding.code != "limit_by_score_income":
        reasons.append(Reason("limit_ecosystem_uplift", f"ecosystem record: x {uplift}"))
    return limit_fen, reasons
