"""Minimal customers and loans rows for collections tests (servicing writes the real ones),
the business date, and an API client whose clock the test sets."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Boolean, Connection, Date, Engine, Integer, insert, update

from lendcore.ids import loan_id as make_loan_id
from lendcore.store.core_tables import customers
from lendcore.store.servicing_tables import loan_events, loans

D1 = date(2026, 3, 1)
_EDGES = ((0, "M0"), (30, "M1"), (60, "M2"), (90, "M3"), (120, "M4"), (150, "M5"), (180, "M6"))


def bucket_of(dpd: int) -> str:
    for upper, bucket in _EDGES:
        if dpd <= upper:
            return bucket
    return "M7"


def add_customer(conn: Connection, timezone: str = "Asia/Shanghai") -> int:
    key = conn.execute(insert(customers).values(
        name_masked="张**", timezone=timezone, created_on=date(2025, 1, 1))).inserted_primary_key
    assert key is not None
    return int(key[0])


def add_loan(conn: Connection, customer_id: int, number: int = 1, *, dpd: int = 0,
             overdue_principal_fen: int = 0, principal_outstanding_fen: int = 600_000,
             **extra: Any) -> int:
    lid = make_loan_id(customer_id, number)
    values: dict[str, Any] = dict(
        id=lid, customer_id=customer_id, product_code="cash", kind="draw",
        method="equal-installment", principal_fen=1_000_000, installments_count=12,
        start_date=date(2025, 6, 1), maturity_date=date(2026, 6, 1),
        annual_rate_ppb=182_500_000, penalty_rate_ppb=240_000_000, day_count="ACT/365",
        interest_mode="per-period", rounding="half-up", grace_days=3, charge_off_dpd=180,
        ladder="bank", status="active", principal_outstanding_fen=principal_outstanding_fen,
        dpd=dpd, bucket=bucket_of(dpd), overdue_principal_fen=overdue_principal_fen)
    values.update(extra)
    for column in loans.c:  # columns servicing adds later get a neutral placeholder
        if column.name not in values and not column.nullable and column.server_default is None:
            values[column.name] = _placeholder(column.type)
    conn.execute(insert(loans).values(**values))
    return lid


def _placeholder(type_: Any) -> Any:
    if isinstance(type_, Date):
        return date(2025, 6, 1)
    if isinstance(type_, Boolean):
        return False
    if isinstance(type_, Integer):  # BigInteger too
        return 0
    return ""


def set_loan(conn: Connection, loan_id: int, **values: Any) -> None:
    if "dpd" in values and "bucket" not in values:
        values["bucket"] = bucket_of(int(values["dpd"]))
    conn.execute(update(loans).where(loans.c.id == loan_id).values(**values))


def pay(conn: Connection, loan_id: int, on: date, amount_fen: int) -> None:
    conn.execute(insert(loan_events).values(loan_id=loan_id, kind="repayment",
                                            effective_date=on, amount_fen=amount_fen))


def open_day(conn: Connection, day: date) -> None:
    """Start the book on ``day`` or move its business date forward to it (as nights do)."""
    from lendcore.clock import (
        advance_business_date,
        business_date,
        has_business_date,
        init_business_date,
    )

    if not has_business_date(conn):
        init_business_date(conn, day)
        return
    current = business_date(conn)
    if current > day:
        raise ValueError(f"the business date is already {current}")
    while current < day:
        current = advance_business_date(conn, current)


def client(engine: Engine, now: str = "2026-03-02T10:00+08:00", *, user: str = "admin",
           roles: tuple[str, ...] = ("administrator",), agency: str | None = None,
           ) -> TestClient:
    """The real app with only access's (sign-in, four eyes) and collections' routers mounted
    (early plans' too),
    its clock at ``now``, signed in as ``user`` (added with ``roles`` and ``agency`` if new)."""
    from lendcore import wiring
    from lendcore.access import routes as access_routes
    from lendcore.api import app as api_app
    from lendcore.clock import SimulatedClock
    from lendcore.collections import early_routes, routes
    from tests.auth import headers

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(wiring, "routers", lambda: (access_routes.router, routes.router,
                                               early_routes.router))
        app = api_app.create_app(engine, clock=SimulatedClock(datetime.fromisoformat(now)))
    api = TestClient(app, raise_server_exceptions=False)
    if user:
        api.headers.update(headers(api, engine, user, *roles, agency=agency))
    return api


def as_user(api: TestClient, engine: Engine, user: str, *roles: str,
            agency: str | None = None) -> dict[str, str]:
    """The Authorization header of ``user`` on ``api`` (added with ``roles`` if new)."""
    from tests.auth import headers

    return headers(api, engine, user, *roles, agency=agency)


def set_clock(api: TestClient, now: str) -> None:
    from lendcore.clock import SimulatedClock

    api.app.state.clock = SimulatedClock(datetime.fromisoformat(now))  # type: ignore[attr-defined]
