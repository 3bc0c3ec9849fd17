"""Periodic review of credit lines: freeze past grace, unfreeze when current, cut, raise; each
change logged with its reasons.

The review runs on business date D (the day the night just opened), over every open line of a
customer, both kinds (the cash line and the checkout line). "Past due" and "past grace" are the
customer's loans' (active or charged off, any product) DPD on D (domain.md s4: DPD counts from
the oldest unpaid due date; grace is the product's ``grace_days``, 3 for both products).

Rules (*policy*), first match wins, for one line:

1. ``freeze`` (cash and checkout lines): a loan of the customer -- any of them, not only loans
   drawn on this line: a borrower past grace on one product is a risk on the other -- is past its
   grace period (DPD > its grace days). The limit stays; the line is frozen with reason ``overdue
   past grace`` (:data:`FREEZE_REASON`). Already frozen, for whatever reason: no change. A loan
   inside grace (DPD 1..3) never freezes: paying inside grace leaves no trace (domain.md s4).
2. ``unfreeze`` (cash and checkout lines): the line was frozen by rule 1 and the borrower is
   current again -- none of their loans is past due (every DPD 0). A cash line's limit is cut by
   half at the same time (whole hundreds, at least 500 CNY), with the reasons ``overdue_cleared``
   and ``delinquency_cut``: a delinquency past grace is a deterioration. A checkout line keeps its
   limit (``overdue_cleared``). While a loan is still past due, even inside grace, the line stays
   frozen: the borrower is not current yet. A line frozen by the former rule (reason
   ``overdue``, which froze from DPD 1) whose borrower has no loan past grace is unfrozen at its
   limit (``frozen_inside_grace``); a delinquency past grace it hid is cut by rule 3.
3. ``cut`` (cash lines): not frozen, nothing past due, and a delinquency past grace that no cut
   has answered yet: an installment due in the last 180 days paid more than its grace days after
   its due date, or a loan charged off in the last 180 days, on or after the line's last cut (a
   ``cut`` or ``unfreeze`` that lowered the limit). The limit is cut by half (at least 500 CNY),
   once per delinquency: when rule 1 froze the line, the unfreeze of rule 2 is that cut. The
   reason (``paid_past_grace`` or ``charged_off``) is in ``limit_changes``.
4. ``raise`` (cash lines): at least 6 installments paid on time (on or before their due date) in
   the last 365 days, none paid after its due date in the last 180 days (inside grace included:
   not a cut, but not a clean record either), no loan charged off, nothing past due: the limit
   rises by 20% (at most 50,000 CNY), at most once per 90 days and not within 90 days of a cut.

Limits are whole hundreds of yuan (rounded down, ``ROUND_FLOOR``). Worked examples, a 3,000 CNY
cash line and a 2,000 CNY checkout line of one borrower, an installment due on the 5th:

* unpaid, D = the 8th (DPD 3 = grace): nothing changes; paid on the 8th: nothing ever changes
  (no freeze, no cut; the raise waits 180 days);
* unpaid, D = the 9th (DPD 4): both lines frozen, limits unchanged;
* repaid in full on the 9th: on the 10th both are unfrozen, the cash line at 1,500 (``unfreeze``
  with ``delinquency_cut``), the checkout line at 2,000; nothing more is cut afterwards;
* repaid only down to another installment 2 days past due: both stay frozen until that is paid.

The rules are pure (:func:`reevaluate`, no I/O). :func:`run` is a step of the nightly run: after
the night closes a day it is called per partition as ``run(uow, day, lo_id, hi_id)`` with the
business date just opened and the partition's loan-id range; it reviews the lines of the
customers in that range (``customer = loan_id // 1,000,000``). Most lines cannot change on a
given night, so it reads only those that can: four grouped statements bounded by the range
(:func:`_candidates`: delinquent borrowers, their lines and the lines frozen for delinquency,
recent raises and cuts, the cash lines an installment record can cut or raise), each a rule's
necessary condition in SQL, with no per-line SQL and no lists that grow with the book; the
unchanged majority never leaves the database. The pure rules then decide each line read, and
the changes are written through the lines' owner (``customers.store.apply_changes``, actor
``limit-job``, a compare-and-set on each line's version), each logged in ``limit_changes`` with
its reasons. ``tests/origination/test_limit_review_scale.py`` checks over a varied book that
this writes exactly what evaluating every line writes. It is the only place that freezes or
unfreezes a line for delinquency: the nightly core does not, and a repayment does not either
(a borrower who pays is unfrozen by the next night's review). :func:`run_book` reviews the
whole book at once (tests).

Reviewed twice on the same night, a line changes at most once more: one the first review
unfroze without lowering its limit (a former-rule freeze, or a cash line already at the
minimum) is then reviewed as any unfrozen line (rules 3 and 4), as it would be the next night.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, case, func, or_, select

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

FREEZE_REASON = "overdue past grace"  # frozen_reason of a line frozen by rule 1
LEGACY_FREEZE_REASON = "overdue"  # the former rule's, which froze from DPD 1
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
    product_code: str = p.PRODUCT_CODE

    @property
    def is_cash(self) -> bool:
        return self.product_code == p.PRODUCT_CODE


@dataclass(frozen=True, slots=True)
class Record:
    """The customer's repayment record as of D."""

    max_dpd: int = 0  # the worst DPD of the customer's loans (active or charged off)
    past_grace_dpd: int = 0  # the worst DPD of those past their grace days; 0: none is
    charged_off: bool = False  # a loan of the customer is charged off
    charged_off_on: date | None = None  # the latest charge-off
    paid_on_time: int = 0  # installments due in the last 365 days, paid on or before due date
    paid_late: int = 0  # installments due in the last 180 days, paid after their due date
    past_grace_paid_on: date | None = None  # the latest payment, among installments due in the
    # last 180 days, of one paid more than its loan's grace days after its due date
    last_raise_on: date | None = None
    last_cut_on: date | None = None  # the latest cut or unfreeze that lowered the limit


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


