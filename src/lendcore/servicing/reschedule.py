"""Rebuilding the rest of a schedule after a principal prepayment, and closing a repaid loan.

A prepayment on day ``d`` inside installment k's period [start_k, due_k) has already paid the
interest accrued to ``d``. The remaining principal B' is then spread again:

* installment k keeps its due date; its interest becomes what was recognised up to ``d`` plus
  B' x rate for the rest of the period (per-period: pro rata of the month; daily: actual days);
* later installments follow the method on B': equal installment keeps the installment and
  shortens the term (``shorten``, the default) or keeps the count and lowers the installment
  (``lower``); equal principal and flat fee keep the principal per installment (shorten) or
  split B' evenly (lower); interest-first keeps all principal on the last installment.

Installments no longer needed are marked ``superseded``: fewer installments, fewer fees.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from lendcore.money import to_fen
from lendcore.rates import ppb_to_rate
from lendcore.schedules.methods import annuity_fen
from lendcore.schedules.model import InterestMode, Method
from lendcore.servicing.accrual import schedule_terms, start_segment
from lendcore.servicing.model import InstallmentState, LoanState, LoanStatus, PrepaymentMode


def reschedule_after_prepayment(state: LoanState, day: date, prepaid_fen: int) -> None:
    future = sorted((i for i in state.open_installments() if i.due_date > day),
                    key=lambda i: i.due_date)
    current = future[0]
    remaining = sum(i.unpaid_principal for i in future) - prepaid_fen
    # The prepaid principal is booked on the current installment (so principal over all
    # installments still sums to the loan); the rest of the balance is spread again below.
    current.paid_principal_fen += prepaid_fen
    if state.terms.pay_any_time:
        return
    if remaining == 0:
        _settle_future(future, day)
        state.accr_total_fen = state.accr_done_fen
        return
    rest_interest = _stub_interest(state, current, day, remaining)
    current.interest_fen = current.paid_interest_fen + rest_interest
    start_segment(state, day, current.due_date, rest_interest)
    parts = _principal_parts(state, future, remaining)
    _apply_parts(state, future, parts, day)


def _stub_interest(state: LoanState, current: InstallmentState, day: date, balance: int) -> int:
    terms = state.terms
    rate = ppb_to_rate(terms.annual_rate_ppb)
    if terms.interest_mode is InterestMode.PER_PERIOD:
        rest = Decimal((current.due_date - day).days)
        full = Decimal((current.due_date - current.period_start).days)
        exact = balance * rate / 12 * rest / full
    else:
        days = terms.day_count.days_between(day, current.due_date)
        exact = balance * rate * days / terms.day_count.basis_days
    return to_fen(exact, terms.rounding)


def lent_principal(state: LoanState) -> int:
    """The principal actually lent: the original less refunds (restructured: the plan's).

    Prepaid principal is booked on installments, so the live installments always sum to it;
    the live loan and its replay therefore size a rebuilt schedule on the same amount.
    """
    return sum(i.principal_fen for i in state.installments if i.status != "superseded")


def _period_interest(state: LoanState, balance: int, start: date, end: date) -> int:
    terms = state.terms
    rate = ppb_to_rate(terms.annual_rate_ppb)
    if terms.interest_mode is InterestMode.PER_PERIOD:
        exact = balance * rate / 12
    else:
        days = terms.day_count.days_between(start, end)
        exact = balance * rate * days / terms.day_count.basis_days
    return to_fen(exact, terms.rounding)


def _principal_parts(state: LoanState, future: list[InstallmentState], balance: int) -> list[int]:
    """New unpaid principal of each remaining installment (shorter list = shorter term)."""
    terms = state.terms
    method = terms.schedule_method
    count = len(future)
    lower = terms.prepayment_mode is PrepaymentMode.LOWER
    if method in (Method.INTEREST_FIRST, Method.BULLET):
        return [0] * (count - 1) + [balance]
    if method is Method.EQUAL_INSTALLMENT:
        return _annuity_parts(state, future, balance, lower)
    each = to_fen(Decimal(balance if lower else lent_principal(state))
                  / (count if lower else terms.installments), terms.rounding)
    parts: list[int] = []
    left = balance
    for idx in range(count):
        part = left if idx == count - 1 else min(each, left)
        parts.append(part)
        left -= part
        if left == 0:
            break
    return parts


def _annuity_parts(state: LoanState, future: list[InstallmentState], balance: int,
                   lower: bool) -> list[int]:
    if lower:
        base = schedule_terms(state.terms, principal_fen=balance)
        payment = annuity_fen(replace(base, installments=len(future)))
    else:
        payment = annuity_fen(schedule_terms(state.terms, principal_fen=lent_principal(state)))
    parts: list[int] = []
    left = balance
    previous_due = future[0].period_start
    for idx, inst in enumerate(future):
        if idx == 0:
            interest = future[0].unpaid_interest
        else:
            interest = _period_interest(state, left, previous_due, inst.due_date)
        part = left if idx == len(future) - 1 else min(max(payment - interest, 0), left)
        parts.append(part)
        left -= part
        previous_due = inst.due_date
        if left == 0:
            break
    return parts


def _apply_parts(state: LoanState, future: list[InstallmentState], parts: list[int],
                 day: date) -> None:
    balance = sum(parts)
    for idx, inst in enumerate(future):
        if idx >= len(parts):
            inst.status = "superseded"
            continue
        inst.principal_fen = inst.paid_principal_fen + parts[idx]
        if idx > 0:
            inst.interest_fen = inst.paid_interest_fen + _period_interest(
                state, balance, inst.period_start, inst.due_date)
        balance -= parts[idx]


def _settle_future(future: list[InstallmentState], day: date) -> None:
    """Everything prepaid: unrecognised interest and unbilled fees are not owed."""
    for inst in future:
        inst.principal_fen = inst.paid_principal_fen
        inst.interest_fen = inst.paid_interest_fen
        inst.fee_fen = inst.paid_fee_fen
        inst.status = "paid"
        inst.paid_on = day


def close_if_repaid(state: LoanState, day: date) -> None:
    """Close a loan once it owes nothing (a charged-off loan too, after full recovery)."""
    if state.status is LoanStatus.CLOSED or state.total_owed_fen != 0:
        return
    if state.principal_outstanding_fen == 0:
        _settle_future([i for i in state.installments if i.status == "open"], day)
        state.status = LoanStatus.CLOSED
        state.closed_on = day
        state.accr_total_fen = state.accr_done_fen
        state.penalty_grace_fen = 0
        state.penalty_carry = 0
        state.interest_carry = 0
