"""Configuration may tighten the rules, never loosen them."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from lendcore.collections.config import Action, AssigneeKind, load_config, parse_config
from lendcore.errors import InvalidInput, RuleViolation


def test_the_shipped_config_loads_with_the_policy_window_and_the_rule_limits() -> None:
    cfg = load_config()
    assert (cfg.window_start, cfg.window_end) == (time(8), time(21))
    assert cfg.answered_calls_per_borrower_per_day == 3
    assert cfg.attempts_per_number_per_day == 6
    assert cfg.max_plan_installments == 60
    m4 = cfg.strategy_for("M4")
    assert m4 is not None and m4.assignee is AssigneeKind.AGENCY
    assert m4.action is Action.OUTSOURCE


@pytest.mark.parametrize(("window", "field"), [
    ({"start": "07:59", "end": "21:00"}, "window.start"),
    ({"start": "08:00", "end": "22:01"}, "window.end"),
    ({"start": "06:00", "end": "23:00"}, "window.start"),
])
def test_a_config_that_widens_the_window_past_08_00_22_00_is_refused(
        window: dict[str, str], field: str) -> None:
    with pytest.raises(RuleViolation) as err:
        parse_config({"window": window})
    assert err.value.field == field
    assert err.value.code == "config_loosens_rule"


def test_a_config_may_narrow_the_window_or_use_the_whole_legal_window() -> None:
    assert parse_config({"window": {"start": "09:00", "end": "20:00"}}).window_end == time(20)
    assert parse_config({"window": {"start": "08:00", "end": "22:00"}}).window_end == time(22)


@pytest.mark.parametrize(("raw", "field"), [
    ({"limits": {"answered_calls_per_borrower_per_day": 4}},
     "limits.answered_calls_per_borrower_per_day"),
    ({"limits": {"attempts_per_number_per_day": 7}}, "limits.attempts_per_number_per_day"),
    ({"limits": {"min_visit_collectors": 1}}, "limits.min_visit_collectors"),
    ({"limits": {"retention_years": 4}}, "limits.retention_years"),
    ({"plans": {"max_installments": 61}}, "plans.max_installments"),
    ({"complaints": {"standard_days": 16}}, "complaints.standard_days"),
    ({"complaints": {"max_days": 61}}, "complaints.max_days"),
])
def test_a_config_that_loosens_a_rule_limit_is_refused(raw: dict[str, object], field: str) -> None:
    with pytest.raises(RuleViolation) as err:
        parse_config(raw)
    assert err.value.field == field


def test_a_config_file_with_a_wider_window_fails_to_load(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[window]\nstart = "07:00"\nend = "21:00"\n', encoding="utf-8")
    with pytest.raises(RuleViolation):
        load_config(path)


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_config({"window": {"start": "20:00", "end": "09:00"}})
