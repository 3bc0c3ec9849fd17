"""What servicing commands and reads return: plain values in fen, dates and ppb rates.

The views (``servicing.views``) turn these into yuan strings and labels; the services and
queries never format. A loan's summary is read from its stored row (or the row as a command is
about to write it), so a command's answer is what a later read returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from lendcore.servicing.allocation import Allocation
from lendcore.servicing.model import InstallmentState


@dataclass(frozen=True, slots=True)
class LoanSummary:
    loan_id: int
    customer_id: int
    line_id: int | None
    product: str
    kind: str  # draw | checkout
    method: str
    status: str
    principal_fen: int
    installments: int
    start_date: date
    maturity_date: date
    annual_rate_ppb: int
    fee_rate_ppb: int
    apr_nominal_ppb: int
    penalty_rate_ppb: int
    lpr_one_year_ppb: int | None  # the one-year LPR in force on the start date
    principal_outstanding_fen: int
    interest_receivable_fen: int
    penalty_receivable_fen: int
    fee_receivable_fen: int
    overpayment_fen: int
    overdue_principal_fen: int
    overdue_interest_fen: int
    overdue_fee_fen: int
    dpd: int
    bucket: str
    risk_class: str
    next_due_date: date | None
    merchant_id: str | None
    order_id: str | None
    purpose: str | None
    payee: str | None


def summary_of(row: Any) -> LoanSummary:
    """The summary of a loan row (or any object with its columns as attributes)."""
    return LoanSummary(
        loan_id=int(row.id), customer_id=int(row.customer_id),
        line_id=None if row.credit_line_id is None else int(row.credit_line_id),
        product=row.product_code, kind=row.kind, method=row.method, status=row.status,
        principal_fen=int(row.principal_fen), installments=int(row.installments_count),
        start_date=row.start_date, maturity_date=row.maturity_date,
        annual_rate_ppb=int(row.annual_rate_ppb), fee_rate_ppb=int(row.fee_rate_ppb),
        apr_nominal_ppb=int(row.apr_nominal_ppb), penalty_rate_ppb=int(row.penalty_rate_ppb),
        lpr_one_year_ppb=_ppb_or_none(row.lpr_one_year_ppb),
        principal_outstanding_fen=int(row.principal_outstanding_fen),
        interest_receivable_fen=int(row.interest_receivable_fen),
        penalty_receivable_fen=int(row.penalty_receivable_fen),
        fee_receivable_fen=int(row.fee_receivable_fen), overpayment_fen=int(row.overpayment_fen),
        overdue_principal_fen=int(row.overdue_principal_fen),
        overdue_interest_fen=int(row.overdue_interest_fen),
        overdue_fee_fen=int(row.overdue_fee_fen), dpd=int(row.dpd), bucket=row.bucket,
        risk_class=row.risk_class, next_due_date=row.next_due_date,
        merchant_id=row.merchant_id, order_id=row.order_id, purpose=row.purpose,
        payee=row.payee)


def _ppb_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


@dataclass(frozen=True, slots=True)
class OpenedLoan:
    """A new loan (a draw or a checkout); ``merchant_subsidy_fen`` for an interest-free one."""

    loan: LoanSummary
    merchant_subsidy_fen: int | None = None


@dataclass(frozen=True, slots=True)
class Repaid:
    """A repayment: the loan after it and how the money was split (same-day ones).

    ``booked_on`` is the business date it was entered on; one with an earlier
    ``effective_date`` is back-dated (the loan was replayed with it)."""

    loan: LoanSummary
    allocation: Allocation | None
    effective_date: date
    booked_on: date

    @property
    def back_dated(self) -> bool:
        return self.effective_date < self.booked_on


@dataclass(frozen=True, slots=True)
class LoanChanged:
    """A refund, an overpayment refund or a restructure: the loan after it."""

    loan: LoanSummary
    class_floor_until: date | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    loan_id: int
    installments: tuple[InstallmentState, ...]


@dataclass(frozen=True, slots=True)
class PayoffQuote:
    loan_id: int
    on: date
    principal_fen: int
    interest_fen: int
    penalty_fen: int
    fee_fen: int
    overpayment_held_fen: int

    @property
    def total_fen(self) -> int:
        owed = self.principal_fen + self.interest_fen + self.penalty_fen + self.fee_fen
        return max(owed - self.overpayment_held_fen, 0)


@dataclass(frozen=True, slots=True)
class StatementRates:
    """The rates a statement shows, as stored on the loan (ppb)."""

    method: str
    day_count: str  # the contract rate's basis: ACT/365 (0.05%/day is 18.25%), ACT/360, 30/360
    interest_mode: str  # daily | per-period
    contract_rate_ppb: int  # the contract interest rate a year (0 for a fee-only loan)
    fee_rate_ppb: int  # per installment, on the original principal
    apr_nominal_ppb: int  # the disclosed annual rate, simple (单利), interest and every fee
    penalty_rate_ppb: int  # 罚息 a year on overdue principal, already capped
    lpr_one_year_ppb: int | None  # the one-year LPR in force on the start date


@dataclass(frozen=True, slots=True)
class Statement:
    """The borrower's bill on the business date: three disjoint amounts and their total.

    ``overdue_installments_fen`` (principal, interest and fees of installments past their due
    date), ``penalty_fen`` (罚息 charged) and ``due_today_fen`` (installments due on the business
    date) never overlap; ``due_now_fen`` is their total, and a repayment of exactly it clears
    everything due: the allocation order pays past due (penalty first) then due before anything
    not yet due. The penalty pending inside the grace period is not owed (paid inside grace:
    no penalty) and is not shown.
    """

    loan_id: int
    business_date: date
    status: str
    rates: StatementRates
    overdue_installments_fen: int
    penalty_fen: int
    due_today_fen: int
    days_past_due: int
    next_due_date: date | None
    next_due_fen: int | None
    principal_outstanding_fen: int  # a balance: all unpaid principal, due or not
    principal_due_now_fen: int  # the part of it in ``due_now_fen``

    @property
    def due_now_fen(self) -> int:
        """The total to pay now: overdue installments + penalty + due today."""
        return self.overdue_installments_fen + self.penalty_fen + self.due_today_fen
