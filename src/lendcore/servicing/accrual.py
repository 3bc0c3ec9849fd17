"""Opening a loan and closing one business day on it: the per-loan reference of the nightly run.

Closing day ``x`` (the business date moves to x+1 afterwards) does, in this order:

1. **Interest for day x.** Scheduled loans recognise the current period's interest linearly:
   after t days of a D-day period, ``round_half_up(I x t / D)`` of its interest ``I`` is
   recognised, so a period's daily amounts sum exactly to its interest. Pay-any-time loans accrue
   not-yet-due principal x annual rate / basis per day, with an integer carry so the cumulative
   amount is always the half-up rounding of the exact cumulative amount.
2. **Billing.** An installment whose due date is x+1 is billed: its fee becomes receivable (its
   interest is fully recognised by now), and the next period's accrual starts.
3. **Overdue.** An installment due on x and not fully paid becomes past due; DPD counts from the
   oldest unpaid due date: DPD on business date x+1 is ``x + 1 - oldest``.
4. **Penalty (罚息) for day x** on overdue principal at the loan's capped penalty rate (1.5 x the
   contract rate, at most 24%): *instead of* the contract rate, never on interest or fees unless
   the product allows interest. Inside the grace period (DPD <= grace days) it is only pending; a
   loan that passes grace is charged the pending days too (penalty runs from the due date), and a
   loan cured inside grace is never charged (paid inside grace: no penalty).
5. **Charge-off** when DPD reaches the product's charge-off DPD: receivables leave the books, the
   loan stays open for recoveries and accrues nothing more.

Worked example: 10,000 CNY pay-any-time at 18.25% (ACT/365) accrues 10,000 x 0.1825/365 = 5.00
CNY a day; repaid after 10 days the interest is 50.00 CNY.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from lendcore.calendar import add_months
from lendcore.delinquency.ladder import bucket_of, class_of
from lendcore.rates import ppb_to_rate
from lendcore.schedules import ScheduleTerms, build_schedule
from lendcore.servicing.model import (
    InstallmentState,
    LoanState,
    LoanStatus,
    LoanTerms,
)

ONE_DAY = timedelta(days=1)


@dataclass(slots=True)
class DayResult:
    """What closing one day did to one loan (summed per product for the ledger)."""

    interest_fen: int = 0
    penalty_fen: int = 0
    fee_billed_fen: int = 0
    became_overdue: bool = False
    charged_off: bool = False


def schedule_terms(terms: LoanTerms, principal_fen: int | None = None) -> ScheduleTerms:
    return ScheduleTerms(
        principal_fen=terms.principal_fen if principal_fen is None else principal_fen,
        installments=terms.installments,
        method=terms.schedule_method,
        annual_rate=ppb_to_rate(terms.annual_rate_ppb),
        start=terms.start,
        fee_rate_per_installment=ppb_to_rate(terms.fee_rate_ppb),
        interest_mode=terms.interest_mode,
        day_count=terms.day_count,
        rounding=terms.rounding,
        installment_multiple_fen=terms.installment_multiple_fen,
    )


def open_loan(terms: LoanTerms) -> LoanState:
    """The state right after disbursement on ``terms.start`` (no day closed yet)."""
    if terms.pay_any_time:
        due = add_months(terms.start, terms.installments)
        rows = [InstallmentState(1, terms.start, due, terms.principal_fen, 0, 0)]
    else:
        schedule = build_schedule(schedule_terms(terms))
        rows = []
        previous = terms.start
        for inst in schedule.installments:
            rows.append(InstallmentState(inst.number, previous, inst.due_date,
                                         inst.principal_fen, inst.interest_fen, inst.fee_fen))
            previous = inst.due_date
    state = LoanState(terms=terms, installments=rows,
                      principal_outstanding_fen=terms.principal_fen,
                      accrued_through=terms.start - ONE_DAY)
    state.totals.disbursed = terms.principal_fen
    if not terms.pay_any_time:
        first = rows[0]
        start_segment(state, first.period_start, first.due_date, first.interest_fen)
    return state


def start_segment(state: LoanState, start: date, end: date, total_fen: int) -> None:
    """Recognise ``total_fen`` of interest linearly over the days [start, end)."""
    state.accr_start = start
    state.accr_days = (end - start).days
    state.accr_total_fen = total_fen
    state.accr_done_fen = 0


def carry_step(carry: int, numerator: int, divisor: int) -> tuple[int, int]:
    """Add ``numerator`` to the carry; take out whole fen rounded half up; return (fen, carry).

    Integer-only, so numpy's int64 kernel reproduces it exactly; the cumulative amount taken
    out is always the exact cumulative amount rounded half up.
    """
    carry += numerator
    fen = (2 * carry + divisor) // (2 * divisor)
    return fen, carry - fen * divisor


def close_day(state: LoanState, day: date) -> DayResult:
    """Close business day ``day`` on one loan (must be the day after ``accrued_through``)."""
    if state.accrued_through is None or day != state.accrued_through + ONE_DAY:
        raise ValueError(f"loan {state.terms.loan_id}: closing {day} after {state.accrued_through}")
    result = DayResult()
    state.accrued_through = day
    if state.status is LoanStatus.CLOSED:
        return result
    active = state.status is LoanStatus.ACTIVE
    if active:
        result.interest_fen = _accrue_interest(state, day)
    _bill(state, day, result, active)
    _roll_overdue(state, day, result)
    state.dpd = (day + ONE_DAY - state.oldest_unpaid_due).days if state.oldest_unpaid_due else 0
    if active:
        result.penalty_fen = _accrue_penalty(state)
        if state.dpd >= state.terms.charge_off_dpd:
            charge_off(state, day)
            result.charged_off = True
    return result


def _accrue_interest(state: LoanState, day: date) -> int:
    terms = state.terms
    if terms.pay_any_time:
        base = sum(i.unpaid_principal for i in state.installments
                   if i.status == "open" and i.due_date > day)
        if base <= 0:
            return 0
        fen, state.interest_carry = carry_step(
            state.interest_carry, base * terms.annual_rate_ppb, terms.accrual_divisor)
    else:
        if state.accr_start is None or state.accr_days <= 0:
            return 0
        elapsed = (day - state.accr_start).days + 1
        if not 1 <= elapsed <= state.accr_days:
            return 0
        target = (2 * state.accr_total_fen * elapsed + state.accr_days) // (2 * state.accr_days)
        fen = target - state.accr_done_fen
        state.accr_done_fen = target
    state.interest_receivable_fen += fen
    state.totals.interest_accrued += fen
    return fen


def _bill(state: LoanState, day: date, result: DayResult, active: bool) -> None:
    """Installments due tomorrow are billed; the next period's interest starts accruing."""
    tomorrow = day + ONE_DAY
    for inst in state.installments:
        if inst.status != "open" or inst.due_date != tomorrow:
            continue
        if state.terms.pay_any_time:
            accrued_unpaid = state.interest_receivable_fen - sum(
                i.unpaid_interest for i in state.installments
                if i.status == "open" and i.due_date <= day)
            inst.interest_fen = inst.paid_interest_fen + accrued_unpaid
        if active and inst.unpaid_fee > 0:
            state.fee_receivable_fen += inst.unpaid_fee
            state.totals.fee_billed += inst.unpaid_fee
            result.fee_billed_fen += inst.unpaid_fee
        nxt = next((i for i in state.installments
                    if i.status == "open" and i.period_start == tomorrow), None)
        if nxt is not None and not state.terms.pay_any_time:
            start_segment(state, nxt.period_start, nxt.due_date, nxt.interest_fen)


