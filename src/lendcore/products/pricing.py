"""Pricing a product: contract rates from tiers, schedule terms, disclosed APRs, 贴息 subsidies.

The contract annual rate for a number of installments comes from the product's tier covering
it. A score-based daily rate (from the credit decision), when given, must lie in the product's
range; the tier is the ceiling for the term, so the contract rate is the lower of the two::

    >>> cash = get_product("cash-line")
    >>> contract_rate(cash, 12).annual                       # 0.05%/day x 365
    Decimal('0.1825')
    >>> contract_rate(cash, 2, daily_rate=Decimal("0.0004")).annual  # tier 0.03% caps it
    Decimal('0.1095')

The disclosed annual rate of a term is the IRR-based nominal APR (单利) of its schedule at the
tier's price, the highest across the product's methods; a product whose disclosed rate for any
term would exceed the cap is refused when the catalogue loads. A merchant-funded interest-free
promotion (贴息) gives the borrower a schedule with no fee or interest and bills the merchant the
fee and interest the borrower would have paid at the tier's price.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lendcore.caps import percent
from lendcore.errors import InvalidInput, RuleViolation
from lendcore.products.model import Product, RepaymentMethod
from lendcore.rates import AnnualRate
from lendcore.schedules.apr import apr_of_schedule, disclosed_rate
from lendcore.schedules.methods import build_schedule
from lendcore.schedules.model import Method, Schedule, ScheduleTerms
from lendcore.schedules.quote import CAP_CHECK_PLACES

# Daily interest depends on the calendar; July and August are both 31 days, so a loan starting
# on 1 July front-loads the longest periods: the dearest start for the load-time cap check.
REFERENCE_START = date(2025, 7, 1)


@dataclass(frozen=True, slots=True)
class TermDisclosure:
    installments: int
    contract_rate: AnnualRate | None
    fee_rate_per_installment: Decimal
    apr_nominal: Decimal  # the highest across the product's methods, disclosed to 6 decimals
    method: RepaymentMethod  # the method giving it


@dataclass(frozen=True, slots=True)
class InterestFreePlan:
    """贴息: the borrower's schedule (no fee, no interest) and what the merchant pays."""

    borrower_schedule: Schedule
    standard_schedule: Schedule
    merchant_subsidy_fen: int


def check_installments(product: Product, installments: int) -> None:
    if installments not in product.installment_counts:
        accepted = ", ".join(str(n) for n in product.installment_counts)
        raise InvalidInput(f"{product.code} offers {accepted} installments, not {installments}",
                           field="installments")


def contract_rate(product: Product, installments: int,
                  daily_rate: Decimal | None = None) -> AnnualRate:
    """The contract annual rate of ``installments`` (a score-based daily rate may lower it)."""
    check_installments(product, installments)
    tier_rate = product.tier_for(installments).rate or AnnualRate(Decimal(0), product.day_count)
    if daily_rate is None:
        return tier_rate
    if product.rate_min is None or product.rate_max is None:
        raise InvalidInput(f"{product.code} does not price by score", field="daily_rate")
    if not product.rate_min.daily <= daily_rate <= product.rate_max.daily:
        raise InvalidInput(
            f"{percent(daily_rate)}/day is outside {product.code}'s range; accepted: "
            f"{percent(product.rate_min.daily)} to {percent(product.rate_max.daily)} a day",
            field="daily_rate",
        )
    scored = AnnualRate.from_daily(daily_rate, product.day_count)
    return scored if scored.annual <= tier_rate.annual else tier_rate


