"""Exact money: parsing refuses floats and sub-fen amounts; splits sum exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lendcore.errors import InvalidInput
from lendcore.money import Rounding, format_yuan, parse_yuan, round_to_multiple, split_fen, to_fen


def test_yuan_strings_with_up_to_two_decimals_parse_to_fen() -> None:
    assert parse_yuan("917.99") == 91_799
    assert parse_yuan("5000") == 500_000
    assert parse_yuan(5000) == 500_000
    assert parse_yuan(Decimal("0.01")) == 1


@pytest.mark.parametrize("value", [0.1, 917.99, 1e3])
def test_floats_are_refused_as_money(value: float) -> None:
    with pytest.raises(InvalidInput, match="not a float"):
        parse_yuan(value, "principal")


def test_an_amount_with_three_decimals_is_refused() -> None:
    with pytest.raises(InvalidInput, match="at most 2 decimals") as caught:
        parse_yuan("917.999", "principal")
    assert caught.value.field == "principal"


@pytest.mark.parametrize("text", ["abc", "", "nan", "inf", "-5", "0"])
def test_junk_negative_and_zero_amounts_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_yuan(text)


def test_zero_is_accepted_only_when_allowed() -> None:
    assert parse_yuan("0", allow_zero=True) == 0


def test_format_yuan_always_shows_two_decimals() -> None:
    assert format_yuan(91_799) == "917.99"
    assert format_yuan(5) == "0.05"
    assert format_yuan(-150) == "-1.50"


def test_half_up_and_half_even_differ_on_an_exact_half() -> None:
    assert to_fen(Decimal("2.5"), Rounding.HALF_UP) == 3
    assert to_fen(Decimal("2.5"), Rounding.HALF_EVEN) == 2
    assert round_to_multiple(Decimal(31_250), 100, Rounding.HALF_EVEN) == 31_200
    assert round_to_multiple(Decimal(31_250), 100, Rounding.HALF_UP) == 31_300


def test_a_split_of_one_yuan_in_three_sums_exactly_and_gives_the_extra_fen_first() -> None:
    assert split_fen(100, [1, 1, 1]) == [34, 33, 33]


@settings(max_examples=500, deadline=None)
@given(
    total=st.integers(min_value=0, max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=40).filter(
        lambda ws: sum(ws) > 0
    ),
)
def test_every_split_sums_exactly_and_no_share_is_off_by_more_than_a_fen(
    total: int, weights: list[int]
) -> None:
    shares = split_fen(total, weights)
    assert sum(shares) == total
    weight_sum = sum(weights)
    for share, weight in zip(shares, weights, strict=True):
        assert abs(Decimal(share) - Decimal(total) * weight / weight_sum) < 1
