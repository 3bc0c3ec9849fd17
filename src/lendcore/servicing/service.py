"""Servicing commands on existing loans: repayments, refunds, restructures.

Each function takes a ``UnitOfWork`` (the caller commits once; see ``runner.execute``) and
returns a value of ``servicing.results`` (fen, dates); ``servicing.views`` formats it. The
commands of ``servicing.operations`` call these same functions for the API, the CLI and the demo.
Every money movement is posted to the ledger in the same transaction, as the change in the
loan's cumulative totals (``ledger_bridge``); repaid and refunded principal frees the line's
limit again (``customers.store.release``).

A repayment's value date (``effective_date``) is the one dated input a caller gives: at most the
business date, at least the loan's start. A same-day repayment is applied to the stored state
directly. A back-dated one replays the loan from its events (``replay``): the stored state must
equal the replay of the events it has seen (anything else is a defect and refused loudly), and
the ledger receives the difference between the replays with and without the new payment (less
penalty, re-allocated components). Every event records the business date it was booked on.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection

from lendcore.clock import business_date
from lendcore.customers import store as customers
from lendcore.errors import InvalidInput, RuleViolation
from lendcore.money import format_yuan
from lendcore.rates import rate_to_ppb
from lendcore.servicing import lending
from lendcore.servicing import repository as repo
from lendcore.servicing.allocation import Allocation, apply_payment
from lendcore.servicing.ledger_bridge import difference
from lendcore.servicing.model import (
    LoanState,
    LoanStatus,
    Totals,
)
from lendcore.servicing.posting import post_delta
from lendcore.servicing.replay import Event, replay
from lendcore.servicing.results import LoanChanged, LoanSummary, Repaid, summary_of
from lendcore.store.uow import UnitOfWork

_COMPARED = ("principal_outstanding_fen", "interest_receivable_fen", "penalty_receivable_fen",
             "fee_receivable_fen", "overpayment_fen", "dpd")


# -- repayments, refunds -----------------------------------------------------------------------
def repay(uow: UnitOfWork, loan_id: int, amount_fen: int,
          effective: date | None = None) -> Repaid:
    """A repayment on the business date, or back-dated to ``effective`` (start .. today)."""
    conn = uow.conn
    bd = business_date(conn)
    day = effective or bd
    if day > bd:
        raise InvalidInput(f"a repayment cannot be dated after the business date {bd}",
                           field="effective_date")
    state, row = repo.load(conn, loan_id, for_update=True)
    _check_closed_through(state, bd)
    if day < state.terms.start:
        raise InvalidInput(f"a repayment cannot be dated before the loan's start "
                           f"{state.terms.start}", field="effective_date")
    if day == bd:
        alloc: Allocation | None = apply_payment(state, bd, amount_fen)
        delta = state.totals
    else:
        state, delta = _replayed(conn, state, row, Event("repayment", day, amount_fen, 1 << 60))
        alloc = None
    repo.append_event(uow.batch, loan_id, "repayment", day, amount_fen, {}, booked_on=bd)
    loan = _finish(uow, state, row, delta, bd, _source_key("repay", row))
    return Repaid(loan, alloc, effective_date=day, booked_on=bd)


def refund_goods(uow: UnitOfWork, loan_id: int, amount_fen: int) -> LoanChanged:
    """Returned goods: the refunded part of a checkout loan is as if never lent; on an
    interest-free loan the merchant gets back the subsidy of that part
    (``lending.return_subsidy``)."""
    conn = uow.conn
    bd = business_date(conn)
    state, row = repo.load(conn, loan_id, for_update=True)
    if row.kind != "checkout":
        raise RuleViolation("only checkout loans take refunds of returned goods",
                            field="loan_id", code="not_checkout")
    _check_closed_through(state, bd)
    state, delta = _replayed(conn, state, row, Event("refund", bd, amount_fen, 1 << 60))
    repo.append_event(uow.batch, loan_id, "refund", bd, amount_fen, {}, booked_on=bd)
    source_key = _source_key("refund", row)
    # The share is of the principal lent (the row's), not of the replayed, refunded-down one.
    lending.return_subsidy(uow, loan_id, row.product_code, int(row.principal_fen),
                           state.totals.refunded_principal, state.terms.rounding, bd,
                           source_key)
    return LoanChanged(_finish(uow, state, row, delta, bd, source_key))


def refund_overpayment(uow: UnitOfWork, loan_id: int, amount_fen: int) -> LoanChanged:
    """Pay back what a borrower paid beyond what was owed (held on the loan)."""
    conn = uow.conn
    bd = business_date(conn)
    state, row = repo.load(conn, loan_id, for_update=True)
    if amount_fen > state.overpayment_fen:
        raise RuleViolation(f"the loan holds {format_yuan(state.overpayment_fen)} CNY of "
                            "overpayment", field="amount", code="exceeds_overpayment")
    state.overpayment_fen -= amount_fen
    state.totals.overpayment_refunded += amount_fen
    repo.append_event(uow.batch, loan_id, "overpayment_refund", bd, amount_fen, {},
                      booked_on=bd)
    return LoanChanged(_finish(uow, state, row, state.totals, bd,
                               _source_key("overpayment_refund", row)))


def restructure(uow: UnitOfWork, loan_id: int, installments: int, *,
                method: str = "equal-installment", annual_rate_ppb: int | None = None,
                waive_penalty_fen: int = 0, waive_interest_fen: int = 0,
                key: str | None = None) -> LoanChanged:
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
    for ev in new_events:
        repo.append_event(uow.batch, loan_id, ev.kind, bd, ev.amount_fen, dict(ev.detail),
                          booked_on=bd, key=key)
    repo.reshape(uow.batch, state)
    loan = _finish(uow, state, row, delta, bd, _source_key("restructure", row, key),
                   installments_count=len(state.open_installments()))
    return LoanChanged(loan, class_floor_until=state.class_floor_until)


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
            source_key: str, **written_columns: Any) -> LoanSummary:
    """Save the state, post the change, free repaid principal; the loan's summary as written."""
    repo.save(uow.batch, state, row, bd)
    post_delta(uow.batch, delta, state.terms.loan_id, row.product_code, bd,
               row.kind == "checkout", source_key)
    if row.credit_line_id is not None:
        customers.release(uow.batch, row.credit_line_id,
                          delta.paid_principal + delta.refunded_principal)
    # The summary comes from the row as just written, not from another round trip.
    return summary_of(SimpleNamespace(**{**row.row._mapping, **repo.state_columns(state, bd),
                                         **written_columns}))


def _source_key(kind: str, row: Any, key: str | None = None) -> str:
    """The ledger source key of a command's entries: fresh for every command on the loan.

    Each command saves the loan at the version it read plus one (and the nightly run bumps it
    too), so ``repay:1000001#v7`` names exactly one command. An explicit key (a signed plan's)
    is used as given; ``#`` never appears in one."""
    return f"{kind}:{key}" if key else f"{kind}:{row.id}#v{row.version}"
