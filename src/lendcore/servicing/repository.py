"""Loading and saving the loan aggregate: ``LoanState`` <-> the loans, installments rows.

Concurrent writers on one loan are serialised twice: ``load(..., for_update=True)`` takes the
row lock on PostgreSQL (SQLite's BEGIN IMMEDIATE already serialises writers), and ``save``
updates the row only at the version it read, so a lost update is impossible everywhere.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select

from lendcore.errors import Conflict, NotFound
from lendcore.money import Rounding
from lendcore.rates import DayCount
from lendcore.schedules.model import InterestMode
from lendcore.servicing.accrual import bucket, risk_class
from lendcore.servicing.model import (
    InstallmentState,
    LoanState,
    LoanStatus,
    LoanTerms,
    PrepaymentMode,
    parse_allocation,
)
from lendcore.servicing.replay import Event
from lendcore.store.batch import WriteBatch
from lendcore.store.servicing_tables import installments, loan_events, loans

_STATE_COLUMNS = (
    "principal_outstanding_fen", "interest_receivable_fen", "penalty_receivable_fen",
    "fee_receivable_fen", "overpayment_fen", "overdue_principal_fen", "overdue_interest_fen",
    "overdue_fee_fen", "accrued_through", "accr_start", "accr_days", "accr_total_fen",
    "accr_done_fen", "interest_carry", "penalty_carry", "penalty_grace_fen", "dpd",
    "oldest_unpaid_due", "charged_off_on", "closed_on", "class_floor_until", "restructured",
)
_INST_COLUMNS = ("number", "period_start", "due_date", "principal_fen", "interest_fen", "fee_fen",
                 "paid_principal_fen", "paid_interest_fen", "paid_fee_fen", "status", "paid_on")


def terms_from_row(row: Any) -> LoanTerms:
    return LoanTerms(
        loan_id=row.id, principal_fen=row.principal_fen, installments=row.installments_count,
        method=row.method, start=row.start_date, annual_rate_ppb=row.annual_rate_ppb,
        penalty_rate_ppb=row.penalty_rate_ppb, fee_rate_ppb=row.fee_rate_ppb,
        day_count=DayCount(row.day_count), interest_mode=InterestMode(row.interest_mode),
        rounding=Rounding(row.rounding), installment_multiple_fen=row.installment_multiple_fen,
        grace_days=row.grace_days, charge_off_dpd=row.charge_off_dpd, ladder=row.ladder,
        prepayment_mode=PrepaymentMode(row.prepayment_mode),
        allocation_order=parse_allocation(tuple(json.loads(row.allocation_order))),
        penalty_on_interest=bool(row.penalty_on_interest),
    )


def terms_columns(terms: LoanTerms) -> dict[str, Any]:
    return {
        "id": terms.loan_id, "principal_fen": terms.principal_fen,
        "installments_count": terms.installments, "method": terms.method,
        "start_date": terms.start, "annual_rate_ppb": terms.annual_rate_ppb,
        "penalty_rate_ppb": terms.penalty_rate_ppb, "fee_rate_ppb": terms.fee_rate_ppb,
        "day_count": terms.day_count.value, "interest_mode": terms.interest_mode.value,
        "rounding": terms.rounding.value,
        "installment_multiple_fen": terms.installment_multiple_fen,
        "grace_days": terms.grace_days, "charge_off_dpd": terms.charge_off_dpd,
        "ladder": terms.ladder, "prepayment_mode": terms.prepayment_mode.value,
        "allocation_order": json.dumps(list(terms.allocation_order)),
        "penalty_on_interest": terms.penalty_on_interest,
    }


def state_columns(state: LoanState, business_date: date) -> dict[str, Any]:
    """Every stored column of the state row that changes as the loan lives."""
    values = {name: getattr(state, name) for name in _STATE_COLUMNS}
    values.update(
        status=state.status.value,
        next_due_date=state.next_due_date(),
        maturity_date=state.maturity_date,
        bucket=bucket(state),
        risk_class=risk_class(state, business_date),
    )
    return values


_LOAD_ROW = select(loans).where(loans.c.id == bindparam("loan_id"))
_LOAD_ROW_LOCKED = _LOAD_ROW.with_for_update()
_LOAD_INSTALLMENTS = (select(installments).where(installments.c.loan_id == bindparam("loan_id"))
                      .order_by(installments.c.number))
_INSERT_EVENT = loan_events.insert()
_INSERT_INSTALLMENT = installments.insert()


def load_row(conn: Connection, loan_id: int, *, for_update: bool = False) -> Any:
    locked = for_update and conn.dialect.name == "postgresql"
    row = conn.execute(_LOAD_ROW_LOCKED if locked else _LOAD_ROW, {"loan_id": loan_id}).first()
    if row is None:
        raise NotFound(f"no loan {loan_id}", field="loan_id")
    return row


class Loaded:
    """The loaded row plus a snapshot of its installments, so ``save`` writes only changes."""

    def __init__(self, row: Any, installments: dict[int, tuple[Any, ...]]) -> None:
        self.row = row
        self.installments = installments

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


def _inst_values(inst: InstallmentState) -> tuple[Any, ...]:
    return tuple(getattr(inst, c) for c in _INST_COLUMNS)


def load(conn: Connection, loan_id: int, *, for_update: bool = False) -> tuple[LoanState, Loaded]:
    """The loan's live state (totals start at zero: they count what a command changes)."""
    row = load_row(conn, loan_id, for_update=for_update)
    rows = conn.execute(_LOAD_INSTALLMENTS, {"loan_id": loan_id}).all()
    insts = [InstallmentState(**{c: getattr(r, c) for c in _INST_COLUMNS}) for r in rows]
    state = LoanState(terms=terms_from_row(row), installments=insts,
                      principal_outstanding_fen=row.principal_outstanding_fen,
                      status=LoanStatus(row.status))
    for name in _STATE_COLUMNS:
        if name != "principal_outstanding_fen":
            setattr(state, name, getattr(row, name))
    state.restructured = bool(row.restructured)
    return state, Loaded(row, {i.number: _inst_values(i) for i in insts})


