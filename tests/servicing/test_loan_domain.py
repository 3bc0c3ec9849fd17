"""The loan aggregate as pure functions: worked examples on both sides of each boundary."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from lendcore.errors import InvalidInput, RuleViolation
from lendcore.servicing.accrual import close_day, open_loan
from lendcore.servicing.allocation import apply_payment
from lendcore.servicing.model import LoanStatus, LoanTerms, PrepaymentMode
from lendcore.servicing.replay import Event, replay

START = date(2022, 11, 1)
# 10,000 CNY at 0.05%/day ACT/365 = 18.25%; penalty 1.5 x 18.25% = 27.375%, capped at 24%.
TERMS = LoanTerms(loan_id=1, principal_fen=1_000_000, installments=12,
                  method="equal-installment", start=START, annual_rate_ppb=182_500_000,
                  penalty_rate_ppb=240_000_000)
PAT = replace(TERMS, method="pay-any-time", installments=3, start=date(2024, 1, 1))


def installment_amount(terms: LoanTerms = TERMS, n: int = 0) -> int:
    inst = open_loan(terms).installments[n]
    return inst.principal_fen + inst.interest_fen + inst.fee_fen


def pay(day: date, amount: int, seq: int = 0) -> Event:
    return Event("repayment", day, amount, seq)


def test_paying_every_installment_on_its_due_date_closes_the_loan_with_scheduled_interest():
    schedule = open_loan(TERMS).installments
    events = [pay(i.due_date, i.principal_fen + i.interest_fen, n) for n, i in enumerate(schedule)]
    state = replay(TERMS, events, date(2023, 11, 2))
    assert state.status is LoanStatus.CLOSED
    assert state.closed_on == date(2023, 11, 1)
    assert state.totals.interest_accrued == state.totals.paid_interest == 101_587
    assert state.total_owed_fen == 0 and state.overpayment_fen == 0


def test_interest_is_recognised_daily_and_a_period_sums_exactly_to_its_scheduled_interest():
    state = open_loan(TERMS)
    daily = [close_day(state, START + timedelta(days=d)).interest_fen for d in range(30)]
    assert sum(daily) == state.installments[0].interest_fen == 15_208
    assert max(daily) - min(daily) <= 1  # linear, rounding spread over the days


def test_pay_any_time_interest_is_balance_times_daily_rate_times_actual_days():
    state = replay(PAT, [], date(2024, 1, 11))
    assert state.interest_receivable_fen == 5_000  # 10,000 x 0.05% x 10 days = 50.00
    closed = replay(PAT, [pay(date(2024, 1, 11), 1_005_000)], date(2024, 1, 11))
    assert closed.status is LoanStatus.CLOSED


def test_pay_any_time_partial_repayment_lowers_the_balance_interest_accrues_on():
    state = replay(PAT, [pay(date(2024, 1, 11), 505_000)], date(2024, 1, 21))
    # 50.00 interest paid first, then 5,000 principal; 10 more days on 5,000 = 25.00
    assert state.principal_outstanding_fen == 500_000
    assert state.interest_receivable_fen == 2_500


@pytest.mark.parametrize(("days_late", "penalty_fen"), [(3, 0), (4, 201)])
def test_payment_inside_grace_period_incurs_no_penalty_and_the_day_after_does(
        days_late: int, penalty_fen: int) -> None:
    first = open_loan(TERMS).installments[0]
    day = first.due_date + timedelta(days=days_late)
    state = replay(TERMS, [pay(day, installment_amount() + 1_000)], day)
    # 765.91 overdue principal x 24% / 365 x 4 days = 2.0144 -> 2.01, from the due date
    assert state.totals.penalty_accrued == penalty_fen
    assert state.dpd == 0 and state.oldest_unpaid_due is None


def test_penalty_is_pending_inside_grace_and_charged_back_to_the_due_date_after_it():
    first = open_loan(TERMS).installments[0]
    inside = replay(TERMS, [], first.due_date + timedelta(days=3))
    assert (inside.dpd, inside.penalty_receivable_fen) == (3, 0)
    assert inside.penalty_grace_fen > 0
    after = replay(TERMS, [], first.due_date + timedelta(days=4))
    assert after.dpd == 4 and after.penalty_receivable_fen == 201 and after.penalty_grace_fen == 0


def test_penalty_runs_on_overdue_principal_only_never_on_interest_or_fees():
    first = open_loan(TERMS).installments[0]
    state = replay(TERMS, [], first.due_date + timedelta(days=30))
    assert state.overdue_interest_fen == first.interest_fen
    expected = round(first.principal_fen * 0.24 / 365 * 30)  # test oracle only
    assert abs(state.penalty_receivable_fen - expected) <= 1


def test_default_allocation_pays_penalty_then_interest_then_principal():
    first = open_loan(TERMS).installments[0]
    day = first.due_date + timedelta(days=10)
    state = replay(TERMS, [], day)
    penalty = state.penalty_receivable_fen
    alloc = apply_payment(state, day, 50_000)
    assert alloc.penalty_fen == penalty
    assert alloc.interest_fen == first.interest_fen
    assert alloc.principal_fen == 50_000 - penalty - first.interest_fen
    assert state.dpd == 10  # still overdue: the installment is not fully paid


def test_a_custom_allocation_order_is_followed():
    terms = replace(TERMS, allocation_order=(
        "past_due.principal", "past_due.interest", "past_due.penalty", "not_due.interest",
        "not_due.principal"))
    first = open_loan(terms).installments[0]
    day = first.due_date + timedelta(days=10)
    state = replay(terms, [], day)
    alloc = apply_payment(state, day, 80_000)
    assert alloc.principal_fen == first.principal_fen
    assert alloc.interest_fen == 80_000 - first.principal_fen
    assert alloc.penalty_fen == 0


@pytest.mark.parametrize(("mode", "open_count"), [(PrepaymentMode.SHORTEN, 7),
                                                  (PrepaymentMode.LOWER, 10)])
def test_prepayment_pays_interest_to_date_and_shortens_or_lowers(mode: PrepaymentMode,
                                                                  open_count: int) -> None:
    terms = replace(TERMS, prepayment_mode=mode)
    a = installment_amount(terms)
    events = [pay(date(2022, 12, 1), a, 0), pay(date(2023, 1, 1), a, 1),
              pay(date(2023, 1, 15), 300_000, 2)]
    state = replay(terms, events, date(2023, 1, 15))
    live = [i for i in state.installments if i.status == "open"]
    assert len(live) == open_count
    remaining = [i.unpaid_principal + i.unpaid_interest for i in live[:-1]]
    if mode is PrepaymentMode.SHORTEN:
        assert all(r == a for r in remaining)  # the installment is kept
    else:
        assert len(set(remaining)) == 1 and remaining[0] < a  # a lower, equal installment
    assert sum(i.principal_fen for i in state.installments if i.status != "superseded") == (
        TERMS.principal_fen)


def test_overpaying_a_loan_closes_it_and_keeps_the_excess_as_overpayment():
    payoff = replay(PAT, [], date(2024, 1, 11)).total_owed_fen
    state = replay(PAT, [pay(date(2024, 1, 11), payoff + 12_345)], date(2024, 1, 11))
    assert state.status is LoanStatus.CLOSED
    assert state.overpayment_fen == 12_345


def test_a_back_dated_repayment_gives_the_loan_as_if_it_had_arrived_on_time():
    first = open_loan(TERMS).installments[0]
    late_day = first.due_date + timedelta(days=20)
    on_time = replay(TERMS, [pay(first.due_date, installment_amount())], late_day)
    assert on_time.totals.penalty_accrued == 0 and on_time.dpd == 0


def test_charge_off_happens_at_180_days_past_due_not_179():
    first = open_loan(TERMS).installments[0]
    at_179 = replay(TERMS, [], first.due_date + timedelta(days=179))
    at_180 = replay(TERMS, [], first.due_date + timedelta(days=180))
    assert at_179.status is LoanStatus.ACTIVE and at_179.dpd == 179
    assert at_180.status is LoanStatus.CHARGED_OFF and at_180.dpd == 180
    assert at_180.totals.charged_off_principal == TERMS.principal_fen - 0


def test_a_payment_after_charge_off_is_a_recovery_and_accrues_nothing_more():
    first = open_loan(TERMS).installments[0]
    co_day = first.due_date + timedelta(days=180)
    day = co_day + timedelta(days=30)
    before = replay(TERMS, [], day)
    assert before.penalty_receivable_fen == replay(TERMS, [], co_day).penalty_receivable_fen
    state = replay(TERMS, [pay(day, 100_000)], day)
    assert state.totals.recovered == 100_000
    assert state.totals.paid_principal == 0
    assert state.total_owed_fen == before.total_owed_fen - 100_000


def test_a_partial_refund_gives_back_the_interest_charged_on_the_refunded_part():
    day = date(2023, 2, 15)
    full = replay(TERMS, [], day)
    half = replay(TERMS, [Event("refund", day, 500_000, 0)], day)
    assert half.totals.refunded_principal == 500_000
    assert half.principal_outstanding_fen * 2 == pytest.approx(
        full.principal_outstanding_fen, abs=2)
    assert half.totals.interest_accrued * 2 == pytest.approx(full.totals.interest_accrued, abs=4)


def test_a_full_refund_returns_every_payment_as_overpayment():
    a = installment_amount()
    day = date(2023, 1, 10)
    state = replay(TERMS, [pay(date(2022, 12, 1), a), Event("refund", day, 1_000_000, 1)], day)
    assert state.status is LoanStatus.CLOSED
    assert state.overpayment_fen == a
    with pytest.raises(RuleViolation):
        replay(TERMS, [Event("refund", day, 1_000_001, 0)], day)


def test_restructure_capitalises_what_is_owed_and_floors_the_class_for_a_year():
    first = open_loan(TERMS).installments[0]
    day = first.due_date + timedelta(days=100)
    before = replay(TERMS, [], day)
    events = [Event("waiver", day, before.penalty_receivable_fen, 0, {"component": "penalty"}),
              Event("restructure", day, 0, 1, {"installments": 36})]
    state = replay(TERMS, events, day)
    assert state.dpd == 0 and state.restructured
    assert state.class_floor_until == date(2024, 3, 11)
    assert state.principal_outstanding_fen == before.total_owed_fen - before.penalty_receivable_fen
    assert len([i for i in state.installments if i.status == "open"]) == 36
    with pytest.raises(InvalidInput):
        replay(TERMS, [Event("restructure", day, 0, 0, {"installments": 61})], day)


def test_events_outside_the_loan_life_are_refused():
    with pytest.raises(InvalidInput):
        replay(TERMS, [pay(START - timedelta(days=1), 100)], date(2023, 1, 1))
    with pytest.raises(InvalidInput):
        replay(TERMS, [pay(date(2023, 2, 1), 100)], date(2023, 1, 1))


def test_month_end_due_dates_stay_anchored_on_the_start_day():
    terms = replace(TERMS, start=date(2023, 1, 31), installments=4)
    dues = [i.due_date for i in open_loan(terms).installments]
    assert dues == [date(2023, 2, 28), date(2023, 3, 31), date(2023, 4, 30), date(2023, 5, 31)]


def test_leap_day_accrues_one_365th_of_a_year_on_act_365():
    terms = replace(PAT, start=date(2024, 2, 28))
    state = open_loan(terms)
    amounts = [close_day(state, date(2024, 2, 28) + timedelta(days=d)).interest_fen
               for d in range(3)]
    assert amounts == [500, 500, 500]  # 28 Feb, 29 Feb, 1 Mar: 10,000 x 18.25%/365 = 5.00
