"""The issue's worked examples, to the fen and to the sixth decimal of the annual rate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lendcore.money import Rounding
from lendcore.rates import AnnualRate, DayCount
from lendcore.schedules import InterestMode, Method, ScheduleTerms, build_schedule
from lendcore.schedules.apr import apr_of_schedule, format_rate


def _cash_loan(**overrides: object) -> ScheduleTerms:
    values: dict[str, object] = {
        "principal_fen": 1_000_000, "installments": 12, "method": Method.EQUAL_INSTALLMENT,
        "annual_rate": AnnualRate.from_daily(Decimal("0.0005"), DayCount.ACT_365).annual,
        "start": date(2025, 1, 15),
    }
    values.update(overrides)
    return ScheduleTerms(**values)  # type: ignore[arg-type]


def test_ten_thousand_at_point_05_percent_a_day_is_917_99_eleven_times_then_917_98() -> None:
    schedule = build_schedule(_cash_loan())
    totals = [i.total_fen for i in schedule.installments]
    assert totals == [91_799] * 11 + [91_798]
    assert schedule.totals["interest"] == 101_587


def test_a_fee_free_per_period_loan_discloses_its_contract_rate() -> None:
    apr = apr_of_schedule(build_schedule(_cash_loan()))
    assert abs(apr.nominal - Decimal("0.1825")) < Decimal("1e-5")  # only fen rounding differs


def test_1250_in_four_at_zero_percent_to_whole_yuan_half_even_is_312_312_312_314() -> None:
    terms = _cash_loan(principal_fen=125_000, installments=4, annual_rate=Decimal(0),
                       installment_multiple_fen=100, rounding=Rounding.HALF_EVEN)
    assert [i.total_fen for i in build_schedule(terms).installments] == [31_200] * 3 + [31_400]


def test_1250_in_four_at_zero_percent_to_whole_yuan_half_up_is_313_313_313_311() -> None:
    terms = _cash_loan(principal_fen=125_000, installments=4, annual_rate=Decimal(0),
                       installment_multiple_fen=100, rounding=Rounding.HALF_UP)
    assert [i.total_fen for i in build_schedule(terms).installments] == [31_300] * 3 + [31_100]


def test_flat_fee_of_point_six_percent_is_1072_a_month() -> None:
    terms = _cash_loan(principal_fen=1_200_000, method=Method.FLAT_FEE, annual_rate=Decimal(0),
                       fee_rate_per_installment=Decimal("0.006"))
    assert [i.total_fen for i in build_schedule(terms).installments] == [107_200] * 12


def test_flat_fee_of_point_six_percent_has_apr_of_13_03_percent() -> None:
    terms = _cash_loan(principal_fen=1_200_000, method=Method.FLAT_FEE, annual_rate=Decimal(0),
                       fee_rate_per_installment=Decimal("0.006"))
    apr = apr_of_schedule(build_schedule(terms))
    assert format_rate(apr.nominal) == "0.130342"  # 单利, not the naive 7.2%
    assert format_rate(apr.effective) == "0.138418"  # 复利


def test_due_dates_from_january_31_clamp_to_each_month_end() -> None:
    schedule = build_schedule(_cash_loan(start=date(2023, 1, 31), installments=4))
    assert [i.due_date for i in schedule.installments] == [
        date(2023, 2, 28), date(2023, 3, 31), date(2023, 4, 30), date(2023, 5, 31),
    ]


def test_daily_interest_on_act_365_charges_29_days_of_a_leap_february() -> None:
    terms = _cash_loan(start=date(2024, 1, 31), installments=2, method=Method.INTEREST_FIRST,
                       interest_mode=InterestMode.DAILY)
    first, second = build_schedule(terms).installments
    assert first.due_date == date(2024, 2, 29)
    assert first.interest_fen == 1_000_000 * 5 * 29 // 10_000  # 0.05% x 29 days = 145.00
    assert second.interest_fen == 1_000_000 * 5 * 31 // 10_000  # to 31 March


def test_a_bullet_loan_discloses_its_rate_over_one_period_of_the_whole_term() -> None:
    terms = _cash_loan(method=Method.BULLET, annual_rate=Decimal("0.12"), installments=6)
    schedule = build_schedule(terms)
    assert [i.total_fen for i in schedule.installments] == [1_060_000]
    assert format_rate(apr_of_schedule(schedule).nominal) == "0.120000"