def _roll_overdue(state: LoanState, day: date, result: DayResult) -> None:
    for inst in state.installments:
        if inst.status != "open" or inst.due_date != day or inst.unpaid_total <= 0:
            continue
        state.overdue_principal_fen += inst.unpaid_principal
        state.overdue_interest_fen += inst.unpaid_interest
        state.overdue_fee_fen += inst.unpaid_fee
        if state.oldest_unpaid_due is None or day < state.oldest_unpaid_due:
            state.oldest_unpaid_due = day
        result.became_overdue = True


def _accrue_penalty(state: LoanState) -> int:
    terms = state.terms
    base = state.overdue_principal_fen
    if terms.penalty_on_interest:
        base += state.overdue_interest_fen
    if base <= 0 or terms.penalty_rate_ppb <= 0:
        return 0
    fen, state.penalty_carry = carry_step(
        state.penalty_carry, base * terms.penalty_rate_ppb, terms.accrual_divisor)
    if state.dpd <= terms.grace_days:
        state.penalty_grace_fen += fen
        return 0
    charged = fen + state.penalty_grace_fen
    state.penalty_grace_fen = 0
    state.penalty_receivable_fen += charged
    state.totals.penalty_accrued += charged
    return charged


def charge_off(state: LoanState, day: date) -> None:
    """Write the receivables off the books; the borrower still owes them (recoveries)."""
    t = state.totals
    t.charged_off_principal += state.principal_outstanding_fen
    t.charged_off_interest += state.interest_receivable_fen
    t.charged_off_penalty += state.penalty_receivable_fen
    t.charged_off_fee += state.fee_receivable_fen
    state.status = LoanStatus.CHARGED_OFF
    state.charged_off_on = day


def bucket(state: LoanState) -> str:
    return bucket_of(state.dpd)


def risk_class(state: LoanState, on: date) -> str:
    return class_of(state.dpd, state.terms.ladder, floor_until=state.class_floor_until, on=on)
