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

The rules are pure (:func:`reevaluate`, no I/O); :func:`run` reads ``credit_lines``, ``loans``,
``installments`` and ``limit_changes`` in a few grouped queries, applies the rules and writes
the changes (one transaction, committed by the caller).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import and_, func, select, update

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


def run(uow: UnitOfWork, on: date) -> list[dict[str, object]]:
    """Re-evaluate every open cash line on ``on``; write and return the changes made."""
    conn = uow.conn
    lines = [Line(r.id, r.customer_id, r.limit_fen, bool(r.frozen), r.frozen_reason)
             for r in conn.execute(select(
                 credit_lines.c.id, credit_lines.c.customer_id, credit_lines.c.limit_fen,
                 credit_lines.c.frozen, credit_lines.c.frozen_reason).where(
                 credit_lines.c.product_code == p.PRODUCT_CODE,
                 credit_lines.c.status == "open").order_by(credit_lines.c.id))]
    records = _records(uow, on)
    out: list[dict[str, object]] = []
    for line in lines:
        change = reevaluate(line, records.get(line.credit_line_id, Record()), on)
        if change is None:
            continue
        conn.execute(update(credit_lines).where(credit_lines.c.id == line.credit_line_id).values(
            limit_fen=change.new_limit_fen, frozen=change.frozen,
            frozen_reason=FREEZE_REASON if change.frozen else None,
            version=credit_lines.c.version + 1))
        row = change_row(line, change, on)
        conn.execute(limit_changes.insert().values(**row))
        out.append(row)
    return out


def _records(uow: UnitOfWork, on: date) -> dict[int, Record]:
    """Each line's repayment record in four grouped queries (no per-line SQL)."""
    conn = uow.conn
    line_of = {r.customer_id: r.id for r in conn.execute(select(
        credit_lines.c.id, credit_lines.c.customer_id).where(
        credit_lines.c.product_code == p.PRODUCT_CODE))}
    acc: dict[int, dict[str, Any]] = {lid: {} for lid in line_of.values()}
    live = loans.c.status.in_(("active", "charged_off"))
    for r in conn.execute(select(loans.c.customer_id, func.max(loans.c.dpd).label("dpd"))
                          .where(live).group_by(loans.c.customer_id)):
        if r.customer_id in line_of:
            acc[line_of[r.customer_id]]["max_dpd"] = int(r.dpd or 0)
    for r in conn.execute(select(loans.c.customer_id).where(loans.c.status == "charged_off")
                          .distinct()):
        if r.customer_id in line_of:
            acc[line_of[r.customer_id]]["charged_off"] = True
    paid = installments.c.status == "paid"
    on_time = and_(paid, installments.c.paid_on <= installments.c.due_date,
                   installments.c.due_date > on - ON_TIME_LOOKBACK, installments.c.due_date <= on)
    late = and_(paid, installments.c.paid_on > installments.c.due_date,
                installments.c.due_date > on - LATE_LOOKBACK, installments.c.paid_on <= on)
    for key, cond in (("paid_on_time", on_time), ("paid_late", late)):
        q = (select(loans.c.customer_id, func.count().label("n"))
             .select_from(installments.join(loans, loans.c.id == installments.c.loan_id))
             .where(cond).group_by(loans.c.customer_id))
        for r in conn.execute(q):
            if r.customer_id in line_of:
                acc[line_of[r.customer_id]][key] = int(r.n)
    field = {"raise": "last_raise_on", "cut": "last_cut_on", "unfreeze": "last_cut_on"}
    for c in conn.execute(select(limit_changes.c.credit_line_id, limit_changes.c.action,
                                 func.max(limit_changes.c.business_date).label("last"))
                          .where(limit_changes.c.business_date <= on)
                          .group_by(limit_changes.c.credit_line_id, limit_changes.c.action)):
        if c.action in field and c.credit_line_id in acc:
            fields, name = acc[c.credit_line_id], field[c.action]
            prev = fields.get(name)
            fields[name] = c.last if prev is None else max(prev, c.last)
    return {lid: Record(**fields) for lid, fields in acc.items()}


def change_row(line: Line, change: Change, on: date) -> dict[str, object]:
    return {
        "credit_line_id": line.credit_line_id,
        "business_date": on,
        "action": change.action,
        "old_limit_fen": line.limit_fen,
        "new_limit_fen": change.new_limit_fen,
        "reasons_json": json.dumps([r.as_dict() for r in change.reasons], ensure_ascii=False),
    }
