"""A registered merchant as a value.

A merchant is paid by loans: a checkout loan pays it for an order, a draw pays it on the
borrower's behalf (受托支付). Only an ``active`` merchant is paid; a ``suspended`` one keeps its
loans but gets no new one. The registry's later fields (settlement terms T+N, subsidy terms)
come with the full registry::

    >>> Merchant("mi-mall", "小米商城", "active", "electronics", date(2026, 1, 5)).active
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

STATUSES = ("active", "suspended")
# A goods category is a slug: the same rule as an order item's category.
CATEGORY_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
CATEGORY_RULE = ("1 to 32 lower-case ASCII letters, digits or _, starting with a letter "
                 "(e.g. electronics)")
NAME_MAX = 128


@dataclass(frozen=True, slots=True)
class Merchant:
    merchant_id: str
    name: str
    status: str  # one of STATUSES
    category: str
    registered_on: date

    @property
    def active(self) -> bool:
        return self.status == "active"
