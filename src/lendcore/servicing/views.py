"""What servicing answers look like to a caller: yuan strings, ISO dates, rate strings, labels.

The one place servicing formats; services and queries return ``servicing.results`` values.

    >>> rate(182_500_000)
    '0.182500'
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lendcore.delinquency.ladder import CLASS_LABELS_ZH
from lendcore.money import format_yuan
from lendcore.rates import PPB, DayCount, format_percent, ppb_to_rate
from lendcore.servicing.allocation import Allocation
from lendcore.servicing.model import InstallmentState
from lendcore.servicing.results import (
    LoanChanged,
    LoanSummary,
    OpenedLoan,
    PayoffQuote,
    Repaid,
    Schedule,
    Statement,
    StatementRates,
)


def rate(ppb: int) -> str:
    return f"{Decimal(ppb) / PPB:.6f}"


def loan_summary(s: LoanSummary) -> dict[str, Any]:
    return {
        "loan_id": s.loan_id, "customer_id": s.customer_id, "line_id": s.line_id,
        "product": s.product, "kind": s.kind, "method": s.method,
        "status": s.status, "principal": format_yuan(s.principal_fen),
        "installments": s.installments, "start_date": s.start_date.isoformat(),
        "maturity_date": s.maturity_date.isoformat(),
        "annual_rate": rate(s.annual_rate_ppb), "fee_rate": rate(s.fee_rate_ppb),
        "apr_nominal": rate(s.apr_nominal_ppb), "penalty_rate": rate(s.penalty_rate_ppb),
        "lpr_one_year": None if s.lpr_one_year_ppb is None else rate(s.lpr_one_year_ppb),
        "balances": {
            "principal": format_yuan(s.principal_outstanding_fen),
            "interest": format_yuan(s.interest_receivable_fen),
            "penalty": format_yuan(s.penalty_receivable_fen),
            "fee": format_yuan(s.fee_receivable_fen),
            "overpayment": format_yuan(s.overpayment_fen),
        },
        "overdue": {
            "principal": format_yuan(s.overdue_principal_fen),
            "interest": format_yuan(s.overdue_interest_fen),
            "fee": format_yuan(s.overdue_fee_fen),
        },
        "dpd": s.dpd, "bucket": s.bucket, "risk_class": s.risk_class,
        "risk_class_zh": CLASS_LABELS_ZH.get(s.risk_class, s.risk_class),
        "next_due_date": s.next_due_date.isoformat() if s.next_due_date else None,
        "merchant_id": s.merchant_id, "order_id": s.order_id,
        "purpose": s.purpose, "payee": s.payee,
    }


def opened(value: OpenedLoan) -> dict[str, Any]:
    """A new loan: its summary (plus the merchant's subsidy of an interest-free checkout)."""
    view = loan_summary(value.loan)
    if value.merchant_subsidy_fen is not None:
        view["merchant_subsidy"] = format_yuan(value.merchant_subsidy_fen)
    return view


def allocation(alloc: Allocation) -> dict[str, Any]:
    return {k: v if isinstance(v, bool) else format_yuan(v) for k, v in alloc.as_dict().items()}


def repaid(value: Repaid) -> dict[str, Any]:
    return {"loan": loan_summary(value.loan),
            "allocation": None if value.allocation is None else allocation(value.allocation),
            "back_dated": value.back_dated,
            "effective_date": value.effective_date.isoformat(),
            "booked_on": value.booked_on.isoformat()}


def loan_changed(value: LoanChanged) -> dict[str, Any]:
    return {"loan": loan_summary(value.loan)}


def restructured(value: LoanChanged) -> dict[str, Any]:
    floor = value.class_floor_until
    return {"loan": loan_summary(value.loan),
            "class_floor_until": floor.isoformat() if floor else None}


def installment(inst: InstallmentState) -> dict[str, Any]:
    return {
        "number": inst.number, "period_start": inst.period_start.isoformat(),
        "due_date": inst.due_date.isoformat(), "principal": format_yuan(inst.principal_fen),
        "interest": format_yuan(inst.interest_fen), "fee": format_yuan(inst.fee_fen),
        "total": format_yuan(inst.principal_fen + inst.interest_fen + inst.fee_fen),
        "paid": format_yuan(inst.paid_principal_fen + inst.paid_interest_fen
                            + inst.paid_fee_fen),
        "status": inst.status, "paid_on": inst.paid_on.isoformat() if inst.paid_on else None,
    }


def schedule(value: Schedule) -> dict[str, Any]:
    return {"loan_id": value.loan_id,
            "installments": [installment(i) for i in value.installments]}


def payoff(q: PayoffQuote) -> dict[str, Any]:
    return {"loan_id": q.loan_id, "date": q.on.isoformat(),
            "principal": format_yuan(q.principal_fen), "interest": format_yuan(q.interest_fen),
            "penalty": format_yuan(q.penalty_fen), "fee": format_yuan(q.fee_fen),
            "overpayment_held": format_yuan(q.overpayment_held_fen),
            "total": format_yuan(q.total_fen)}


def statement(s: Statement) -> dict[str, Any]:
    """The bill: what is due now (a total of three disjoint parts), the next installment (not
    in it), the principal outstanding (a total, of which some is due now) and the rates."""
    return {
        "loan_id": s.loan_id, "business_date": s.business_date.isoformat(),
        "status": s.status,
        "due_now": {
            "total": format_yuan(s.due_now_fen),
            "overdue_installments": format_yuan(s.overdue_installments_fen),
            "penalty": format_yuan(s.penalty_fen),
            "due_today": format_yuan(s.due_today_fen),
        },
        "days_past_due": s.days_past_due,
        "next_due": None if s.next_due_date is None or s.next_due_fen is None else {
            "date": s.next_due_date.isoformat(), "amount": format_yuan(s.next_due_fen)},
        "principal_outstanding": {
            "total": format_yuan(s.principal_outstanding_fen),
            "of_which_due_now": format_yuan(s.principal_due_now_fen),
        },
        "rates": statement_rates(s.rates),
    }


def statement_rates(r: StatementRates) -> dict[str, Any]:
    """Every rate in percent: the contract rate (with the daily rate it is charged at, when
    interest runs by the day), the fee, the disclosed annual rate (单利), the penalty, the LPR."""
    annual = ppb_to_rate(r.contract_rate_ppb)
    daily = annual / DayCount(r.day_count).basis_days
    by_day = (r.interest_mode == "daily" or r.method == "pay-any-time") and annual > 0
    return {
        "contract_rate": None if annual == 0 and r.fee_rate_ppb else {
            "annual": format_percent(annual), "basis": r.day_count,
            "daily": format_percent(daily) if by_day and daily == daily.quantize(_EXACT) else None,
        },
        "fee_per_installment": format_percent(ppb_to_rate(r.fee_rate_ppb))
        if r.fee_rate_ppb else None,
        "apr_nominal": {"annual": format_percent(ppb_to_rate(r.apr_nominal_ppb)),
                        "basis": "simple (单利): IRR of the loan's interest and every fee"},
        "penalty": {"annual": format_percent(ppb_to_rate(r.penalty_rate_ppb)),
                    "basis": "罚息 on overdue principal, instead of the contract rate; within "
                             "the all-in cap"},
        "lpr_one_year": None if r.lpr_one_year_ppb is None
        else format_percent(ppb_to_rate(r.lpr_one_year_ppb)),
    }


_EXACT = Decimal("1e-9")  # a derived daily rate is shown only when it is exact
