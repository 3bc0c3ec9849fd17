"""What to do next on a case: the bucket's strategy, escalated by broken promises.

The ladder (``config.Action``) is reminder < in_house_call < intensive_call < outsource <
legal_referral. The bucket's configured action is the starting rung; each broken promise to pay
moves the case one rung up, but promises alone never reach legal referral (that is decided by
DPD: ``legal.referral_dpd``). Outsourcing resolves to a concrete step, because the rule allows
assignment to an agency only after the borrower was notified of it:

    M4, no notice            -> send_outsourcing_notice
    M4, notice, no agency    -> assign_agency
    M4, notice, agency       -> agency_collection
    M1 with 1 broken promise -> intensive_call
    any bucket, dpd >= 180   -> legal_referral

An agency takes new cases only while its yearly review is current (``agency_accepts_new_cases``).
"""

from __future__ import annotations

from datetime import date

from lendcore.calendar import add_months
from lendcore.collections.config import Action, CollectionsConfig

NEXT_NONE = "none"
NEXT_PLAN = "plan_in_force"
NEXT_NOTICE = "send_outsourcing_notice"
NEXT_ASSIGN = "assign_agency"
NEXT_AGENCY = "agency_collection"
AGENCY_REVIEW_MONTHS = 12  # rule: each agency reviewed at least yearly


def next_action(
    *,
    case_open: bool,
    bucket: str,
    max_dpd: int,
    plan_in_force: bool,
    broken_promises: int,
    notice_recorded: bool,
    agency_code: str | None,
    config: CollectionsConfig,
) -> str:
    if not case_open:
        return NEXT_NONE
    if plan_in_force:
        return NEXT_PLAN
    if max_dpd >= config.legal_referral_dpd:
        return str(Action.LEGAL_REFERRAL.value)
    strategy = config.strategy_for(bucket)
    base = strategy.action if strategy is not None else Action.REMINDER
    ladder: tuple[Action, ...] = tuple(Action)
    rung = min(base.rung + max(broken_promises, 0), Action.OUTSOURCE.rung)
    action = ladder[max(rung, base.rung)]
    if action is not Action.OUTSOURCE:
        return str(action.value)
    if not notice_recorded:
        return NEXT_NOTICE
    if agency_code is None:
        return NEXT_ASSIGN
    return NEXT_AGENCY


def agency_review_due(last_reviewed_on: date) -> date:
    return add_months(last_reviewed_on, AGENCY_REVIEW_MONTHS)


def agency_accepts_new_cases(last_reviewed_on: date, active: bool, business_date: date) -> bool:
    """An agency past its yearly review (or deactivated) gets no new cases."""
    return active and business_date <= agency_review_due(last_reviewed_on)


def promise_broken(promised_on: date, amount_fen: int, paid_fen: int, business_date: date) -> bool:
    """A promise is broken once its date has passed without the promised amount paid."""
    return business_date > promised_on and paid_fen < amount_fen


def promise_kept(amount_fen: int, paid_fen: int) -> bool:
    return paid_fen >= amount_fen
