"""Customers and their credit lines as values (integer fen, rates in parts per billion).

A credit line is a revolving limit on one product: ``limit_fen`` is what the customer may owe
on it at most, ``used_fen`` what the open loans on it hold. A 20,000.00 CNY line with 5,000.00
drawn has 15,000.00 available::

    >>> Line(1, 7, "cash-line", 2_000_000, 500_000, False, None, "open", None,
    ...      date(2026, 1, 5)).available_fen
    1500000

A limit changes only through a logged change (:class:`LimitChanged`), which names its reason,
the decision or review it rests on, and who made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Line:
    line_id: int
    customer_id: int
    product: str
    limit_fen: int
    used_fen: int
    frozen: bool
    frozen_reason: str | None
    status: str  # open | closed
    daily_rate_ppb: int | None
    opened_on: date

    @property
    def available_fen(self) -> int:
        return self.limit_fen - self.used_fen


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: int
    name_masked: str
    timezone: str
    external_ref: str | None
    created_on: date
    lines: tuple[Line, ...] = ()
    # Masks only (domain rule 10); the sealed values are read through the audited path.
    id_number_masked: str | None = None
    mobile_masked: str | None = None


@dataclass(frozen=True, slots=True)
class LimitChanged:
    """One logged change of a line (a ``limit_changes`` row) and the line after it."""

    line: Line
    action: str  # open | raise | cut | freeze | unfreeze | close
    old_limit_fen: int
    new_limit_fen: int
    reason: str
    business_date: date
    actor: str
    decision_id: int | None = None
    review_id: int | None = None
