"""Random loans with random repayment histories, walked exactly as ``replay`` walks them.

Used by the equivalence test (kernel vs ``close_day``) and by the portfolio generator, which
builds prototype loans this way and copies them. Deterministic for a given ``random.Random``.

A history is the loan's terms and its events; walking it day by day applies the day's repayment
before closing the day, so ``replay(terms, events, business_date)`` gives the very same state.
A payment the reference refuses (e.g. a prepayment before the interest to date) is left out.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from datetime import date, timedelta

from lendcore.errors import LendcoreError
from lendcore.money import Rounding
from lendcore.rates import DayCount
from lendcore.schedules.model import InterestMode
from lendcore.servicing.accrual import close_day, open_loan
from lendcore.servicing.allocation import apply_payment
from lendcore.servicing.model import PAY_ANY_TIME, LoanState, LoanStatus, LoanTerms, PrepaymentMode
from lendcore.servicing.replay import Event, restructure

ONE_DAY = timedelta(days=1)
METHODS = ("equal-installment", "equal-principal", "interest-first", "bullet", "flat-fee",
           PAY_ANY_TIME)
CAP_PPB = 240_000_000  # 24% all-in (domain.md s3)


def penalty_ppb(annual_rate_ppb: int) -> int:
    """1.5 x the contract rate, capped at 24% (an 18.25% loan: 27.375% -> 24%)."""
    return min(annual_rate_ppb * 3 // 2, CAP_PPB)


def random_terms(rng: random.Random, loan_id: int, start: date) -> LoanTerms:
    method = rng.choice(METHODS)
    day_count = rng.choice(list(DayCount))
    rate = rng.randrange(200_000, 500_001, 10_000) * day_count.basis_days  # 0.02%-0.05%/day
    return LoanTerms(
        loan_id=loan_id,
        principal_fen=rng.randrange(500_00, 50_000_00, 100),
        installments=rng.choice((1, 3, 6, 12, 24)),
        method=method, start=start, annual_rate_ppb=rate, penalty_rate_ppb=penalty_ppb(rate),
        fee_rate_ppb=6_000_000 if method == "flat-fee" else rng.choice((0, 0, 0, 2_000_000)),
        day_count=day_count, interest_mode=rng.choice(list(InterestMode)),
        rounding=rng.choice(list(Rounding)), grace_days=rng.choice((0, 3, 3, 5)),
        charge_off_dpd=rng.choice((180, 180, 60)),
        ladder=rng.choice(("five-category-2023", "card-style")),
        prepayment_mode=rng.choice(list(PrepaymentMode)),
        penalty_on_interest=rng.random() < 0.2,
    )


@dataclass(slots=True)
class Behaviour:
    """How a borrower pays: on time, late by some days, stopping at some date, odd amounts."""

    late_days: int
    stop_on: date | None
    odd_amounts: bool
    prepay_chance: float
    restructure_chance: float = 0.01  # a day, once more than 20 days past due


def random_behaviour(rng: random.Random, start: date, business_date: date) -> Behaviour:
    span = max((business_date - start).days, 1)
    stop = start + timedelta(days=rng.randrange(span)) if rng.random() < 0.3 else None
    return Behaviour(late_days=rng.choice((0, 0, 0, 2, 3, 4, 10, 40)), stop_on=stop,
                     odd_amounts=rng.random() < 0.3, prepay_chance=rng.choice((0.0, 0.003)))


def payment_for(rng: random.Random, state: LoanState, day: date, how: Behaviour) -> int:
    """Today's payment by this borrower (0 = none)."""
    if how.stop_on is not None and day >= how.stop_on:
        return 0
    late = [i for i in state.open_installments()
            if i.due_date + timedelta(days=how.late_days) == day and i.unpaid_total > 0]
    owed = sum(i.unpaid_total for i in late)
    if owed:
        owed += state.penalty_receivable_fen
    if owed and how.odd_amounts:
        owed = max(1, owed * rng.choice((1, 2, 3)) // 2)
    if not owed and state.status is LoanStatus.ACTIVE and rng.random() < how.prepay_chance:
        owed = rng.randrange(100, max(state.principal_outstanding_fen // 2, 101))
    return owed


def try_payment(state: LoanState, day: date, amount_fen: int) -> bool:
    """Apply the payment if the reference accepts it (checked on a copy first)."""
    trial = copy.deepcopy(state)
    try:
        apply_payment(trial, day, amount_fen)
    except LendcoreError:
        return False
    apply_payment(state, day, amount_fen)
    return True


def walk(rng: random.Random, terms: LoanTerms, business_date: date,
         how: Behaviour) -> tuple[LoanState, list[Event]]:
    """The loan on ``business_date`` (closed through the day before) and its events."""
    state = open_loan(terms)
    events: list[Event] = []
    day = terms.start
    while day < business_date:
        step(rng, state, day, how, events)
        close_day(state, day)
        day += ONE_DAY
    return state, events


def step(rng: random.Random, state: LoanState, day: date, how: Behaviour,
         events: list[Event]) -> None:
    """Today's events on one loan, before the day is closed."""
    amount = payment_for(rng, state, day, how)
    if amount > 0 and try_payment(state, day, amount):
        events.append(Event("repayment", day, amount, seq=len(events)))
    if (state.status is LoanStatus.ACTIVE and state.dpd > 20 and not state.restructured
            and rng.random() < how.restructure_chance):
        count = rng.choice((6, 12))
        restructure(state, day, count)
        events.append(Event("restructure", day, seq=len(events),
                            detail={"installments": count}))
