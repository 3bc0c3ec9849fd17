"""Which notifications closing a day produces, and how their amounts are masked.

After closing day x the business date is B = x+1; the outbox then gets, per loan:

* ``reminder_t3`` / ``reminder_t1`` / ``reminder_t0`` (app) for an installment due B+3 / B+1 / B
  (domain.md s4: reminders before and on the due date, *policy* T-3, T-1, T0), active loans only;
* ``overdue_notice`` (sms) for an installment that fell due on x and was not paid;
* ``credit_report_notice`` (sms) on the last day of grace (DPD = grace days, at least 1): the
  overdue is reported to the bureau once grace passes, and the borrower must be told before the
  first negative report (*rule*). One per overdue spell (keyed by the oldest unpaid due date).

Each has an event key naming the event, never the run (``reminder_t1:42000001:2026-04-01``), and
the outbox is unique on it: re-running a day adds nothing. Amounts are masked (PIPL: no raw
account data in a message queue): the first yuan digit and the fen stay, ``123456`` fen ->
``¥1***.56``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from lendcore.eod.convert import from_epoch
from lendcore.eod.kernel import ACTIVE, I64, NO_DATE, B, Book

REMINDERS = ((3, "reminder_t3"), (1, "reminder_t1"), (0, "reminder_t0"))


def mask_amount(fen: int) -> str:
    yuan, cents = divmod(abs(int(fen)), 100)
    digits = str(yuan)
    return f"¥{'-' if fen < 0 else ''}{digits[0]}{'*' * (len(digits) - 1)}.{cents:02d}"


@dataclass(frozen=True, slots=True)
class Notice:
    event_key: str
    loan_index: int
    channel: str
    template: str
    due_date: date | None
    amount_fen: int


def reminders(book: Book, day: int, amount_due: I64) -> list[Notice]:
    """T-3, T-1 and T0 reminders for business date day+1 (``amount_due`` on next_due_date)."""
    out: list[Notice] = []
    active = book.status == ACTIVE
    for before, template in REMINDERS:
        target = day + 1 + before
        for k in np.nonzero(active & (book.next_due_date == target))[0].tolist():
            due = from_epoch(target)
            out.append(Notice(f"{template}:{{loan}}:{due}", k, "app", template, due,
                              int(amount_due[k])))
    return out


def overdue_notices(book: Book, day: int, became_overdue: B) -> list[Notice]:
    due = from_epoch(day)
    owed = (book.overdue_principal_fen + book.overdue_interest_fen + book.overdue_fee_fen
            + book.penalty_receivable_fen)
    return [Notice(f"overdue_notice:{{loan}}:{due}", k, "sms", "overdue_notice", due,
                   int(owed[k]))
            for k in np.nonzero(became_overdue)[0].tolist()]


def credit_report_notices(book: Book) -> list[Notice]:
    last_grace_day = np.maximum(book.grace_days, 1)
    hit = ((book.status == ACTIVE) & (book.oldest_unpaid_due != NO_DATE)
           & (book.dpd == last_grace_day))
    owed = book.overdue_principal_fen + book.overdue_interest_fen + book.overdue_fee_fen
    out = []
    for k in np.nonzero(hit)[0].tolist():
        oldest = from_epoch(int(book.oldest_unpaid_due[k]))
        out.append(Notice(f"credit_report_notice:{{loan}}:{oldest}", k, "sms",
                          "credit_report_notice", oldest, int(owed[k])))
    return out


def business_date_after(day: int) -> date:
    d = from_epoch(day)
    assert d is not None
    return d + timedelta(days=1)
