"""Complaints: a deadline per complaint and a worklist with the overdue ones first.

A complaint (from any channel: call, app, letter, regulator referral, ...) is decided within 15
calendar days of receipt, 30 when marked complex, and 60 at most when an extension is approved
(who approved it and why are recorded). The deadline is computed from the receipt date, never
from today, so marking a complaint complex on day 14 gives it until day 30::

    >>> complaint_deadline(date(2026, 3, 1), complex_=False, extended_days=None, config=cfg)
    date(2026, 3, 16)
    >>> complaint_deadline(date(2026, 3, 1), complex_=True, extended_days=None, config=cfg)
    date(2026, 3, 31)

The worklist puts open complaints past their deadline first, then open ones by deadline, then
closed ones; ties by id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from lendcore.collections.config import CollectionsConfig
from lendcore.errors import InvalidInput, RuleViolation

CHANNELS = frozenset({"call", "app", "sms", "email", "letter", "visit", "regulator", "web"})


def complaint_deadline(received_on: date, *, complex_: bool, extended_days: int | None,
                       config: CollectionsConfig) -> date:
    days = config.complaint_complex_days if complex_ else config.complaint_standard_days
    if extended_days is not None:
        days = max(days, extended_days)
    return received_on + timedelta(days=days)


def check_extension(days: int, approved_by: str, reason: str, current_days: int,
                    config: CollectionsConfig) -> None:
    """An extension names its approver and reason and never goes past 60 days (rule)."""
    if days > config.complaint_max_days:
        raise RuleViolation(f"a complaint is decided within {config.complaint_max_days} days "
                            f"at most; got {days}", field="days")
    if days <= current_days:
        raise InvalidInput(f"must be more than the current {current_days} days", field="days")
    if not approved_by.strip():
        raise RuleViolation("an extension needs an approver", field="approved_by")
    if not reason.strip():
        raise RuleViolation("an extension needs a reason", field="reason")


def check_channel(channel: str) -> str:
    value = channel.strip().lower()
    if value not in CHANNELS:
        raise InvalidInput(f"unknown channel {channel!r}; accepted: "
                           f"{', '.join(sorted(CHANNELS))}", field="channel")
    return value


@dataclass(frozen=True, slots=True)
class ComplaintRow:
    id: int
    status: str  # open | resolved
    deadline: date


def is_overdue(row: ComplaintRow, business_date: date) -> bool:
    return row.status == "open" and business_date > row.deadline


def worklist_order(rows: Sequence[ComplaintRow], business_date: date) -> list[ComplaintRow]:
    def key(row: ComplaintRow) -> tuple[int, date, int]:
        if is_overdue(row, business_date):
            rank = 0
        elif row.status == "open":
            rank = 1
        else:
            rank = 2
        return (rank, row.deadline, row.id)

    return sorted(rows, key=key)