def insert(conn: Connection, state: LoanState, extra: dict[str, Any], business_date: date) -> None:
    values = terms_columns(state.terms) | state_columns(state, business_date) | extra
    conn.execute(loans.insert().values(**values))
    _write_installments(conn, state)


_SAVED_COLUMNS = (*_STATE_COLUMNS, "status", "next_due_date", "maturity_date", "bucket",
                  "risk_class")
# Built once: constructing a 30-column UPDATE per call cost more than executing it.
_SAVE_LOAN = (
    loans.update()
    .where(and_(loans.c.id == bindparam("b_id"), loans.c.version == bindparam("b_version")))
    .values({name: bindparam(name) for name in (*_SAVED_COLUMNS, "version")})
)
_UPDATE_INSTALLMENT = installments.update().where(and_(
    installments.c.loan_id == bindparam("b_loan"), installments.c.number == bindparam("b_number")
)).values({name: bindparam(name) for name in _INST_COLUMNS[1:]})


def save(batch: WriteBatch, state: LoanState, loaded: Loaded, business_date: date) -> None:
    """Write the state at the version it was loaded; only changed installments are written.
    The writes join the command's closing batch (sent at commit)."""
    version = loaded.version
    params = state_columns(state, business_date)
    params.update(b_id=state.terms.loan_id, b_version=version, version=version + 1)
    batch.add(_SAVE_LOAN, params, expect_rows=1, conflict=Conflict(
        f"loan {state.terms.loan_id} changed concurrently; retry", field="loan_id",
        code="concurrent_update"))
    _write_changed_installments(batch, state, loaded.installments)


def _write_installments(conn: Connection, state: LoanState) -> None:
    loan_id = state.terms.loan_id
    rows = [{"loan_id": loan_id, **{c: getattr(i, c) for c in _INST_COLUMNS}}
            for i in state.installments]
    if rows:
        conn.execute(installments.insert(), rows)


def _write_changed_installments(batch: WriteBatch, state: LoanState,
                                before: dict[int, tuple[Any, ...]]) -> None:
    """Update installments that changed and insert new ones (restructure); none is deleted."""
    loan_id = state.terms.loan_id
    changed, added = [], []
    for inst in state.installments:
        values = _inst_values(inst)
        if inst.number not in before:
            added.append({"loan_id": loan_id, **dict(zip(_INST_COLUMNS, values, strict=True))})
        elif before[inst.number] != values:
            changed.append({"b_loan": loan_id, "b_number": inst.number,
                            **dict(zip(_INST_COLUMNS[1:], values[1:], strict=True))})
    # One row (the usual repayment) goes as one statement: a list, even of one, would be an
    # executemany.
    for rows, stmt in ((changed, _UPDATE_INSTALLMENT), (added, _INSERT_INSTALLMENT)):
        if rows:
            batch.add(stmt, rows[0] if len(rows) == 1 else rows)


def events(conn: Connection, loan_id: int) -> list[Event]:
    rows = conn.execute(
        select(loan_events).where(and_(loan_events.c.loan_id == loan_id,
                                       loan_events.c.reversed.is_(False)))
        .order_by(loan_events.c.id)).all()
    return [Event(r.kind, r.effective_date, r.amount_fen, r.id, json.loads(r.detail_json))
            for r in rows if r.kind != "disbursement"]


def append_event(batch: WriteBatch, loan_id: int, kind: str, effective_date: date,
                 amount_fen: int, detail: dict[str, Any], *, booked_on: date,
                 key: str | None = None) -> None:
    """The command's event, in its closing batch. ``booked_on`` is the business date it is
    entered on; an event with an earlier ``effective_date`` is back-dated."""
    batch.add(_INSERT_EVENT, {
        "loan_id": loan_id, "kind": kind, "effective_date": effective_date,
        "amount_fen": amount_fen, "detail_json": json.dumps(detail, sort_keys=True, default=str),
        "idempotency_key": key, "reversed": False, "booked_on": booked_on})


_RESHAPE = (loans.update().where(loans.c.id == bindparam("b_id"))
            .values(installments_count=bindparam("count"), maturity_date=bindparam("maturity")))


def reshape(batch: WriteBatch, state: LoanState) -> None:
    """A restructured loan's installment count and maturity (its terms' columns)."""
    batch.add(_RESHAPE, {"b_id": state.terms.loan_id,
                         "count": len(state.open_installments()),
                         "maturity": state.maturity_date}, expect_rows=1)
