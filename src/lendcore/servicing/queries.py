"""Read side: a loan's summary, schedule, payoff quote and the borrower's statement (bill).

Each read returns a value of ``servicing.results`` (fen, dates); ``servicing.views`` formats it.
A payoff quote for a future date projects the live state forward day by day with no events (the
same daily close the nightly run does) and adds up what would be owed that day: principal, the
interest to that date, penalty and billed fees; unbilled future fees and interest are not owed. A
payoff for a past date replays the loan's events up to it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection

from lendcore.clock import business_date
from lendcore.errors import InvalidInput
from lendcore.servicing import repository as repo
from lendcore.servicing.accrual import close_day
from lendcore.servicing.model import LoanState
from lendcore.servicing.replay import replay
from lendcore.servicing.results import (
    LoanSummary,
    PayoffQuote,
    Schedule,
    Statement,
    StatementRates,
    summary_of,
)

ONE_DAY = timedelta(days=1)
MAX_PROJECTION_DAYS = 3 * 366


def loan_summary(conn: Connection, loan_id: int) -> LoanSummary:
    return summary_of(repo.load_row(conn, loan_id))


def schedule(conn: Connection, loan_id: int) -> Schedule:
    state, _ = repo.load(conn, loan_id)
    return Schedule(loan_id, tuple(i for i in state.installments if i.status != "superseded"))


def _state_on(conn: Connection, loan_id: int, on: date) -> LoanState:
    bd = business_date(conn)
    state, _ = repo.load(conn, loan_id)
    if on < state.terms.start:
        raise InvalidInput(f"the loan started on {state.terms.start}", field="date")
    if on < bd:
        return replay(state.terms, repo.events(conn, loan_id), on)
    if (on - bd).days > MAX_PROJECTION_DAYS:
        raise InvalidInput("a payoff quote reaches at most 3 years ahead", field="date")
    day = bd
    while day < on:
        close_day(state, day)
        day += ONE_DAY
    return state


def payoff_quote(conn: Connection, loan_id: int, on: date) -> PayoffQuote:
    state = _state_on(conn, loan_id, on)
    return PayoffQuote(loan_id=loan_id, on=on, principal_fen=state.principal_outstanding_fen,
                       interest_fen=state.interest_receivable_fen,
                       penalty_fen=state.penalty_receivable_fen,
                       fee_fen=state.fee_receivable_fen,
                       overpayment_held_fen=state.overpayment_fen)


def statement(conn: Connection, loan_id: int) -> Statement:
    """The borrower's bill on the business date: overdue installments, penalty and what falls
    due today (disjoint), their total due now, the next installment, and the loan's rates."""
    bd = business_date(conn)
    state, row = repo.load(conn, loan_id)
    open_rows = [i for i in state.installments if i.status == "open"]
    due_today = [i for i in open_rows if i.due_date == bd]
    overdue = [i for i in open_rows if i.due_date < bd and i.unpaid_total > 0]
    upcoming = sorted((i for i in open_rows if i.due_date > bd), key=lambda i: i.due_date)
    nxt = upcoming[0] if upcoming else None
    return Statement(
        loan_id=loan_id, business_date=bd, status=row.status, rates=_rates(row),
        overdue_installments_fen=sum(i.unpaid_total for i in overdue),
        penalty_fen=state.penalty_receivable_fen,
        due_today_fen=sum(i.unpaid_total for i in due_today), days_past_due=state.dpd,
        next_due_date=None if nxt is None else nxt.due_date,
        next_due_fen=None if nxt is None else nxt.unpaid_total,
        principal_outstanding_fen=state.principal_outstanding_fen,
        principal_due_now_fen=sum(i.unpaid_principal for i in (*overdue, *due_today)))


def _rates(row: Any) -> StatementRates:
    lpr = row.lpr_one_year_ppb
    return StatementRates(
        method=row.method, day_count=row.day_count, interest_mode=row.interest_mode,
        contract_rate_ppb=int(row.annual_rate_ppb), fee_rate_ppb=int(row.fee_rate_ppb),
        apr_nominal_ppb=int(row.apr_nominal_ppb), penalty_rate_ppb=int(row.penalty_rate_ppb),
        lpr_one_year_ppb=None if lpr is None else int(lpr))