def is_delinquency_freeze(reason: str | None) -> bool:
    """A freeze of this review (rule 1), of its former rule, of the former nightly core
    (``overdue past grace: loan ...``) or of the book generator (``... (generated)``)."""
    return reason is not None and (reason == LEGACY_FREEZE_REASON
                                   or reason.startswith(FREEZE_REASON))


def _unanswered_delinquency(rec: Record, on: date) -> Reason | None:
    """Rule 3's reason: a delinquency past grace in the last 180 days, on or after the last cut."""
    def fresh(when: date | None) -> bool:
        return (when is not None and on - LATE_LOOKBACK < when <= on
                and (rec.last_cut_on is None or when >= rec.last_cut_on))

    if fresh(rec.past_grace_paid_on):
        return Reason("paid_past_grace", f"an installment was paid past its grace period on "
                                         f"{rec.past_grace_paid_on}")
    if fresh(rec.charged_off_on):
        return Reason("charged_off", f"a loan was charged off on {rec.charged_off_on}")
    return None


def reevaluate(line: Line, rec: Record, on: date) -> Change | None:
    """The change to make to one line on ``on``, or None (rules 1-4 of the module)."""
    if rec.past_grace_dpd > 0:
        if line.frozen:
            return None
        return Change("freeze", line.limit_fen, True, (Reason(
            "overdue_past_grace",
            f"a loan is {rec.past_grace_dpd} days past due, past its grace period"),))
    if line.frozen:
        if not is_delinquency_freeze(line.frozen_reason):
            return None  # frozen by someone else (fraud, complaint...): not ours to lift
        if line.frozen_reason == LEGACY_FREEZE_REASON:
            return Change("unfreeze", line.limit_fen, False, (Reason(
                "frozen_inside_grace", "frozen inside the grace period by the former rule; "
                "no loan is past grace"),))
        if rec.max_dpd > 0:
            return None  # not current yet
        cleared = Reason("overdue_cleared", "nothing is past due any more")
        if not line.is_cash:
            return Change("unfreeze", line.limit_fen, False, (cleared,))
        new = _cut(line.limit_fen)
        return Change("unfreeze", new, False, (cleared, Reason(
            "delinquency_cut",
            f"limit cut by half to {format_yuan(new)} after a delinquency past grace")))
    if not line.is_cash or rec.max_dpd > 0:
        return None
    why = _unanswered_delinquency(rec, on)
    if why is not None:
        new = _cut(line.limit_fen)
        if new >= line.limit_fen:
            return None
        return Change("cut", new, False, (why,))
    if (rec.paid_on_time >= ON_TIME_NEEDED and rec.paid_late == 0 and not rec.charged_off
            and _spaced(rec.last_raise_on, on) and _spaced(rec.last_cut_on, on)):
        new = min(_hundreds(line.limit_fen * RAISE_FACTOR), p.LIMIT_MAX_FEN)
        if new <= line.limit_fen:
            return None
        return Change("raise", new, False, (Reason(
            "on_time_record", f"{rec.paid_on_time} installments paid on time, none late"),))
    return None


