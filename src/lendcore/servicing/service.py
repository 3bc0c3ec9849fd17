"""Servicing commands on existing loans: repayments, refunds, restructures (and, re-exported
from ``lending``, the commands that create customers, lines and loans).

Each function takes a ``UnitOfWork`` (the caller commits once; see ``runner.run_command``) and
returns a JSON-ready dict; the API, the CLI and the demo call these same functions. Every money
movement is posted to the ledger in the same transaction, as the change in the loan's cumulative
totals (``ledger_bridge``).

A same-day repayment is applied to the stored state directly. A back-dated one replays the loan
from its events (``replay``): the stored state must equal the replay of the events it has seen
(anything else is a defect and refused loudly), and the ledger receives the difference between
the replays with and without the new payment (less penalty, re-allocated components).
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, bindparam

from lendcore.errors import InvalidInput, RuleViolation
from lendcore.money import format_yuan
from lendcore.rates import rate_to_ppb
from lendcore.servicing import repository as repo
from lendcore.servicing.allocation import Allocation, apply_payment
from lendcore.servicing.ledger_bridge import difference
from lendcore.servicing.lending import (
    PAYEE_KINDS,
    CheckoutRequest,
    DrawRequest,
    checkout,
    create_customer,
    draw,
    line_view,
    open_credit_line,
)
from lendcore.servicing.model import (
    LoanState,
    LoanStatus,
    Totals,
)
from lendcore.servicing.posting import loan_view, post_delta
from lendcore.servicing.queries import summary_of
from lendcore.servicing.replay import Event, replay
from lendcore.servicing.runner import business_date
from lendcore.store.batch import WriteBatch
from lendcore.store.core_tables import credit_lines
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork

_COMPARED = ("principal_outstanding_fen", "interest_receivable_fen", "penalty_receivable_fen",
             "fee_receivable_fen", "overpayment_fen", "dpd")


# -- repayments, refunds -----------------------------------------------------------------------
def repay(uow: UnitOfWork, loan_id: int, amount_fen: int, effective: date | None,
          key: str | None) -> dict[str, Any]:
    conn = uow.conn
    bd = business_date(conn)
    day = effective or bd
    if day > bd:
        raise InvalidInput(f"a repayment cannot be dated after the business date {bd}",
                           field="effective_date")
    state, row = repo.load(conn, loan_id, for_update=True)
    _check_closed_through(state, bd)
    if day < state.terms.start:
        raise InvalidInput(f"the loan started on {state.terms.start}", field="effective_date")
    if day == bd:
        alloc: Allocation | None = apply_payment(state, bd, amount_fen)
        delta = state.totals
    else:
        state, delta = _replayed(conn, state, row, Event("repayment", day, amount_fen, 1 << 60))
        alloc = None
    source_key = f"repay:{key or _seq(conn, loan_id)}"
    repo.append_event(uow.batch, loan_id, "repayment", day, amount_fen, {}, key)
    return _finish(uow, state, row, delta, bd, source_key,
                   {"allocation": _yuan(alloc.as_dict()) if alloc else None,
                    "back_dated": day != bd, "effective_date": day.isoformat()})


def refund_goods(uow: UnitOfWork, loan_id: int, amount_fen: int,
                 key: str | None) -> dict[str, Any]:
    """Returned goods: the refunded part of a checkout loan is as if never lent."""
    conn = uow.conn
    bd = business_date(conn)
    state, row = repo.load(conn, loan_id, for_update=True)
    if row.kind != "checkout":
        raise RuleViolation("only checkout loans take refunds of returned goods",
                            field="loan_id", code="not_checkout")
    _check_closed_through(state, bd)
    state, delta = _replayed(conn, state, row, Event("refund", bd, amount_fen, 1 << 60))
    source_key = f"refund:{key or _seq(conn, loan_id)}"
    repo.append_event(uow.batch, loan_id, "refund", bd, amount_fen, {}, key)
    return _finish(uow, state, row, delta, bd, source_key, {})


def refund_overpayment(uow: UnitOfWork, loan_id: int, amount_fen: int,
                       key: str | None) -> dict[str, Any]:
    conn = uow.conn
    bd = business_date(conn)
    state, row = repo.load(conn, loan_id, for_update=True)
    if amount_fen > state.overpayment_fen:
        raise RuleViolation(f"the loan holds {format_yuan(state.overpayment_fen)} CNY of "
                            "overpayment", field="amount", code="exceeds_overpayment")
    state.overpayment_fen -= amount_fen
    state.totals.overpayment_refunded += amount_fen
    source_key = f"overpayment_refund:{key or _seq(conn, loan_id)}"
    repo.append_event(uow.batch, loan_id, "overpayment_refund", bd, amount_fen, {}, key)
    return _finish(uow, state, row, state.totals, bd, source_key, {})


def restructure(uow: UnitOfWork, loan_id: int, installments: int, *,
                method: str = "equal-installment", annual_rate_ppb: int | None = None,
                waive_penalty_fen: int = 0, waive_interest_fen: int = 0,
                key: str | None = None) -> dict[str, Any]:
    """Negotiated repayment: optional waivers, then the rest re-amortised (``replay``)."""
    conn = uow.conn
    bd = business_date(conn)
    state, row = repo.load(conn, loan_id, for_update=True)
    _check_closed_through(state, bd)
    new_events = []
    for n, (component, amount) in enumerate((("penalty", waive_penalty_fen),
                                             ("interest", waive_interest_fen))):
        if amount:
            new_events.append(Event("waiver", bd, amount, (1 << 60) + n,
                                    {"component": component}))
    new_events.append(Event("restructure", bd, 0, (1 << 60) + 2, {
        "installments": installments, "method": method, "annual_rate_ppb": annual_rate_ppb}))
    state, delta = _replayed(conn, state, row, *new_events)
    source_key = f"restructure:{key or _seq(conn, loan_id, len(new_events))}"
    for ev in new_events:
        repo.append_event(uow.batch, loan_id, ev.kind, bd, ev.amount_fen, dict(ev.detail), key)
    conn.execute(loans.update().where(loans.c.id == loan_id).values(
        installments_count=len(state.open_installments()), maturity_date=state.maturity_date))
    result = _finish(uow, state, row, delta, bd, source_key,
                     {"class_floor_until": state.class_floor_until.isoformat()
                      if state.class_floor_until else None})
    return result


def apply_plan(uow: UnitOfWork, loan_id: int, offer: Any) -> None:
    """The collections hook for a signed negotiated plan (``collections.sign_plan``).

    Restructures the loan with the plan's installments, method, rate and waivers, then checks
    the loan's new schedule is, to the fen, the schedule the borrower signed; a plan whose
    balances moved since it was offered is refused (offer it again).
    """
    restructure(uow, loan_id, offer.installments_count, method=offer.method.value,
                annual_rate_ppb=rate_to_ppb(offer.annual_rate),
                waive_penalty_fen=offer.waived_penalty_fen,
                waive_interest_fen=offer.waived_interest_fen,
                key=f"plan:{loan_id}:{offer.start.isoformat()}")
    uow.batch.run()  # the check below reads the restructured schedule
    state, _ = repo.load(uow.conn, loan_id)
    live = sorted(state.open_installments(), key=lambda i: i.due_date)
    signed = [(i.due_date, i.principal_fen + i.arrears_fen, i.interest_fen)
              for i in offer.schedule]
    actual = [(i.due_date, i.principal_fen, i.interest_fen) for i in live]
    if actual != signed:
        raise RuleViolation("the loan's balances changed since the plan was offered; offer "
                            "the plan again", field="plan_id", code="plan_out_of_date")


def _check_closed_through(state: LoanState, bd: date) -> None:
    """The loan must be closed through yesterday; a closed loan (the nightly run skips it,
    nothing accrues on it) is simply brought up to date."""
    if state.status is LoanStatus.CLOSED:
        state.accrued_through = bd - timedelta(days=1)
        return
    if state.accrued_through is None or (bd - state.accrued_through).days != 1:
        raise RuleViolation(
            f"loan {state.terms.loan_id} is closed through {state.accrued_through}, not the "
            f"day before the business date {bd}; run `lendcore eod run` first",
            field="loan_id", code="end_of_day_pending")


def _replayed(conn: Connection, stored: LoanState, row: Any,
              *new: Event) -> tuple[LoanState, Totals]:
    """Replay without and with ``new``; the stored state must equal the first replay."""
    bd = business_date(conn)
    history = repo.events(conn, stored.terms.loan_id)
    old = replay(stored.terms, history, bd)
    drift = [name for name in _COMPARED if getattr(old, name) != getattr(stored, name)]
    if drift:
        raise RuntimeError(f"loan {stored.terms.loan_id}: stored state differs from its replay "
                           f"in {', '.join(drift)}; refusing to post on top of a defect")
    new_state = replay(stored.terms, [*history, *new], bd)
    return new_state, difference(new_state.totals, old.totals)


def _finish(uow: UnitOfWork, state: LoanState, row: Any, delta: Totals, bd: date,
            source_key: str, extra: dict[str, Any]) -> dict[str, Any]:
    repo.save(uow.batch, state, row, bd)
    post_delta(uow.batch, delta, state.terms.loan_id, row.product_code, bd,
               row.kind == "checkout", source_key)
    _release_line(uow.batch, row.credit_line_id, delta)
    # The summary comes from the row as just written, not from another round trip.
    written = SimpleNamespace(**{**row.row._mapping, **repo.state_columns(state, bd)})
    return {"loan": summary_of(written), **extra}


_RELEASE_LINE = (credit_lines.update().where(credit_lines.c.id == bindparam("line_id"))
                 .values(used_fen=credit_lines.c.used_fen - bindparam("freed")))


def _release_line(batch: WriteBatch, line_id: int | None, delta: Totals) -> None:
    """Repaid and refunded principal frees the revolving limit again."""
    freed = delta.paid_principal + delta.refunded_principal
    if line_id is not None and freed:
        batch.add(_RELEASE_LINE, {"line_id": line_id, "freed": freed})


def _seq(conn: Connection, loan_id: int, new_events: int = 1) -> str:
    """A keyless command's ledger source key: the loan's event count once this command's
    events are written, plus one (counted before they are written: they go in its batch)."""
    return f"{loan_id}:{len(repo.events(conn, loan_id)) + new_events + 1}"


def _yuan(values: dict[str, int | bool]) -> dict[str, Any]:
    return {k: v if isinstance(v, bool) else format_yuan(v) for k, v in values.items()}


__all__ = [
    "PAYEE_KINDS", "CheckoutRequest", "DrawRequest", "apply_plan", "checkout", "create_customer",
    "draw", "line_view", "loan_view", "open_credit_line", "refund_goods", "refund_overpayment",
    "repay", "restructure",
]
