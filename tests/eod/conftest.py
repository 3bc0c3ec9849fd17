"""EOD test helpers: a generated book in the test database, and the per-loan reference for it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select

from lendcore.eod.convert import installment_dicts, loan_row
from lendcore.servicing import repository
from lendcore.servicing.model import LoanState
from lendcore.servicing.replay import replay
from lendcore.store.servicing_tables import installments, loans
from lendcore_tools.portfolio.generate import generate

BUSINESS_DATE = date(2026, 3, 1)
SKIP_CLOSED = {"accrued_through", "bucket", "risk_class", "next_due_date"}


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def generate_book(engine: Engine, loans_count: int, seed: int = 11) -> None:
    generate(url_of(engine), loans_count, seed, BUSINESS_DATE, workers=1)


def reference(conn: Connection, loan_id: int, business_date: date) -> tuple[Any, LoanState]:
    """The loan's row and what replaying its events to ``business_date`` gives."""
    row = conn.execute(select(loans).where(loans.c.id == loan_id)).one()
    events = repository.events(conn, loan_id)
    return row, replay(repository.terms_from_row(row), events, business_date)


def assert_row_is_reference(conn: Connection, loan_id: int, business_date: date) -> None:
    row, state = reference(conn, loan_id, business_date)
    want = loan_row(state)
    got = row._asdict()
    skip = {"version", *(SKIP_CLOSED if state.status.value == "closed" else ())}
    diff = {k: (got[k], v) for k, v in want.items()
            if k not in skip and k in got and _norm(got[k]) != _norm(v)}
    assert not diff, f"loan {loan_id}: row != replay: {diff}"
    rows = [r._asdict() for r in conn.execute(
        select(installments).where(installments.c.loan_id == loan_id)
        .order_by(installments.c.number))]
    assert [_clean(r) for r in rows] == [_clean(r) for r in installment_dicts(state)]


def _norm(v: Any) -> Any:
    return int(v) if isinstance(v, bool) else v


def _clean(r: dict[str, Any]) -> dict[str, Any]:
    return {k: _norm(v) for k, v in r.items()}


@pytest.fixture()
def book(engine: Engine) -> Engine:
    generate_book(engine, 400)
    return engine