ACTOR = "limit-job"
WHOLE_BOOK = (0, 2**62)  # a loan-id range holding every customer


def run(uow: UnitOfWork, day: date, lo_id: int, hi_id: int) -> None:
    """The nightly step: review the open lines (cash and checkout) of the customers whose loan
    ids fall in ``[lo_id, hi_id]`` on ``day`` (the business date just opened) and write the
    changes."""
    review(uow, day, lo_id, hi_id)


def run_book(uow: UnitOfWork, on: date) -> list[dict[str, Any]]:
    """Review every open line on ``on``; the changes logged, in line order."""
    return review(uow, on, *WHOLE_BOOK)


def review(uow: UnitOfWork, on: date, lo_id: int, hi_id: int) -> list[dict[str, Any]]:
    """Apply the rules to the open lines of the range's customers that can change on ``on``
    (:func:`_candidates`; every other line's outcome is "no change"); write the changes through
    the lines' owner and return the rows logged, in line order."""
    first, last = customer_of(lo_id), customer_of(hi_id)
    conn = uow.conn
    lines, records = _candidates(conn, on, first, last)
    changes = []
    for line_id in sorted(lines):
        row = lines[line_id]
        line = Line(line_id, int(row["customer_id"]), int(row["limit_fen"]), bool(row["frozen"]),
                    row["frozen_reason"], str(row["product_code"]))
        change = reevaluate(line, records(line), on)
        if change is not None:
            changes.append(LimitChange(
                line_id=line.credit_line_id, action=change.action,
                new_limit_fen=change.new_limit_fen, reasons=change.reasons, on=on, actor=ACTOR,
                frozen=change.frozen, frozen_reason=FREEZE_REASON if change.frozen else None))
    return customers_store.apply_changes(conn, changes, current=lines)


def _days_late(conn: Connection) -> ColumnElement[Any]:
    """Days from an installment's due date to its payment, in SQL (PostgreSQL subtracts dates,
    SQLite stores them as text)."""
    i = installments.c
    if conn.dialect.name == "postgresql":
        return i.paid_on - i.due_date
    return func.julianday(i.paid_on) - func.julianday(i.due_date)


# A line's columns as read by the review: what the rules and the owner's write need.
_LINE_COLUMNS = (credit_lines.c.id, credit_lines.c.customer_id, credit_lines.c.product_code,
                 *(credit_lines.c[k] for k in customers_store.LINE_STATE_COLUMNS))
_LIVE = ("active", "charged_off")  # the loans whose DPD and charge-offs count
# Raise and cut dates older than the late lookback act as none (see _candidates).
assert CHANGE_SPACING <= LATE_LOOKBACK


