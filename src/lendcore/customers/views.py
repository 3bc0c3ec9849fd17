"""What a customer, a line and a limit change look like to a caller: yuan strings, dates.

    >>> from datetime import date
    >>> from lendcore.customers.model import Line
    >>> line(Line(1, 7, "cash-line", 2_000_000, 500_000, False, None, "open", 500_000,
    ...           date(2026, 1, 5)))["available"]
    '15000.00'
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lendcore.customers.model import Customer, LimitChanged, Line
from lendcore.money import format_yuan
from lendcore.rates import PPB


def line(value: Line) -> dict[str, Any]:
    return {
        "line_id": value.line_id, "customer_id": value.customer_id, "product": value.product,
        "limit": format_yuan(value.limit_fen), "used": format_yuan(value.used_fen),
        "available": format_yuan(value.available_fen), "frozen": value.frozen,
        "frozen_reason": value.frozen_reason, "status": value.status,
        "daily_rate": None if value.daily_rate_ppb is None
        else str(Decimal(value.daily_rate_ppb) / PPB),
        "opened_on": value.opened_on.isoformat(),
    }


def customer(value: Customer) -> dict[str, Any]:
    return {
        "customer_id": value.customer_id, "name_masked": value.name_masked,
        "id_number_masked": value.id_number_masked, "mobile_masked": value.mobile_masked,
        "timezone": value.timezone, "external_ref": value.external_ref,
        "created_on": value.created_on.isoformat(),
        "lines": [line(x) for x in value.lines],
    }


def limit_changed(value: LimitChanged) -> dict[str, Any]:
    return {
        "line": line(value.line),
        "change": {
            "action": value.action, "old_limit": format_yuan(value.old_limit_fen),
            "new_limit": format_yuan(value.new_limit_fen), "reason": value.reason,
            "decision_id": value.decision_id, "review_id": value.review_id,
            "actor": value.actor, "business_date": value.business_date.isoformat(),
        },
    }
