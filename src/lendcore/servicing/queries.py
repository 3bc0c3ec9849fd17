"""Read side: a loan's summary, schedule, payoff quote and the borrower's statement (bill).

A payoff quote for a future date projects the live state forward day by day with no events (the
same daily close the nightly run does) and adds up what would be owed that day: principal, the
interest to that date, penalty and billed fees; unbilled future fees and interest are not owed. A
payoff for a past date replays the loan's events up to it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from lendcore.delinquency.ladder import CLASS_LABELS_ZH
from lendcore.errors import InvalidInput
from lendcore.money import format_yuan
from lendcore.rates import PPB
from lendcore.servicing import repository as repo
from lendcore.servicing.accrual import close_day
from lendcore.servicing.model import InstallmentState, LoanState
from lendcore.servicing.replay import replay
from lendcore.servicing.runner import business_date

ONE_DAY = timedelta(days=1)
MAX_PROJECTION_DAYS = 3 * 366


def _rate(ppb: int) -> str:
    return f"{Decimal(ppb) / PPB:.6f}"


def loan_summary(conn: Connection, loan_id: int) -> dict[str, Any]:
    return summary_of(repo.load_row(conn, loan_id))


def summary_of(row: Any) -> dict[str, Any]:
    """The loan's summary from a loan row (or any object with its columns as attributes)."""
    return {
        "loan_id": row.id, "customer_id": row.customer_id, "line_id": row.credit_line_id,
        "product": row.product_code, "kind": row.kind, "method": row.method,
        "status": row.status, "principal": format_yuan(row.principal_fen),
        "installments": row.installments_count, "start_date": row.start_date.isoformat(),
        "maturity_date": row.maturity_date.isoformat(),
        "annual_rate": _rate(row.annual_rate_ppb), "apr_nominal": _rate(row.apr_nominal_ppb),
        "penalty_rate": _rate(row.penalty_rate_ppb),
        "balances": {
            "principal": format_yuan(row.principal_outstanding_fen),
            "interest": format_yuan(row.interest_receivable_fen),
            "penalty": format_yuan(row.penalty_receivable_fen),
            "fee": format_yuan(row.fee_receivable_fen),
            "overpayment": format_yuan(row.overpayment_fen),
        },
        "overdue": {
            "principal": format_yuan(row.overdue_principal_fen),
            "interest": format_yuan(row.overdue_interest_fen),
            "fee": format_yuan(row.overdue_fee_fen),
        },
        "dpd": row.dpd, "bucket": row.bucket, "risk_class": row.risk_class,
        "risk_class_zh": CLASS_LABELS_ZH.get(row.risk_class, row.risk_class),
        "next_due_date": row.next_due_date.isoformat() if row.next_due_date else None,
        "merchant_id": row.merchant_id, "order_id": row.order_id,
        "purpose": row.purpose, "payee": row.payee,
    }


def _installment(inst: InstallmentState) -> dict[str, Any]:
    return {
        "number": inst.number, "period_start": inst.period_start.isoformat(),
        "due_date": inst.due_date.isoformat(), "principal": format_yuan(inst.principal_fen),
        "interest": format_yuan(inst.interest_fen), "fee": format_yuan(inst.fee_fen),
        "total": format_yuan(inst.principal_fen + inst.interest_fen + inst.fee_fen),
        "paid": format_yuan(inst.paid_principal_fen + inst.paid_interest_fen
                            + inst.paid_fee_fen),
        "status": inst.status, "paid_on": inst.paid_on.isoformat() if inst.paid_on else None,
    }


def schedule(conn: Connection, loan_id: int) -> dict[str, Any]:
    state, _ = repo.load(conn, loan_id)
    rows = [_installment(i) for i in state.installments if i.status != "superseded"]
    return {"loan_id": loan_id, "installments": rows}


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


def payoff_quote(conn: Connection, loan_id: int, on: date) -> dict[str, Any]:
    state = _state_on(conn, loan_id, on)
    parts = {
        "principal": state.principal_outstanding_fen,
        "interest": state.interest_receivable_fen,
        "penalty": state.penalty_receivable_fen,
        "fee": state.fee_receivable_fen,
    }
    total = max(sum(parts.values()) - state.overpayment_fen, 0)
    return {"loan_id": loan_id, "date": on.isoformat(),
            **{k: format_yuan(v) for k, v in parts.items()},
            "overpayment_held": format_yuan(state.overpayment_fen),
            "total": format_yuan(total)}


def statement(conn: Connection, loan_id: int) -> dict[str, Any]:
    """The borrower's bill on the business date: due now, overdue, next due, annual rate."""
    bd = business_date(conn)
    state, row = repo.load(conn, loan_id)
    open_rows = [i for i in state.installments if i.status == "open"]
    due_now = [i for i in open_rows if i.due_date == bd]
    overdue = [i for i in open_rows if i.due_date < bd and i.unpaid_total > 0]
    upcoming = sorted((i for i in open_rows if i.due_date > bd), key=lambda i: i.due_date)
    nxt = upcoming[0] if upcoming else None
    return {
        "loan_id": loan_id, "business_date": bd.isoformat(), "status": row.status,
        "annual_rate": {"nominal": _rate(row.apr_nominal_ppb), "basis": "simple (单利)"},
        "due_now": format_yuan(sum(i.unpaid_total for i in due_now)),
        "overdue": format_yuan(sum(i.unpaid_total for i in overdue)
                               + state.penalty_receivable_fen),
        "penalty": format_yuan(state.penalty_receivable_fen),
        "days_past_due": state.dpd,
        "next_due": None if nxt is None else {
            "date": nxt.due_date.isoformat(), "amount": format_yuan(nxt.unpaid_total)},
        "principal_outstanding": format_yuan(state.principal_outstanding_fen),
    }
