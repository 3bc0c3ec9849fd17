"""Worked examples on both sides of each boundary, closed by the reference and the kernel alike."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, timedelta

import numpy as np

from lendcore.eod.convert import book_of, bucket_name, class_name, epoch_day, installment_rows_of
from lendcore.eod.facts import day_facts
from lendcore.eod.histories import penalty_ppb
from lendcore.eod.kernel import Book, close_day_columns
from lendcore.servicing.accrual import close_day, open_loan
from lendcore.servicing.allocation import apply_payment
from lendcore.servicing.model import LoanState, LoanStatus, LoanTerms

ONE = timedelta(days=1)


def _terms(**kw: object) -> LoanTerms:
    base: dict[str, object] = dict(
        loan_id=1_000_001, principal_fen=1_000_000, installments=3, method="equal-installment",
        start=date(2026, 1, 10), annual_rate_ppb=182_500_000,
        penalty_rate_ppb=penalty_ppb(182_500_000))
    base.update(kw)
    return LoanTerms(**base)  # type: ignore[arg-type]


def close_until(state: LoanState, business_date: date) -> LoanState:
    """Close days up to business_date - 1 with both engines, checking they agree each day."""
    assert state.accrued_through is not None
    day = state.accrued_through + ONE
    while day < business_date:
        book = book_of([state])
        facts = day_facts(1, epoch_day(day), installment_rows_of([state], day))
        after, out = close_day_columns(book, facts, epoch_day(day))
        result = close_day(state, day)
        assert (int(out.interest_fen[0]), int(out.penalty_fen[0])) == (
            result.interest_fen, result.penalty_fen), day
        want = book_of([state])
        for f in fields(Book):
            assert np.array_equal(getattr(after, f.name), getattr(want, f.name)), (day, f.name)
        day += ONE
    return state


def test_the_capped_penalty_rate_of_an_18_25_percent_loan_is_24_percent() -> None:
    assert penalty_ppb(182_500_000) == 240_000_000  # 27.375% cut to 24%
    assert penalty_ppb(100_000_000) == 150_000_000  # 10% -> 15%, under the cap


def _first_due(state: LoanState) -> date:
    return state.installments[0].due_date


def test_repayment_on_the_last_grace_day_incurs_no_penalty() -> None:
    state = open_loan(_terms())
    due = _first_due(state)
    close_until(state, due + timedelta(days=3))  # business date due+3: DPD 3 = grace
    assert state.dpd == 3 and state.penalty_receivable_fen == 0 and state.penalty_grace_fen > 0
    alloc = apply_payment(state, due + timedelta(days=3), state.installments[0].unpaid_total)
    assert alloc.penalty_fen == 0 and state.penalty_grace_fen == 0 and state.dpd == 0
    close_until(state, due + timedelta(days=20))  # before the next installment falls due
    assert state.totals.penalty_accrued == 0


def test_repayment_the_day_after_grace_pays_penalty_from_the_due_date() -> None:
    state = open_loan(_terms())
    due = _first_due(state)
    close_until(state, due + timedelta(days=4))  # DPD 4: grace passed
    principal = state.installments[0].unpaid_principal
    four_days = (2 * 4 * principal * 240_000_000 + 365 * 10**9) // (2 * 365 * 10**9)
    assert state.dpd == 4 and state.penalty_receivable_fen == four_days > 0
    owed = state.installments[0].unpaid_total + state.penalty_receivable_fen
    alloc = apply_payment(state, due + timedelta(days=4), owed)
    assert alloc.penalty_fen == four_days and state.dpd == 0
    close_until(state, due + timedelta(days=20))
    assert state.totals.penalty_accrued == four_days


def _stopped(**kw: object) -> tuple[LoanState, date]:
    state = open_loan(_terms(installments=12, **kw))
    return state, _first_due(state)


def test_dpd_90_is_special_mention_and_91_is_substandard() -> None:
    state, due = _stopped()
    close_until(state, due + timedelta(days=90))
    assert (state.dpd, bucket_name(state), class_name(state)) == (90, "M3", "special_mention")
    close_until(state, due + timedelta(days=91))
    assert (state.dpd, bucket_name(state), class_name(state)) == (91, "M4", "substandard")


def test_card_style_ladder_is_doubtful_from_121() -> None:
    state, due = _stopped(ladder="card-style")
    close_until(state, due + timedelta(days=120))
    assert class_name(state) == "substandard"
    close_until(state, due + timedelta(days=121))
    assert class_name(state) == "doubtful"


def test_charge_off_at_180_dpd_in_m6_then_m7_at_181_with_no_more_accruals() -> None:
    state, due = _stopped()
    close_until(state, due + timedelta(days=179))
    assert state.status is LoanStatus.ACTIVE and bucket_name(state) == "M6"
    close_until(state, due + timedelta(days=180))
    assert state.status is LoanStatus.CHARGED_OFF and state.dpd == 180
    assert bucket_name(state) == "M6" and state.charged_off_on == due + timedelta(days=179)
    accrued = (state.totals.interest_accrued, state.totals.penalty_accrued)
    close_until(state, due + timedelta(days=181))
    assert bucket_name(state) == "M7" and state.dpd == 181
    assert (state.totals.interest_accrued, state.totals.penalty_accrued) == accrued


def test_a_repayment_after_charge_off_is_a_recovery() -> None:
    state, due = _stopped()
    close_until(state, due + timedelta(days=200))
    alloc = apply_payment(state, due + timedelta(days=200), 100_000)
    assert alloc.recovery and state.totals.recovered == 100_000
    assert state.totals.paid_principal == 0
    close_until(state, due + timedelta(days=230))
    assert state.status is LoanStatus.CHARGED_OFF


def test_29_february_accrues_one_more_day_at_1_365_on_act_365_fixed() -> None:
    terms = _terms(method="pay-any-time", installments=12, start=date(2028, 1, 1))
    state = open_loan(terms)
    close_until(state, date(2028, 2, 28))
    before = state.interest_receivable_fen
    close_until(state, date(2028, 3, 1))  # closes 28 and 29 February
    assert state.interest_receivable_fen - before == 2 * 500  # 10,000 x 18.25% / 365 = 5.00
    close_until(state, date(2029, 1, 1))
    assert state.interest_receivable_fen == 366 * 500  # a leap year: 366 days of 1/365


def test_month_end_due_dates_roll_overdue_on_the_clamped_day() -> None:
    state = open_loan(_terms(start=date(2027, 1, 31), installments=4))
    dues = [i.due_date for i in state.installments]
    assert dues == [date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30), date(2027, 5, 31)]
    close_until(state, date(2027, 2, 28))
    assert state.dpd == 0 and state.oldest_unpaid_due is None
    close_until(state, date(2027, 3, 1))  # 28 Feb closed unpaid
    assert state.oldest_unpaid_due == date(2027, 2, 28) and state.dpd == 1
    close_until(state, date(2027, 4, 1))
    assert state.dpd == 32 and state.overdue_principal_fen == sum(
        i.principal_fen for i in state.installments[:2])


def test_a_restructured_loan_stays_special_mention_until_its_floor_date() -> None:
    from lendcore.servicing.replay import restructure

    state, due = _stopped()
    close_until(state, due + timedelta(days=40))
    restructure(state, due + timedelta(days=40), 6)
    assert state.dpd == 0 and class_name(state) == "special_mention"
    for inst in state.open_installments():  # the borrower keeps the new plan
        close_until(state, inst.due_date)
        apply_payment(state, inst.due_date, inst.unpaid_total)
    assert state.status is LoanStatus.CLOSED or class_name(state) == "special_mention"


def test_amounts_in_the_outbox_are_masked() -> None:
    from lendcore.eod.notify import mask_amount

    assert mask_amount(123456) == "¥1***.56"
    assert mask_amount(5000) == "¥5*.00"
    assert mask_amount(99) == "¥0.99"
