"""Risk-based price and initial limit, each with its reasons, from the product's numbers.

Every product number -- the rate range, the term tiers, the amount (limit) range, the day count
-- is read from the product catalogue (``lendcore.products``: ``data/cash-line.toml``,
``data/checkout-installment.toml``); the score bands, the large-amount discount, the DTI ceiling
and the new-customer cap are origination's credit policy (``policy.py``).

Price of a product priced by score (the cash line; daily rate, ACT/365: annual = daily x 365)::

    rate = band rate (A >= 600: 0.020%, B >= 550: 0.025%, C >= 520: 0.030%, D >= 500: 0.040%,
                      E below: 0.050%)
         - 0.005% when the requested amount is 20,000 CNY or more
    rate = max(rate, product's minimum)           cash line 0.02%/day
    rate = min(rate, the term's tier)             cash line 1-3 installments 0.03%, 4-6 0.04%,
                                                  7-12 0.05%
    rate = min(rate, product's maximum)           cash line 0.05%/day
    annual = rate x 365 <= 24% (rule; 0.05% x 365 = 18.25%, so it never binds today)

A product with no rate range (checkout installments) is priced by its term tiers alone: the
decision has no daily rate, and its reason names the tier of the requested term (12
installments: 13% a year by equal-installment, or a 0.6% fee per installment by flat-fee); each
order is priced by the tier of its own term when it is bought.

Limit (fen, whole hundreds of yuan rounded down)::

    by_score   = monthly income x band multiple (A 4, B 3, C 2, D 1.5, E 1)
                 x ecosystem uplift (1.2 with >= 24 months and >= 12,000 CNY spend in 12 months,
                                     1.1 with >= 12 months, else 1)
    headroom   = monthly income x 50% - declared monthly debt payments       (DTI ceiling)
    by_dti     = headroom / (1/12 + daily rate x 30)  a full draw, repaid in 12 equal principal
                                                      parts plus a month of interest, fits
                 (a tier-priced product: the tier's daily interest or its fee / 30, the dearer)
    cap        = 20,000 CNY (new customers start low); for a customer whose line is already
                 higher, that line's limit (raises come only from the repayment record,
                 limits_job.py); never over the product's maximum (50,000 CNY)
    limit      = min(by_score, by_dti, cap); below the product's minimum (cash line 500 CNY,
                 checkout 100 CNY) there is no line (declined)

Worked example: score 560 (band B), income 12,000, debt 1,000, 12 installments, 5,000 asked,
30 months in the ecosystem with 20,000 spent: rate 0.025%/day (9.125%/year); by_score = 12,000
x 3 x 1.2 = 43,200; headroom 5,000; by_dti = 5,000 / (0.083333 + 0.0075) = 55,670; cap 20,000 ->
limit 20,000 (new-customer cap).
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from lendcore.caps import load_caps
from lendcore.errors import RuleViolation
from lendcore.money import format_yuan
from lendcore.origination import policy as p
from lendcore.origination.model import Ecosystem
from lendcore.products.model import Product
from lendcore.rates import AnnualRate
from lendcore.reasons import Reason


def band_of(score: int) -> tuple[str, Decimal, Decimal]:
    for band, min_score, daily, multiple in p.SCORE_BANDS:
        if score >= min_score:
            return band, daily, multiple
    raise AssertionError("the last band has no minimum")


def pct(rate: Decimal) -> str:
    return f"{format((rate * 100).normalize(), 'f')}%"


def _cash_line(offered: Product | None) -> Product:
    return offered if offered is not None else p.product(p.PRODUCT_CODE)


def price(score: int, amount_fen: int, installments: int, offered: Product | None = None
          ) -> tuple[Decimal | None, list[Reason]]:
    """Daily rate for this score, requested amount and term, never outside the product's range
    nor above its term tier; None for a product priced by its tiers alone (the reason names
    the tier). ``offered``: the product applied for (default the cash line)."""
    product = _cash_line(offered)
    tier = product.tier_for(installments)
    low, high = product.rate_min, product.rate_max
    if low is None or high is None:
        return None, [tier_reason(product, installments)]
    band, rate, _ = band_of(score)
    reasons = [Reason("price_score_band", f"score {score} is band {band}: {pct(rate)}/day")]
    if amount_fen >= p.LARGE_AMOUNT_FEN:
        rate -= p.LARGE_AMOUNT_DISCOUNT
        reasons.append(Reason("price_amount_discount",
                              f"{format_yuan(amount_fen)} CNY requested: "
                              f"{pct(p.LARGE_AMOUNT_DISCOUNT)}/day lower"))
    rate = max(rate, low.daily)
    if tier.rate is not None and rate > tier.rate.daily:
        rate = tier.rate.daily
        reasons.append(Reason("price_term_tier_ceiling",
                              f"{installments} installments: the term tier caps the rate at "
                              f"{pct(rate)}/day"))
    rate = min(rate, high.daily)
    annual = AnnualRate.from_daily(rate, product.day_count).annual
    cap = load_caps().strictest_hard_cap  # rule: PBoC/Supreme Court 24% all-in cap
    if annual > cap:
        raise RuleViolation(f"annual rate {pct(annual)} is over the {pct(cap)} cap",
                            field="daily_rate")
    return rate, reasons


def tier_reason(product: Product, installments: int) -> Reason:
    """The price of a product priced by its term tiers: the tier of the requested term."""
    tier = product.tier_for(installments)
    prices = []
    if tier.rate is not None:
        prices.append(f"{pct(tier.rate.annual)} a year")
    if tier.fee_rate_per_installment:
        prices.append(f"a {pct(tier.fee_rate_per_installment)} fee per installment (flat-fee)")
    return Reason("price_product_tier",
                  f"{product.code}, {installments} installments: {' or '.join(prices)}; each "
                  "order is priced by the tier of its own term")


def affordability_rate(product: Product, installments: int, daily_rate: Decimal | None
                       ) -> Decimal:
    """The daily rate the DTI test charges a full draw: the decision's rate or, for a product
    priced by its tiers, the requested tier's daily interest or its fee per installment spread
    over a 30-day month, whichever is dearer."""
    if daily_rate is not None:
        return daily_rate
    tier = product.tier_for(installments)
    interest = tier.rate.daily if tier.rate is not None else Decimal(0)
    return max(interest, tier.fee_rate_per_installment / p.AFFORDABILITY_DAYS)


def ecosystem_uplift(eco: Ecosystem) -> Decimal:
    for months, spend_fen, factor in p.ECOSYSTEM_UPLIFT:
        if eco.device_user and eco.consumption_months >= months and eco.spend_12m_fen >= spend_fen:
            return factor
    return Decimal(1)


def dti_headroom_fen(income_fen: int, debt_fen: int) -> Decimal:
    return max(Decimal(income_fen) * p.DTI_CEILING - debt_fen, Decimal(0))


def initial_limit(score: int, income_fen: int, debt_fen: int, daily_rate: Decimal,
                  eco: Ecosystem, *, current_limit_fen: int | None = None,
                  offered: Product | None = None) -> tuple[int, list[Reason]]:
    """The initial line limit in fen (a multiple of 100 CNY; may be below the product's
    minimum). ``daily_rate``: the rate the DTI test charges (:func:`affordability_rate`)."""
    product = _cash_line(offered)
    band, _, multiple = band_of(score)
    uplift = ecosystem_uplift(eco)
    by_score = Decimal(income_fen) * multiple * uplift
    payment_factor = Decimal(1) / p.AFFORDABILITY_MONTHS + daily_rate * p.AFFORDABILITY_DAYS
    by_dti = dti_headroom_fen(income_fen, debt_fen) / payment_factor
    cap = p.NEW_CUSTOMER_LIMIT_MAX_FEN
    cap_reason = Reason("limit_new_customer_cap",
                        f"a new customer starts at no more than {format_yuan(cap)} CNY")
    if current_limit_fen is not None and current_limit_fen > cap:
        cap = min(current_limit_fen, product.principal_max_fen)
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
