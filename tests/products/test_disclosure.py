"""Disclosures agree with each other (issue #14, item 2; domain.md s2-s3).

A daily rate and the disclosed annual rate never disagree: 0.04% a day is 14.60% a year, and a
loan charging it discloses 14.60% (APR 单利) whatever its calendar. Every product table shows
rates and fees in one unit (percent) and says which rate is which.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lendcore.cli import _mount, app
from lendcore.errors import InvalidInput
from lendcore.products.catalogue import get_product
from lendcore.products.listing import catalogue_rows
from lendcore.products.pricing import disclose_prices
from lendcore.rates import AnnualRate, DayCount, format_percent, parse_rate
from lendcore.schedules import InterestMode, Method, ScheduleTerms, build_schedule
from lendcore.schedules.apr import (
    apr_of_dated_cash_flows,
    apr_of_schedule,
    flat_fee_equivalent_rate,
    periodic_irr,
)

CAP = Decimal("0.24")
FOUR_BP_A_DAY = AnnualRate.from_daily(Decimal("0.0004"), DayCount.ACT_365).annual  # 0.146


def _daily_loan(method: Method, start: date, principal_fen: int = 5_000_000,
                installments: int = 6, annual: Decimal = FOUR_BP_A_DAY) -> ScheduleTerms:
    return ScheduleTerms(principal_fen, installments, method, annual, start,
                         interest_mode=InterestMode.DAILY)


# -- the annual rate of a daily rate ---------------------------------------------------------
def test_a_loan_charging_4_basis_points_a_day_from_1_july_discloses_14_60_not_14_79() -> None:
    schedule = build_schedule(_daily_loan(Method.EQUAL_PRINCIPAL, date(2025, 7, 1),
                                          installments=4))
    assert round(apr_of_schedule(schedule).nominal, 4) == Decimal("0.1460")
    # Counting each installment as a twelfth of a year, July and August's 31 days would show:
    months = periodic_irr(schedule.cash_flows_fen()) * 12
    assert round(months, 4) == Decimal("0.1479")


@pytest.mark.parametrize("start", [date(2025, 1, 31), date(2025, 2, 1), date(2025, 7, 1),
                                   date(2024, 2, 29)])
@pytest.mark.parametrize("method", list(Method))
def test_every_method_at_4_basis_points_a_day_discloses_14_60_on_any_start(
        method: Method, start: date) -> None:
    apr = apr_of_schedule(build_schedule(_daily_loan(method, start))).nominal
    assert abs(apr - FOUR_BP_A_DAY) < Decimal("0.000005")  # 14.60% to the disclosed 4 places


@settings(max_examples=300, deadline=None)
@given(principal_fen=st.integers(min_value=50_000, max_value=5_000_000),
       installments=st.sampled_from([1, 2, 3, 6, 9, 12, 24]),
       method=st.sampled_from([m for m in Method if m is not Method.FLAT_FEE]),
       daily_bp=st.integers(min_value=1, max_value=6),
       start=st.integers(min_value=0, max_value=3_650).map(
           lambda d: date(2020, 1, 1) + timedelta(d)))
def test_a_fee_free_daily_loan_discloses_its_contract_rate_within_fen_rounding_on_any_calendar(
        principal_fen: int, installments: int, method: Method, daily_bp: int,
        start: date) -> None:
    annual = AnnualRate.from_daily(Decimal(daily_bp) / 10_000).annual
    terms = _daily_loan(method, start, principal_fen, installments, annual)
    apr = apr_of_schedule(build_schedule(terms)).nominal
    # Each installment's interest is rounded to half a fen at most: over a year of installments
    # that moves the rate by at most 12 half-fen on the smallest balance's interest.
    assert abs(apr - annual) <= Decimal(12) / principal_fen


def test_a_per_period_loan_still_counts_each_installment_as_a_twelfth_of_a_year() -> None:
    terms = ScheduleTerms(1_200_000, 12, Method.FLAT_FEE, Decimal(0), date(2025, 7, 1),
                          fee_rate_per_installment=Decimal("0.006"))
    assert round(apr_of_schedule(build_schedule(terms)).nominal, 6) == Decimal("0.130342")


# -- the dated solver, worked by hand ----------------------------------------------------------
def test_10000_repaid_with_124_interest_after_31_days_is_14_60_percent_on_act_365() -> None:
    apr = apr_of_dated_cash_flows([-1_000_000, 1_012_400], [31], 365)
    assert apr.nominal == Decimal("0.146")  # 124 / 10,000 x 365 / 31, exactly


def test_two_daily_periods_compound_at_the_installment_and_stay_simple_inside() -> None:
    # 10,000 at 0.04%/day: 31 days (124.00 interest, 5,000 principal), then 28 days on 5,000
    # (56.00 interest): the rate that discounts both exactly is 14.60%.
    apr = apr_of_dated_cash_flows([-1_000_000, 512_400, 505_600], [31, 28], 365)
    assert abs(apr.nominal - Decimal("0.146")) < Decimal("1e-20")


def test_equal_30_day_periods_on_30_360_agree_with_the_monthly_irr() -> None:
    flows = [-1_200_000] + [107_200] * 12
    dated = apr_of_dated_cash_flows(flows, [30] * 12, 360).nominal
    assert abs(dated - periodic_irr(flows) * 12) < Decimal("1e-20")


@pytest.mark.parametrize(("days", "basis", "field"), [
    ([31], 365, "period_days"), ([31, 0], 365, "period_days"), ([31, 28], 0, "basis_days"),
])
def test_the_dated_solver_refuses_periods_that_do_not_fit_the_flows(
        days: list[int], basis: int, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        apr_of_dated_cash_flows([-1_000_000, 512_400, 505_600], days, basis)
    assert caught.value.field == field


# -- a flat fee's equivalent annual rate ------------------------------------------------------
@pytest.mark.parametrize(("fee", "n", "rate"), [
    ("0.006", 12, "0.130342"), ("0.008", 3, "0.143432"), ("0.007", 6, "0.142596"),
    ("0", 12, "0.000000"),
])
def test_a_flat_fee_has_an_equivalent_annual_rate_by_irr_not_fee_times_12(
        fee: str, n: int, rate: str) -> None:
    assert flat_fee_equivalent_rate(Decimal(fee), n) == Decimal(rate)


@pytest.mark.parametrize("principal_fen", [10_000, 399_900, 1_200_000, 5_000_000])
def test_the_fee_equivalent_rate_is_a_loans_apr_up_to_its_fen_rounding(
        principal_fen: int) -> None:
    terms = ScheduleTerms(principal_fen, 12, Method.FLAT_FEE, Decimal(0), date(2026, 1, 5),
                          fee_rate_per_installment=Decimal("0.006"))
    apr = apr_of_schedule(build_schedule(terms)).nominal
    assert abs(apr - flat_fee_equivalent_rate(Decimal("0.006"), 12)) <= Decimal(
        12) / principal_fen


# -- the product table ------------------------------------------------------------------------
@pytest.mark.parametrize(("installments", "daily", "annual"), [
    (3, "0.03%", "10.95%"), (4, "0.04%", "14.60%"), (6, "0.04%", "14.60%"),
    (7, "0.05%", "18.25%"), (12, "0.05%", "18.25%"),
])
def test_the_cash_line_shows_one_rate_a_day_a_year_and_as_apr(
        installments: int, daily: str, annual: str) -> None:
    row = next(r for r in catalogue_rows() if r["code"] == "cash-line")
    terms = [t for t in row["terms"] if t["installments"] == installments]
    assert len(terms) == 1  # every method charges the same: one price
    term = terms[0]
    assert (term["contract_rate_daily"], term["contract_rate_annual"], term["apr_nominal"]) == (
        daily, annual, annual)
    assert set(term["methods"]) == set(row["methods"])


def test_the_checkout_table_lists_the_fee_and_the_interest_price_apart() -> None:
    row = next(r for r in catalogue_rows() if r["code"] == "checkout-installment")
    twelve = {t["method"]: t for t in row["terms"] if t["installments"] == 12}
    assert twelve["flat-fee"] == {
        "installments": 12, "method": "flat-fee", "methods": ["flat-fee"],
        "contract_rate_annual": None, "contract_rate_daily": None,
        "fee_rate_per_installment": "0.60%", "apr_nominal": "13.0342%",
        "penalty_rate_annual": "19.5513%"}
    assert twelve["equal-installment"]["contract_rate_annual"] == "13.00%"
    assert twelve["equal-installment"]["fee_rate_per_installment"] == "0.00%"
    assert twelve["equal-installment"]["apr_nominal"] == "13.00%"
    assert twelve["equal-installment"]["penalty_rate_annual"] == "19.50%"


def test_every_rate_and_fee_in_the_product_table_is_a_percentage() -> None:
    rate_keys = ("contract_rate_annual", "contract_rate_daily", "fee_rate_per_installment",
                 "apr_nominal", "penalty_rate_annual")
    seen = 0
    for row in catalogue_rows():
        for text in row["daily_rate_range"] or []:
            assert parse_rate(text) == Decimal(text.rstrip("%")) / 100 and text.endswith("%")
        for term in row["terms"]:
            for key in rate_keys:
                if term[key] is not None:
                    assert term[key].endswith("%"), (row["code"], key, term[key])
                    assert parse_rate(term[key]) >= 0
                    seen += 1
    assert seen > 50


def test_the_disclosed_apr_of_a_price_is_never_below_its_contract_rate() -> None:
    for code in ("cash-line", "checkout-installment"):
        product = get_product(code)
        for n in product.installment_counts:
            for price in disclose_prices(product, n, CAP):
                if price.contract_rate is not None:
                    assert price.apr_nominal >= round(price.contract_rate.annual, 6)


def test_the_products_command_names_each_rate_and_explains_how_they_relate() -> None:
    _mount()
    result = CliRunner().invoke(app, ["products"], env={"COLUMNS": "220"})
    assert result.exit_code == 0
    out = result.stdout
    for heading in ("contract rate a year (ACT/365)", "contract rate a day", "fee / installment",
                    "APR 单利 (IRR, all-in)", "penalty a year"):
        assert heading in out
    assert "with no fee it equals the contract rate" in out
    assert "1.5 x the contract rate" in out
    assert "18.43%" not in out  # the old APR beside an 18.25% rate, unexplained
    rows = json.loads(CliRunner().invoke(app, ["products", "--json"]).stdout)
    assert rows == catalogue_rows()


@pytest.mark.parametrize(("rate", "text"), [
    ("0.1825", "18.25%"), ("0.0004", "0.04%"), ("0.006", "0.60%"), ("0.130342", "13.0342%"),
    ("0.24", "24.00%"), ("0.27375", "27.375%"), ("0", "0.00%"), ("0.000000001", "0.0000001%"),
])
def test_a_rate_is_shown_as_an_exact_percentage(rate: str, text: str) -> None:
    assert format_percent(Decimal(rate)) == text
