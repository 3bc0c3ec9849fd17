"""Periodic limit re-evaluation of cash lines: raise, freeze, cut, unfreeze; each change logged.

Rules, first match wins (*policy*), for one line on business date D:

1. ``freeze``: any of the customer's loans is past due (``loans.dpd > 0``). The limit stays, the
   line is frozen with reason ``overdue``. (Already frozen: no change.)
2. ``unfreeze``: the line was frozen by rule 1 and nothing is past due any more: unfrozen and the
   limit cut by half (a delinquency is a deterioration), at least 500 CNY.
3. ``cut``: not frozen, nothing past due now, but an installment was paid late (after its due
   date) within the last 180 days, or a loan was charged off: the limit is cut by half (at least
   500 CNY), at most once per 90 days.
4. ``raise``: at least 6 installments paid on time (on or before their due date) in the last 365
   days, none late, nothing past due: the limit rises by 20% (at most 50,000 CNY), at most once
   per 90 days.

Limits are whole hundreds of yuan (rounded down). Worked example: a 3,000 CNY line whose owner
paid 6 installments on time -> raised to 3,600 on D; run again on D -> no change (raised less than
90 days ago); a loan goes 1 day past due -> frozen at 3,600; repaid -> unfrozen at 1,800.

The rules are pure (:func:`reevaluate`, no I/O). :func:`run` is a step of the nightly run: after
the night closes a day it is called per partition as ``run(uow, day, lo_id, hi_id)`` with the
business date just opened and the partition's loan-id range; it reviews the lines of the
customers in that range (``customer = loan_id // 1,000,000``), reading their records in a few
grouped queries bounded by the range (no per-line SQL, no lists that grow with the book), and
writes the changes through the lines' owner (``customers.store.apply_changes``, actor
``limit-job``), each logged in ``limit_changes`` with its reasons. :func:`run_book` reviews the
whole book at once (tests).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from lendcore.customers import store as customers_store
from lendcore.customers.store import LimitChange
from lendcore.ids import LOANS_PER_CUSTOMER, customer_of
from lendcore.money import format_yuan
from lendcore.origination import policy as p
from lendcore.reasons import Reason
from lendcore.store.core_tables import credit_lines
from lendcore.store.origination_tables import limit_changes
from lendcore.store.servicing_tables import installments, loans
from lendcore.store.uow import UnitOfWork

FREEZE_REASON = "overdue"
RAISE_FACTOR = Decimal("1.2")
CUT_FACTOR = Decimal("0.5")
ON_TIME_NEEDED = 6
ON_TIME_LOOKBACK = timedelta(days=365)
LATE_LOOKBACK = timedelta(days=180)
CHANGE_SPACING = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class Line:
    credit_line_id: int
    customer_id: int
    limit_fen: int
    frozen: bool
    frozen_reason: str | None


@dataclass(frozen=True, slots=True)
class Record:
    """The customer's repayment record as of D."""

    max_dpd: int = 0
    charged_off: bool = False
    paid_on_time: int = 0  # installments due in the last 365 days, paid on or before due date
    paid_late: int = 0  # installments due in the last 180 days, paid after their due date
    last_raise_on: date | None = None
    last_cut_on: date | None = None


@dataclass(frozen=True, slots=True)
class Change:
    action: str  # raise | cut | freeze | unfreeze
    new_limit_fen: int
    frozen: bool
    reasons: tuple[Reason, ...]


def _hundreds(amount_fen: Decimal) -> int:
    steps = (amount_fen / p.LIMIT_STEP_FEN).quantize(Decimal(1), rounding=ROUND_FLOOR)
    return int(steps) * p.LIMIT_STEP_FEN


def _cut(limit_fen: int) -> int:
    return max(_hundreds(limit_fen * CUT_FACTOR), p.LIMIT_MIN_FEN)


def _spaced(last: date | None, on: date) -> bool:
    return last is None or on - last >= CHANGE_SPACING


def reevaluate(line: Line, rec: Record, on: date) -> Change | None:
    """The change to make to one line on ``on``, or None."""
    if rec.max_dpd > 0:
        if line.frozen:
            return None
        return Change("freeze", line.limit_fen, True, (Reason(
            "overdue", f"a loan is {rec.max_dpd} days past due"),))
    if line.frozen:
        if line.frozen_reason != FREEZE_REASON:
            return None  # frozen by someone else (fraud, complaint...): not ours to lift
        new = _cut(line.limit_fen)
        return Change("unfreeze", new, False, (
            Reason("overdue_cleared", "nothing is past due any more"),
            Reason("delinquency_cut", f"limit cut to {format_yuan(new)} after a delinquency")))
    if (rec.paid_late > 0 or rec.charged_off) and _spaced(rec.last_cut_on, on):
        new = _cut(line.limit_fen)
        if new >= line.limit_fen:
            return None
        why = (Reason("charged_off", "a loan was charged off") if rec.charged_off else
               Reason("paid_late", f"{rec.paid_late} installment(s) paid late in 180 days"))
        return Change("cut", new, False, (why,))
    if (rec.paid_on_time >= ON_TIME_NEEDED and rec.paid_late == 0 and not rec.charged_off
            and _spaced(rec.last_raise_on, on)):
        new = min(_hundreds(line.limit_fen * RAISE_FACTOR), p.LIMIT_MAX_FEN)
        if new <= line.limit_fen:
            return None
        return Change("raise", new, False, (Reason(
            "on_time_record", f"{rec.paid_on_time} installments paid on time, none late"),))
    return None


