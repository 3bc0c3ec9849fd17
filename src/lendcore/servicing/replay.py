"""A loan's state as a pure function of its terms and its events.

    state = replay(terms, events, business_date)

opens the loan on its start date and walks day by day to ``business_date``: on each day the
day's events are applied in order (a repayment is taken before that day closes), then the day is
closed (``accrual.close_day``); on ``business_date`` itself the events are applied and the day is
left open, as the live loan is during that business day. A back-dated repayment is therefore just
an event with an earlier date: replaying gives the loan as if it had arrived on time (less
penalty, a shorter overdue spell), and the ledger receives the difference (``ledger_bridge``).

Refunds of returned goods are retroactive: the refunded part of the principal is treated as never
lent, so the interest and fees charged on it are given back; payments already made are
re-applied to the smaller loan (any excess prepays, and on a fully refunded loan is an
overpayment the borrower can have back).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from lendcore.calendar import add_months, monthly_due_dates
from lendcore.errors import InvalidInput, RuleViolation
from lendcore.money import Rounding, split_fen
from lendcore.rates import ppb_to_rate
from lendcore.schedules import ScheduleTerms, build_schedule
from lendcore.schedules.model import Method
from lendcore.servicing.accrual import close_day, open_loan, start_segment
from lendcore.servicing.allocation import apply_payment
from lendcore.servicing.model import InstallmentState, LoanState, LoanStatus, LoanTerms

EVENT_KINDS = ("repayment", "refund", "overpayment_refund", "waiver", "restructure")
ONE_DAY = timedelta(days=1)
MAX_RESTRUCTURE_INSTALLMENTS = 60  # domain.md s7: negotiated repayment, at most 60 periods


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    effective_date: date
    amount_fen: int = 0
    seq: int = 0
    detail: Mapping[str, Any] = field(default_factory=dict)


def replay(terms: LoanTerms, events: Iterable[Event], business_date: date) -> LoanState:
    ordered = sorted(events, key=lambda e: (e.effective_date, e.seq))
    for event in ordered:
        if event.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {event.kind!r}")
        if not terms.start <= event.effective_date <= business_date:
            raise InvalidInput(
                f"effective date {event.effective_date} must be between the loan's start "
                f"{terms.start} and the business date {business_date}", field="effective_date")
    state = _open(terms, ordered)
    pending = iter(ordered)
    nxt = next(pending, None)
    day = terms.start
    while True:
        while nxt is not None and nxt.effective_date == day:
            apply_event(state, nxt)
            nxt = next(pending, None)
        if day >= business_date:
            return state
        close_day(state, day)
        day += ONE_DAY


def _open(terms: LoanTerms, events: list[Event]) -> LoanState:
    refunded = sum(e.amount_fen for e in events if e.kind == "refund")
    if refunded > terms.principal_fen:
        raise RuleViolation("refunds exceed the loan's principal", field="amount",
                            code="refund_exceeds_principal")
    if refunded == terms.principal_fen:
        state = open_loan(replace(terms, principal_fen=terms.principal_fen))
        for inst in state.installments:
            inst.principal_fen = inst.interest_fen = inst.fee_fen = 0
            inst.status = "paid"
            inst.paid_on = terms.start
        state.principal_outstanding_fen = 0
        state.status = LoanStatus.CLOSED
        state.closed_on = terms.start
        state.accr_total_fen = 0
    else:
        state = open_loan(replace(terms, principal_fen=terms.principal_fen - refunded))
    state.totals.disbursed = terms.principal_fen
    return state


def apply_event(state: LoanState, event: Event) -> None:
    if event.kind == "repayment":
        apply_payment(state, event.effective_date, event.amount_fen)
    elif event.kind == "refund":
        state.totals.refunded_principal += event.amount_fen
    elif event.kind == "overpayment_refund":
        if event.amount_fen > state.overpayment_fen:
            raise RuleViolation(
                f"only {state.overpayment_fen} fen of overpayment can be refunded",
                field="amount", code="exceeds_overpayment")
        state.overpayment_fen -= event.amount_fen
        state.totals.overpayment_refunded += event.amount_fen
    elif event.kind == "waiver":
        waive(state, str(event.detail["component"]), event.amount_fen)
    elif event.kind == "restructure":
        detail = event.detail
        restructure(state, event.effective_date, int(detail["installments"]),
                    Method(str(detail.get("method", Method.EQUAL_INSTALLMENT.value))),
                    None if detail.get("annual_rate_ppb") is None
                    else int(detail["annual_rate_ppb"]))


def waive(state: LoanState, component: str, amount_fen: int) -> None:
    """Waive penalty or interest already charged (with an approval recorded by the caller)."""
    if component == "penalty":
        if amount_fen > state.penalty_receivable_fen:
            raise RuleViolation("waiver exceeds the penalty owed", field="amount",
                                code="waiver_exceeds_owed")
        state.penalty_receivable_fen -= amount_fen
        state.totals.waived_penalty += amount_fen
        return
    if component != "interest":
        raise InvalidInput("accepted: penalty, interest", field="component")
    owed = sum(i.unpaid_interest for i in state.open_installments()
               if state.accrued_through is not None and i.due_date <= state.accrued_through)
    if amount_fen > owed:
        raise RuleViolation("waiver exceeds the billed interest owed", field="amount",
                            code="waiver_exceeds_owed")
    left = amount_fen
    for inst in sorted(state.open_installments(), key=lambda i: i.due_date):
        cut = min(left, inst.unpaid_interest)
        if cut <= 0:
            continue
        inst.interest_fen -= cut
        state.overdue_interest_fen -= min(cut, state.overdue_interest_fen)
        left -= cut
        if left == 0:
            break
    state.interest_receivable_fen -= amount_fen
    state.totals.waived_interest += amount_fen


def restructure(state: LoanState, day: date, installments: int,
                method: Method = Method.EQUAL_INSTALLMENT, annual_rate_ppb: int | None = None,
                ) -> None:
    """Negotiated repayment (协商还款): the loan re-amortised over a new plan from ``day``.

    The interest-bearing principal is re-amortised at the plan rate (never above the contract
    rate); arrears (unpaid interest, fees and penalty left after any waivers) are split evenly
    over the installments *without* interest, so no interest is ever charged on interest or
    fees. The arrears move into principal receivable (the ``restructure`` entry), the loan is
    current again, and its class is floored at 关注 for 12 months.
    """
    if not 1 <= installments <= MAX_RESTRUCTURE_INSTALLMENTS:
        raise InvalidInput(f"a negotiated plan has 1 to {MAX_RESTRUCTURE_INSTALLMENTS} "
                           "installments", field="installments")
    if state.status is not LoanStatus.ACTIVE:
        raise RuleViolation(f"only an active loan can be restructured (this one is "
                            f"{state.status.value})", field="loan", code="not_active")
    terms = state.terms
    rate_ppb = terms.annual_rate_ppb if annual_rate_ppb is None else annual_rate_ppb
    if not 0 <= rate_ppb <= terms.annual_rate_ppb:
        raise RuleViolation("a plan may lower the contract rate, never raise it",
                            field="annual_rate", code="plan_rate_above_contract")
    rows = plan_rows(state.principal_outstanding_fen, _arrears(state), installments, method,
                     rate_ppb, day, terms.rounding)
    _capitalise(state)
    for inst in state.installments:
        if inst.status == "open":
            inst.status = "superseded"
    first_number = max(i.number for i in state.installments) + 1
    previous = day
    for n, (due, principal, interest) in enumerate(rows):
        state.installments.append(
            InstallmentState(first_number + n, previous, due, principal, interest, 0))
        previous = due
    _make_current(state, day)
    first = state.installments[-installments]
    start_segment(state, first.period_start, first.due_date, first.interest_fen)


def _arrears(state: LoanState) -> int:
    return state.interest_receivable_fen + state.fee_receivable_fen + state.penalty_receivable_fen


def plan_rows(principal_fen: int, arrears_fen: int, installments: int, method: Method,
              rate_ppb: int, start: date, rounding: Rounding) -> list[tuple[date, int, int]]:
    """(due date, principal incl. its arrears share, interest) of each plan installment."""
    arrears = split_fen(arrears_fen, [1] * installments) if arrears_fen else [0] * installments
    if principal_fen > 0:
        plan = build_schedule(ScheduleTerms(
            principal_fen=principal_fen, installments=installments, method=method,
            annual_rate=ppb_to_rate(rate_ppb), start=start, rounding=rounding))
        base = [(i.due_date, i.principal_fen, i.interest_fen) for i in plan.installments]
    else:
        base = [(due, 0, 0) for due in monthly_due_dates(start, installments)]
    return [(due, p + a, i) for (due, p, i), a in zip(base, arrears, strict=True)]


def _capitalise(state: LoanState) -> None:
    t = state.totals
    t.capitalised_interest += state.interest_receivable_fen
    t.capitalised_fee += state.fee_receivable_fen
    t.capitalised_penalty += state.penalty_receivable_fen
    state.principal_outstanding_fen += _arrears(state)
    state.interest_receivable_fen = state.fee_receivable_fen = state.penalty_receivable_fen = 0


def _make_current(state: LoanState, day: date) -> None:
    state.overdue_principal_fen = state.overdue_interest_fen = state.overdue_fee_fen = 0
    state.oldest_unpaid_due = None
    state.dpd = 0
    state.penalty_grace_fen = state.penalty_carry = state.interest_carry = 0
    state.class_floor_until = add_months(day, 12)
    state.restructured = True
