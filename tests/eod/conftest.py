"""EOD test helpers: a generated book in the test database, and the per-loan reference for it."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select

from lendcore.eod.convert import installment_dicts, loan_row
from lendcore.money import Rounding
from lendcore.portfolio.generate import generate
from lendcore.rates import DayCount
from lendcore.schedules.model import InterestMode
from lendcore.servicing.model import LoanState, LoanTerms, PrepaymentMode
from lendcore.servicing.replay import Event, replay
from lendcore.store.servicing_tables import installments, loan_events, loans

BUSINESS_DATE = date(2026, 3, 1)
SKIP_CLOSED = {"accrued_through", "bucket", "risk_class", "next_due_date"}


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def generate_book(engine: Engine, loans_count: int, seed: int = 11) -> None:
    generate(url_of(engine), loans_count, seed, BUSINESS_DATE, workers=1)


def terms_from_row(r: Any) -> LoanTerms:
    return LoanTerms(
        loan_id=r.id, principal_fen=r.principal_fen, installments=r.installments_count,
        method=r.method, start=r.start_date, annual_rate_ppb=r.annual_rate_ppb,
        penalty_rate_ppb=r.penalty_rate_ppb, fee_rate_ppb=r.fee_rate_ppb,
        day_count=DayCount(r.day_count), interest_mode=InterestMode(r.interest_mode),
        rounding=Rounding(r.rounding), installment_multiple_fen=r.installment_multiple_fen,
        grace_days=r.grace_days, charge_off_dpd=r.charge_off_dpd, ladder=r.ladder,
        prepayment_mode=PrepaymentMode(r.prepayment_mode),
        allocation_order=tuple(json.loads(r.allocation_order)),
        penalty_on_interest=bool(r.penalty_on_interest))


def reference(conn: Connection, loan_id: int, business_date: date) -> tuple[Any, LoanState]:
    """The loan's row and what replaying its events to ``business_date`` gives."""
    row = conn.execute(select(loans).where(loans.c.id == loan_id)).one()
    events = [Event(e.kind, e.effective_date, e.amount_fen, seq=e.id,
                    detail=json.loads(e.detail_json))
              for e in conn.execute(select(loan_events).where(loan_events.c.loan_id == loan_id)
                                    .order_by(loan_events.c.id))]
    return row, replay(terms_from_row(row), events, business_date)


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