ACTOR = "limit-job"
WHOLE_BOOK = (0, 2**62)  # a loan-id range holding every customer


def run(uow: UnitOfWork, day: date, lo_id: int, hi_id: int) -> None:
    """The nightly step: review the open cash lines of the customers whose loan ids fall in
    ``[lo_id, hi_id]`` on ``day`` (the business date just opened) and write the changes."""
    review(uow, day, lo_id, hi_id)


def run_book(uow: UnitOfWork, on: date) -> list[dict[str, Any]]:
    """Review every open cash line on ``on``; the changes logged, in line order."""
    return review(uow, on, *WHOLE_BOOK)


def review(uow: UnitOfWork, on: date, lo_id: int, hi_id: int) -> list[dict[str, Any]]:
    """Apply the rules to each open cash line of the range's customers; write the changes
    through the lines' owner and return the rows logged."""
    first, last = customer_of(lo_id), customer_of(hi_id)
    conn = uow.conn
    lines = [Line(r.id, r.customer_id, r.limit_fen, bool(r.frozen), r.frozen_reason)
             for r in conn.execute(select(
                 credit_lines.c.id, credit_lines.c.customer_id, credit_lines.c.limit_fen,
                 credit_lines.c.frozen, credit_lines.c.frozen_reason).where(
                 credit_lines.c.product_code == p.PRODUCT_CODE,
                 credit_lines.c.status == "open",
                 credit_lines.c.customer_id.between(first, last)).order_by(credit_lines.c.id))]
    if not lines:
        return []
    records = _records(conn, on, first, last)
    changes = []
    for line in lines:
        change = reevaluate(line, records(line), on)
        if change is not None:
            changes.append(LimitChange(
                line_id=line.credit_line_id, action=change.action,
                new_limit_fen=change.new_limit_fen, reasons=change.reasons, on=on, actor=ACTOR,
                frozen=change.frozen, frozen_reason=FREEZE_REASON if change.frozen else None))
    return customers_store.apply_changes(conn, changes)


def _records(conn: Connection, on: date, first: int, last: int) -> Callable[[Line], Record]:
    """The repayment records of customers ``first..last`` in three grouped queries, each
    bounded by the range: loans (worst DPD, any charge-off), installments (paid on time, paid
    late) and the lines' last raise and cut."""
    lo, hi = first * LOANS_PER_CUSTOMER, (last + 1) * LOANS_PER_CUSTOMER - 1
    per_customer: dict[int, dict[str, Any]] = defaultdict(dict)
    charged_off = loans.c.status == "charged_off"
    for r in conn.execute(
            select(loans.c.customer_id, func.max(loans.c.dpd).label("dpd"),
                   func.max(case((charged_off, 1), else_=0)).label("charged_off"))
            .where(loans.c.id.between(lo, hi), loans.c.status.in_(("active", "charged_off")))
            .group_by(loans.c.customer_id)):
        per_customer[r.customer_id].update(max_dpd=int(r.dpd or 0),
                                           charged_off=bool(r.charged_off))
    i = installments.c
    on_time = and_(i.paid_on <= i.due_date, i.due_date > on - ON_TIME_LOOKBACK, i.due_date <= on)
    late = and_(i.paid_on > i.due_date, i.due_date > on - LATE_LOOKBACK, i.paid_on <= on)
    for r in conn.execute(
            select(loans.c.customer_id,
                   func.sum(case((on_time, 1), else_=0)).label("on_time"),
                   func.sum(case((late, 1), else_=0)).label("late"))
            .select_from(installments.join(loans, loans.c.id == i.loan_id))
            .where(i.loan_id.between(lo, hi), i.status == "paid",
                   i.due_date > on - ON_TIME_LOOKBACK)
            .group_by(loans.c.customer_id)):
        per_customer[r.customer_id].update(paid_on_time=int(r.on_time or 0),
                                           paid_late=int(r.late or 0))
    per_line: dict[int, dict[str, Any]] = defaultdict(dict)
    field = {"raise": "last_raise_on", "cut": "last_cut_on", "unfreeze": "last_cut_on"}
    for c in conn.execute(
            select(limit_changes.c.credit_line_id, limit_changes.c.action,
                   func.max(limit_changes.c.business_date).label("last"))
            .select_from(limit_changes.join(
                credit_lines, credit_lines.c.id == limit_changes.c.credit_line_id))
            .where(credit_lines.c.customer_id.between(first, last),
                   limit_changes.c.business_date <= on,
                   limit_changes.c.action.in_(tuple(field)))
            .group_by(limit_changes.c.credit_line_id, limit_changes.c.action)):
        fields, name = per_line[c.credit_line_id], field[c.action]
        prev = fields.get(name)
        fields[name] = c.last if prev is None else max(prev, c.last)

    def record(line: Line) -> Record:
        return Record(**per_customer.get(line.customer_id, {}),
                      **per_line.get(line.credit_line_id, {}))

    return record
