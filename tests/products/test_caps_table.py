"""The dated caps table: 24% hard cap, 20% target and the one-year LPR by effective date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lendcore.caps import check_all_in_rate, load_caps, parse_caps
from lendcore.errors import InvalidInput, RuleViolation


@pytest.mark.parametrize(("day", "lpr"), [
    (date(2023, 8, 20), None),
    (date(2023, 8, 21), "0.0345"),
    (date(2024, 7, 21), "0.0345"),
    (date(2024, 7, 22), "0.0335"),
    (date(2024, 10, 21), "0.031"),
    (date(2025, 5, 19), "0.031"),
    (date(2025, 5, 20), "0.03"),
    (date(2026, 1, 1), "0.03"),
])
def test_the_lpr_in_force_changes_on_each_effective_date(day: date, lpr: str | None) -> None:
    found = load_caps().on(day).lpr_one_year
    assert found == (Decimal(lpr) if lpr else None)


def test_the_hard_cap_is_24_percent_and_the_target_20() -> None:
    caps = load_caps().on(date(2025, 6, 1))
    assert (caps.hard_cap, caps.target_new_loans) == (Decimal("0.24"), Decimal("0.2"))


def test_over_the_cap_is_a_rule_violation_and_over_the_target_a_warning() -> None:
    caps = load_caps().on(date(2025, 6, 1))
    assert check_all_in_rate(Decimal("0.2"), caps) == ()
    assert check_all_in_rate(Decimal("0.21"), caps) != ()
    with pytest.raises(RuleViolation, match=r"24\.5%"):
        check_all_in_rate(Decimal("0.245"), caps)


def test_a_float_rate_in_the_caps_file_is_refused_naming_file_and_field() -> None:
    text = '[[all_in_cap]]\neffective_from = "2000-01-01"\nhard_cap = 0.24\n' \
           'target_new_loans = "20%"\n[[lpr_one_year]]\neffective_from = "2023-08-21"\n' \
           'rate = "3.45%"\n'
    with pytest.raises(InvalidInput) as caught:
        parse_caps(text, "caps.toml")
    assert caught.value.field == "caps.toml: all_in_cap[1].hard_cap"


def test_lpr_rows_out_of_date_order_are_refused() -> None:
    text = '[[all_in_cap]]\neffective_from = "2000-01-01"\nhard_cap = "24%"\n' \
           'target_new_loans = "20%"\n' \
           '[[lpr_one_year]]\neffective_from = "2024-07-22"\nrate = "3.35%"\n' \
           '[[lpr_one_year]]\neffective_from = "2023-08-21"\nrate = "3.45%"\n'
    with pytest.raises(InvalidInput, match="not after") as caught:
        parse_caps(text, "caps.toml")
    assert caught.value.field == "caps.toml: lpr_one_year[2].effective_from"