def schedule_terms(product: Product, method: RepaymentMethod, principal_fen: int,
                   installments: int, start: date, daily_rate: Decimal | None = None
                   ) -> ScheduleTerms:
    """Terms of a scheduled loan under ``product``: flat-fee charges the tier's fee and no
    interest; the other methods charge the contract rate and no fee."""
    schedule_method = method.schedule_method
    if method not in product.methods or schedule_method is None:
        accepted = ", ".join(m.value for m in product.methods if m.schedule_method is not None)
        raise InvalidInput(f"{product.code} schedules {accepted}, not {method.value}",
                           field="method")
    if not product.principal_min_fen <= principal_fen <= product.principal_max_fen:
        raise InvalidInput(f"{product.code} lends {product.principal_min_fen // 100} to "
                           f"{product.principal_max_fen // 100} CNY", field="principal")
    rate = contract_rate(product, installments, daily_rate)
    is_fee = schedule_method is Method.FLAT_FEE
    return ScheduleTerms(
        principal_fen=principal_fen,
        installments=installments,
        method=schedule_method,
        annual_rate=Decimal(0) if is_fee else rate.annual,
        start=start,
        fee_rate_per_installment=product.tier_for(installments).fee_rate_per_installment
        if is_fee else Decimal(0),
        interest_mode=product.interest_mode,
        day_count=product.day_count,
        rounding=product.rounding,
        installment_multiple_fen=product.installment_multiple_fen,
    )


def disclose_term(product: Product, installments: int) -> TermDisclosure:
    """The highest APR any of the product's methods gives ``installments`` at the tier price."""
    tier = product.tier_for(installments)
    best: tuple[Decimal, RepaymentMethod] | None = None
    for method in product.methods:
        apr = _apr_nominal(product, method, installments)
        if best is None or apr > best[0]:
            best = (apr, method)
    assert best is not None, "a product has at least one method"
    return TermDisclosure(installments, tier.rate, tier.fee_rate_per_installment, *best)


def _apr_nominal(product: Product, method: RepaymentMethod, installments: int) -> Decimal:
    if method.schedule_method is None:  # pay-any-time: simple interest on actual days
        return disclosed_rate(contract_rate(product, installments).annual)
    terms = schedule_terms(product, method, product.principal_max_fen, installments,
                           REFERENCE_START)
    return disclosed_rate(apr_of_schedule(build_schedule(terms)).nominal)


def check_product_against_cap(product: Product, hard_cap: Decimal) -> None:
    """Refuse a product any of whose terms, at its highest rate plus fees, exceeds the cap."""
    for installments in product.installment_counts:
        term = disclose_term(product, installments)
        if disclosed_rate(term.apr_nominal, CAP_CHECK_PLACES) > hard_cap:
            tier = product.tier_for(installments)
            rate = f"{percent(tier.rate.annual)} a year" if tier.rate else "no interest"
            raise RuleViolation(
                f"product {product.code}: {installments} installments by {term.method.value} at "
                f"{rate} plus a {percent(tier.fee_rate_per_installment)} fee per installment "
                f"has an all-in annual rate of {percent(term.apr_nominal)}, over the "
                f"{percent(hard_cap)} cap",
                field=f"{product.source}: tiers",
                code="rate_over_cap",
            )


def interest_free_plan(product: Product, principal_fen: int, installments: int,
                       start: date) -> InterestFreePlan:
    """贴息: the borrower pays principal only; the merchant pays the standard fee/interest."""
    if not product.merchant_funded_interest_free:
        raise RuleViolation(f"{product.code} has no merchant-funded interest-free promotions",
                            field="promotion", code="promotion_not_allowed")
    standard_method = product.methods[0]
    standard = build_schedule(schedule_terms(product, standard_method, principal_fen,
                                             installments, start))
    free_terms = ScheduleTerms(
        principal_fen=principal_fen, installments=installments, method=Method.FLAT_FEE,
        annual_rate=Decimal(0), start=start, rounding=product.rounding,
        day_count=product.day_count, installment_multiple_fen=product.installment_multiple_fen,
    )
    borrower = build_schedule(free_terms)
    subsidy = standard.totals["fee"] + standard.totals["interest"]
    return InterestFreePlan(borrower, standard, subsidy)
