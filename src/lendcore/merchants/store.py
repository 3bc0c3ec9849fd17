"""The only writer of ``merchants``.

Servicing asks :func:`lendcore.merchants.service.require_active` before a loan pays a
merchant; nothing else writes here. A merchant is registered once (a second registration of the
same id is a 409, also under a race: the primary key decides); its status changes through
:func:`set_status`. Every function takes the caller's connection and never commits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from lendcore.errors import Conflict, NotFound
from lendcore.store.merchant_tables import merchants


def get(conn: Connection, merchant_id: str) -> Any:
    """The merchant's row, or None."""
    return conn.execute(select(merchants).where(merchants.c.id == merchant_id)).first()


def get_or_404(conn: Connection, merchant_id: str) -> Any:
    row = get(conn, merchant_id)
    if row is None:
        raise NotFound(f"no registered merchant {merchant_id!r}", field="merchant_id")
    return row


def all_rows(conn: Connection, status: str | None = None) -> list[Any]:
    """The registered merchants (of one status, if given), by id."""
    query = select(merchants).order_by(merchants.c.id)
    if status is not None:
        query = query.where(merchants.c.status == status)
    return list(conn.execute(query).all())


def insert(conn: Connection, *, merchant_id: str, name: str, status: str, category: str,
           registered_on: date) -> None:
    """Register a merchant; one with this id exists already: 409, nothing changes."""
    if get(conn, merchant_id) is not None:
        raise _exists(merchant_id)
    try:
        with conn.begin_nested():
            conn.execute(merchants.insert().values(
                id=merchant_id, name=name, status=status, category=category,
                registered_on=registered_on))
    except IntegrityError as exc:  # a concurrent registration won the primary key
        raise _exists(merchant_id) from exc


def set_status(conn: Connection, merchant_id: str, status: str) -> None:
    conn.execute(merchants.update().where(merchants.c.id == merchant_id)
                 .values(status=status, version=merchants.c.version + 1))


def _exists(merchant_id: str) -> Conflict:
    return Conflict(f"merchant {merchant_id!r} is already registered; change its status "
                    "instead", field="merchant_id", code="merchant_exists")
