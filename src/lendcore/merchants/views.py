"""What a merchant looks like to a caller.

    >>> from datetime import date
    >>> merchant(Merchant("mi-mall", "小米商城", "active", "electronics", date(2026, 1, 5)))
    {'merchant_id': 'mi-mall', 'name': '小米商城', 'status': 'active', 'category': 'electronics', \
'registered_on': '2026-01-05'}
"""

from __future__ import annotations

from typing import Any

from lendcore.merchants.model import Merchant


def merchant(value: Merchant) -> dict[str, Any]:
    return {"merchant_id": value.merchant_id, "name": value.name, "status": value.status,
            "category": value.category, "registered_on": value.registered_on.isoformat()}


def merchants(values: list[Merchant]) -> dict[str, Any]:
    return {"merchants": [merchant(v) for v in values]}