def _candidates(conn: Connection, on: date, first: int, last: int,
                ) -> tuple[dict[int, Mapping[Any, Any]], Callable[[Line], Record]]:
    """The open lines of customers ``first..last`` whose outcome on ``on`` can be a change, by
    id, and their records: four grouped statements bounded by the range, each a rule's
    necessary condition in SQL, so the lines that cannot change never leave the database.

    1. Delinquent borrowers (loans): a loan past due or charged off. Every other borrower's
       record is all zeros (nothing past due, no charge-off), which is what it reads as.
    2. The unfrozen lines of borrowers with a loan past grace (rule 1 freezes) or charged off
       in the last 180 days (rule 3 cuts for a charge-off), and every line frozen for
       delinquency (rule 2 unfreezes): these rules change no other line.
    3. The last raise and cut of lines changed in the last 180 days: an older one is never
       within the 90 days' spacing and precedes every fresh delinquency, so it acts as none.
    4. Open unfrozen cash lines whose installment record can cut (a payment past grace in the
       last 180 days, a limit above the minimum) or raise (6 on time, none late, a limit below
       the maximum) them. A cash line not found here is not cut for a payment past grace and
       not raised, whatever the rest of its record: its installment figures read as zeros.
    """
    lo, hi = first * LOANS_PER_CUSTOMER, (last + 1) * LOANS_PER_CUSTOMER - 1
    ln, cl = loans.c, credit_lines.c
    charged_off = ln.status == "charged_off"
    per_customer: dict[int, dict[str, Any]] = {}
    any_dpd, any_off = func.max(ln.dpd), func.max(case((charged_off, 1), else_=0))
    last_off = func.max(ln.charged_off_on)
    for r in conn.execute(
            select(ln.customer_id, any_dpd.label("dpd"),
                   func.max(case((ln.dpd > ln.grace_days, ln.dpd), else_=0))
                   .label("past_grace_dpd"), any_off.label("charged_off"),
                   last_off.label("charged_off_on"))
            .where(ln.id.between(lo, hi), ln.status.in_(_LIVE))
            .group_by(ln.customer_id)
            .having(or_(any_dpd > 0, any_off > 0, last_off.is_not(None)))):
        per_customer[int(r.customer_id)] = dict(
            max_dpd=int(r.dpd or 0), past_grace_dpd=int(r.past_grace_dpd or 0),
            charged_off=bool(r.charged_off), charged_off_on=r.charged_off_on)
    # Rule 1 (a loan past grace) or rule 3 for a charge-off (one in the last 180 days).
    freeze_or_cut = select(ln.customer_id).where(
        ln.id.between(lo, hi), ln.status.in_(_LIVE),
        or_(ln.dpd > ln.grace_days, ln.charged_off_on > on - LATE_LOOKBACK))
    ours = or_(cl.frozen_reason == LEGACY_FREEZE_REASON,
               cl.frozen_reason.startswith(FREEZE_REASON, autoescape=True))
    lines: dict[int, Mapping[Any, Any]] = {
        int(m["id"]): m for m in conn.execute(select(*_LINE_COLUMNS).where(
            cl.status == "open", cl.customer_id.between(first, last),
            or_(and_(cl.frozen.is_(True), ours),
                and_(cl.frozen.is_(False), cl.customer_id.in_(freeze_or_cut))))).mappings()}
    per_line = _last_changes(conn, on, first, last)
    for row in conn.execute(_cash_candidates(conn, on, first, last)).mappings():
        lines[int(row["id"])] = row
        per_line.setdefault(int(row["id"]), {}).update(
            paid_on_time=int(row["paid_on_time"] or 0), paid_late=int(row["paid_late"] or 0),
            past_grace_paid_on=row["past_grace_paid_on"])

    def record(line: Line) -> Record:
        return Record(**per_customer.get(line.customer_id, {}),
                      **per_line.get(line.credit_line_id, {}))

    return lines, record


