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
term would exceed the cap is refused when the catalogue loads. A loan charging by the day has its
IRR measured in days (``schedules.apr``), so 0.04%/day discloses 14.60% on every calendar.

The penalty rate (罚息) is 1.5 x the contract rate, capped at 24% (domain.md s4): a property of
the contract, never of the calendar, so identical contracts drawn on any dates get the same one;
a flat-fee loan's base is its fee's equivalent annual rate (:func:`penalty_base`).

A merchant-funded interest-free
promotion (贴息) gives the borrower a schedule with no fee or interest and bills the merchant the
fee and interest the borrower would have paid at the tier's price.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_DOWN, Decimal

from lendcore.caps import percent
from lendcore.errors import InvalidInput, RuleViolation
from lendcore.products.model import Product, RepaymentMethod
from lendcore.rates import AnnualRate
from lendcore.schedules.apr import apr_of_schedule, disclosed_rate, flat_fee_equivalent_rate
from lendcore.schedules.methods import build_schedule
from lendcore.schedules.model import Method, Schedule, ScheduleTerms
from lendcore.schedules.quote import CAP_CHECK_PLACES

# Daily interest depends on the calendar; July and August are both 31 days, so a loan starting
# on 1 July front-loads the longest periods: the dearest start for the load-time cap check.
REFERENCE_START = date(2025, 7, 1)
# The disclosure's reference loan. This large, the fen rounding of one loan's installments moves
# its IRR by less than 1e-10, so a term's disclosed rate is its price alone (14.60%, not the
# 14.6001% a 50,000 CNY loan's rounding gives).
REFERENCE_PRINCIPAL_FEN = 10**12
# Rates are stored in parts per billion; a penalty rate is rounded *down* to it, so a rate capped
# at 24% never rounds above the cap.
_PPB = Decimal("1e-9")


@dataclass(frozen=True, slots=True)
class TermDisclosure:
    installments: int
    contract_rate: AnnualRate | None
    fee_rate_per_installment: Decimal
    apr_nominal: Decimal  # the highest across the product's methods, disclosed to 6 decimals
    method: RepaymentMethod  # the method giving it


@dataclass(frozen=True, slots=True)
class PriceDisclosure:
    """What some of a product's methods charge for a term, and the rates that follow from it.

    checkout-installment, 12 installments: flat-fee charges 0.6% of the principal an
    installment (APR 13.0342%, penalty 19.5513%); equal-installment charges 13% a year (APR 13%,
    penalty 19.5%)."""

    installments: int
    methods: tuple[RepaymentMethod, ...]
    contract_rate: AnnualRate | None  # the interest rate charged; None: no interest (flat-fee)
    fee_rate_per_installment: Decimal  # on the original principal; 0 for the interest methods
    apr_nominal: Decimal  # disclosed (6 decimals), the highest across ``methods``
    penalty_rate: Decimal  # 罚息, a year: 1.5 x the contract rate (see :func:`penalty_rate`)


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
    if not product.min_draw_fen <= principal_fen <= product.principal_max_fen:
        raise InvalidInput(f"{product.code} lends {product.min_draw_fen // 100} to "
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
    terms = replace(terms, principal_fen=REFERENCE_PRINCIPAL_FEN)
    return disclosed_rate(apr_of_schedule(build_schedule(terms)).nominal)


def disclose_prices(product: Product, installments: int,
                    hard_cap: Decimal) -> tuple[PriceDisclosure, ...]:
    """Each distinct price of ``installments`` (methods charging the same, grouped, in the
    product's order) with its disclosed APR and its penalty rate under ``hard_cap``."""
    tier = product.tier_for(installments)
    groups: dict[tuple[AnnualRate | None, Decimal], list[RepaymentMethod]] = {}
    for method in product.methods:
        is_fee = method is RepaymentMethod.FLAT_FEE
        charge = (None, tier.fee_rate_per_installment) if is_fee else (
            contract_rate(product, installments), Decimal(0))
        groups.setdefault(charge, []).append(method)
    prices = []
    for (rate, fee), methods in groups.items():
        apr = max(_apr_nominal(product, m, installments) for m in methods)
        annual = Decimal(0) if rate is None else rate.annual
        penalty = penalty_rate(product, methods[0], installments, annual, fee, hard_cap)
        prices.append(PriceDisclosure(installments, tuple(methods), rate, fee, apr, penalty))
    return tuple(prices)


def penalty_base(method: RepaymentMethod, installments: int, annual_rate: Decimal,
                 fee_rate_per_installment: Decimal) -> Decimal:
    """The annual rate the penalty multiplies: what the borrower pays for the money.

    Interest methods and pay-any-time: the contract annual rate (0.04%/day is 14.60% on
    ACT/365), fixed by the contract and so the same on any start date. Flat-fee loans charge no
    interest, only a fee per installment: their base is the fee's equivalent nominal annual rate
    (:func:`flat_fee_equivalent_rate`, 0.6% over 12 installments is 13.0342%), the disclosed APR
    of the fee without the fen rounding of any one loan, so it moves with neither the start
    date nor the amount. An interest-free (贴息) loan charges the borrower nothing: base 0.
    """
    if method is RepaymentMethod.FLAT_FEE:
        if fee_rate_per_installment == 0:
            return Decimal(0)
        return flat_fee_equivalent_rate(fee_rate_per_installment, installments)
    return annual_rate


def penalty_rate(product: Product, method: RepaymentMethod, installments: int,
                 annual_rate: Decimal, fee_rate_per_installment: Decimal,
                 hard_cap: Decimal) -> Decimal:
    """罚息 a year: the product's multiplier (1.5, seed 001: 日利率的1.5倍) x the base, capped at
    ``hard_cap`` so the all-in rate stays within it, rounded down to the ppb the loan stores::

        0.05%/day (18.25%) -> 27.375% -> 24% (the cap)
        0.04%/day (14.60%) -> 21.90%
        flat fee 0.6% x 12 (13.0342%) -> 19.5513%
    """
    base = penalty_base(method, installments, annual_rate, fee_rate_per_installment)
    return min(product.penalty_multiplier * base, hard_cap).quantize(_PPB, rounding=ROUND_DOWN)


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
