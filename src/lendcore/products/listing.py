"""The catalogue as plain rows for the CLI, API and console (strings only, JSON-ready).

Every rate and fee is a percentage (one unit), exact. Each product lists, per installment count,
each distinct price its methods charge: the contract interest rate a year (and the daily rate it
is charged at, for interest by the day), the fee per installment, the disclosed annual rate
(nominal IRR-based APR, 单利: interest and every fee) and the penalty rate (罚息). E.g.
checkout-installment, 12 installments::

    flat-fee            no interest, fee 0.60%   APR 13.0342%  penalty 19.5513%
    equal-installment   13.00% a year, no fee    APR 13.00%    penalty 19.50%

and the cash line's 7-12 installments: 18.25% a year = 0.05% a day (ACT/365), APR 18.25%,
penalty 24.00% (1.5 x 18.25% = 27.375%, cut to the 24% cap).
"""

from __future__ import annotations

from typing import Any

from lendcore.caps import load_caps
from lendcore.money import format_yuan
from lendcore.products.catalogue import load_catalogue
from lendcore.products.model import Product
from lendcore.products.pricing import PriceDisclosure, disclose_prices
from lendcore.rates import format_percent
from lendcore.schedules.model import InterestMode

# What each rate is, and why the APR may differ from the contract rate (shown with the table).
RATE_NOTES = (
    "contract rate: the interest rate a year in the contract (a daily rate x the day-count "
    "basis: 0.05%/day on ACT/365 is 18.25%)",
    "fee: charged per installment on the original principal (flat-fee)",
    "APR 单利: the all-in annual rate disclosed under PBoC [2021] No. 3, the IRR of interest and "
    "every fee on principal actually outstanding, nominal (simple); with no fee it equals the "
    "contract rate, a fee makes it higher than fee x 12",
    "penalty: 罚息 a year on overdue principal, 1.5 x the contract rate (flat-fee: x the fee's "
    "equivalent annual rate, its APR), cut to the all-in cap; charged instead of the contract "
    "rate on that principal, not on top of it",
)


def catalogue_rows() -> list[dict[str, Any]]:
    return [product_row(p) for _, p in sorted(load_catalogue().items())]


def product_row(product: Product) -> dict[str, Any]:
    hard_cap = load_caps().strictest_hard_cap  # the cap a product must respect on any date
    by_day = product.interest_mode is InterestMode.DAILY
    terms = [_price_row(price, by_day)
             for installments in product.installment_counts
             for price in disclose_prices(product, installments, hard_cap)]
    return {
        "code": product.code,
        "name": product.name,
        "kind": product.kind.value,
        "methods": [m.value for m in product.methods],
        "principal_min": format_yuan(product.principal_min_fen),
        "principal_max": format_yuan(product.principal_max_fen),
        "day_count": product.day_count.value,
        "interest_mode": product.interest_mode.value,
        "daily_rate_range": None if product.rate_min is None or product.rate_max is None else
        [format_percent(product.rate_min.daily), format_percent(product.rate_max.daily)],
        "terms": terms,
    }


def _price_row(price: PriceDisclosure, by_day: bool) -> dict[str, Any]:
    rate = price.contract_rate
    return {
        "installments": price.installments,
        "method": ", ".join(m.value for m in price.methods),
        "methods": [m.value for m in price.methods],
        "contract_rate_annual": None if rate is None else format_percent(rate.annual),
        "contract_rate_daily": format_percent(rate.daily) if rate is not None and by_day
        else None,
        "fee_rate_per_installment": format_percent(price.fee_rate_per_installment),
        "apr_nominal": format_percent(price.apr_nominal),
        "penalty_rate_annual": format_percent(price.penalty_rate),
    }
