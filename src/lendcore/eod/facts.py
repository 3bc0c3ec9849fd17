"""From the open installments of the day's event loans to the kernel's :class:`DayFacts`.

The nightly run reads installments only for loans whose ``next_due_date`` is x or x+1 (an
installment falls overdue or is billed) and, for reminders, x+2 and x+4. Each row here is one
open installment with a ``period_start`` on or before x+1 (or a reminder's due date); sums are
exact int64 (``np.add.at``), never float weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lendcore.eod.kernel import I64, NO_DATE, DayFacts

_FAR = 2**40


@dataclass(frozen=True, slots=True)
class InstallmentRows:
    """Open installments, one element per row; ``loan_index`` points into the book."""

    loan_index: I64
    due_date: I64
    period_start: I64
    principal_fen: I64
    interest_fen: I64
    fee_fen: I64
    paid_principal_fen: I64
    paid_interest_fen: I64
    paid_fee_fen: I64

    def __len__(self) -> int:
        return len(self.loan_index)

    @classmethod
    def empty(cls) -> InstallmentRows:
        z = np.zeros(0, np.int64)
        return cls(z, z, z, z, z, z, z, z, z)


def sum_by(index: I64, values: I64, n: int) -> I64:
    out = np.zeros(n, np.int64)
    np.add.at(out, index, values)
    return out


def day_facts(n: int, day: int, rows: InstallmentRows) -> DayFacts:
    """The facts of closing ``day`` for a book of ``n`` loans."""
    if len(rows) == 0:
        return DayFacts.empty(n)
    idx = rows.loan_index
    up = rows.principal_fen - rows.paid_principal_fen
    ui = rows.interest_fen - rows.paid_interest_fen
    uf = rows.fee_fen - rows.paid_fee_fen
    due_x = (rows.due_date == day) & (up + ui + uf > 0)
    due_x1 = rows.due_date == day + 1
    seg = rows.period_start == day + 1
    later = np.full(n, _FAR, np.int64)
    np.minimum.at(later, idx, np.where(rows.due_date > day, rows.due_date, _FAR))
    zero = np.zeros(len(rows), np.int64)
    return DayFacts(
        due_x_principal_fen=sum_by(idx, np.where(due_x, up, zero), n),
        due_x_interest_fen=sum_by(idx, np.where(due_x, ui, zero), n),
        due_x_fee_fen=sum_by(idx, np.where(due_x, uf, zero), n),
        due_x_unpaid=np.minimum(sum_by(idx, due_x.astype(np.int64), n), 1),
        due_x1=np.minimum(sum_by(idx, due_x1.astype(np.int64), n), 1),
        due_x1_fee_fen=sum_by(idx, np.where(due_x1, uf, zero), n),
        due_x1_paid_interest_fen=sum_by(idx, np.where(due_x1, rows.paid_interest_fen, zero), n),
        unpaid_interest_due_le_x=sum_by(idx, np.where(rows.due_date <= day, ui, zero), n),
        segment=np.minimum(sum_by(idx, seg.astype(np.int64), n), 1),
        segment_start=np.where(sum_by(idx, seg.astype(np.int64), n) > 0, day + 1, NO_DATE),
        segment_days=sum_by(idx, np.where(seg, rows.due_date - rows.period_start, zero), n),
        segment_interest_fen=sum_by(idx, np.where(seg, rows.interest_fen, zero), n),
        next_due_after_x=np.where(later == _FAR, NO_DATE, later),
    )


def amount_due_on(n: int, due: I64, rows: InstallmentRows) -> I64:
    """Unpaid total of each loan's open installments due on its own date ``due[i]``."""
    if len(rows) == 0:
        return np.zeros(n, np.int64)
    unpaid = (rows.principal_fen - rows.paid_principal_fen + rows.interest_fen
              - rows.paid_interest_fen + rows.fee_fen - rows.paid_fee_fen)
    hit = rows.due_date == due[rows.loan_index]
    return sum_by(rows.loan_index, np.where(hit, unpaid, 0), n)
