"""The product catalogue: reference products, validation naming file and field, cap at load."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from importlib import resources

import pytest

from lendcore.errors import InvalidInput, NotFound, RuleViolation
from lendcore.products.catalogue import get_product, load_catalogue, parse_product
from lendcore.products.model import (
    DEFAULT_ALLOCATION,
    Bucket,
    Classification,
    Component,
    ProductKind,
    RepaymentMethod,
)
from lendcore.products.pricing import (
    contract_rate,
    disclose_term,
    interest_free_plan,
    schedule_terms,
)
from lendcore.schedules.apr import format_rate


def _cash_line_text() -> str:
    folder = resources.files("lendcore.products").joinpath("data")
    return folder.joinpath("cash-line.toml").read_text("utf-8")


def test_the_catalogue_ships_the_two_reference_products() -> None:
    catalogue = load_catalogue()
    assert sorted(catalogue) == ["cash-line", "checkout-installment"]
    assert catalogue["cash-line"].kind is ProductKind.CASH_LINE
    assert catalogue["checkout-installment"].kind is ProductKind.CHECKOUT


def test_the_cash_line_lends_500_to_50000_with_the_policy_defaults() -> None:
    cash = get_product("cash-line")
    assert (cash.principal_min_fen, cash.principal_max_fen) == (50_000, 5_000_000)
    assert cash.penalty_multiplier == Decimal("1.5") and not cash.penalty_on_interest
    assert (cash.grace_days, cash.charge_off_dpd) == (3, 180)
    assert cash.reminder_days_before_due == (3, 1, 0)
    assert cash.classification is Classification.FIVE_CATEGORY_2023
    assert RepaymentMethod.PAY_ANY_TIME in cash.methods


def test_the_default_allocation_pays_past_due_penalty_then_interest_then_principal() -> None:
    order = get_product("checkout-installment").allocation_order
    assert order == DEFAULT_ALLOCATION
    past_due = [component for bucket, component in order if bucket is Bucket.PAST_DUE]
    assert past_due.index(Component.PENALTY) < past_due.index(Component.INTEREST) \
        < past_due.index(Component.PRINCIPAL)
    assert order[-1] == (Bucket.NOT_DUE, Component.PRINCIPAL)


@pytest.mark.parametrize("purpose", ["investment", "securities", "property", "Real-Estate",
                                     "股票", "购房", "理财", "stocks", ""])
def test_the_cash_line_takes_only_purposes_on_the_consumption_list(purpose: str) -> None:
    assert not get_product("cash-line").accepts_purpose(purpose)
    assert get_product("cash-line").accepts_purpose("appliances")


@pytest.mark.parametrize(("installments", "annual"), [
    (1, "0.1095"), (3, "0.1095"), (4, "0.146"), (6, "0.146"), (7, "0.1825"), (12, "0.1825"),
])
def test_the_cash_line_term_tiers_set_the_contract_rate(installments: int, annual: str) -> None:
    assert contract_rate(get_product("cash-line"), installments).annual == Decimal(annual)


def test_a_score_based_daily_rate_lowers_the_rate_but_the_tier_is_the_ceiling() -> None:
    cash = get_product("cash-line")
    assert contract_rate(cash, 12, Decimal("0.0002")).annual == Decimal("0.073")
    assert contract_rate(cash, 2, Decimal("0.0005")).annual == Decimal("0.1095")


def test_a_score_based_rate_outside_the_range_is_refused() -> None:
    with pytest.raises(InvalidInput, match="outside") as caught:
        contract_rate(get_product("cash-line"), 12, Decimal("0.0006"))
    assert caught.value.field == "daily_rate"


def test_an_installment_count_the_product_does_not_offer_is_refused() -> None:
    with pytest.raises(InvalidInput, match="3, 6, 12, 24"):
        contract_rate(get_product("checkout-installment"), 9)


def test_checkout_flat_fee_for_12_installments_discloses_13_03_percent() -> None:
    term = disclose_term(get_product("checkout-installment"), 12)
    assert format_rate(term.apr_nominal) == "0.130342"


def test_a_merchant_funded_promotion_charges_the_borrower_nothing_and_bills_the_merchant() -> None:
    plan = interest_free_plan(get_product("checkout-installment"), 1_200_000, 12,
                              date(2025, 6, 1))
    assert plan.borrower_schedule.totals["total"] == 1_200_000
    assert plan.merchant_subsidy_fen == 86_400  # 12 x 72.00, the fee the borrower would pay


def test_the_cash_line_has_no_merchant_funded_promotions() -> None:
    with pytest.raises(RuleViolation):
        interest_free_plan(get_product("cash-line"), 100_000, 3, date(2025, 6, 1))


@pytest.mark.parametrize(("principal", "accepted"), [
    (9_999, False), (10_000, True), (40_000, True), (5_000_000, True), (5_000_001, False)])
def test_schedule_terms_lend_from_the_minimum_draw_to_the_maximum(principal: int,
                                                                  accepted: bool) -> None:
    """From ``min_draw`` (100.00), not from the limit range's 500.00, up to 50,000.00."""
    cash = get_product("cash-line")
    if accepted:
        terms = schedule_terms(cash, RepaymentMethod.EQUAL_INSTALLMENT, principal, 3,
                               date(2025, 6, 1))
        assert terms.principal_fen == principal
        return
    with pytest.raises(InvalidInput) as caught:
        schedule_terms(cash, RepaymentMethod.EQUAL_INSTALLMENT, principal, 3, date(2025, 6, 1))
    assert caught.value.field == "principal"


def test_an_unknown_product_is_not_found() -> None:
    with pytest.raises(NotFound, match="cash-line"):
        get_product("payday")


@pytest.mark.parametrize(("old", "new", "field"), [
    ('daily_rate_min = "0.02%"', "daily_rate_min = 0.0002", "cash-line.toml: daily_rate_min"),
    ('grace_days = 3', 'grace_days = "3"', "cash-line.toml: grace_days"),
    ('kind = "cash_line"', 'kind = "payday"', "cash-line.toml: kind"),
    ('day_count = "ACT/365"', 'day_count = "ACT/999"', "cash-line.toml: day_count"),
    ('daily_rate = "0.04%"', 'daily_rate = "-0.04%"', "cash-line.toml: tiers[2].daily_rate"),
    ('"past_due.fee",', '"past_due.fees",', "cash-line.toml: allocation_order"),
    ('grace_days = 3', 'grace_days = 3\ngrace_dayz = 3', "cash-line.toml: grace_dayz"),
    ('installments_max = 12', 'installments_max = 11', "cash-line.toml: tiers"),
    ('principal_max = "50000"', 'principal_max = "50000.001"', "cash-line.toml: principal_max"),
])
def test_every_bad_field_is_refused_naming_the_file_and_the_field(
    old: str, new: str, field: str
) -> None:
    text = _cash_line_text()
    assert old in text
    with pytest.raises(InvalidInput) as caught:
        parse_product(text.replace(old, new, 1), "cash-line.toml")
    assert caught.value.field == field


def test_a_product_that_could_exceed_the_cap_is_refused_naming_product_term_and_rate() -> None:
    text = _cash_line_text().replace('daily_rate_max = "0.05%"', 'daily_rate_max = "0.07%"')
    text = text.replace('daily_rate = "0.05%"', 'daily_rate = "0.07%"')
    with pytest.raises(RuleViolation, match=r"cash-line: 7 installments .* 25\.55% a year") as c:
        parse_product(text, "cash-line.toml")
    assert c.value.code == "rate_over_cap"
