"""How borrowers behave: a persona per person, a plan per loan, one move per loan per day.

Pure functions over plain values and a seeded ``random.Random``; no database, no clock. The
simulation asks ``todays_move(life, view, day)`` for every live loan each business day and
carries the move out through the real services.

Personas (weights for an average applicant; the risky ones grow as quality falls):

=============  ===============================================================================
punctual       pays every installment on its due date
late_grace     pays 1-3 days late, inside the grace period (no penalty, no bad credit report)
late_short     pays about half its installments 5-25 days late (M1)
late_long      misses installments and catches up 35-110 days late (M2-M4), often after a call
prepayer       pays on time, then pays the whole loan off early
returner       returns goods bought at checkout (full or partial refund), otherwise on time
hardship       stops paying; signs a negotiated plan (协商还款) at 35-80 DPD and keeps it
defaulter      stops after 0-2 installments and never pays again: charged off at 180 DPD
recoverer      like a defaulter, but pays part of the debt after the charge-off (a recovery)
=============  ===============================================================================

Worked example: a ``late_long`` loan with lags ``(0, 70, 0, ...)`` pays installment 1 on its due
date, lets installment 2 run to 70 DPD (bucket M3), then pays everything overdue in one go.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from lendcore.calendar import add_months


class Persona(enum.Enum):
    PUNCTUAL = "punctual"
    LATE_GRACE = "late_grace"
    LATE_SHORT = "late_short"
    LATE_LONG = "late_long"
    PREPAYER = "prepayer"
    RETURNER = "returner"
    HARDSHIP = "hardship"
    DEFAULTER = "defaulter"
    RECOVERER = "recoverer"


# (persona, base weight, extra weight per unit of risk^2); risk = 1 - quality.
WEIGHTS: tuple[tuple[Persona, float, float], ...] = (
    (Persona.PUNCTUAL, 0.52, -0.30),
    (Persona.LATE_GRACE, 0.11, 0.05),
    (Persona.LATE_SHORT, 0.07, 0.20),
    (Persona.LATE_LONG, 0.02, 0.22),
    (Persona.PREPAYER, 0.09, -0.05),
    (Persona.RETURNER, 0.06, 0.0),
    (Persona.HARDSHIP, 0.01, 0.12),
    (Persona.DEFAULTER, 0.01, 0.30),
    (Persona.RECOVERER, 0.01, 0.16),
)
STOPPERS = frozenset({Persona.HARDSHIP, Persona.DEFAULTER, Persona.RECOVERER})
ANSWER_RATE = {Persona.DEFAULTER: 0.10, Persona.RECOVERER: 0.35, Persona.HARDSHIP: 0.6}


def choose_persona(rng: random.Random, quality: float) -> Persona:
    risk = (1.0 - quality) ** 2
    weights = [max(base + extra * risk, 0.005) for _, base, extra in WEIGHTS]
    return rng.choices([p for p, _, _ in WEIGHTS], weights=weights)[0]


class Move(enum.Enum):
    NONE = "none"
    PAY_DUE = "pay_due"  # what is due today plus everything overdue
    PAY_OFF = "pay_off"  # the payoff quote: prepayment of the whole loan
    REFUND = "refund"  # returned goods (checkout loans)
    RECOVER = "recover"  # a payment on a charged-off loan
    SIGN_PLAN = "sign_plan"  # ask for a negotiated repayment plan


@dataclass(slots=True)
class LoanLife:
    """One loan's behaviour plan, drawn at disbursement, and what has happened to it since."""

    loan_id: int
    persona: Persona
    kind: str  # draw | checkout
    start: date
    lags: tuple[int, ...]  # days late per installment (index 0 = installment 1)
    stop_after: int | None = None  # installments paid before stopping for good
    prepay_day: int | None = None  # days after start
    refund_day: int | None = None
    refund_percent: int = 100
    plan_dpd: int | None = None
    recover_dpd: int | None = None
    recover_percent: int = 0
    in_plan: bool = False
    refunded: bool = False
    recovered: bool = False
    promise_on: set[date] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class LoanView:
    """What the borrower can see of the loan on the business date (from its statement)."""

    loan_id: int
    status: str
    dpd: int
    next_due_date: date | None