def _cash_candidates(conn: Connection, on: date, first: int, last: int) -> Select[Any]:
    """Open unfrozen cash lines of current borrowers (no loan past due) of customers
    ``first..last`` that a payment past grace can cut or an on-time record raise, with those
    figures: two grouped subqueries over the range's paid installments, one over the late ones
    of the last 180 days (a payment past grace is late: grace days are 0..30), one counting
    on-time and late payments for the lines below the maximum limit only."""
    lo, hi = first * LOANS_PER_CUSTOMER, (last + 1) * LOANS_PER_CUSTOMER - 1
    ln, cl, i = loans.c, credit_lines.c, installments.c
    # Bounds on both sides of the join: the planner does not carry a range across it, and
    # without them each night partition read every partition's installments.
    in_range = and_(ln.id.between(lo, hi), i.loan_id.between(lo, hi), i.status == "paid")
    recent = and_(i.due_date > on - LATE_LOOKBACK, i.paid_on <= on)
    cut = (select(ln.customer_id.label("customer_id"),
                  func.max(case((_days_late(conn) > ln.grace_days, i.paid_on), else_=None))
                  .label("past_grace_paid_on"))
           .select_from(installments.join(loans, ln.id == i.loan_id))
           .where(in_range, i.paid_on > i.due_date, recent)
           .group_by(ln.customer_id).subquery("cut"))
    below_max = select(cl.customer_id).where(
        cl.customer_id.between(first, last), cl.status == "open",
        cl.product_code == p.PRODUCT_CODE, cl.frozen.is_(False), cl.limit_fen < p.LIMIT_MAX_FEN)
    on_time = and_(i.paid_on <= i.due_date, i.due_date <= on)
    n_on_time = func.sum(case((on_time, 1), else_=0))
    n_late = func.sum(case((and_(i.paid_on > i.due_date, recent), 1), else_=0))
    raise_ = (select(ln.customer_id.label("customer_id"), n_on_time.label("paid_on_time"),
                     n_late.label("paid_late"))
              .select_from(installments.join(loans, ln.id == i.loan_id))
              .where(in_range, i.due_date > on - ON_TIME_LOOKBACK,
                     ln.customer_id.in_(below_max))
              .group_by(ln.customer_id)
              .having(and_(n_on_time >= ON_TIME_NEEDED, n_late == 0)).subquery("rise"))
    past_due = select(ln.customer_id).where(ln.id.between(lo, hi), ln.status.in_(_LIVE),
                                            ln.dpd > 0)
    return (select(*_LINE_COLUMNS, raise_.c.paid_on_time, raise_.c.paid_late,
                   cut.c.past_grace_paid_on)
            .select_from(credit_lines
                         .outerjoin(raise_, raise_.c.customer_id == cl.customer_id)
                         .outerjoin(cut, cut.c.customer_id == cl.customer_id))
            .where(cl.status == "open", cl.product_code == p.PRODUCT_CODE,
                   cl.frozen.is_(False), cl.customer_id.between(first, last),
                   cl.customer_id.not_in(past_due),
                   or_(and_(raise_.c.customer_id.is_not(None), cl.limit_fen < p.LIMIT_MAX_FEN),
                       and_(cut.c.past_grace_paid_on.is_not(None),
                            cl.limit_fen > p.LIMIT_MIN_FEN))))


def _last_changes(conn: Connection, on: date, first: int,
                  last: int) -> dict[int, dict[str, Any]]:
    """The last raise and the last cut (or unfreeze that lowered the limit) of the lines of
    customers ``first..last`` changed in the last 180 days, by line."""
    c = limit_changes.c
    lowered = and_(c.action.in_(("cut", "unfreeze")), c.new_limit_fen < c.old_limit_fen)
    return {int(r.credit_line_id): {"last_raise_on": r.last_raise_on,
                                    "last_cut_on": r.last_cut_on}
            for r in conn.execute(
                select(c.credit_line_id,
                       func.max(case((c.action == "raise", c.business_date), else_=None))
                       .label("last_raise_on"),
                       func.max(case((lowered, c.business_date), else_=None))
                       .label("last_cut_on"))
                .select_from(limit_changes.join(
                    credit_lines, credit_lines.c.id == c.credit_line_id))
                .where(credit_lines.c.customer_id.between(first, last),
                       c.business_date > on - LATE_LOOKBACK, c.business_date <= on,
                       c.action.in_(("raise", "cut", "unfreeze")))
                .group_by(c.credit_line_id))}
