"""What a loan's documents state: its terms as agreed at opening, read from the book.

The documents are generated from the loan's own stored terms, never from today's product
settings: the rates (the disclosed APR, the contract rate, the per-installment fee rate, the
stored penalty rate), the grace days, the prepayment mode, the caps in force on the start date and
the schedule as agreed at opening. The schedule is rebuilt from the stored terms with the same
function that opened the loan (``servicing.accrual.open_loan``), so a later prepayment, refund or
restructure (a separate agreement, 协商还款) does not rewrite what the borrower signed::

    12,000.00 CNY over 12 installments, flat fee 0.6% of the principal per installment:
    each installment is 1,000.00 principal + 72.00 fee; the disclosed APR 13.0342% (单利).

A value of fen, dates and ppb rates; ``documents.views`` formats it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from lendcore.caps import load_caps
from lendcore.money import Rounding, to_fen
from lendcore.rates import PPB, DayCount
from lendcore.schedules.model import InterestMode
from lendcore.servicing import repository as repo
from lendcore.servicing.accrual import open_loan
from lendcore.servicing.model import LoanTerms, PrepaymentMode
from lendcore.store.servicing_tables import installments

# The stored one-year LPR at contract date, when the loans table records it (read by name so
# the documents work with and without that column).
LPR_COLUMN = "lpr_one_year_ppb"


@dataclass(frozen=True, slots=True)
class ScheduleLine:
    number: int
    due_date: date
    principal_fen: int
    interest_fen: int
    fee_fen: int

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.interest_fen + self.fee_fen


@dataclass(frozen=True, slots=True)
class LoanFacts:
    loan_id: int
    customer_id: int
    product_code: str
    kind: str  # draw | checkout
    method: str
    purpose: str | None
    payee: str | None
    merchant_id: str | None
    order_id: str | None
    principal_fen: int
    installments: int
    start_date: date
    maturity_date: date
    apr_nominal_ppb: int  # the disclosed annual rate (单利, by IRR)
    annual_rate_ppb: int  # the contract interest rate
    fee_rate_ppb: int  # per installment, on the original principal
    penalty_rate_ppb: int  # as stored on the loan (already within the cap)
    day_count: DayCount
    interest_mode: InterestMode
    grace_days: int
    prepayment_mode: PrepaymentMode
    penalty_on_interest: bool
    all_in_cap: Decimal  # the hard cap in force on the start date (rule: 24%)
    lpr_one_year: Decimal | None  # in force on the start date
    schedule: tuple[ScheduleLine, ...]
    interest_estimated: bool  # pay-any-time: interest if held to maturity, by actual days
    contract_version: str

    @property
    def pay_any_time(self) -> bool:
        return self.interest_estimated

    @property
    def total_principal_fen(self) -> int:
        return sum(line.principal_fen for line in self.schedule)

    @property
    def total_interest_fen(self) -> int:
        return sum(line.interest_fen for line in self.schedule)

    @property
    def total_fee_fen(self) -> int:
        return sum(line.fee_fen for line in self.schedule)

    @property
    def total_fen(self) -> int:
        return sum(line.total_fen for line in self.schedule)


def loan_facts(conn: Connection, loan_id: int) -> LoanFacts:
    """The facts of loan ``loan_id`` (``NotFound`` naming ``loan_id`` if there is none)."""
    row = repo.load_row(conn, loan_id)
    terms = opening_terms(conn, row)
    caps = load_caps().on(terms.start)
    schedule = signed_schedule(terms)
    return LoanFacts(
        loan_id=int(row.id), customer_id=int(row.customer_id), product_code=row.product_code,
        kind=row.kind, method=row.method, purpose=row.purpose, payee=row.payee,
        merchant_id=row.merchant_id, order_id=row.order_id, principal_fen=terms.principal_fen,
        installments=terms.installments, start_date=terms.start,
        maturity_date=max(line.due_date for line in schedule),
        apr_nominal_ppb=int(row.apr_nominal_ppb), annual_rate_ppb=terms.annual_rate_ppb,
        fee_rate_ppb=terms.fee_rate_ppb, penalty_rate_ppb=terms.penalty_rate_ppb,
        day_count=terms.day_count, interest_mode=terms.interest_mode,
        grace_days=terms.grace_days, prepayment_mode=terms.prepayment_mode,
        penalty_on_interest=terms.penalty_on_interest, all_in_cap=caps.hard_cap,
        lpr_one_year=_lpr(row, caps.lpr_one_year), schedule=schedule,
        interest_estimated=terms.pay_any_time, contract_version=row.contract_version)


def opening_terms(conn: Connection, row: Any) -> LoanTerms:
    """The loan's terms as opened. A restructure re-counts the stored installments (it adds a
    plan's rows after the opening ones); the opening count is what the borrower signed."""
    terms = repo.terms_from_row(row)
    rows = conn.execute(select(installments.c.due_date).where(
        installments.c.loan_id == row.id).order_by(installments.c.number)).all()
    if terms.pay_any_time:  # one installment, due the term's months after the start
        due = rows[0].due_date if rows else None
        months = terms.installments if due is None else (
            (due.year - terms.start.year) * 12 + due.month - terms.start.month)
        return replace(terms, installments=max(months, 1))
    added = sum(int(e.detail.get("installments", 0)) for e in repo.events(conn, row.id)
                if e.kind == "restructure")
    opening = len(rows) - added
    return terms if opening < 1 else replace(terms, installments=opening)


def signed_schedule(terms: LoanTerms) -> tuple[ScheduleLine, ...]:
    state = open_loan(terms)
    lines = tuple(ScheduleLine(i.number, i.due_date, i.principal_fen, i.interest_fen, i.fee_fen)
                  for i in state.installments)
    if not terms.pay_any_time:
        return lines
    # 随借随还: interest accrues by actual days; the line shows it if held to maturity.
    only = lines[0]
    days = terms.day_count.days_between(terms.start, only.due_date)
    exact = (Decimal(terms.principal_fen) * terms.annual_rate_ppb * days
             / (PPB * terms.day_count.basis_days))
    return (replace(only, interest_fen=to_fen(exact, Rounding.HALF_UP)),)


def _lpr(row: Any, from_caps: Decimal | None) -> Decimal | None:
    stored = row._mapping.get(LPR_COLUMN) if hasattr(row, "_mapping") else None
    return from_caps if stored is None else Decimal(int(stored)) / PPB