def plan_loan(rng: random.Random, loan_id: int, persona: Persona, kind: str, start: date,
              installments: int) -> LoanLife:
    life = LoanLife(loan_id, persona, kind, start, _lags(rng, persona, installments))
    if persona in STOPPERS:
        life.stop_after = 0 if persona is Persona.RECOVERER else rng.choice((0, 0, 0, 1, 2)) \
            if persona is Persona.DEFAULTER else rng.randint(0, 2)
    if persona is Persona.PREPAYER:
        life.prepay_day = rng.randint(20, 150)
    if persona is Persona.RETURNER and kind == "checkout":
        life.refund_day = rng.randint(2, 20)
        life.refund_percent = rng.choice((100, 100, 50, 30))
    if persona is Persona.HARDSHIP:
        life.plan_dpd = rng.randint(35, 80)
    if persona is Persona.RECOVERER:
        life.recover_dpd = rng.randint(181, 190)  # soon after the charge-off at 180
        life.recover_percent = rng.choice((30, 50, 100))
    return life


def _lags(rng: random.Random, persona: Persona, installments: int) -> tuple[int, ...]:
    def one() -> int:
        if persona is Persona.LATE_GRACE:
            return rng.randint(1, 3)
        if persona is Persona.LATE_SHORT:
            return rng.randint(5, 25) if rng.random() < 0.5 else 0
        if persona is Persona.LATE_LONG:
            return rng.randint(35, 110) if rng.random() < 0.4 else rng.randint(0, 10)
        return 0
    return tuple(one() for _ in range(installments))


def installment_index(start: date, due: date) -> int:
    """The 0-based installment whose due date is ``due`` (monthly from ``start``)."""
    n = 0
    while n < 120 and add_months(start, n + 1) < due:
        n += 1
    return n


def todays_move(life: LoanLife, view: LoanView, day: date) -> Move:
    age = (day - life.start).days
    if view.status == "charged_off":
        due = life.recover_dpd is not None and not life.recovered and view.dpd >= life.recover_dpd
        return Move.RECOVER if due else Move.NONE
    if day in life.promise_on and view.dpd > 0:
        return Move.PAY_DUE  # recovering after collection: a promise to pay, kept
    if life.refund_day == age and not life.refunded:
        return Move.REFUND
    if life.prepay_day is not None and age >= life.prepay_day and view.dpd == 0:
        return Move.PAY_OFF
    if life.in_plan:
        return Move.PAY_DUE if view.dpd > 0 or view.next_due_date == day else Move.NONE
    if view.dpd > 0 and life.plan_dpd is not None and view.dpd >= life.plan_dpd:
        return Move.SIGN_PLAN
    return _scheduled(life, view, day)


def _scheduled(life: LoanLife, view: LoanView, day: date) -> Move:
    oldest = day - timedelta(days=view.dpd) if view.dpd > 0 else view.next_due_date
    if oldest is None:
        return Move.NONE
    index = installment_index(life.start, oldest)
    if life.stop_after is not None and index >= life.stop_after:
        return Move.NONE
    lag = life.lags[index] if index < len(life.lags) else 0
    if view.dpd > 0:
        return Move.PAY_DUE if view.dpd >= lag else Move.NONE
    return Move.PAY_DUE if view.next_due_date == day and lag == 0 else Move.NONE


def answers_call(rng: random.Random, persona: Persona) -> bool:
    return rng.random() < ANSWER_RATE.get(persona, 0.75)


def keeps_promises(persona: Persona) -> bool:
    return persona in (Persona.LATE_SHORT, Persona.LATE_LONG, Persona.LATE_GRACE,
                       Persona.PUNCTUAL, Persona.PREPAYER, Persona.RETURNER)
