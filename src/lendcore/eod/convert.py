"""Between the per-loan reference (``LoanState``) and the kernel's columns and the table rows.

Used by the equivalence test (states -> :class:`Book` -> kernel, compared with ``close_day``), by
the portfolio generator (states -> ``loans``/``installments`` row dicts) and by the nightly run's
storage code (the same column names). A row's ``next_due_date`` is the earliest due date of an
open installment *after* ``accrued_through`` (on or after the business date): an installment
already past due is tracked by ``oldest_unpaid_due`` instead, so the run knows from the row alone
whether anything falls due or is billed today.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np

from lendcore.delinquency.ladder import BUCKETS, CLASSES, bucket_of, class_of
from lendcore.eod.facts import InstallmentRows
from lendcore.eod.kernel import LADDER_CODES, NO_DATE, Book
from lendcore.rates import PPB
from lendcore.servicing.model import LoanState, LoanStatus

EPOCH = date(1970, 1, 1)
STATUS_CODES = {LoanStatus.ACTIVE: 0, LoanStatus.CHARGED_OFF: 1, LoanStatus.CLOSED: 2}
STATUS_NAMES = ("active", "charged_off", "closed")


def epoch_day(d: date | None) -> int:
    return NO_DATE if d is None else (d - EPOCH).days


def from_epoch(days: int) -> date | None:
    return None if days == NO_DATE else EPOCH + timedelta(days=int(days))


def next_due_of(state: LoanState) -> date | None:
    """The earliest open installment due after ``accrued_through`` (the row's next_due_date)."""
    return state.next_due_date()


def business_date_of(state: LoanState) -> date:
    assert state.accrued_through is not None
    return state.accrued_through + timedelta(days=1)


def bucket_name(state: LoanState) -> str:
    return bucket_of(state.dpd)


def class_name(state: LoanState) -> str:
    """The class on the loan's business date (the day after ``accrued_through``)."""
    return class_of(state.dpd, state.terms.ladder, floor_until=state.class_floor_until,
                    on=business_date_of(state))


def _state_values(s: LoanState) -> dict[str, int]:
    t = s.terms
    return {
        "pay_any_time": int(t.pay_any_time), "annual_rate_ppb": t.annual_rate_ppb,
        "penalty_rate_ppb": t.penalty_rate_ppb, "divisor": PPB * t.day_count.basis_days,
        "grace_days": t.grace_days, "charge_off_dpd": t.charge_off_dpd,
        "penalty_on_interest": int(t.penalty_on_interest), "ladder": LADDER_CODES[t.ladder],
        "class_floor_until": epoch_day(s.class_floor_until), "status": STATUS_CODES[s.status],
        "principal_outstanding_fen": s.principal_outstanding_fen,
        "interest_receivable_fen": s.interest_receivable_fen,
        "penalty_receivable_fen": s.penalty_receivable_fen,
        "fee_receivable_fen": s.fee_receivable_fen,
        "overdue_principal_fen": s.overdue_principal_fen,
        "overdue_interest_fen": s.overdue_interest_fen, "overdue_fee_fen": s.overdue_fee_fen,
        "accrued_through": epoch_day(s.accrued_through), "accr_start": epoch_day(s.accr_start),
        "accr_days": s.accr_days, "accr_total_fen": s.accr_total_fen,
        "accr_done_fen": s.accr_done_fen, "interest_carry": s.interest_carry,
        "penalty_carry": s.penalty_carry, "penalty_grace_fen": s.penalty_grace_fen,
        "dpd": s.dpd, "oldest_unpaid_due": epoch_day(s.oldest_unpaid_due),
        "next_due_date": epoch_day(next_due_of(s)),
        "charged_off_on": epoch_day(s.charged_off_on),
        "bucket": BUCKETS.index(bucket_name(s)), "risk_class": CLASSES.index(class_name(s)),
    }


def book_of(states: Sequence[LoanState]) -> Book:
    """The kernel's columns for ``states`` (in order)."""
    rows = [_state_values(s) for s in states]
    names = Book.__dataclass_fields__
    return Book(**{name: np.array([r[name] for r in rows], np.int64) for name in names})


def installment_rows_of(states: Sequence[LoanState], day: date) -> InstallmentRows:
    """What the run reads for closing ``day``: open installments of loans with an event."""
    x1 = day + timedelta(days=1)
    cols: list[list[int]] = [[] for _ in range(9)]
    for k, s in enumerate(states):
        nd = next_due_of(s)
        if nd is None or nd > x1:
            continue
        for i in s.installments:
            if i.status != "open" or i.period_start > x1:
                continue
            values = (k, epoch_day(i.due_date), epoch_day(i.period_start), i.principal_fen,
                      i.interest_fen, i.fee_fen, i.paid_principal_fen, i.paid_interest_fen,
                      i.paid_fee_fen)
            for col, v in zip(cols, values, strict=True):
                col.append(v)
    return InstallmentRows(*(np.array(c, np.int64) for c in cols))


def loan_row(state: LoanState, **extra: Any) -> dict[str, Any]:
    """The ``loans`` row of ``state``; ``extra`` carries customer, product, kind and so on."""
    t, s = state.terms, state
    row: dict[str, Any] = {
        "id": t.loan_id, "method": t.method, "principal_fen": t.principal_fen,
        "installments_count": t.installments, "start_date": t.start,
        "maturity_date": s.maturity_date, "annual_rate_ppb": t.annual_rate_ppb,
        "penalty_rate_ppb": t.penalty_rate_ppb, "fee_rate_ppb": t.fee_rate_ppb,
        "day_count": t.day_count.value, "interest_mode": t.interest_mode.value,
        "rounding": t.rounding.value, "installment_multiple_fen": t.installment_multiple_fen,
        "grace_days": t.grace_days, "charge_off_dpd": t.charge_off_dpd, "ladder": t.ladder,
        "prepayment_mode": t.prepayment_mode.value,
        "allocation_order": json.dumps(list(t.allocation_order)),
        "penalty_on_interest": t.penalty_on_interest, "status": s.status.value,
        "bucket": bucket_name(s), "risk_class": class_name(s), "next_due_date": next_due_of(s),
        "restructured": s.restructured, "version": 1,
    }
    for name in ("principal_outstanding_fen", "interest_receivable_fen", "penalty_receivable_fen",
                 "fee_receivable_fen", "overpayment_fen", "overdue_principal_fen",
                 "overdue_interest_fen", "overdue_fee_fen", "accrued_through", "accr_start",
                 "accr_days", "accr_total_fen", "accr_done_fen", "interest_carry",
                 "penalty_carry", "penalty_grace_fen", "dpd", "class_floor_until",
                 "oldest_unpaid_due", "charged_off_on", "closed_on"):
        row[name] = getattr(s, name)
    row.update(extra)
    return row


def installment_dicts(state: LoanState) -> list[dict[str, Any]]:
    return [
        {"loan_id": state.terms.loan_id, "number": i.number, "due_date": i.due_date,
         "period_start": i.period_start, "principal_fen": i.principal_fen,
         "interest_fen": i.interest_fen, "fee_fen": i.fee_fen,
         "paid_principal_fen": i.paid_principal_fen, "paid_interest_fen": i.paid_interest_fen,
         "paid_fee_fen": i.paid_fee_fen, "status": i.status, "paid_on": i.paid_on}
        for i in state.installments
    ]
