"""The nightly run's kernel: ``servicing.accrual.close_day`` over columns of loans at once.

One call closes business day ``x`` for every loan of a partition. Inputs are numpy ``int64``
columns (:class:`Book`, one element per loan) and the day's installment facts (:class:`DayFacts`,
non-zero only for the few loans with an installment due on x or x+1); the result is a new
:class:`Book` and the per-loan amounts of the day (:class:`DayOutput`). The steps and their order
are those of ``close_day``, to the fen:

1. interest for day x: scheduled loans recognise ``round_half_up(I x t / D)`` of the current
   period's interest cumulatively; pay-any-time loans add not-yet-due principal x annual rate to
   an integer carry and take out whole fen rounded half up (divisor PPB x basis days);
2. billing of the installment due x+1 (fee receivable; next accrual segment; pay-any-time: the
   installment's interest becomes what was accrued);
3. installments due x and unpaid roll into the overdue sums; DPD = x+1 - oldest unpaid due;
4. penalty on overdue principal (and interest if the product says so) at the capped rate, pending
   while DPD <= grace days and charged with the pending days once grace passes;
5. charge-off at the product's DPD (status charged_off; no more accruals);

then bucket M0-M7 and the five-category class of the new DPD (on business date x+1).

Dates are days since 1970-01-01 (``NO_DATE`` for NULL). Every rounding is half up on integers
(``(2a + b) // (2b)``, floor division), never a float. Overflow: a carry numerator is a balance in
fen times a rate in ppb; :func:`check_bounds` refuses a book whose largest balance x largest rate
reaches 2^61, so ``2 x carry + divisor`` always fits int64 (9.2 x 10^18). Consumer loans are far
inside: 5 x 10^6 fen (50,000 yuan) x 2.4 x 10^8 ppb (24%) = 1.2 x 10^15.

Worked example: 10,000.00 yuan pay-any-time at 18.25% ACT/365 -> numerator 1,000,000 x
182,500,000 per day, divisor 10^9 x 365: 500 fen a day, carry 0.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

NO_DATE = -(10**6)  # NULL date: far before any business date
ACTIVE, CHARGED_OFF, CLOSED = 0, 1, 2
FIVE_CATEGORY_2023, CARD_STYLE = 0, 1
LADDER_CODES = {"five-category-2023": FIVE_CATEGORY_2023, "card-style": CARD_STYLE}
# Upper DPD bound of special_mention, substandard, doubtful per ladder (delinquency/ladder.py).
LADDER_BOUNDS = {FIVE_CATEGORY_2023: (90, 270, 360), CARD_STYLE: (90, 120, 180)}
NUMERATOR_LIMIT = 2**61  # principal x rate stays below this: 2 x carry fits int64


@dataclass(frozen=True, slots=True)
class Book:
    """Terms and state of n loans, one int64 column per field of ``LoanTerms``/``LoanState``."""

    pay_any_time: I64  # 1 or 0
    annual_rate_ppb: I64
    penalty_rate_ppb: I64
    divisor: I64  # PPB x basis days
    grace_days: I64
    charge_off_dpd: I64
    penalty_on_interest: I64
    ladder: I64
    class_floor_until: I64
    status: I64
    principal_outstanding_fen: I64
    interest_receivable_fen: I64
    penalty_receivable_fen: I64
    fee_receivable_fen: I64
    overdue_principal_fen: I64
    overdue_interest_fen: I64
    overdue_fee_fen: I64
    accrued_through: I64
    accr_start: I64
    accr_days: I64
    accr_total_fen: I64
    accr_done_fen: I64
    interest_carry: I64
    penalty_carry: I64
    penalty_grace_fen: I64
    dpd: I64
    oldest_unpaid_due: I64
    next_due_date: I64
    charged_off_on: I64
    bucket: I64  # 0..7 for M0..M7
    risk_class: I64  # 0..4: normal, special_mention, substandard, doubtful, loss

    def __len__(self) -> int:
        return len(self.status)


@dataclass(frozen=True, slots=True)
class DayFacts:
    """What the installments say about day x, per loan (zeros where nothing is due)."""

    due_x_principal_fen: I64  # unpaid parts of open installments due x with something unpaid
    due_x_interest_fen: I64
    due_x_fee_fen: I64
    due_x_unpaid: I64  # 1 if such an installment exists
    due_x1: I64  # 1 if an open installment is due x+1
    due_x1_fee_fen: I64  # its unpaid fee
    due_x1_paid_interest_fen: I64  # its paid interest (pay-any-time: interest = paid + accrued)
    unpaid_interest_due_le_x: I64  # unpaid interest of open installments due on or before x
    segment: I64  # 1 if an open installment starts on x+1
    segment_start: I64
    segment_days: I64
    segment_interest_fen: I64
    next_due_after_x: I64  # earliest due date > x among open installments (NO_DATE if none)

    @classmethod
    def empty(cls, n: int) -> DayFacts:
        zeros = {f.name: np.zeros(n, np.int64) for f in fields(cls)}
        zeros["next_due_after_x"] = np.full(n, NO_DATE, np.int64)
        return cls(**zeros)


@dataclass(frozen=True, slots=True)
class DayOutput:
    """Per-loan results of closing day x (the ledger sums them per product)."""

    interest_fen: I64
    penalty_fen: I64
    fee_billed_fen: I64
    became_overdue: B
    charged_off: B
    billed_interest_fen: I64  # pay-any-time installment due x+1: its new interest (-1 if none)


def check_bounds(book: Book) -> None:
    """Refuse columns whose products could overflow int64 (see the module docstring)."""
    if len(book) == 0:
        return
    balance = max(int(book.principal_outstanding_fen.max()),
                  int(book.overdue_principal_fen.max()) + int(book.overdue_interest_fen.max()), 1)
    rate = max(int(book.annual_rate_ppb.max()), int(book.penalty_rate_ppb.max()), 1)
    if balance * rate >= NUMERATOR_LIMIT or int(book.accr_total_fen.max()) * 2 * 400 >= 2**62:
        raise OverflowError(f"balance {balance} x rate {rate} is beyond the int64 kernel")


def carry_step(carry: I64, numerator: I64, divisor: I64) -> tuple[I64, I64]:
    """``accrual.carry_step`` on columns: whole fen out (half up), the rest stays in the carry."""
    carry = carry + numerator
    fen = (2 * carry + divisor) // (2 * divisor)
    return fen, carry - fen * divisor


def close_day_columns(book: Book, facts: DayFacts, day: int) -> tuple[Book, DayOutput]:
    """Close day ``day`` (days since epoch) on every loan of ``book``; pure, returns new columns."""
    check_bounds(book)
    active = book.status == ACTIVE
    live = book.status != CLOSED
    interest, s = _interest(book, facts, day, active)
    s, fee, billed_interest = _bill(s, facts, active, live)
    s, became_overdue = _roll_overdue(s, facts, day, live)
    dpd = np.where(s.oldest_unpaid_due != NO_DATE, day + 1 - s.oldest_unpaid_due, 0)
    s = replace(s, dpd=np.where(live, dpd, s.dpd))
    penalty, s = _penalty(s, active)
    charged = active & (s.dpd >= s.charge_off_dpd)
    s = replace(
        s,
        status=np.where(charged, CHARGED_OFF, s.status),
        charged_off_on=np.where(charged, day, s.charged_off_on),
        accrued_through=np.full(len(s), day, np.int64),
        next_due_date=np.where(live & (s.next_due_date <= day), facts.next_due_after_x,
                               s.next_due_date),
    )
    s = replace(s, bucket=np.where(live, bucket_codes(s.dpd), s.bucket),
                risk_class=np.where(live, class_codes(s, day + 1), s.risk_class))
    return s, DayOutput(interest, penalty, fee, became_overdue, charged, billed_interest)


def _interest(book: Book, facts: DayFacts, day: int, active: B) -> tuple[I64, Book]:
    pat = book.pay_any_time == 1
    # Scheduled: linear cumulative recognition of the current period's interest.
    days = np.maximum(book.accr_days, 1)
    elapsed = day - book.accr_start + 1
    sched = (active & ~pat & (book.accr_start != NO_DATE) & (book.accr_days > 0)
             & (elapsed >= 1) & (elapsed <= book.accr_days))
    target = (2 * book.accr_total_fen * elapsed + days) // (2 * days)
    sched_fen = np.where(sched, target - book.accr_done_fen, 0)
    # Pay-any-time: not-yet-due principal = outstanding - overdue - due today.
    base = book.principal_outstanding_fen - book.overdue_principal_fen - facts.due_x_principal_fen
    pat_on = active & pat & (base > 0)
    fen, carry = carry_step(book.interest_carry, np.where(pat_on, base, 0) * book.annual_rate_ppb,
                            book.divisor)
    interest = np.where(pat_on, fen, sched_fen)
    return interest, replace(
        book,
        accr_done_fen=np.where(sched, target, book.accr_done_fen),
        interest_carry=np.where(pat_on, carry, book.interest_carry),
        interest_receivable_fen=book.interest_receivable_fen + interest,
    )


def _bill(book: Book, facts: DayFacts, active: B, live: B) -> tuple[Book, I64, I64]:
    billing = live & (facts.due_x1 == 1)
    pat = book.pay_any_time == 1
    billed_interest = np.where(
        billing & pat,
        facts.due_x1_paid_interest_fen + book.interest_receivable_fen
        - facts.unpaid_interest_due_le_x,
        -1)
    fee = np.where(billing & active & (facts.due_x1_fee_fen > 0), facts.due_x1_fee_fen, 0)
    segment = billing & ~pat & (facts.segment == 1)
    return replace(
        book,
        fee_receivable_fen=book.fee_receivable_fen + fee,
        accr_start=np.where(segment, facts.segment_start, book.accr_start),
        accr_days=np.where(segment, facts.segment_days, book.accr_days),
        accr_total_fen=np.where(segment, facts.segment_interest_fen, book.accr_total_fen),
        accr_done_fen=np.where(segment, 0, book.accr_done_fen),
    ), fee, billed_interest


def _roll_overdue(book: Book, facts: DayFacts, day: int, live: B) -> tuple[Book, B]:
    rolls = live & (facts.due_x_unpaid == 1)
    oldest = book.oldest_unpaid_due
    newer = rolls & ((oldest == NO_DATE) | (day < oldest))
    return replace(
        book,
        overdue_principal_fen=book.overdue_principal_fen + np.where(
            rolls, facts.due_x_principal_fen, 0),
        overdue_interest_fen=book.overdue_interest_fen + np.where(
            rolls, facts.due_x_interest_fen, 0),
        overdue_fee_fen=book.overdue_fee_fen + np.where(rolls, facts.due_x_fee_fen, 0),
        oldest_unpaid_due=np.where(newer, day, oldest),
    ), rolls


def _penalty(book: Book, active: B) -> tuple[I64, Book]:
    base = book.overdue_principal_fen + np.where(
        book.penalty_on_interest == 1, book.overdue_interest_fen, 0)
    on = active & (base > 0) & (book.penalty_rate_ppb > 0)
    fen, carry = carry_step(book.penalty_carry, np.where(on, base, 0) * book.penalty_rate_ppb,
                            book.divisor)
    fen = np.where(on, fen, 0)
    in_grace = book.dpd <= book.grace_days
    pending = on & in_grace
    charging = on & ~in_grace
    charged = np.where(charging, fen + book.penalty_grace_fen, 0)
    grace = np.where(pending, book.penalty_grace_fen + fen,
                     np.where(charging, 0, book.penalty_grace_fen))
    return charged, replace(
        book,
        penalty_carry=np.where(on, carry, book.penalty_carry),
        penalty_grace_fen=grace,
        penalty_receivable_fen=book.penalty_receivable_fen + charged,
    )


def bucket_codes(dpd: I64) -> I64:
    """M0 current, M1 1-30 ... M7 over 180 (``ladder.bucket_of``) as 0..7."""
    return np.where(dpd <= 0, 0, np.minimum((dpd - 1) // 30 + 1, 7)).astype(np.int64)


def class_codes(book: Book, on: int) -> I64:
    """Five-category class by the loan's ladder; restructured loans floored at 关注 (1)."""
    cls = np.zeros(len(book), np.int64)
    for ladder, (mention, sub, doubtful) in LADDER_BOUNDS.items():
        mine = book.ladder == ladder
        dpd = book.dpd
        code = np.where(dpd <= 0, 0, np.where(dpd <= mention, 1, np.where(
            dpd <= sub, 2, np.where(dpd <= doubtful, 3, 4))))
        cls = np.where(mine, code, cls)
    floored = (cls == 0) & (book.class_floor_until != NO_DATE) & (on <= book.class_floor_until)
    return np.where(floored, 1, cls).astype(np.int64)
