"""Collections configuration: the contact window, the limits, strategies per bucket.

The shipped file is ``data/collections.toml``. Numbers that come from regulation (domain.md
section 7) are hard limits: a configuration may *tighten* them and never loosen them, and
loading one that loosens them is an error, not a silent clamp::

    >>> parse_config({"window": {"start": "07:30", "end": "21:00"}})
    Traceback (most recent call last):
    RuleViolation: window.start: the internal window may not open before 08:00 (rule: no contact
    22:00-08:00); got 07:30

Everything missing from a partial config takes the rule's value (or the policy default), so a
test or an operator can override one number.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from lendcore.errors import InvalidInput, RuleViolation

# Rule limits (domain.md section 7): the loosest value a configuration may hold.
RULE_EARLIEST = time(8, 0)
RULE_LATEST = time(22, 0)
RULE_ANSWERED_CALLS_PER_DAY = 3
RULE_ATTEMPTS_PER_NUMBER_PER_DAY = 6
RULE_MIN_VISIT_COLLECTORS = 2
RULE_RETENTION_YEARS = 5
RULE_MAX_PLAN_INSTALLMENTS = 60
RULE_COMPLAINT_STANDARD_DAYS = 15
RULE_COMPLAINT_COMPLEX_DAYS = 30
RULE_COMPLAINT_MAX_DAYS = 60
RULE_CLASS_FLOOR_MONTHS = 12

BUCKETS = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7")


class Channel(enum.Enum):
    CALL = "call"
    SMS = "sms"
    APP = "app"
    VISIT = "visit"


class Action(enum.Enum):
    """The escalation ladder, weakest first (the order of declaration is the order)."""

    REMINDER = "reminder"
    IN_HOUSE_CALL = "in_house_call"
    INTENSIVE_CALL = "intensive_call"
    OUTSOURCE = "outsource"
    LEGAL_REFERRAL = "legal_referral"

    @property
    def rung(self) -> int:
        return list(Action).index(self)


class AssigneeKind(enum.Enum):
    IN_HOUSE = "in_house"
    AGENCY = "agency"


@dataclass(frozen=True, slots=True)
class Strategy:
    action: Action
    channels: frozenset[Channel]
    assignee: AssigneeKind


@dataclass(frozen=True, slots=True)
class CollectionsConfig:
    window_start: time = time(8, 0)
    window_end: time = time(21, 0)
    answered_calls_per_borrower_per_day: int = RULE_ANSWERED_CALLS_PER_DAY
    attempts_per_number_per_day: int = RULE_ATTEMPTS_PER_NUMBER_PER_DAY
    min_visit_collectors: int = RULE_MIN_VISIT_COLLECTORS
    retention_years: int = RULE_RETENTION_YEARS
    legal_referral_dpd: int = 180
    # Home visits (policy, seed 003: only for a borrower long overdue and unreachable): the
    # case's max DPD must be above ``visit_min_dpd``, and in the last ``unreachable_days``
    # borrower-local days nobody answered a call or met a visit while at least
    # ``unreachable_attempts`` calls or visits to the borrower failed.
    visit_min_dpd: int = 90
    unreachable_days: int = 30
    unreachable_attempts: int = 10
    max_plan_installments: int = RULE_MAX_PLAN_INSTALLMENTS
    max_interest_waiver_ratio: Decimal = Decimal("0.5")
    class_floor_months: int = RULE_CLASS_FLOOR_MONTHS
    complaint_standard_days: int = RULE_COMPLAINT_STANDARD_DAYS
    complaint_complex_days: int = RULE_COMPLAINT_COMPLEX_DAYS
    complaint_max_days: int = RULE_COMPLAINT_MAX_DAYS
    strategies: Mapping[str, Strategy] = field(default_factory=dict)

    def strategy_for(self, bucket: str) -> Strategy | None:
        return self.strategies.get(bucket)


def _time(value: object, fld: str) -> time:
    try:
        hours, minutes = str(value).strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise InvalidInput(f"{value!r} is not a time; use HH:MM", field=fld) from None


def _int(section: Mapping[str, Any], key: str, default: int, fld: str) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"must be a whole number, got {value!r}", field=fld)
    return value


def _at_most(value: int, limit: int, fld: str) -> int:
    if value > limit:
        raise RuleViolation(f"may not exceed {limit} (rule); got {value}", field=fld,
                            code="config_loosens_rule")
    if value < 1:
        raise InvalidInput("must be at least 1", field=fld)
    return value


def _at_least(value: int, limit: int, fld: str) -> int:
    if value < limit:
        raise RuleViolation(f"may not be below {limit} (rule); got {value}", field=fld,
                            code="config_loosens_rule")
    return value


def _window(section: Mapping[str, Any]) -> tuple[time, time]:
    start = _time(section.get("start", "08:00"), "window.start")
    end = _time(section.get("end", "21:00"), "window.end")
    if start < RULE_EARLIEST:
        raise RuleViolation(
            f"the internal window may not open before 08:00 (rule: no contact 22:00-08:00); "
            f"got {start:%H:%M}", field="window.start", code="config_loosens_rule")
    if end > RULE_LATEST:
        raise RuleViolation(
            f"the internal window may not close after 22:00 (rule: no contact 22:00-08:00); "
            f"got {end:%H:%M}", field="window.end", code="config_loosens_rule")
    if start >= end:
        raise InvalidInput("must be before window.end", field="window.start")
    return start, end


def _strategies(section: Mapping[str, Any]) -> dict[str, Strategy]:
    result: dict[str, Strategy] = {}
    for bucket, raw in section.items():
        fld = f"strategies.{bucket}"
        if bucket not in BUCKETS[1:]:
            raise InvalidInput(f"unknown bucket {bucket!r}; accepted M1..M7", field=fld)
        try:
            action = Action(raw["action"])
            channels = frozenset(Channel(c) for c in raw["channels"])
            assignee = AssigneeKind(raw["assignee"])
        except (KeyError, ValueError, TypeError) as exc:
            raise InvalidInput(f"needs action, channels and assignee: {exc}", field=fld) from None
        if action is Action.OUTSOURCE and assignee is not AssigneeKind.AGENCY:
            raise InvalidInput("outsource needs assignee = agency", field=fld)
        result[bucket] = Strategy(action, channels, assignee)
    return result


def _between(value: int, low: int, high: int, fld: str) -> int:
    if not low <= value <= high:
        raise InvalidInput(f"must be from {low} to {high}; got {value}", field=fld)
    return value


def _visits(section: Mapping[str, Any]) -> dict[str, int]:
    """The home-visit policy: all three numbers bounded (the history a visit reads is too)."""
    return {
        "visit_min_dpd": _between(_int(section, "min_dpd", 90, "visits.min_dpd"), 1, 10_000,
                                  "visits.min_dpd"),
        "unreachable_days": _between(_int(section, "unreachable_days", 30,
                                          "visits.unreachable_days"), 1, 365,
                                     "visits.unreachable_days"),
        "unreachable_attempts": _between(_int(section, "unreachable_attempts", 10,
                                              "visits.unreachable_attempts"), 1, 1_000,
                                         "visits.unreachable_attempts"),
    }


def parse_config(raw: Mapping[str, Any]) -> CollectionsConfig:
    """Validate a config mapping (as read from TOML or JSON); refuse anything looser than a rule."""
    start, end = _window(raw.get("window", {}))
    limits = raw.get("limits", {})
    plans = raw.get("plans", {})
    complaints = raw.get("complaints", {})
    legal = raw.get("legal", {})
    try:
        ratio = Decimal(str(plans.get("max_interest_waiver_ratio", "0.5")))
    except InvalidOperation:
        raise InvalidInput("must be a decimal such as \"0.5\"",
                           field="plans.max_interest_waiver_ratio") from None
    if not Decimal(0) <= ratio <= Decimal(1):
        raise InvalidInput("must be from 0 to 1", field="plans.max_interest_waiver_ratio")
    standard = _at_most(_int(complaints, "standard_days", 15, "complaints.standard_days"),
                        RULE_COMPLAINT_STANDARD_DAYS, "complaints.standard_days")
    complex_days = _at_most(_int(complaints, "complex_days", 30, "complaints.complex_days"),
                            RULE_COMPLAINT_COMPLEX_DAYS, "complaints.complex_days")
    max_days = _at_most(_int(complaints, "max_days", 60, "complaints.max_days"),
                        RULE_COMPLAINT_MAX_DAYS, "complaints.max_days")
    if not standard <= complex_days <= max_days:
        raise InvalidInput("need standard_days <= complex_days <= max_days", field="complaints")
    return CollectionsConfig(
        window_start=start,
        window_end=end,
        answered_calls_per_borrower_per_day=_at_most(
            _int(limits, "answered_calls_per_borrower_per_day", 3, "limits.answered_calls"),
            RULE_ANSWERED_CALLS_PER_DAY, "limits.answered_calls_per_borrower_per_day"),
        attempts_per_number_per_day=_at_most(
            _int(limits, "attempts_per_number_per_day", 6, "limits.attempts"),
            RULE_ATTEMPTS_PER_NUMBER_PER_DAY, "limits.attempts_per_number_per_day"),
        min_visit_collectors=_at_least(
            _int(limits, "min_visit_collectors", 2, "limits.min_visit_collectors"),
            RULE_MIN_VISIT_COLLECTORS, "limits.min_visit_collectors"),
        retention_years=_at_least(
            _int(limits, "retention_years", 5, "limits.retention_years"),
            RULE_RETENTION_YEARS, "limits.retention_years"),
        legal_referral_dpd=_at_most(_int(legal, "referral_dpd", 180, "legal.referral_dpd"),
                                    10_000, "legal.referral_dpd"),
        max_plan_installments=_at_most(
            _int(plans, "max_installments", 60, "plans.max_installments"),
            RULE_MAX_PLAN_INSTALLMENTS, "plans.max_installments"),
        max_interest_waiver_ratio=ratio,
        class_floor_months=_at_least(
            _int(plans, "class_floor_months", 12, "plans.class_floor_months"),
            RULE_CLASS_FLOOR_MONTHS, "plans.class_floor_months"),
        complaint_standard_days=standard,
        complaint_complex_days=complex_days,
        complaint_max_days=max_days,
        strategies=_strategies(raw.get("strategies", {})),
        **_visits(raw.get("visits", {})),
    )


def load_config(path: Path | None = None) -> CollectionsConfig:
    """Load and validate a TOML config; without a path, the one shipped in the package."""
    if path is None:
        text = resources.files("lendcore.collections").joinpath("data/collections.toml")
        raw = tomllib.loads(text.read_text(encoding="utf-8"))
    else:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return parse_config(raw)


_DEFAULT: list[CollectionsConfig] = []


def default_config() -> CollectionsConfig:
    """The shipped configuration, loaded once."""
    if not _DEFAULT:
        _DEFAULT.append(load_config())
    return _DEFAULT[0]
