"""Prototype loans of a synthetic book: real terms from the catalogue, real histories.

A synthetic book of N loans is built from K prototypes (K << N): each prototype is a loan with
terms drawn from the catalogue's products (``cash-line``: 3-12 installments, 0.02%-0.05% a day
ACT/365, daily interest, every method including pay-any-time; ``checkout-installment``:
3/6/12/24 installments, flat-fee or equal-installment at the tier's fee or rate), disbursed on a
day in the two years before the business date, and a repayment history walked by the per-loan
reference (``eod.histories.walk``, the same walk as ``replay``). Most borrowers pay on time; a
share stops paying so that the book holds loans in every bucket M1-M7 (charged off past 180
DPD). Copies of a prototype get their own loan and customer ids and the prototype's events, so
every loan's row is exactly ``replay(terms, events, business_date)``.

Each loan carries what a real one stores at opening: the penalty rate of the product's rule
(``products.pricing.penalty_rate``: 1.5 x the contract rate, flat-fee 1.5 x the fee's equivalent
rate, capped at 24%), its disclosed APR (the IRR of its schedule, 单利; pay-any-time: the contract
rate) and the one-year LPR in force on its start date.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from lendcore.calendar import add_months
from lendcore.caps import load_caps
from lendcore.eod.histories import Behaviour, walk
from lendcore.products.catalogue import get_product
from lendcore.products.model import RepaymentMethod
from lendcore.products.pricing import penalty_rate
from lendcore.rates import ppb_to_rate, rate_to_ppb
from lendcore.schedules import build_schedule
from lendcore.schedules.apr import apr_of_schedule, disclosed_rate
from lendcore.schedules.model import InterestMode
from lendcore.servicing.accrual import schedule_terms
from lendcore.servicing.model import PAY_ANY_TIME, LoanState, LoanTerms
from lendcore.servicing.replay import Event

CASH, CHECKOUT = "cash-line", "checkout-installment"
CASH_METHODS = ("equal-installment", "equal-principal", "interest-first", "bullet", PAY_ANY_TIME)
# Share of loans by target bucket (the rest current); M7 and the end of M6 are charged off.
BUCKET_SHARES = ((1, 30, 0.04), (31, 60, 0.015), (61, 90, 0.01), (91, 120, 0.008),
                 (121, 150, 0.007), (151, 180, 0.006), (181, 400, 0.02))
HISTORY_DAYS = 730


@dataclass(frozen=True, slots=True)
class Prototype:
    product_code: str
    kind: str  # draw | checkout
    state: LoanState
    events: tuple[Event, ...]
    apr_nominal_ppb: int  # as disclosed at opening
    lpr_one_year_ppb: int | None  # the one-year LPR in force on the start date


def _penalty_ppb(product_code: str, terms: LoanTerms) -> int:
    """The stored penalty rate of ``terms`` by the product's rule, under the cap at its start."""
    rate = penalty_rate(get_product(product_code), RepaymentMethod(terms.method),
                        terms.installments, ppb_to_rate(terms.annual_rate_ppb),
                        ppb_to_rate(terms.fee_rate_ppb), load_caps().on(terms.start).hard_cap)
    return rate_to_ppb(rate)


def cash_terms(rng: random.Random, start: date) -> LoanTerms:
    product = get_product(CASH)
    daily_ppb = rng.randrange(200_000, 500_001, 10_000)  # 0.02%-0.05% a day
    annual = daily_ppb * product.day_count.basis_days
    terms = LoanTerms(
        loan_id=1, principal_fen=rng.randrange(500_00, 50_000_00, 100 * 100),
        installments=rng.choice((3, 6, 9, 12)), method=rng.choice(CASH_METHODS), start=start,
        annual_rate_ppb=annual, penalty_rate_ppb=0,
        day_count=product.day_count, interest_mode=InterestMode.DAILY,
        grace_days=product.grace_days, charge_off_dpd=product.charge_off_dpd)
    return replace(terms, penalty_rate_ppb=_penalty_ppb(CASH, terms))


def checkout_terms(rng: random.Random, start: date) -> LoanTerms:
    product = get_product(CHECKOUT)
    n = rng.choice(product.installment_counts)
    tier = product.tier_for(n)
    flat = rng.random() < 0.6
    rate = 0 if flat or tier.rate is None else tier.rate.annual_ppb
    terms = LoanTerms(
        loan_id=1, principal_fen=rng.randrange(100_00, 20_000_00, 100), installments=n,
        method="flat-fee" if flat else "equal-installment", start=start, annual_rate_ppb=rate,
        penalty_rate_ppb=0, fee_rate_ppb=rate_to_ppb(tier.fee_rate_per_installment) if flat else 0,
        day_count=product.day_count, interest_mode=InterestMode.PER_PERIOD,
        grace_days=product.grace_days, charge_off_dpd=product.charge_off_dpd)
    return replace(terms, penalty_rate_ppb=_penalty_ppb(CHECKOUT, terms))


def disclosed_apr_ppb(terms: LoanTerms) -> int:
    """The APR a loan of ``terms`` discloses at opening (pay-any-time: its contract rate)."""
    if terms.pay_any_time:
        return terms.annual_rate_ppb
    schedule = build_schedule(schedule_terms(terms))
    return rate_to_ppb(disclosed_rate(apr_of_schedule(schedule).nominal))


def lpr_ppb(start: date) -> int | None:
    lpr = load_caps().on(start).lpr_one_year
    return None if lpr is None else rate_to_ppb(lpr)


def _target_dpd(rng: random.Random) -> int:
    draw = rng.random()
    for low, high, share in BUCKET_SHARES:
        if draw < share:
            return rng.randint(low, high)
        draw -= share
    return 0


def prototype(rng: random.Random, business_date: date) -> Prototype:
    code = CASH if rng.random() < 0.6 else CHECKOUT
    make = cash_terms if code == CASH else checkout_terms
    dpd = _target_dpd(rng)
    earliest = business_date - timedelta(days=HISTORY_DAYS)
    if dpd == 0:
        terms = make(rng, business_date)
        matured = rng.random() < 0.1  # a repaid loan now and then; most of the book is live
        span = HISTORY_DAYS if matured else min(HISTORY_DAYS, terms.installments * 30 - 1)
        terms = replace(terms, start=business_date - timedelta(days=rng.randrange(1, span)))
        how = Behaviour(rng.choice((0, 0, 0, 0, 1, 2)), None, False, 0.0, 0.0)
    else:
        terms = make(rng, business_date)
        missed = business_date - timedelta(days=dpd)
        count = terms.installments if terms.method == PAY_ANY_TIME else rng.randint(
            1, terms.installments)
        start = max(add_months(missed, -count), earliest)
        terms = replace(terms, start=start)
        how = Behaviour(0, missed, False, 0.0, 0.0002)
    terms = replace(terms, penalty_rate_ppb=_penalty_ppb(code, terms))  # the cap at its start
    state, events = walk(rng, terms, business_date, how)
    return Prototype(code, "draw" if code == CASH else "checkout", state, tuple(events),
                     disclosed_apr_ppb(terms), lpr_ppb(terms.start))


def prototypes(seed: int, count: int, business_date: date) -> list[Prototype]:
    rng = random.Random(seed)
    return [prototype(rng, business_date) for _ in range(count)]
