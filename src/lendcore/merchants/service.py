"""The merchant registry's seed: register a merchant, list, suspend or reactivate it, and the
one question servicing asks before a loan pays a merchant (:func:`require_active`).

    add_merchant(uow, "mi-mall", "小米商城", "electronics")     # active from the business date
    require_active(conn, "mi-mall", field="payee")             # the Merchant, or a 422

An unknown merchant id (``"本人银行卡 6222"``, a typo) or a suspended merchant is refused with a
422 naming the caller's field, and nothing changes. Every function takes the caller's unit of
work or connection; writes go through ``merchants.store``.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection

from lendcore.clock import business_date
from lendcore.edge import check_identifier, check_text
from lendcore.errors import InvalidInput, RuleViolation
from lendcore.merchants import store
from lendcore.merchants.model import (
    CATEGORY_PATTERN,
    CATEGORY_RULE,
    NAME_MAX,
    STATUSES,
    Merchant,
)
from lendcore.store.uow import UnitOfWork


def add_merchant(uow: UnitOfWork, merchant_id: str, name: str, category: str,
                 status: str = "active") -> Merchant:
    """Register a merchant on the business date; an id registered already is a 409."""
    check_identifier(merchant_id, "merchant_id")
    check_text(name, "name", NAME_MAX)
    _check_category(category)
    _check_status(status)
    store.insert(uow.conn, merchant_id=merchant_id, name=name, status=status,
                 category=category, registered_on=business_date(uow.conn))
    return get_merchant(uow.conn, merchant_id)


def set_status(uow: UnitOfWork, merchant_id: str, status: str) -> Merchant:
    """Suspend or reactivate a merchant (its existing loans are not touched)."""
    _check_status(status)
    current = _merchant(store.get_or_404(uow.conn, merchant_id))
    if current.status == status:
        raise RuleViolation(f"merchant {merchant_id!r} is already {status}", field="status",
                            code="status_unchanged")
    store.set_status(uow.conn, merchant_id, status)
    return get_merchant(uow.conn, merchant_id)


def get_merchant(conn: Connection, merchant_id: str) -> Merchant:
    return _merchant(store.get_or_404(conn, merchant_id))


def list_merchants(conn: Connection, status: str | None = None) -> list[Merchant]:
    if status is not None:
        _check_status(status)
    return [_merchant(row) for row in store.all_rows(conn, status)]


def require_active(conn: Connection, merchant_id: str, *, field: str) -> Merchant:
    """The registered, active merchant ``merchant_id``, or a 422 naming ``field``."""
    row = store.get(conn, merchant_id)
    if row is None:
        raise RuleViolation(f"{merchant_id[:64]!r} is not a registered merchant; a loan pays "
                            "only a merchant in the registry (`lendcore merchants list`)",
                            field=field, code="merchant_not_registered")
    merchant = _merchant(row)
    if not merchant.active:
        raise RuleViolation(f"merchant {merchant_id!r} is {merchant.status}; a loan pays only an "
                            "active merchant", field=field, code="merchant_suspended")
    return merchant


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise InvalidInput(f"accepted: {', '.join(STATUSES)} (got {status[:32]!r})",
                           field="status")


def _check_category(category: str) -> None:
    if not re.fullmatch(CATEGORY_PATTERN, category):
        raise InvalidInput(f"must be {CATEGORY_RULE}", field="category")


def _merchant(row: Any) -> Merchant:
    return Merchant(merchant_id=row.id, name=row.name, status=row.status,
                    category=row.category, registered_on=row.registered_on)
